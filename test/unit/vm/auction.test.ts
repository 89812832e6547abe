/**
 * Goal: the call auction's edge cases behave as SPEC.md 4.1 and docs/protocol/auction.md say: empty
 * and one-sided books, books that do not cross, every order at one price, ties to the target, a
 * target outside the feasible range, lastPrice taking precedence over referencePrice, no target at
 * all, amounts beyond 2^64, input-order independence, broken preconditions, and quote rounding.
 * Method: small hand-built books whose expected prices and fills are worked out by hand in the
 * comments (prices are ticks; e.g. 150n is 1.50 with two price decimals).
 */
import { describe, expect, it } from 'vitest'
import { AssertionError } from '../../../src/util/assert.ts'
import {
  clearCallAuction,
  quoteForFill,
  type AuctionOrder,
  type AuctionResult,
} from '../../../src/vm/auction.ts'

let nextSeq = 1n
function order(id: string, side: 'buy' | 'sell', price: bigint, qty: bigint, seq?: bigint) {
  const o: AuctionOrder = { id, side, price, qty, seq: seq ?? nextSeq }
  nextSeq += 1n
  return o
}
const buy = (id: string, price: bigint, qty: bigint, seq?: bigint) =>
  order(id, 'buy', price, qty, seq)
const sell = (id: string, price: bigint, qty: bigint, seq?: bigint) =>
  order(id, 'sell', price, qty, seq)

const fillsOf = (result: AuctionResult): Record<string, bigint> =>
  Object.fromEntries([...result.fills.entries()].sort(([a], [b]) => (a < b ? -1 : 1)))

// The paper's example shape: buy 20 at 1.50 and sell 20 at 1.40 trade 20 at either price, so both
// 140 and 150 are feasible and the target decides.
const paperBook = [buy('b1', 150n, 20n), sell('s1', 140n, 20n)]

describe('clearCallAuction edge cases', () => {
  it('clears an empty book to no trade', () => {
    const result = clearCallAuction([], 100n, 100n)
    expect(result.price).toBe(null)
    expect(result.volume).toBe(0n)
    expect(result.fills.size).toBe(0)
  })

  it('does not trade a one-sided book, and reports 0 for every order', () => {
    const sells = [sell('s1', 100n, 5n), sell('s2', 90n, 7n)]
    const result = clearCallAuction(sells, null, 95n)
    expect(result).toEqual({
      price: null,
      volume: 0n,
      fills: new Map([
        ['s1', 0n],
        ['s2', 0n],
      ]),
    })
  })

  it('does not trade when the best buy is below the best sell', () => {
    const book = [buy('b1', 99n, 5n), buy('b2', 50n, 5n), sell('s1', 100n, 5n)]
    const result = clearCallAuction(book, 100n, 100n)
    expect(result.price).toBe(null)
    expect(fillsOf(result)).toEqual({ b1: 0n, b2: 0n, s1: 0n })
  })

  it('trades when buy and sell limits touch', () => {
    const result = clearCallAuction([buy('b1', 100n, 5n), sell('s1', 100n, 3n)], 7n, null)
    expect(result.price).toBe(100n)
    expect(fillsOf(result)).toEqual({ b1: 3n, s1: 3n })
  })

  it('clears a book with every order at one price by seq, whatever the target', () => {
    // D(100) = 7, S(100) = 5: V = 5; buys by seq: b1 (seq 1) 3, b2 (seq 3) 2; b3 (seq 4) nothing.
    const book = [
      buy('b2', 100n, 4n, 3n),
      sell('s1', 100n, 5n, 2n),
      buy('b3', 100n, 9n, 4n),
      buy('b1', 100n, 3n, 1n),
    ]
    const book2 = [...book.slice(0, 2), { ...book[2]!, qty: 1n }, book[3]!]
    expect(clearCallAuction(book, 1n, null).price).toBe(100n)
    const result = clearCallAuction(book, 10_000n, 1n)
    expect(result.price).toBe(100n)
    expect(result.volume).toBe(5n)
    expect(fillsOf(result)).toEqual({ b1: 3n, b2: 2n, b3: 0n, s1: 5n })
    // With b3 reduced to 1, demand is 8 and still only the first 5 by seq fill.
    expect(fillsOf(clearCallAuction(book2, 100n, null))).toEqual({ b1: 3n, b2: 2n, b3: 0n, s1: 5n })
  })

  it('picks the feasible price closest to the target, the lower one when equidistant', () => {
    expect(clearCallAuction(paperBook, 145n, null).price).toBe(140n) // equidistant: 5 and 5
    expect(clearCallAuction(paperBook, 146n, null).price).toBe(150n)
    expect(clearCallAuction(paperBook, 144n, null).price).toBe(140n)
    const result = clearCallAuction(paperBook, 146n, null)
    expect(fillsOf(result)).toEqual({ b1: 20n, s1: 20n })
  })

  it('picks the nearest end of the feasible set when the target lies outside it', () => {
    expect(clearCallAuction(paperBook, 10_000n, null).price).toBe(150n)
    expect(clearCallAuction(paperBook, 1n, null).price).toBe(140n)
  })

  it('uses lastPrice when present, else referencePrice, else the lowest feasible price', () => {
    expect(clearCallAuction(paperBook, 141n, 149n).price).toBe(140n)
    expect(clearCallAuction(paperBook, 149n, 141n).price).toBe(150n)
    expect(clearCallAuction(paperBook, null, 149n).price).toBe(150n)
    expect(clearCallAuction(paperBook, null, 141n).price).toBe(140n)
    expect(clearCallAuction(paperBook, null, null).price).toBe(140n)
  })

  it('lets sell pressure exclude a price even when it is the target', () => {
    // vol(140) = vol(150) = 10, but S<(150) = 20 > 10: only 140 is feasible.
    const book = [sell('s1', 140n, 20n), buy('b1', 150n, 10n)]
    const result = clearCallAuction(book, 150n, 150n)
    expect(result.price).toBe(140n)
    expect(fillsOf(result)).toEqual({ b1: 10n, s1: 10n })
  })

  it('fills across several levels with one partial order per side', () => {
    // Levels 100..103. D: 100→30, 101→25, 102→25, 103→10. S: 100→8, 101→20, 102→26, 103→40.
    // vol: 8, 20, 25, 10 → V = 25 at 102 only; D>(102) = 10, S<(102) = 20. Buys ≥ 102 by
    // priority: b1 (103) 10, b2 (102, seq earlier) 12, b3 (102) 3 of 3 → 25. Sells ≤ 102: s1 8,
    // s2 12, s3 (102) 5 of 6 → partial.
    const book = [
      buy('b1', 103n, 10n),
      buy('b2', 102n, 12n),
      buy('b3', 102n, 3n),
      buy('b4', 100n, 5n),
      sell('s1', 100n, 8n),
      sell('s2', 101n, 12n),
      sell('s3', 102n, 6n),
      sell('s4', 103n, 14n),
    ]
    const result = clearCallAuction(book, 100n, null)
    expect(result.price).toBe(102n)
    expect(result.volume).toBe(25n)
    expect(fillsOf(result)).toEqual({
      b1: 10n,
      b2: 12n,
      b3: 3n,
      b4: 0n,
      s1: 8n,
      s2: 12n,
      s3: 5n,
      s4: 0n,
    })
    expect(fillsOf(clearCallAuction([...book].reverse(), 100n, null))).toEqual(fillsOf(result))
  })

  it('handles prices and quantities up to 2^63 − 1 with sums beyond 2^64', () => {
    const max = (1n << 63n) - 1n
    const book = [
      buy('b1', max, max),
      buy('b2', max, max),
      buy('b3', max, max),
      sell('s1', 1n, max),
      sell('s2', 1n, max),
    ]
    // D(1) = 3·max, S(1) = 2·max: vol(1) = 2·max, but D>(1) = 3·max > V; at max: D = 3·max,
    // S = 2·max, S<(max) = 2·max = V: feasible, so the price is max.
    const result = clearCallAuction(book, 1n, null)
    expect(result.price).toBe(max)
    expect(result.volume).toBe(2n * max)
    expect(fillsOf(result)).toEqual({ b1: max, b2: max, b3: 0n, s1: max, s2: max })
  })
})

