/**
 * Goal: call-auction settlement in the VM: fills trade at the clearing price with quote amounts
 * `floor(q × P / 10^pd)` per matched pair, lots keep their expiry through trades, unused escrow
 * returns when an order ends, partially filled orders rest, and the last price is kept.
 * Method: three hand-built orders whose clearing (SPEC 4.1) is worked out in the comments; balances
 * and orders are compared with those hand-computed values. The supply invariant is checked after
 * every block by the harness.
 */
import { describe, expect, it } from 'vitest'
import { toHex } from '../../../src/util/bytes.ts'
import { readBalance, readLots, readMarket, readOrder } from '../../../src/vm/index.ts'
import { K, T0, TestChain, digest, tx } from '../../support/vm.ts'

const uni = (to: Uint8Array, amount: bigint, v: string) =>
  tx('points.issue', K.op1, {
    pointType: 'UNI',
    to,
    amount,
    voucherKind: 'sales-order',
    voucherRef: v,
    voucherDigest: digest(v),
    encryptedDetail: null,
  })

/** A chain with the ACME/UNI market (lot 10, reference 1.50) and 100 UNI each for Bob and Carol. */
function acmeUniMarket(): TestChain {
  const chain = new TestChain()
  chain.block([
    tx('market.create', K.op1, {
      base: 'ACME',
      quote: 'UNI',
      priceDecimals: 2,
      lotSize: 10n,
      referencePrice: 150n,
    }),
    uni(K.bob.address, 100n, 'b'),
    uni(K.carol.address, 100n, 'c'),
  ])
  return chain
}

