/**
 * The deterministic call auction that clears one market once per block, by the Taiwan Stock
 * Exchange call-auction rules adopted by the loyalty-exchange paper.
 *
 * Spec: SPEC.md section 4.1; normative text in docs/protocol/auction.md.
 *
 * Algorithm (O(n log n), n = number of orders): sort each side once by priority (buys by price
 * descending then seq ascending, sells by price ascending then seq ascending), merge the two sorted
 * sides into the ascending list of distinct limit prices with the quantity resting at each price,
 * take prefix sums D(p) and S(p) over that list, pick the clearing price in one linear scan, then
 * fill each side greedily in priority order. No floats, no clock, no randomness: the result depends
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
  readonly prices: bigint[]
  readonly buyQty: bigint[]
  readonly sellQty: bigint[]
}

/** One side's distinct prices in its priority order, with the quantity resting at each. */
interface SideLevels {
  readonly prices: bigint[]
  readonly qtys: bigint[]
}

/** The chosen price and volume, before allocation. */
interface Clearing {
  readonly price: bigint
  readonly volume: bigint
}

function byBuyPriority(a: AuctionOrder, b: AuctionOrder): number {
  if (a.price !== b.price) return a.price > b.price ? -1 : 1
  return a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0
}

function bySellPriority(a: AuctionOrder, b: AuctionOrder): number {
  if (a.price !== b.price) return a.price < b.price ? -1 : 1
  return a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0
}

const INT64_MIN = -(1n << 63n)
const INT64_MAX = (1n << 63n) - 1n

/**
 * Checks the preconditions the VM guarantees (positive price and quantity, unique ids, unique seqs
 * within int64) and splits the orders by side. Every order gets a 0n entry in `fills`, which also
 * detects duplicate ids. A violation is a bug in the caller, hence an assertion.
 */
function validateAndSplit(
  orders: readonly AuctionOrder[],
  fills: Map<string, bigint>,
): { buys: AuctionOrder[]; sells: AuctionOrder[] } {
  const buys: AuctionOrder[] = []
  const sells: AuctionOrder[] = []
  const seqs = new BigInt64Array(orders.length)
  let index = 0
  for (const order of orders) {
    // Messages are built only on failure: this loop runs once per resting order every block.
    if (order.price <= 0n) throw new AssertionError(`order ${order.id}: price ${order.price} ≤ 0`)
    if (order.qty <= 0n) throw new AssertionError(`order ${order.id}: qty ${order.qty} ≤ 0`)
    if (order.seq < INT64_MIN || order.seq > INT64_MAX) {
      throw new AssertionError(`order ${order.id}: seq ${order.seq} outside int64`)
    }
    const size = fills.size
    fills.set(order.id, 0n)
    if (fills.size === size) throw new AssertionError(`duplicate order id ${order.id}`)
    seqs[index++] = order.seq
    switch (order.side) {
      case 'buy':
        buys.push(order)
        break
      case 'sell':
        sells.push(order)
        break
      default:
        assertNever(order.side, `order ${order.id}: unknown side`)
    }
  }
  assert(buys.length + sells.length === orders.length, 'every order is on exactly one side')
  // A native numeric sort of the seqs finds duplicates far faster than a Set of bigints.
  seqs.sort()
  for (let i = 1; i < seqs.length; i++) {
    if (seqs[i] === seqs[i - 1]) throw new AssertionError(`duplicate seq ${seqs[i]!}`)
  }
  return { buys, sells }
}

/** Sums one side, already sorted by priority, per distinct price (in that same order). */
function aggregateSide(sorted: readonly AuctionOrder[]): SideLevels {
  const prices: bigint[] = []
  const qtys: bigint[] = []
  const first = sorted[0]
  if (first === undefined) return { prices, qtys }
  let price = first.price
  let qty = 0n
  for (const order of sorted) {
    if (order.price !== price) {
      prices.push(price)
      qtys.push(qty)
      price = order.price
      qty = 0n
    }
    qty += order.qty
  }
  prices.push(price)
  qtys.push(qty)
  return { prices, qtys }
}

/**
 * Merges both sides' levels into the ascending list of distinct limit prices. Buys come in
 * descending price order (their priority order), so they are walked backwards.
 */
function mergeLevels(buys: SideLevels, sells: SideLevels): PriceLevels {
  const levels: PriceLevels = { prices: [], buyQty: [], sellQty: [] }
  let b = buys.prices.length - 1
  let s = 0
  while (b >= 0 || s < sells.prices.length) {
    const buyPrice = b >= 0 ? buys.prices[b]! : null
    const sellPrice = s < sells.prices.length ? sells.prices[s]! : null
    const price =
      buyPrice !== null && (sellPrice === null || buyPrice <= sellPrice) ? buyPrice : sellPrice!
    const last = levels.prices[levels.prices.length - 1]
    assert(last === undefined || last < price, 'levels ascend strictly')
    levels.prices.push(price)
    if (buyPrice === price) {
      levels.buyQty.push(buys.qtys[b]!)
      b -= 1
    } else {
      levels.buyQty.push(0n)
    }
    if (sellPrice === price) {
      levels.sellQty.push(sells.qtys[s]!)
      s += 1
    } else {
      levels.sellQty.push(0n)
    }
  }
  return levels
}

