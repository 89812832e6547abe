/**
 * Goal: every list and report route answers what the committed blocks produced, pages with
 * cursors without skipping or repeating, and rejects bad input (address, symbol, market id,
 * cursor, limit, period, filters) with its coded 4xx; unknown items get a coded 404.
 * Method: app.inject() against buildApi over a real Ledger + ChainApp (test/support/api-chain.ts)
 * after the three-block scenario; expected values come from the scenario's txs and the VM's
 * execution results (burn records, auctions), not from the read model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toHex } from '../../../src/util/bytes.ts'
import type { ChainExecution } from '../../../src/chain/app.ts'
import { apiChain, scenario, VOUCHER_1, type ApiChain } from '../../support/api-chain.ts'
import { K, T0 } from '../../support/vm.ts'

let chain: ApiChain
let blocks: ChainExecution[] = []

beforeAll(async () => {
  chain = await apiChain()
  blocks = (await scenario(chain)).blocks
})
afterAll(async () => {
  await chain.close()
})

/** The response fields these tests read (each route has some of them). */
interface Item {
  readonly [key: string]: unknown
  readonly height?: number
  readonly index?: number
  readonly symbol?: string
  readonly maxSupply?: string | null
  readonly rate?: unknown
  readonly pointType?: string
  readonly sourceRef?: string
  readonly txId?: string
  readonly market?: Item | string
  readonly id?: string
  readonly orders?: Item[]
  readonly price?: string | null
  readonly totals?: Item
  readonly issued?: string
  readonly days?: Item[]
  readonly address?: string
}
interface Body extends Item {
  readonly items?: Item[]
  readonly next?: string | null
  readonly error?: { code: string }
}
const get = async (
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Body; text: string; type: string }> => {
  const res = await chain.api.inject({ method: 'GET', url, headers })
  const type = String(res.headers['content-type'])
  const body = type.startsWith('application/json') ? res.json<Body>() : {}
  return { status: res.statusCode, body, text: res.body, type }
}
const expectError = async (url: string, status: number, code: string): Promise<void> => {
  const res = await get(url)
  expect(res.status, url).toBe(status)
  expect(res.body.error?.code, url).toBe(code)
}
/** Every item of a list, following `next` with pages of `limit`. */
async function all(url: string, limit: number): Promise<{ items: Item[]; pages: number }> {
  const items: Item[] = []
  let cursor: string | null = null
  let pages = 0
  const sep = url.includes('?') ? '&' : '?'
  do {
    const page = await get(`${url}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`)
    expect(page.status, url).toBe(200)
    items.push(...(page.body.items ?? []))
    cursor = page.body.next ?? null
    pages++
  } while (cursor !== null && pages < 50)
  return { items, pages }
}

const alice = toHex(K.alice.address)
const bob = toHex(K.bob.address)
const acme = toHex(K.acme.address)
const shop = toHex(K.shop.address)
const BAD_ADDRESSES = ['00', 'zz'.repeat(20), 'AB'.repeat(20), '00'.repeat(21)]

describe('GET /v1/accounts/:address/history', () => {
  it('lists the txs that touched an account, oldest first, across pages', async () => {
    // Ledger-backed lists may end with an empty page after a full one.
    const { items, pages } = await all(`/v1/accounts/${alice}/history`, 2)
    expect(pages).toBeGreaterThanOrEqual(2)
    const ids = blocks[1]!.txs.map((t) => toHex(t.txId))
    expect(items).toEqual([
      { txId: ids[0], height: 2, index: 0, kind: 'points.redeem' },
      { txId: ids[1], height: 2, index: 1, kind: 'points.transfer' },
      { txId: ids[2], height: 2, index: 2, kind: 'order.place' },
      // bob's failed transfer to alice in block 3 names her too.
      { txId: toHex(blocks[2]!.txs[0]!.txId), height: 3, index: 0, kind: 'points.transfer' },
    ])
    const bobs = await all(`/v1/accounts/${bob}/history`, 100)
    expect(bobs.items.map((i) => [i.height, i.index])).toEqual([
      [1, 3],
      [2, 1],
      [3, 0],
    ])
  })

  it('rejects bad addresses, cursors and limits', async () => {
    for (const bad of BAD_ADDRESSES) {
      await expectError(`/v1/accounts/${bad}/history`, 400, 'API_BAD_ADDRESS')
    }
    const first = await get(`/v1/accounts/${bob}/history?limit=1`)
    const foreign = first.body.next ?? ''
    expect(foreign).not.toBe('')
    await expectError(`/v1/accounts/${alice}/history?cursor=${foreign}`, 400, 'API_BAD_CURSOR')
    await expectError(`/v1/accounts/${alice}/history?cursor=xyz`, 400, 'API_BAD_CURSOR')
    for (const limit of ['0', '1001', 'x', '1e3']) {
      await expectError(`/v1/accounts/${alice}/history?limit=${limit}`, 400, 'API_BAD_QUERY')
    }
    await expectError(`/v1/accounts/${alice}/history?sort=asc`, 400, 'API_BAD_REQUEST')
  })
})