describe('auction settlement', () => {
  it('clears three orders at 1.50 and settles pairwise without dust', () => {
    const chain = acmeUniMarket()
    const sell = tx('order.place', K.alice, {
      market: 'ACME/UNI',
      side: 'sell',
      price: 140n,
      quantity: 30n,
      goodTillHeight: 5,
    })
    const bob = tx('order.place', K.bob, {
      market: 'ACME/UNI',
      side: 'buy',
      price: 160n,
      quantity: 20n,
      goodTillHeight: 5,
    })
    const carol = tx('order.place', K.carol, {
      market: 'ACME/UNI',
      side: 'buy',
      price: 150n,
      quantity: 20n,
      goodTillHeight: 5,
    })
    // Candidates 1.40/1.50/1.60. At 1.40: D=40 > V. At 1.50: D=40, S=30, vol 30, D>(1.50)=20 ≤ 30,
    // S<(1.50)=30 ≤ 30, S = V: feasible. At 1.60: vol 20. So P = 150 ticks, V = 30.
    // Pairs: (bob, alice, 20) → floor(20 × 150 / 100) = 30; (carol, alice, 10) → 15.
    const r = chain.block([sell, bob, carol])
    expect(r.receipts.every((x) => x.ok)).toBe(true)
    // The issuers: ACME's is acme, the universal type's the first operator (the platform).
    expect(r.auctions).toEqual([
      {
        market: 'ACME/UNI',
        price: 150n,
        volume: 30n,
        quoteVolume: 45n,
        orders: 3,
        filled: 3,
        baseIssuer: K.acme.address,
        quoteIssuer: K.op1.address,
      },
    ])
    expect(readBalance(chain.state, K.alice.address, 'UNI')).toBe(5_045n)
    expect(readBalance(chain.state, K.alice.address, 'ACME')).toBe(970n)
    // Bob escrowed ceil(20 × 160 / 100) = 32, paid 30, got 2 back when his order filled.
    expect(readBalance(chain.state, K.bob.address, 'UNI')).toBe(70n)
    expect(readBalance(chain.state, K.bob.address, 'ACME')).toBe(20n)
    // Carol escrowed 30, paid 15; 10 ACME still open with 15 escrow (= ceil(10 × 150 / 100)).
    expect(readBalance(chain.state, K.carol.address, 'UNI')).toBe(70n)
    expect(readBalance(chain.state, K.carol.address, 'ACME')).toBe(10n)
    expect(readOrder(chain.state, carol.txId)).toMatchObject({
      quantity: 10n,
      filled: 10n,
      escrow: [[(1n << 64n) - 1n, 15n]],
    })
    expect(readOrder(chain.state, sell.txId)).toBeUndefined()
    expect(readOrder(chain.state, bob.txId)).toBeUndefined()
    expect(readMarket(chain.state, 'ACME', 'UNI')).toMatchObject({ lastPrice: 150n, openOrders: 1 })
    // No counter-order: nothing trades; at good-till height 5 the rest is returned.
    while (chain.height < 5) expect(chain.block([]).auctions[0]?.volume).toBe(0n)
    expect(readOrder(chain.state, carol.txId)).toBeUndefined()
    expect(readBalance(chain.state, K.carol.address, 'UNI')).toBe(85n)
  })

  it('counts the orders that took part and the ones that traded', () => {
    const chain = acmeUniMarket()
    const order = (who: (typeof K)['alice'], side: 'buy' | 'sell', price: bigint) =>
      tx('order.place', who, { market: 'ACME/UNI', side, price, quantity: 10n, goodTillHeight: 5 })
    // Alice sells 10 at 1.40 and Bob buys 10 at 1.60: 10 trade. Carol's bid at 1.00 is below
    // any price at which something trades, so she takes part but does not trade.
    const r = chain.block([
      order(K.alice, 'sell', 140n),
      order(K.bob, 'buy', 160n),
      order(K.carol, 'buy', 100n),
    ])
    expect(r.receipts.every((x) => x.ok)).toBe(true)
    expect(r.auctions).toHaveLength(1)
    expect(r.auctions[0]).toMatchObject({ market: 'ACME/UNI', volume: 10n, orders: 3, filled: 2 })
    // Only Carol's bid is left: it takes part in the next auction and nothing trades.
    expect(chain.block([]).auctions).toEqual([
      {
        market: 'ACME/UNI',
        price: null,
        volume: 0n,
        quoteVolume: 0n,
        orders: 1,
        filled: 0,
        baseIssuer: K.acme.address,
        quoteIssuer: K.op1.address,
      },
    ])
  })

  it('moves base lots with their expiry to the buyer, who loses them at that expiry', () => {
    const chain = new TestChain()
    chain.block(
      [
        tx('market.create', K.op1, {
          base: 'EXP',
          quote: 'UNI',
          priceDecimals: 0,
          lotSize: 10n,
          referencePrice: 2n,
        }),
        tx('points.issue', K.acme, {
          pointType: 'EXP',
          to: K.bob.address,
          amount: 50n,
          voucherKind: 'sales-order',
          voucherRef: 'e',
          voucherDigest: digest('e'),
          encryptedDetail: null,
        }),
      ],
      T0 + 1_000n,
    ) // EXP lot expires at T0 + 11_000
    chain.block(
      [
        tx('order.place', K.bob, {
          market: 'EXP/UNI',
          side: 'sell',
          price: 2n,
          quantity: 20n,
          goodTillHeight: 9,
        }),
        tx('order.place', K.alice, {
          market: 'EXP/UNI',
          side: 'buy',
          price: 2n,
          quantity: 20n,
          goodTillHeight: 9,
        }),
      ],
      T0 + 2_000n,
    )
    expect(readLots(chain.state, K.alice.address, 'EXP')).toEqual([[T0 + 11_000n, 20n]])
    expect(readBalance(chain.state, K.bob.address, 'UNI')).toBe(40n)
    chain.block([], T0 + 10_999n)
    expect(readBalance(chain.state, K.alice.address, 'EXP')).toBe(20n)
    const r = chain.block([], T0 + 11_000n)
    expect(r.burns.map((b) => [toHex(b.holder), b.amount])).toEqual(
      [
        [toHex(K.alice.address), 20n],
        [toHex(K.bob.address), 30n],
      ].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)),
    )
    expect(readBalance(chain.state, K.alice.address, 'EXP')).toBe(0n)
  })

  it('shrinks an order whose escrow expires and ends it when nothing is left', () => {
    const chain = new TestChain()
    chain.block(
      [
        tx('market.create', K.op1, {
          base: 'EXP',
          quote: 'UNI',
          priceDecimals: 0,
          lotSize: 10n,
          referencePrice: 2n,
        }),
        tx('points.issue', K.acme, {
          pointType: 'EXP',
          to: K.bob.address,
          amount: 25n,
          voucherKind: 'sales-order',
          voucherRef: 'e1',
          voucherDigest: digest('e1'),
          encryptedDetail: null,
        }),
      ],
      T0 + 1_000n,
    ) // expires T0 + 11_000
    chain.block(
      [
        tx('points.issue', K.acme, {
          pointType: 'EXP',
          to: K.bob.address,
          amount: 15n,
          voucherKind: 'sales-order',
          voucherRef: 'e2',
          voucherDigest: digest('e2'),
          encryptedDetail: null,
        }),
      ],
      T0 + 5_000n,
    ) // expires T0 + 15_000
    const sell = tx('order.place', K.bob, {
      market: 'EXP/UNI',
      side: 'sell',
      price: 9n,
      quantity: 40n,
      goodTillHeight: 50,
    })
    chain.block([sell], T0 + 6_000n)
    expect(readOrder(chain.state, sell.txId)?.escrow).toEqual([
      [T0 + 11_000n, 25n],
      [T0 + 15_000n, 15n],
    ])
    // The 25-point lot burns: 15 left in escrow → 10 tradable (whole lots of 10).
    chain.block([], T0 + 11_000n)
    expect(readOrder(chain.state, sell.txId)).toMatchObject({
      quantity: 10n,
      escrow: [[T0 + 15_000n, 15n]],
    })
    // The last lot burns: nothing left, the order ends.
    const r = chain.block([], T0 + 15_000n)
    expect(readOrder(chain.state, sell.txId)).toBeUndefined()
    expect(r.burns.map((b) => b.amount)).toEqual([15n])
    expect(readMarket(chain.state, 'EXP', 'UNI')?.openOrders).toBe(0)
  })
})

