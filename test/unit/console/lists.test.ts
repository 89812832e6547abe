/**
 * Goal: the console's "latest" views (consumer history and auction results, enterprise
 * redemptions, platform per-enterprise burns and rate history) show the newest records however long
 * the list is, in one request each (they used to read the oldest 1000 records and show their tail);
 * "My open orders" finds all of a consumer's orders wherever they are in the book (it used to read
 * the first 1000 orders only), and stops with a coded error on a book that does not end.
 * Method: console/lists.ts exactly as the pages call it, reading through an adapter over app.inject()
 * against buildApi over a real Ledger + ChainApp (test/support/api-chain.ts), on lists of more than
 * 1000 records; expected records come from the committed txs. The page functions only render what
 * these return.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CodedError } from '../../../console/api.ts'
import {
  BOOK_PAGES_MAX,
  latest,
  latestPath,
  ownOrders,
  type JsonSource,
} from '../../../console/lists.ts'
import type { SignedTx } from '../../../src/codec/tx.ts'
import { AssertionError } from '../../../src/util/assert.ts'
import { toHex } from '../../../src/util/bytes.ts'
import { err, ok, type Result } from '../../../src/util/result.ts'
import { apiChain, restingOrderMarket, stx, type ApiChain } from '../../support/api-chain.ts'
import { K } from '../../support/vm.ts'

/** The console's `Api.get` over app.inject(), recording the paths it was asked for. */
function source(c: ApiChain, asked: string[] = []): JsonSource {
  return {
    async get<T>(path: string): Promise<Result<T, CodedError>> {
      asked.push(path)
      const res = await c.api.inject({ method: 'GET', url: path })
      if (res.statusCode !== 200) return err(res.json<{ error: CodedError }>().error)
      return ok(res.json<T>())
    },
  }
}

const alice = toHex(K.alice.address)
const bob = toHex(K.bob.address)
const acme = toHex(K.acme.address)
const shop = toHex(K.shop.address)

const redeem = (orderRef: string): SignedTx =>
  stx(K.alice, 'points.redeem', {
    pointType: 'ACME',
    amount: 1n,
    acceptor: K.shop.address,
    orderRef,
  })
const setRate = (sourceRef: string): SignedTx =>
  stx(K.oracle, 'rate.set', { pointType: 'ACME', rate: 10_000_000n, sourceRef })

describe('latestPath', () => {
  it('asks for the latest records, newest first', () => {
    expect(latestPath(`/v1/accounts/${alice}/history`, 15)).toBe(
      `/v1/accounts/${alice}/history?order=desc&limit=15`,
    )
    expect(latestPath(`/v1/burns?acceptor=${shop}`, 10)).toBe(
      `/v1/burns?acceptor=${shop}&order=desc&limit=10`,
    )
  })

  it('asserts a count the API serves', () => {
    for (const count of [0, -1, 1.5, 1001]) {
      expect(() => latestPath('/v1/burns', count), String(count)).toThrow(AssertionError)
    }
  })
})

describe('the latest records of lists of more than 1000', () => {
  let chain: ApiChain
  let newestRedeem: SignedTx

  // Block 1: 1001 ACME rates and 10 ACME issued to alice; block 2: 1000 redemptions of 1 ACME by
  // alice at SHOP; block 3: her newest redemption and the newest rate.
  beforeAll(async () => {
    chain = await apiChain()
    await chain.commit([
      stx(K.acme, 'points.issue', {
        pointType: 'ACME',
        to: K.alice.address,
        amount: 10n,
        voucherKind: 'sales-order',
        voucherRef: 'SO-LISTS',
        voucherDigest: new Uint8Array(32).fill(0xb2),
        encryptedDetail: null,
      }),
      ...Array.from({ length: 1001 }, (_, i) => setRate(`rate-${i}`)),
    ])
    await chain.commit(Array.from({ length: 1000 }, (_, i) => redeem(`R-${i}`)))
    newestRedeem = redeem('NEWEST')
    await chain.commit([newestRedeem, setRate('newest-rate')])
  })
  afterAll(async () => {
    await chain.close()
  })

  it('consumer history: the newest tx on top, in one request', async () => {
    const asked: string[] = []
    const got = await latest<{ txId: string; height: number }>(
      source(chain, asked),
      `/v1/accounts/${alice}/history`,
      15,
    )
    expect(asked.length).toBe(1)
    const items = got.ok ? got.value : []
    expect(items.length).toBe(15)
    expect(items[0]).toMatchObject({ txId: toHex(newestRedeem.txId), height: 3 })
    expect(items.slice(1).every((i) => i.height === 2)).toBe(true)
  })

  it('enterprise redemptions and platform burns by issuer: the newest burn on top', async () => {
    for (const [path, count] of [
      [`/v1/burns?acceptor=${shop}`, 10],
      [`/v1/burns?issuer=${acme}`, 15],
    ] as const) {
      const asked: string[] = []
      const got = await latest<{ orderRef: string | null }>(source(chain, asked), path, count)
      expect(asked.length, path).toBe(1)
      const refs = got.ok ? got.value.map((b) => b.orderRef) : []
      const older = Array.from({ length: count - 1 }, (_, i) => `R-${999 - i}`)
      expect(refs, path).toEqual(['NEWEST', ...older])
    }
  })

  it('platform rate history: the newest change on top', async () => {
    const got = await latest<{ sourceRef: string }>(source(chain), '/v1/rates/ACME/history', 100)
    const refs = got.ok ? got.value.map((r) => r.sourceRef) : []
    expect(refs.length).toBe(100)
    expect(refs.slice(0, 3)).toEqual(['newest-rate', 'rate-1000', 'rate-999'])
  })

  it('passes on the node coded error', async () => {
    const got = await latest(source(chain), '/v1/accounts/zz/history', 5)
    expect(got.ok ? 'ok' : got.error.code).toBe('API_BAD_ADDRESS')
  })
})