describe('GET /v1/point-types and /v1/point-types/:id', () => {
  it('lists every type by symbol across pages', async () => {
    const { items, pages } = await all('/v1/point-types', 2)
    expect(pages).toBe(3)
    expect(items.map((i) => i.symbol)).toEqual(['ACME', 'BETA', 'EXP', 'LOCK', 'UNI'])
  })

  it('serves one policy with supply and current rate', async () => {
    const { status, body } = await get('/v1/point-types/ACME')
    expect(status).toBe(200)
    expect(body).toMatchObject({
      symbol: 'ACME',
      issuer: acme,
      decimals: 0,
      expirySeconds: '0',
      transferable: true,
      convertible: true,
      maxSupply: null,
      issued: '1500',
      burned: '100',
      rate: { rate: '11000000', sourceRef: 'r3', height: 1 },
    })
    const beta = await get('/v1/point-types/BETA')
    expect(beta.body.maxSupply).toBe('1000000')
    const exp = await get('/v1/point-types/EXP')
    expect(exp.body.rate).toBeNull()
  })

  it('rejects bad symbols and unknown types', async () => {
    await expectError('/v1/point-types/NOPE', 404, 'API_POINT_TYPE_NOT_FOUND')
    await expectError('/v1/point-types/acme', 400, 'API_BAD_SYMBOL')
    await expectError(`/v1/point-types/${'A'.repeat(17)}`, 400, 'API_BAD_SYMBOL')
    await expectError('/v1/point-types?cursor=ff', 400, 'API_BAD_CURSOR')
  })
})

describe('GET /v1/rates and /v1/rates/:pointType/history', () => {
  it('lists current rates', async () => {
    const { status, body } = await get('/v1/rates')
    expect(status).toBe(200)
    expect(body.items?.map((i) => [i.pointType, i.rate, i.sourceRef])).toEqual([
      ['ACME', '11000000', 'r3'],
      ['BETA', '20000000', 'r2'],
    ])
  })

  it('lists the rate history of a type, oldest first', async () => {
    const { items, pages } = await all('/v1/rates/ACME/history', 1)
    expect(pages).toBeGreaterThanOrEqual(2)
    expect(items.map((i) => [i.rate, i.height, i.index, i.sourceRef])).toEqual([
      ['10000000', 1, 0, 'r1'],
      ['11000000', 1, 4, 'r3'],
    ])
    expect(items[0]!.txId).toBe(toHex(blocks[0]!.txs[0]!.txId))
    const none = await get('/v1/rates/EXP/history')
    expect(none.body).toEqual({ items: [], next: null })
  })

  it('rejects bad symbols and cursors', async () => {
    await expectError('/v1/rates/a%20b/history', 400, 'API_BAD_SYMBOL')
    await expectError('/v1/rates/ACME/history?cursor=00', 400, 'API_BAD_CURSOR')
    await expectError('/v1/rates?limit=-1', 400, 'API_BAD_QUERY')
  })
})