describe('escrow expiry edge cases', () => {
  it('burns two due escrow lots of one order in one block, even when the first ends the order', () => {
    const chain = new TestChain()
    const issue = (amount: bigint, v: string) =>
      tx('points.issue', K.acme, {
        pointType: 'EXP',
        to: K.bob.address,
        amount,
        voucherKind: 'sales-order',
        voucherRef: v,
        voucherDigest: digest(v),
        encryptedDetail: null,
      })
    chain.block(
      [
        tx('market.create', K.op1, {
          base: 'EXP',
          quote: 'UNI',
          priceDecimals: 0,
          lotSize: 10n,
          referencePrice: 2n,
        }),
        issue(5n, 'a'),
      ],
      T0 + 1_000n,
    )
    chain.block([issue(15n, 'b')], T0 + 2_000n)
    const sell = tx('order.place', K.bob, {
      market: 'EXP/UNI',
      side: 'sell',
      price: 9n,
      quantity: 20n,
      goodTillHeight: 50,
    })
    chain.block([sell], T0 + 3_000n)
    // Both escrow lots (expiring at T0 + 11_000 and T0 + 12_000) are due in this block.
    const r = chain.block([], T0 + 20_000n)
    expect(readOrder(chain.state, sell.txId)).toBeUndefined()
    expect(r.burns.map((b) => b.amount)).toEqual([5n, 15n])
    expect(readBalance(chain.state, K.bob.address, 'EXP')).toBe(0n)
  })
})