describe('clearCallAuction preconditions (bugs in the caller, so assertions)', () => {
  const good = [buy('b1', 100n, 5n, 1n), sell('s1', 100n, 5n, 2n)]
  const cases: [string, AuctionOrder[]][] = [
    ['zero qty', [...good, buy('b2', 100n, 0n, 3n)]],
    ['negative qty', [...good, sell('s2', 100n, -1n, 3n)]],
    ['zero price', [...good, buy('b2', 0n, 5n, 3n)]],
    ['duplicate id', [...good, buy('b1', 101n, 5n, 3n)]],
    ['duplicate seq', [...good, sell('s2', 101n, 5n, 2n)]],
    ['price above 2^63 − 1', [...good, sell('s2', 1n << 63n, 5n, 3n)]],
    ['seq above int64', [...good, sell('s2', 101n, 5n, 1n << 63n)]],
    ['seq below int64', [...good, sell('s2', 101n, 5n, -(1n << 63n) - 1n)]],
  ]
  for (const [name, orders] of cases) {
    it(`rejects ${name}`, () => {
      expect(() => clearCallAuction(orders, null, 100n)).toThrow(AssertionError)
    })
  }
  it('accepts the same book without the bad order', () => {
    expect(clearCallAuction(good, null, 100n).volume).toBe(5n)
  })
})

describe('quoteForFill', () => {
  it('rounds fill × price / 10^decimals down', () => {
    expect(quoteForFill(3n, 150n, 2)).toBe(4n) // 4.50 → 4
    expect(quoteForFill(10n, 1234n, 2)).toBe(123n) // 123.40 → 123
    expect(quoteForFill(7n, 1n, 2)).toBe(0n) // 0.07 → 0
    expect(quoteForFill(0n, 150n, 2)).toBe(0n)
    expect(quoteForFill(5n, 7n, 0)).toBe(35n)
    expect(quoteForFill(2n, 999_999_999_999n, 12)).toBe(1n) // 1.999999999998 → 1
  })
  it('rejects out-of-range arguments', () => {
    expect(() => quoteForFill(-1n, 150n, 2)).toThrow(AssertionError)
    expect(() => quoteForFill(1n, 0n, 2)).toThrow(AssertionError)
    expect(() => quoteForFill(1n, 150n, -1)).toThrow(AssertionError)
    expect(() => quoteForFill(1n, 150n, 13)).toThrow(AssertionError)
    expect(() => quoteForFill(1n, 150n, 1.5)).toThrow(AssertionError)
  })
})
