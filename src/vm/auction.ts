/**
 * The deterministic call auction that clears one market once per block, by the Taiwan Stock
 * Exchange call-auction rules adopted by the loyalty-exchange paper.
 *
 * Spec: SPEC.md section 4.1; normative text in docs/protocol/auction.md.
 *
 * Algorithm (O(n log n), n = number of orders): one native numeric sort of all limit prices gives
 * the ascending distinct candidate prices; each order's quantity is added to its price level (found
 * by binary search); prefix sums over the levels give D(p) and S(p), and two linear scans find the
 * maximal volume V and the clearing price P. Allocation needs no full sort: orders strictly better
 * than P fill in full (the rule guarantees they fit in V), and only the orders resting exactly at P
 * are sorted, by seq, and filled greedily. No floats, no clock, no randomness: the result depends
 * only on the set of orders (not on their order in the input array) and on the two prices.
 */
import { AssertionError, assert, assertNever } from '../util/assert.ts'
import { PRICE_DECIMALS_MAX } from '../core/limits.ts'

/** One resting limit order of a market, as the call auction sees it. */
export interface AuctionOrder {
  readonly id: string
  readonly side: 'buy' | 'sell'
  /** Limit price in ticks (1 tick = 10^-priceDecimals quote units per base unit); > 0. */
  readonly price: bigint
  /** Remaining quantity in base units; > 0. */
  readonly qty: bigint
  /** Arrival sequence number, unique within the market; lower arrived earlier. */
  readonly seq: bigint
}

/** The outcome of one call auction. */
export interface AuctionResult {
  /** The clearing price in ticks, or null when nothing trades. */
  readonly price: bigint | null
  /** Total quantity traded; equals the sum of buy fills and the sum of sell fills. */
  readonly volume: bigint
  /** Filled quantity of every input order (0n when unfilled), keyed by order id. */
  readonly fills: ReadonlyMap<string, bigint>
}

/**
 * The distinct limit prices in ascending order, with the buy and sell quantity resting exactly at
 * each (parallel arrays: fewer allocations than one object per level).
 */
interface PriceLevels {
  readonly prices: readonly bigint[]
  readonly buyQty: readonly bigint[]
  readonly sellQty: readonly bigint[]
}

/** The chosen price and volume, before allocation. */
interface Clearing {
  readonly price: bigint
  readonly volume: bigint
}

const INT64_MIN = -(1n << 63n)
const INT64_MAX = (1n << 63n) - 1n

function bySeq(a: AuctionOrder, b: AuctionOrder): number {
  return a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0
}

/**
 * Checks the preconditions the VM guarantees (0 < price ≤ 2^63 − 1, qty > 0, unique ids, unique seqs
 * within int64) and returns every order's price in a typed array for a native sort. Every order gets
 * a 0n entry in `fills`, which also detects duplicate ids. A violation is a bug, hence an assertion.
 */
function validate(orders: readonly AuctionOrder[], fills: Map<string, bigint>): BigInt64Array {
  const prices = new BigInt64Array(orders.length)
  const seqs = new BigInt64Array(orders.length)
  let index = 0
  for (const order of orders) {
    // Messages are built only on failure: this loop runs once per resting order every block.
    if (order.price <= 0n || order.price > INT64_MAX) {
      throw new AssertionError(`order ${order.id}: price ${order.price} outside [1, 2^63 − 1]`)
    }
    if (order.qty <= 0n) throw new AssertionError(`order ${order.id}: qty ${order.qty} ≤ 0`)
    if (order.seq < INT64_MIN || order.seq > INT64_MAX) {
      throw new AssertionError(`order ${order.id}: seq ${order.seq} outside int64`)
    }
    switch (order.side) {
      case 'buy':
      case 'sell':
        break
      default:
        assertNever(order.side, `order ${order.id}: unknown side`)
    }
    const size = fills.size
    fills.set(order.id, 0n)
    if (fills.size === size) throw new AssertionError(`duplicate order id ${order.id}`)
    prices[index] = order.price
    seqs[index] = order.seq
    index += 1
  }
  assert(fills.size === orders.length, 'one fill entry per order')
  // A native numeric sort of the seqs finds duplicates far faster than a Set of bigints.
  seqs.sort()
  for (let i = 1; i < seqs.length; i++) {
    if (seqs[i] === seqs[i - 1]) throw new AssertionError(`duplicate seq ${seqs[i]!}`)
  }
  return prices
}

