/**
 * Goal: the two state-size limits of the market rules: `order.place` fails with TX_BOOK_FULL once a
 * market holds ORDERS_PER_MARKET_MAX (10,000) open orders, and `market.create` fails with
 * TX_MARKET_LIMIT once MARKETS_MAX (1,000) markets exist; each failed tx changes nothing but its
 * receipt (and its replay-index entry).
 * Method: the full state is built through the VM itself, in a few big blocks: 10,000 one-unit sell
 * orders (all on one side, so the auctions clear nothing) and 1,000 markets over 32 extra point
 * types. The limits are written out here as literals, not read from the code under test. The
 * failing tx is then executed alone in a block and its write set compared with an empty block's
 * (test/support/vm-expect.ts). A place after one cancel succeeds, and the 1,000th create succeeds
 * just before the 1,001st fails, so each failure is caused by the limit and not by something else.
 */
import { describe, expect, it } from 'vitest'
import type { SignedTx } from '../../../src/codec/tx.ts'
import { readMarket } from '../../../src/vm/index.ts'
import { K, TestChain, testGenesis, tx } from '../../support/vm.ts'
import { expectFailure } from '../../support/vm-expect.ts'

const BOOK_LIMIT = 10_000
const MARKET_LIMIT = 1_000
const BLOCK_TXS = 5_000

function expectAllOk(chain: TestChain, txs: readonly SignedTx[]): void {
  const r = chain.block(txs)
  const failed = r.receipts.find((receipt) => !receipt.ok)
  expect(failed, `tx ${failed?.index}: ${failed?.code} ${failed?.message}`).toBeUndefined()
}

describe('TX_BOOK_FULL', () => {
  it('refuses the 10,001st open order of a market and accepts one after a cancel', () => {
    const chain = new TestChain(
      testGenesis({
        balances: [{ account: K.alice.address, pointType: 'ACME', amount: 20_000n }],
      }),
      false,
    )
    expectAllOk(chain, [
      tx('market.create', K.op1, {
        base: 'ACME',
        quote: 'UNI',
        priceDecimals: 2,
        lotSize: 1n,
        referencePrice: 150n,
      }),
    ])
    const sell = () =>
      tx('order.place', K.alice, {
        market: 'ACME/UNI',
        side: 'sell',
        price: 150n,
        quantity: 1n,
        goodTillHeight: 900,
      })
    const first = sell()
    for (let placed = 0; placed < BOOK_LIMIT; placed += BLOCK_TXS) {
      const txs = Array.from({ length: BLOCK_TXS }, (_, i) => (placed + i === 0 ? first : sell()))
      expectAllOk(chain, txs)
    }
    expect(readMarket(chain.state, 'ACME', 'UNI')?.openOrders).toBe(BOOK_LIMIT)
    expectFailure(chain, sell(), 'TX_BOOK_FULL')
    // One cancel frees a slot: the same kind of order is accepted again.
    expectAllOk(chain, [tx('order.cancel', K.alice, { orderId: first.txId })])
    expect(readMarket(chain.state, 'ACME', 'UNI')?.openOrders).toBe(BOOK_LIMIT - 1)
    expectAllOk(chain, [sell()])
    expect(readMarket(chain.state, 'ACME', 'UNI')?.openOrders).toBe(BOOK_LIMIT)
  }, 120_000)
})

describe('TX_MARKET_LIMIT', () => {
  it('refuses the 1,001st market', () => {
    // UNI plus 32 types T00..T31: 33 × 32 = 1,056 ordered pairs, more than the limit.
    const symbols = Array.from({ length: 32 }, (_, i) => `T${String(i).padStart(2, '0')}`)
    const chain = new TestChain(
      testGenesis({
        pointTypes: symbols.map((symbol) => ({
          symbol,
          name: symbol,
          issuer: K.acme.address,
          decimals: 0,
          expirySeconds: 0n,
          transferable: true,
          convertible: false,
          maxSupply: null,
        })),
        balances: [],
      }),
      false,
    )
    const pairs: [string, string][] = []
    for (const base of ['UNI', ...symbols])
      for (const quote of ['UNI', ...symbols]) if (base !== quote) pairs.push([base, quote])
    const create = ([base, quote]: [string, string]) =>
      tx('market.create', K.op1, { base, quote, priceDecimals: 0, lotSize: 1n, referencePrice: 1n })
    expectAllOk(chain, pairs.slice(0, MARKET_LIMIT - 1).map(create))
    // The 1,000th market is still allowed (the limit is "at most", not "fewer than").
    expectAllOk(chain, [create(pairs[MARKET_LIMIT - 1]!)])
    const [base, quote] = pairs[MARKET_LIMIT]!
    expect(readMarket(chain.state, base, quote)).toBeUndefined()
    expectFailure(chain, create([base, quote]), 'TX_MARKET_LIMIT')
    // An existing market is still reported as such, before the limit.
    expectFailure(chain, create(pairs[0]!), 'TX_MARKET_EXISTS')
  }, 120_000)
})