describe('GET /v1/markets, /v1/markets/:id and /v1/markets/:id/auctions', () => {
  it('lists markets', async () => {
    const { status, body } = await get('/v1/markets')
    expect(status).toBe(200)
    expect(body.items).toEqual([
      {
        id: 'ACME/BETA',
        base: 'ACME',
        quote: 'BETA',
        priceDecimals: 0,
        lotSize: '10',
        referencePrice: '2',
        lastPrice: null,
        nextSeq: '1',
        openOrders: 1,
        createdHeight: 1,
      },
    ])
  })

  it('serves a market with its order book', async () => {
    const { status, body } = await get('/v1/markets/ACME%2FBETA')
    expect(status).toBe(200)
    expect((body.market as Item).id).toBe('ACME/BETA')
    expect(body.orders).toEqual([
      {
        orderId: toHex(blocks[1]!.txs[2]!.txId),
        base: 'ACME',
        quote: 'BETA',
        owner: alice,
        side: 'sell',
        price: '3',
        quantity: '20',
        filled: '0',
        goodTillHeight: 500,
        seq: '0',
        placedHeight: 2,
      },
    ])
    expect(body.next).toBeNull()
  })

  it('lists auction results per block as the VM reported them', async () => {
    const { status, body } = await get('/v1/markets/ACME%2FBETA/auctions')
    expect(status).toBe(200)
    const expected = blocks.flatMap((b, i) =>
      b.result.auctions.map((a) => ({ height: i + 1, price: a.price?.toString() ?? null })),
    )
    expect(body.items?.map((i) => ({ height: i.height, price: i.price }))).toEqual(expected)
    for (const [i, item] of (body.items ?? []).entries()) {
      expect(item.market, `auction ${i}`).toBe('ACME/BETA')
    }
  })

  it('rejects bad ids and unknown markets', async () => {
    await expectError('/v1/markets/ACME%2FUNI', 404, 'API_MARKET_NOT_FOUND')
    await expectError('/v1/markets/ACMEBETA', 400, 'API_BAD_MARKET')
    await expectError('/v1/markets/ACMEBETA/auctions', 400, 'API_BAD_MARKET')
    await expectError('/v1/markets/ACME%2FBETA?cursor=0f', 400, 'API_BAD_CURSOR')
    await expectError('/v1/markets/ACME%2FBETA/auctions?cursor=0f', 400, 'API_BAD_CURSOR')
  })
})

describe('GET /v1/burns', () => {
  it('lists burns by issuer, by acceptor and by time', async () => {
    const burn = blocks[1]!.result.burns[0]!
    const expected = {
      pointType: 'ACME',
      issuer: acme,
      holder: alice,
      amount: '100',
      reason: 'redemption',
      acceptor: shop,
      orderRef: 'ORDER-1',
      rate: burn.rate.toString(),
      valueUniversal: burn.valueUniversal.toString(),
      convertedTo: null,
      txId: toHex(blocks[1]!.txs[0]!.txId),
      height: 2,
      time: (T0 + 2000n).toString(),
      index: 0,
    }
    for (const url of [
      `/v1/burns?issuer=${acme}`,
      `/v1/burns?acceptor=${shop}`,
      `/v1/burns?from=${T0}&to=${T0 + 86_400_000n}`,
    ]) {
      const { status, body } = await get(url)
      expect(status, url).toBe(200)
      expect(body.items, url).toEqual([expected])
    }
    const none = await get(`/v1/burns?from=${T0}&to=${T0 + 2000n}`)
    expect(none.body.items).toEqual([])
  })

  it('rejects missing, mixed and bad filters', async () => {
    await expectError('/v1/burns', 400, 'API_BAD_QUERY')
    await expectError(`/v1/burns?issuer=${acme}&acceptor=${shop}`, 400, 'API_BAD_QUERY')
    await expectError(`/v1/burns?issuer=${acme}&from=1&to=2`, 400, 'API_BAD_QUERY')
    await expectError('/v1/burns?issuer=xyz', 400, 'API_BAD_ADDRESS')
    await expectError('/v1/burns?from=5&to=5', 400, 'API_BAD_QUERY')
    await expectError('/v1/burns?from=5', 400, 'API_BAD_QUERY')
    await expectError('/v1/burns?from=-1&to=5', 400, 'API_BAD_QUERY')
    await expectError('/v1/burns?from=1&to=99999999999999999', 400, 'API_BAD_QUERY')
    await expectError(`/v1/burns?issuer=${acme}&cursor=aa`, 400, 'API_BAD_CURSOR')
  })
})

describe('GET /v1/issuances', () => {
  it('lists the issuance a voucher backs', async () => {
    const { status, body } = await get(`/v1/issuances?voucher=${toHex(VOUCHER_1)}`)
    expect(status).toBe(200)
    expect(body.items).toEqual([
      {
        pointType: 'ACME',
        voucherDigest: toHex(VOUCHER_1),
        voucherKind: 'sales-order',
        voucherRef: 'SO-1',
        issuer: acme,
        to: bob,
        amount: '500',
        txId: toHex(blocks[0]!.txs[3]!.txId),
        height: 1,
        time: (T0 + 1000n).toString(),
      },
    ])
    const unknown = await get(`/v1/issuances?voucher=${'00'.repeat(32)}`)
    expect(unknown.body).toEqual({ items: [], next: null })
  })

  it('rejects a missing or bad voucher', async () => {
    await expectError('/v1/issuances', 400, 'API_BAD_REQUEST')
    await expectError('/v1/issuances?voucher=abcd', 400, 'API_BAD_QUERY')
  })
})