/** Index of `price` in the ascending `prices` (binary search); `price` must be one of them. */
function levelIndex(prices: readonly bigint[], price: bigint): number {
  let low = 0
  let high = prices.length - 1
  while (low < high) {
    const middle = (low + high) >>> 1
    if (prices[middle]! < price) low = middle + 1
    else high = middle
  }
  // Built only on failure: this runs once per order.
  if (prices[low] !== price) throw new AssertionError(`price ${price} is not a level`)
  return low
}

/** Sorts the limit prices once (natively) and sums each side's quantity per distinct price. */
function buildLevels(orders: readonly AuctionOrder[], allPrices: BigInt64Array): PriceLevels {
  allPrices.sort()
  const prices: bigint[] = []
  for (let i = 0; i < allPrices.length; i++) {
    const price = allPrices[i]!
    if (i === 0 || price !== prices[prices.length - 1]) prices.push(price)
  }
  const buyQty = new Array<bigint>(prices.length).fill(0n)
  const sellQty = new Array<bigint>(prices.length).fill(0n)
  for (const order of orders) {
    const i = levelIndex(prices, order.price)
    if (order.side === 'buy') buyQty[i] = buyQty[i]! + order.qty
    else sellQty[i] = sellQty[i]! + order.qty
  }
  return { prices, buyQty, sellQty }
}

/** V = max over the levels of min(D(p), S(p)), by one ascending scan. Also returns total demand. */
function maximalVolume(levels: PriceLevels): { volumeMax: bigint; demandTotal: bigint } {
  const { buyQty, sellQty } = levels
  let demandTotal = 0n
  for (const qty of buyQty) demandTotal += qty
  let volumeMax = 0n
  let demand = demandTotal // D(p_i) = all buys minus those priced below p_i.
  let supply = 0n // S(p_i) = sells priced at or below p_i.
  for (let i = 0; i < buyQty.length; i++) {
    supply += sellQty[i]!
    const volume = demand < supply ? demand : supply
    if (volume > volumeMax) volumeMax = volume
    demand -= buyQty[i]!
  }
  assert(demand === 0n, 'every buy is counted once')
  return { volumeMax, demandTotal }
}

/**
 * Finds the maximal volume V and, among the feasible prices (SPEC.md 4.1 step 3), the one closest to
 * `target` (equidistant: the lower). With no target, the lowest feasible price. Null when V = 0.
 */
function choosePrice(levels: PriceLevels, target: bigint | null): Clearing | null {
  const { prices, buyQty, sellQty } = levels
  const { volumeMax, demandTotal } = maximalVolume(levels)
  if (volumeMax === 0n) return null

  let best: bigint | null = null
  let bestDistance = 0n
  let demand = demandTotal
  let supply = 0n
  for (let i = 0; i < prices.length; i++) {
    const price = prices[i]!
    const supplyBelow = supply // S<(p)
    supply += sellQty[i]! // S(p)
    const demandAbove = demand - buyQty[i]! // D>(p)
    const feasible =
      (demand < supply ? demand : supply) === volumeMax &&
      demandAbove <= volumeMax &&
      supplyBelow <= volumeMax &&
      (demand === volumeMax || supply === volumeMax)
    demand = demandAbove
    if (!feasible) continue
    if (target === null) return { price, volume: volumeMax }
    const distance = price >= target ? price - target : target - price
    // Ascending scan with a strict comparison: an equidistant higher price never replaces a lower one.
    if (best === null || distance < bestDistance) {
      best = price
      bestDistance = distance
    }
  }
  // Some price is always feasible when V > 0 (proof in docs/protocol/auction.md#feasibility).
  assert(best !== null, `no feasible price for volume ${volumeMax}`)
  return { price: best, volume: volumeMax }
}

/** Fills orders resting exactly at the clearing price in seq order, up to `remaining`. */
function fillBySeq(atPrice: AuctionOrder[], remaining: bigint, fills: Map<string, bigint>): bigint {
  atPrice.sort(bySeq)
  let left = remaining
  for (const order of atPrice) {
    if (left === 0n) break
    const fill = order.qty < left ? order.qty : left
    fills.set(order.id, fill)
    left -= fill
  }
  return left
}

