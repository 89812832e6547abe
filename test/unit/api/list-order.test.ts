/**
 * Goal: the ledger-backed lists (history, rate history, auction results, burns, issuances) read
 * newest first with `?order=desc`, so the newest records are one request away however long the
 * list is (a list of more than 1000 records used to show its oldest page only); descending pages
 * follow `next` without skipping or repeating, also while blocks are committed; a cursor works only
 * with the order it was read in (`API_BAD_CURSOR` otherwise); `order` is refused where the list has
 * no such order and for other values; the OpenAPI document declares it.
 * Method: app.inject() against buildApi over a real Ledger + ChainApp (test/support/api-chain.ts):
 * 1001 txs of alice, 1003 blocks of a market with a resting order, and the three-block scenario
 * with two more redemptions and a rate change. Expected records come from the committed txs and
 * the VM's execution results, and from the ascending walk of the same list.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { SignedTx } from '../../../src/codec/tx.ts'
import { toHex } from '../../../src/util/bytes.ts'
import {
  apiChain,
  restingOrderMarket,
  scenario,
  stx,
  VOUCHER_1,
  type ApiChain,
} from '../../support/api-chain.ts'
import { K, T0 } from '../../support/vm.ts'

interface Item {
  readonly [key: string]: unknown
  readonly height?: number
  readonly index?: number
  readonly txId?: string
  readonly sourceRef?: string
}
interface Body {
  readonly items?: Item[]
  readonly next?: string | null
  readonly error?: { code: string }
}

let chain: ApiChain | null = null
afterEach(async () => {
  await chain?.close()
  chain = null
})

async function get(c: ApiChain, url: string): Promise<{ status: number; body: Body }> {
  const res = await c.api.inject({ method: 'GET', url })
  return { status: res.statusCode, body: res.json<Body>() }
}

async function page(c: ApiChain, url: string): Promise<{ items: Item[]; next: string | null }> {
  const res = await get(c, url)
  expect(res.status, url).toBe(200)
  return { items: res.body.items ?? [], next: res.body.next ?? null }
}

async function expectError(c: ApiChain, url: string, status: number, code: string): Promise<void> {
  const res = await get(c, url)
  expect(res.status, url).toBe(status)
  expect(res.body.error?.code, url).toBe(code)
}

/** Every item of a list in `order`, following `next`; `between` runs after each page. */
async function walk(
  c: ApiChain,
  url: string,
  order: 'asc' | 'desc',
  limit: number,
  between: () => Promise<void> = () => Promise.resolve(),
): Promise<Item[]> {
  const items: Item[] = []
  let cursor: string | null = null
  for (let pages = 0; pages < 2000; pages++) {
    const sep = url.includes('?') ? '&' : '?'
    const at = cursor === null ? '' : `&cursor=${cursor}`
    const got = await page(c, `${url}${sep}order=${order}&limit=${limit}${at}`)
    items.push(...got.items)
    cursor = got.next
    if (cursor === null) return items
    await between()
  }
  throw new Error(`${url} did not end`)
}

const key = (i: Item): string => `${String(i.height)}:${String(i.index)}`
const alice = toHex(K.alice.address)

/** 1000 transfers by alice in block 1, her newest tx alone in block 2. */
async function longHistory(c: ApiChain): Promise<SignedTx> {
  await c.commit(
    Array.from({ length: 1000 }, () =>
      stx(K.alice, 'points.transfer', { pointType: 'ACME', to: K.bob.address, amount: 1n }),
    ),
  )
  const newest = stx(K.alice, 'points.transfer', {
    pointType: 'UNI',
    to: K.bob.address,
    amount: 1n,
  })
  await c.commit([newest])
  return newest
}

describe('?order=desc on a list of more than 1000 records', () => {
  it('history: the first page holds the newest txs, newest first', async () => {
    const c = await apiChain()
    chain = c
    const newest = await longHistory(c)
    const got = await page(c, `/v1/accounts/${alice}/history?order=desc&limit=15`)
    expect(got.items.length).toBe(15)
    expect(got.items[0]).toEqual({
      txId: toHex(newest.txId),
      height: 2,
      index: 0,
      kind: 'points.transfer',
    })
    expect(got.items.slice(1).map(key)).toEqual(
      Array.from({ length: 14 }, (_, i) => `1:${999 - i}`),
    )
    expect(got.next).not.toBeNull()
  })

  it('history: descending pages are the ascending walk reversed, with no gap or repeat', async () => {
    const c = await apiChain()
    chain = c
    await longHistory(c)
    const url = `/v1/accounts/${alice}/history`
    const ascending = await walk(c, url, 'asc', 1000)
    expect(ascending.length).toBe(1001)
    const descending = await walk(c, url, 'desc', 300)
    expect(descending.map(key)).toEqual(ascending.map(key).reverse())
  })

  it('history: blocks committed during a descending walk neither shift nor repeat its pages', async () => {
    const c = await apiChain()
    chain = c
    await longHistory(c)
    const url = `/v1/accounts/${alice}/history`
    const before = (await walk(c, url, 'asc', 1000)).map(key)
    const during = await walk(c, url, 'desc', 250, async () => {
      await c.commit([
        stx(K.alice, 'points.transfer', { pointType: 'UNI', to: K.bob.address, amount: 1n }),
      ])
    })
    // Exactly what the list held at the first page; the newer txs are on a new first page.
    expect(during.map(key)).toEqual(before.reverse())
    const first = await page(c, `${url}?order=desc&limit=4`)
    expect(first.items.map(key)).toEqual(['6:0', '5:0', '4:0', '3:0'])
  })

  it('auction results: the first page holds the latest auction', async () => {
    const c = await apiChain()
    chain = c
    await restingOrderMarket(c, 1001)
    const head = c.app.height
    const id = encodeURIComponent('ACME/BETA')
    const got = await page(c, `/v1/markets/${id}/auctions?order=desc&limit=5`)
    expect(got.items.map((a) => a.height)).toEqual([head, head - 1, head - 2, head - 3, head - 4])
    expect(got.next).not.toBeNull()
    const oldest = await page(c, `/v1/markets/${id}/auctions?limit=1`)
    expect(oldest.items[0]?.height).toBe(2)
  })
})