describe('GET /v1/settlement and /v1/settlement.csv', () => {
  const period = `from=${T0}&to=${T0 + 86_400_000n}`

  it('nets the redemption into one obligation (JSON)', async () => {
    const value = blocks[1]!.result.burns[0]!.valueUniversal.toString()
    const { status, body } = await get(`/v1/settlement?${period}`)
    expect(status).toBe(200)
    expect(body).toMatchObject({
      fromMs: T0.toString(),
      burnCount: 1,
      lines: [
        {
          debtor: acme,
          creditor: shop,
          netValueUniversal: value,
          grossDebtorToCreditor: value,
          grossCreditorToDebtor: '0',
          burnIds: ['2:0'],
        },
      ],
      unobligated: [],
    })
  })

  it('serves the same report as CSV by Accept header and by .csv path', async () => {
    const value = blocks[1]!.result.burns[0]!.valueUniversal.toString()
    const expected =
      'kind,debtor,creditor,point_type,net_value_universal,gross_debtor_to_creditor,' +
      'gross_creditor_to_debtor,amount,burn_ids\r\n' +
      `obligation,${acme},${shop},,${value},${value},0,,2:0\r\n`
    const byAccept = await get(`/v1/settlement?${period}`, { accept: 'text/csv' })
    expect(byAccept.status).toBe(200)
    expect(byAccept.type).toContain('text/csv')
    expect(byAccept.text).toBe(expected)
    const byPath = await get(`/v1/settlement.csv?${period}`)
    expect(byPath.type).toContain('text/csv')
    expect(byPath.text).toBe(expected)
    const json = await get(`/v1/settlement?${period}`, { accept: 'application/json, text/csv' })
    expect(json.type).toContain('application/json')
  })

  it('rejects missing or bad periods', async () => {
    await expectError(`/v1/settlement?from=${T0}`, 400, 'API_BAD_REQUEST')
    await expectError('/v1/settlement?from=9&to=9', 400, 'API_BAD_QUERY')
    await expectError('/v1/settlement.csv?from=a&to=9', 400, 'API_BAD_QUERY')
  })
})

describe('GET /v1/stats/enterprises/:id', () => {
  it('sums the days of the period', async () => {
    const url = `/v1/stats/enterprises/${acme}?from=${T0}&to=${T0 + 3_600_000n}`
    const { status, body } = await get(url)
    expect(status).toBe(200)
    const day = Number(T0 / 86_400_000n)
    expect(body).toMatchObject({ enterprise: acme, fromDay: day, toDay: day + 1 })
    expect(body.totals?.issued).toBe('500')
    expect(body.days).toEqual([{ day, ...body.totals }])
    const before = await get(`/v1/stats/enterprises/${acme}?from=0&to=86400000`)
    expect(before.body.totals?.issued).toBe('0')
    expect(before.body.days).toEqual([])
  })

  it('rejects bad ids, unknown enterprises and bad periods', async () => {
    await expectError(
      `/v1/stats/enterprises/${toHex(K.carol.address)}?from=0&to=1`,
      404,
      'API_ENTERPRISE_NOT_FOUND',
    )
    await expectError('/v1/stats/enterprises/zz?from=0&to=1', 400, 'API_BAD_ADDRESS')
    await expectError(`/v1/stats/enterprises/${acme}?from=2&to=1`, 400, 'API_BAD_QUERY')
    await expectError(`/v1/stats/enterprises/${acme}?from=0&to=400000000000`, 400, 'API_BAD_QUERY')
    await expectError(`/v1/stats/enterprises/${acme}?to=1`, 400, 'API_BAD_REQUEST')
  })
})

describe('GET /v1/enterprises', () => {
  it('lists admitted enterprises by address across pages', async () => {
    const { items, pages } = await all('/v1/enterprises', 1)
    expect(pages).toBe(3)
    const expected = [K.acme, K.beta, K.shop].map((k) => toHex(k.address)).sort()
    expect(items.map((i) => i.address)).toEqual(expected)
    const shopItem = items.find((i) => i.address === shop)
    expect(shopItem).toEqual({
      address: shop,
      name: 'SHOP',
      isIssuer: false,
      isAcceptor: true,
      settlementAccount: shop,
      active: true,
      admittedHeight: 0,
    })
  })

  it('rejects bad cursors', async () => {
    await expectError('/v1/enterprises?cursor=zz', 400, 'API_BAD_CURSOR')
    await expectError('/v1/enterprises?cursor=0200', 400, 'API_BAD_CURSOR')
    await expectError('/v1/enterprises?cursor=', 400, 'API_BAD_CURSOR')
  })
})