/**
 * Finds the maximal volume V and, among the feasible prices (SPEC.md 4.1 step 3), the one closest to
 * `target` (equidistant: the lower). With no target, the lowest feasible price. Null when V = 0.
 */
function choosePrice(levels: PriceLevels, target: bigint | null): Clearing | null {
  const { prices, buyQty, sellQty } = levels
  const count = prices.length
  // demandAtOrAbove[i] = D(levels[i].price): buy quantity priced ≥ that price.
  const demandAtOrAbove = new Array<bigint>(count + 1)
  demandAtOrAbove[count] = 0n
  for (let i = count - 1; i >= 0; i--) {
    demandAtOrAbove[i] = demandAtOrAbove[i + 1]! + buyQty[i]!
  }
  let volumeMax = 0n
  let supply = 0n
  for (let i = 0; i < count; i++) {
    supply += sellQty[i]!
    const demand = demandAtOrAbove[i]!
    const volume = demand < supply ? demand : supply
    if (volume > volumeMax) volumeMax = volume
  }
  if (volumeMax === 0n) return null

  let best: bigint | null = null
  let bestDistance = 0n
  supply = 0n
  for (let i = 0; i < count; i++) {
    const price = prices[i]!
    const supplyBelow = supply
    supply += sellQty[i]!
    const demand = demandAtOrAbove[i]!
    const demandAbove = demandAtOrAbove[i + 1]!
    const volume = demand < supply ? demand : supply
    const feasible =
      volume === volumeMax &&
      demandAbove <= volumeMax &&
      supplyBelow <= volumeMax &&
      (demand === volumeMax || supply === volumeMax)
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

/**
 * Fills one side, already sorted by priority, greedily up to `volume` among the orders whose limit
 * is at least as good as `price`. Returns the quantity filled (always `volume` when feasible).
 */
function allocateSide(
  sorted: readonly AuctionOrder[],
  clearing: Clearing,
  fills: Map<string, bigint>,
): bigint {
  let remaining = clearing.volume
  for (const order of sorted) {
    if (remaining === 0n) break
    const eligible =
      order.side === 'buy' ? order.price >= clearing.price : order.price <= clearing.price
    if (!eligible) break
    const fill = order.qty < remaining ? order.qty : remaining
    fills.set(order.id, fill)
    remaining -= fill
  }
  return clearing.volume - remaining
}

/**
 * Clears one market's call auction (SPEC.md 4.1).
 *
 * @param orders The market's resting orders, any order in the array; the result does not depend on it.
 * @param lastPrice The market's last clearing price in ticks, or null if it has never traded.
 * @param referencePrice The market's reference (opening) price in ticks; the target when
 *   `lastPrice` is null. When both are null the lowest feasible price is chosen.
 * @returns The clearing price (null when no trade), the volume, and a fill for every order id.
 * @throws {AssertionError} when a precondition the VM guarantees is broken: a price or quantity ≤ 0,
 *   a duplicate id or a duplicate seq.
 */
export function clearCallAuction(
  orders: readonly AuctionOrder[],
  lastPrice: bigint | null,
  referencePrice: bigint | null,
): AuctionResult {
  const fills = new Map<string, bigint>()
  const { buys, sells } = validateAndSplit(orders, fills)
  buys.sort(byBuyPriority)
  sells.sort(bySellPriority)
  const levels = mergeLevels(aggregateSide(buys), aggregateSide(sells))
  const clearing = choosePrice(levels, lastPrice ?? referencePrice)
  if (clearing === null) return { price: null, volume: 0n, fills }

  const bought = allocateSide(buys, clearing, fills)
  const sold = allocateSide(sells, clearing, fills)
  assert(bought === clearing.volume, `buys filled ${bought} of volume ${clearing.volume}`)
  assert(sold === clearing.volume, `sells filled ${sold} of volume ${clearing.volume}`)
  assert(fills.size === orders.length, 'one fill entry per order')
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
  assert(fillBaseUnits >= 0n, `fill ${fillBaseUnits} < 0`)
  assert(price > 0n, `price ${price} ≤ 0`)
  const scale = Number.isInteger(priceDecimals) ? POWERS_OF_TEN[priceDecimals] : undefined
  assert(scale !== undefined, `priceDecimals ${priceDecimals} not in [0, ${PRICE_DECIMALS_MAX}]`)
  // Both operands are non-negative, so bigint division (truncation) is the floor.
  const quote = (fillBaseUnits * price) / scale
  assert(quote * scale <= fillBaseUnits * price, 'quote is rounded down')
  return quote
}
