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

/** One distinct limit price with the buy and sell quantity resting exactly at it. */
interface PriceLevel {
  readonly price: bigint
  buyQty: bigint
  sellQty: bigint
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

/**
 * Checks the preconditions the VM guarantees (positive price and quantity, unique ids and seqs) and
 * splits the orders by side. A violation is a bug in the caller, hence an assertion.
 */
function validateAndSplit(orders: readonly AuctionOrder[]): {
  buys: AuctionOrder[]
  sells: AuctionOrder[]
} {
  const ids = new Set<string>()
  const seqs = new Set<bigint>()
  const buys: AuctionOrder[] = []
  const sells: AuctionOrder[] = []
  for (const order of orders) {
    // Messages are built only on failure: this loop runs once per resting order every block.
    if (order.price <= 0n) throw new AssertionError(`order ${order.id}: price ${order.price} ≤ 0`)
    if (order.qty <= 0n) throw new AssertionError(`order ${order.id}: qty ${order.qty} ≤ 0`)
    if (ids.has(order.id)) throw new AssertionError(`duplicate order id ${order.id}`)
    if (seqs.has(order.seq)) throw new AssertionError(`duplicate seq ${order.seq} (${order.id})`)
    ids.add(order.id)
    seqs.add(order.seq)
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
  return { buys, sells }
}

/**
 * Merges the sorted sides into the ascending list of distinct limit prices, each with the buy and
 * sell quantity resting at it. Buys are sorted by price descending, so they are walked backwards.
 */
function buildLevels(buys: readonly AuctionOrder[], sells: readonly AuctionOrder[]): PriceLevel[] {
  const levels: PriceLevel[] = []
  let b = buys.length - 1
  let s = 0
  while (b >= 0 || s < sells.length) {
    const buy = b >= 0 ? buys[b] : undefined
    const sell = s < sells.length ? sells[s] : undefined
    const price =
      buy !== undefined && (sell === undefined || buy.price <= sell.price) ? buy.price : sell!.price
    let last = levels[levels.length - 1]
    if (last?.price !== price) {
      assert(last === undefined || last.price < price, 'levels ascend strictly')
      last = { price, buyQty: 0n, sellQty: 0n }
      levels.push(last)
    }
    if (buy?.price === price) {
      last.buyQty += buy.qty
      b -= 1
    } else {
      last.sellQty += sell!.qty
      s += 1
    }
  }
  return levels
}

/**
 * Finds the maximal volume V and, among the feasible prices (SPEC.md 4.1 step 3), the one closest to
 * `target` (equidistant: the lower). With no target, the lowest feasible price. Null when V = 0.
 */
function choosePrice(levels: readonly PriceLevel[], target: bigint | null): Clearing | null {
  const count = levels.length
  // demandAtOrAbove[i] = D(levels[i].price): buy quantity priced ≥ that price.
  const demandAtOrAbove = new Array<bigint>(count + 1)
  demandAtOrAbove[count] = 0n
  for (let i = count - 1; i >= 0; i--) {
    demandAtOrAbove[i] = demandAtOrAbove[i + 1]! + levels[i]!.buyQty
  }
  let volumeMax = 0n
  let supply = 0n
  for (let i = 0; i < count; i++) {
    supply += levels[i]!.sellQty
    const demand = demandAtOrAbove[i]!
    const volume = demand < supply ? demand : supply
    if (volume > volumeMax) volumeMax = volume
  }
  if (volumeMax === 0n) return null

  let best: bigint | null = null
  let bestDistance = 0n
  supply = 0n
  for (let i = 0; i < count; i++) {
    const level = levels[i]!
    const supplyBelow = supply
    supply += level.sellQty
    const demand = demandAtOrAbove[i]!
    const demandAbove = demandAtOrAbove[i + 1]!
    const volume = demand < supply ? demand : supply
    const feasible =
      volume === volumeMax &&
      demandAbove <= volumeMax &&
      supplyBelow <= volumeMax &&
      (demand === volumeMax || supply === volumeMax)
    if (!feasible) continue
    if (target === null) return { price: level.price, volume: volumeMax }
    const distance = level.price >= target ? level.price - target : target - level.price
    // Ascending scan with a strict comparison: an equidistant higher price never replaces a lower one.
    if (best === null || distance < bestDistance) {
      best = level.price
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
  const { buys, sells } = validateAndSplit(orders)
  const fills = new Map<string, bigint>()
  for (const order of orders) fills.set(order.id, 0n)
  buys.sort(byBuyPriority)
  sells.sort(bySellPriority)
  const clearing = choosePrice(buildLevels(buys, sells), lastPrice ?? referencePrice)
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