describe('consumer auction results', () => {
  it('after more than 1000 auctions the latest result is on top', async () => {
    const c = await apiChain()
    try {
      await restingOrderMarket(c, 1001)
      const head = c.app.height
      const id = encodeURIComponent('ACME/BETA')
      const got = await latest<{ height: number }>(source(c), `/v1/markets/${id}/auctions`, 5)
      expect(got.ok ? got.value.map((a) => a.height) : []).toEqual([
        head,
        head - 1,
        head - 2,
        head - 3,
        head - 4,
      ])
    } finally {
      await c.close()
    }
  })
})

describe('My open orders', () => {
  it('finds a consumer’s orders behind the first 1000 of the book', async () => {
    const c = await apiChain()
    try {
      await c.commit([
        stx(K.op1, 'market.create', {
          base: 'ACME',
          quote: 'BETA',
          priceDecimals: 0,
          lotSize: 1n,
          referencePrice: 2n,
        }),
      ])
      const sell = (): SignedTx =>
        stx(K.alice, 'order.place', {
          market: 'ACME/BETA',
          side: 'sell',
          price: 3n,
          quantity: 1n,
          goodTillHeight: 500,
        })
      // 1000 sells of alice first, then bob's two bids below them (nothing crosses).
      await c.commit(Array.from({ length: 1000 }, sell))
      const bids = [7n, 9n].map((quantity) =>
        stx(K.bob, 'order.place', {
          market: 'ACME/BETA',
          side: 'buy',
          price: 1n,
          quantity,
          goodTillHeight: 500,
        }),
      )
      await c.commit(bids)
      const asked: string[] = []
      const mine = await ownOrders<{ owner: string; side: string; quantity: string }>(
        source(c, asked),
        'ACME/BETA',
        bob,
      )
      expect(mine.ok ? mine.value.map((o) => [o.owner, o.side, o.quantity]) : mine).toEqual([
        [bob, 'buy', '7'],
        [bob, 'buy', '9'],
      ])
      expect(asked.length).toBe(2)
      const alices = await ownOrders(source(c), 'ACME/BETA', alice)
      expect(alices.ok ? alices.value.length : alices).toBe(1000)
      const unknown = await ownOrders(source(c), 'ACME/UNI', bob)
      expect(unknown.ok ? 'ok' : unknown.error.code).toBe('API_MARKET_NOT_FOUND')
    } finally {
      await c.close()
    }
  })

  it('refuses a book that does not end within BOOK_PAGES_MAX pages', async () => {
    let asked = 0
    const endless: JsonSource = {
      get<T>(): Promise<Result<T, CodedError>> {
        asked++
        const page = { orders: [{ owner: bob }], next: 'aa' }
        return Promise.resolve(ok(page as T))
      },
    }
    const got = await ownOrders(endless, 'ACME/BETA', bob)
    expect(got.ok ? 'ok' : got.error.code).toBe('CONSOLE_BOOK_TOO_LONG')
    expect(asked).toBe(BOOK_PAGES_MAX)
    expect(BOOK_PAGES_MAX).toBe(21)
  })
})