/**
 * Allocation at P (SPEC.md 4.1 step 5), equal to filling each side greedily in priority order:
 * orders strictly better than P come first in that order and fit in V (D>(P) ≤ V, S<(P) ≤ V), so
 * they fill in full; the rest of V goes to the orders at P by seq.
 */
function allocate(
  orders: readonly AuctionOrder[],
  clearing: Clearing,
  fills: Map<string, bigint>,
): void {
  const { price, volume } = clearing
  const buysAt: AuctionOrder[] = []
  const sellsAt: AuctionOrder[] = []
  let bought = 0n
  let sold = 0n
  for (const order of orders) {
    if (order.side === 'buy') {
      if (order.price === price) buysAt.push(order)
      else if (order.price > price) {
        fills.set(order.id, order.qty)
        bought += order.qty
      }
    } else if (order.price === price) sellsAt.push(order)
    else if (order.price < price) {
      fills.set(order.id, order.qty)
      sold += order.qty
    }
  }
  assert(bought <= volume, `buys better than ${price} (${bought}) exceed volume ${volume}`)
  assert(sold <= volume, `sells better than ${price} (${sold}) exceed volume ${volume}`)
  const buysLeft = fillBySeq(buysAt, volume - bought, fills)
  const sellsLeft = fillBySeq(sellsAt, volume - sold, fills)
  assert(buysLeft === 0n, `buys at ${price} leave ${buysLeft} of volume ${volume} unfilled`)
  assert(sellsLeft === 0n, `sells at ${price} leave ${sellsLeft} of volume ${volume} unfilled`)
}

/**
 * Clears one market's call auction (SPEC.md 4.1).
 *
 * @param orders The market's resting orders, any order in the array; the result does not depend on it.
 * @param lastPrice The market's last clearing price in ticks, or null if it has never traded.
 * @param referencePrice The market's reference (opening) price in ticks; the target when
 *   `lastPrice` is null. When both are null the lowest feasible price is chosen.
 * @returns The clearing price (null when no trade), the volume, and a fill for every order id.
 * @throws {AssertionError} when a precondition the VM guarantees is broken: a price outside
 *   [1, 2^63 − 1], a quantity ≤ 0, a duplicate id, a duplicate seq or a seq outside int64.
 */
export function clearCallAuction(
  orders: readonly AuctionOrder[],
  lastPrice: bigint | null,
  referencePrice: bigint | null,
): AuctionResult {
  const fills = new Map<string, bigint>()
  const levels = buildLevels(orders, validate(orders, fills))
  const clearing = choosePrice(levels, lastPrice ?? referencePrice)
  if (clearing === null) return { price: null, volume: 0n, fills }
  allocate(orders, clearing, fills)
  return { price: clearing.price, volume: clearing.volume, fills }
}

const POWERS_OF_TEN: readonly bigint[] = Array.from(
  { length: PRICE_DECIMALS_MAX + 1 },
  (_, i) => 10n ** BigInt(i),
)

/**
 * The quote units that change hands for a fill: `floor(fill × price / 10^priceDecimals)`. The seller
 * receives exactly this and the buyer pays exactly this, so no dust is created or lost (SPEC.md 4.1
 * step 5); the remainder of the buyer's escrow is returned when the order ends.
 *
 * @param fillBaseUnits Filled quantity in base units, ≥ 0.
 * @param price Clearing price in ticks, > 0.
 * @param priceDecimals The market's price decimals, an integer in [0, PRICE_DECIMALS_MAX].
 * @throws {AssertionError} when an argument is outside its range (the VM guarantees them).
 */
export function quoteForFill(fillBaseUnits: bigint, price: bigint, priceDecimals: number): bigint {
  // Messages are built only on failure: the VM calls this once per fill.
  if (fillBaseUnits < 0n) throw new AssertionError(`fill ${fillBaseUnits} < 0`)
  if (price <= 0n) throw new AssertionError(`price ${price} ≤ 0`)
  const scale = Number.isInteger(priceDecimals) ? POWERS_OF_TEN[priceDecimals] : undefined
  if (scale === undefined) {
    throw new AssertionError(`priceDecimals ${priceDecimals} not in [0, ${PRICE_DECIMALS_MAX}]`)
  }
  // Both operands are non-negative, so bigint division (truncation) is the floor.
  const quote = (fillBaseUnits * price) / scale
  assert(quote * scale <= fillBaseUnits * price, 'quote is rounded down')
  return quote
}