describe('?order=desc on every ledger-backed list', () => {
  /** The scenario, then block 4: two more redemptions at SHOP and a third ACME rate. */
  async function scenarioChain(): Promise<ApiChain> {
    const c = await apiChain()
    chain = c
    await scenario(c)
    const redeem = (ref: string): SignedTx =>
      stx(K.alice, 'points.redeem', {
        pointType: 'ACME',
        amount: 10n,
        acceptor: K.shop.address,
        orderRef: ref,
      })
    const b4 = await c.commit([
      redeem('ORDER-2'),
      redeem('ORDER-3'),
      stx(K.oracle, 'rate.set', { pointType: 'ACME', rate: 12_000_000n, sourceRef: 'r4' }),
    ])
    expect(b4.txs.length).toBe(3)
    return c
  }

  it('burns by issuer, by acceptor and by time, newest first across pages', async () => {
    const c = await scenarioChain()
    const filters = [
      `issuer=${toHex(K.acme.address)}`,
      `acceptor=${toHex(K.shop.address)}`,
      `from=${T0}&to=${T0 + 86_400_000n}`,
    ]
    for (const filter of filters) {
      const url = `/v1/burns?${filter}`
      const descending = await walk(c, url, 'desc', 2)
      expect(descending.map(key), filter).toEqual(['4:1', '4:0', '2:0'])
      const ascending = await walk(c, url, 'asc', 2)
      expect(descending, filter).toEqual(ascending.reverse())
      const orderRefs = descending.map((b) => b['orderRef'])
      expect(orderRefs, filter).toEqual(['ORDER-3', 'ORDER-2', 'ORDER-1'])
    }
  })

  it('rate history and issuances, newest first', async () => {
    const c = await scenarioChain()
    const rates = await walk(c, '/v1/rates/ACME/history', 'desc', 1)
    expect(rates.map((r) => r.sourceRef)).toEqual(['r4', 'r3', 'r1'])
    const issuances = await page(c, `/v1/issuances?voucher=${toHex(VOUCHER_1)}&order=desc`)
    expect(issuances.items.map((i) => i['pointType'])).toEqual(['ACME'])
    const asc = await page(c, `/v1/rates/ACME/history?order=asc`)
    expect(asc.items.map((r) => r.sourceRef)).toEqual(['r1', 'r3', 'r4'])
  })

  it('refuses a cursor read in the other order, and a descending cursor of another list', async () => {
    const c = await scenarioChain()
    const url = `/v1/burns?acceptor=${toHex(K.shop.address)}`
    const asc = (await page(c, `${url}&limit=1`)).next
    const desc = (await page(c, `${url}&order=desc&limit=1`)).next
    expect(asc).not.toBeNull()
    expect(desc).not.toBeNull()
    expect(desc).not.toBe(asc)
    await expectError(c, `${url}&order=desc&cursor=${asc}`, 400, 'API_BAD_CURSOR')
    await expectError(c, `${url}&cursor=${desc}`, 400, 'API_BAD_CURSOR')
    await expectError(c, `${url}&order=asc&cursor=${desc}`, 400, 'API_BAD_CURSOR')
    const other = `/v1/burns?issuer=${toHex(K.beta.address)}&order=desc&cursor=${desc}`
    await expectError(c, other, 400, 'API_BAD_CURSOR')
    // Each cursor still works with its own order.
    expect((await page(c, `${url}&order=desc&limit=1&cursor=${desc}`)).items.map(key)).toEqual([
      '4:0',
    ])
    expect((await page(c, `${url}&limit=1&cursor=${asc}`)).items.map(key)).toEqual(['4:0'])
  })

  it('refuses other values of order, and order on lists without one', async () => {
    const c = await scenarioChain()
    for (const bad of ['newest', 'DESC', '']) {
      await expectError(c, `/v1/accounts/${alice}/history?order=${bad}`, 400, 'API_BAD_REQUEST')
    }
    for (const url of [
      '/v1/point-types?order=desc',
      '/v1/rates?order=desc',
      '/v1/markets?order=desc',
      '/v1/enterprises?order=desc',
      '/v1/markets/ACME%2FBETA?order=desc',
    ]) {
      await expectError(c, url, 400, 'API_BAD_REQUEST')
    }
  })

  it('the OpenAPI document declares order on the ordered lists only', async () => {
    const c = await apiChain()
    chain = c
    interface Op {
      readonly parameters?: { in: string; name: string; schema?: { enum?: string[] } }[]
    }
    const doc = (await c.api.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, { get?: Op }>
    }>()
    const orderOf = (path: string): string[] | undefined =>
      doc.paths[path]?.get?.parameters?.find((p) => p.in === 'query' && p.name === 'order')?.schema
        ?.enum
    for (const path of [
      '/v1/accounts/{address}/history',
      '/v1/rates/{pointType}/history',
      '/v1/markets/{id}/auctions',
      '/v1/burns',
      '/v1/issuances',
    ]) {
      expect(orderOf(path), path).toEqual(['asc', 'desc'])
    }
    for (const path of ['/v1/point-types', '/v1/rates', '/v1/markets', '/v1/markets/{id}']) {
      expect(orderOf(path), path).toBeUndefined()
    }
  })
})
