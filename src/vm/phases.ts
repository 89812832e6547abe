/**
 * The block phases around the txs: replay-index pruning and expiry burns at the start, one call
 * auction per market with orders and the release of good-till-expired orders at the end.
 * Spec: SPEC.md section 4 (block order); docs/protocol/vm.md#block-order.
 */
import { assert } from '../util/assert.ts'
import { toHex } from '../util/bytes.ts'
import { clearCallAuction, quoteForFill, type AuctionOrder } from './auction.ts'
import type { Exec } from './exec.ts'
import {
  EXPIRY_KEY,
  HOLDER_KIND,
  PREFIX,
  keys,
  prefixEnd,
  readU64,
  symbolFromKey,
  u32Bytes,
  u64Bytes,
} from './keys.ts'
import {
  EXPIRY_BURNS_PER_BLOCK_MAX,
  MARKETS_MAX,
  ORDERS_PER_MARKET_MAX,
  ORDER_RELEASES_PER_BLOCK_MAX,
  TXID_PRUNES_PER_BLOCK_MAX,
} from './limits.ts'
import { debitLots, removeLot, totalOf } from './lots.ts'
import { endOrder, marketId, saveMarket, saveOrder, tradableQuantity } from './market.ts'
import {
  BOOK_SCHEMA,
  MARKET_SCHEMA,
  ORDER_SCHEMA,
  type Lot,
  type Market,
  type Order,
} from './schemas.ts'
import type { MarketAuction } from './types.ts'

/** Deletes replay-index entries of txs that can no longer be included (expiresAtHeight < height). */
export function pruneTxIds(x: Exec): void {
  const start = keys.raw(PREFIX.txId)
  const end = keys.raw(PREFIX.txId, u32Bytes(x.ctx.height))
  for (const entry of x.state.range(start, end, TXID_PRUNES_PER_BLOCK_MAX))
    x.state.remove(entry.key)
}

/**
 * Burns lots with `expiresAt ≤ block time`, earliest first (then by holder and type, the index
 * order), at most EXPIRY_BURNS_PER_BLOCK_MAX index entries per block; the rest carries over.
 * An entry that an earlier burn of this phase removed is skipped when reached (see below).
 */
export function burnExpired(x: Exec): number {
  const start = keys.raw(PREFIX.expiry)
  const end = keys.raw(PREFIX.expiry, u64Bytes(x.ctx.time + 1n))
  const due = x.state.range(start, end, EXPIRY_BURNS_PER_BLOCK_MAX)
  for (const { key } of due) {
    assert(key.length === EXPIRY_KEY.length, 'expiry key length')
    // `due` is read once, but a burn can remove later entries: an exhausted order burns its other
    // due lots and ends, and returning its escrow to a full holder can merge two due lots
    // (creditLotsCapped). The overlay says whether the entry still stands.
    // Spec: docs/protocol/vm.md#block-order.
    if (x.state.get(key) === undefined) continue
    const expiresAt = readU64(key, EXPIRY_KEY.time)
    assert(expiresAt <= x.ctx.time, 'only due lots are burned')
    const symbol = symbolFromKey(key, EXPIRY_KEY.symbol)
    const holder = key.slice(EXPIRY_KEY.holder, EXPIRY_KEY.holder + 32)
    if (key[EXPIRY_KEY.kind] === HOLDER_KIND.account)
      burnAccountLot(x, holder.slice(0, 20), symbol, expiresAt)
    else burnEscrowLot(x, holder, expiresAt)
  }
  return due.length
}

function burnAccountLot(x: Exec, address: Uint8Array, symbol: string, expiresAt: bigint): void {
  const before = x.accountLots(address, symbol)
  const { kept, amount } = removeLot(before, expiresAt)
  assert(amount > 0n, 'expiry index points at a missing lot')
  x.setAccountLots(address, symbol, before, kept)
  const type = x.pointType(symbol)
  assert(type !== undefined, `lot of unknown type ${symbol}`)
  x.burn(type, address, amount, {
    reason: 'expiry',
    acceptor: null,
    orderRef: null,
    convertedTo: null,
    txId: null,
  })
}

function burnEscrowLot(x: Exec, orderId: Uint8Array, expiresAt: bigint): void {
  const order = x.state.read(ORDER_SCHEMA, keys.order(orderId))
  // An order that ended earlier in this phase took its index entries with it (burnExpired skips).
  assert(order !== undefined, 'expiry index points at a missing order')
  const symbol = order.side === 'sell' ? order.base : order.quote
  const type = x.pointType(symbol)
  assert(type !== undefined, `escrow of unknown type ${symbol}`)
  const { kept, amount } = removeLot(order.escrow, expiresAt)
  assert(amount > 0n, 'expiry index points at a missing escrow lot')
  burnExpiry(x, type.symbol, order.owner, amount)
  const market = x.state.read(MARKET_SCHEMA, keys.market(order.base, order.quote))
  assert(market !== undefined, 'order of unknown market')
  const quantity = tradableQuantity({ ...order, escrow: kept }, market, x.ctx.time)
  if (quantity > 0n) {
    saveOrder(x, { ...order, escrow: kept, quantity }, order.escrow)
    return
  }
  // Nothing tradable is left: burn the order's other due lots now (the reindex below removes their
  // entries, which this phase then skips) and return only live lots to the owner.
  const live = kept.filter((lot) => lot[0] > x.ctx.time)
  for (const lot of kept) if (lot[0] <= x.ctx.time) burnExpiry(x, type.symbol, order.owner, lot[1])
  x.reindex(HOLDER_KIND.order, orderId, symbol, order.escrow, live)
  endOrder(x, { ...order, escrow: live, quantity: 0n }, 'exhausted')
}

function burnExpiry(x: Exec, symbol: string, holder: Uint8Array, amount: bigint): void {
  const type = x.pointType(symbol)
  assert(type !== undefined, `burn of unknown type ${symbol}`)
  x.burn(type, holder, amount, {
    reason: 'expiry',
    acceptor: null,
    orderRef: null,
    convertedTo: null,
    txId: null,
  })
}

/** Runs one call auction in every market that has open orders, in market-key order. */
export function runAuctions(x: Exec): MarketAuction[] {
  const [start, end] = keys.namespace(PREFIX.market)
  const out: MarketAuction[] = []
  for (const entry of x.state.range(start, end, MARKETS_MAX)) {
    const market = x.state.read(MARKET_SCHEMA, entry.key)
    assert(market !== undefined, 'market vanished')
    if (market.openOrders > 0) out.push(auctionMarket(x, market))
  }
  return out
}

function loadBook(x: Exec, market: Market): Order[] {
  const prefix = keys.bookPrefix(market.base, market.quote)
  const end = prefixEnd(prefix)
  const orders: Order[] = []
  for (const entry of x.state.range(prefix, end, ORDERS_PER_MARKET_MAX)) {
    assert(entry.key.length === prefix.length + 8, 'book key length')
    const orderId = x.state.read(BOOK_SCHEMA, entry.key)
    assert(orderId !== undefined, 'book entry vanished')
    const order = x.state.read(ORDER_SCHEMA, keys.order(orderId))
    assert(order !== undefined, 'book points at a missing order')
    orders.push(order)
  }
  assert(
    orders.length === market.openOrders,
    `book of ${marketId(market.base, market.quote)} has ${orders.length} ≠ ${market.openOrders}`,
  )
  return orders
}

function auctionMarket(x: Exec, market: Market): MarketAuction {
  const book = loadBook(x, market)
  const byId = new Map<string, Order>()
  const input: AuctionOrder[] = []
  for (const order of book) {
    if (order.goodTillHeight < x.ctx.height) continue
    const qty = tradableQuantity(order, market, x.ctx.time)
    if (qty === 0n) continue
    const id = toHex(order.orderId)
    byId.set(id, order)
    input.push({ id, side: order.side, price: order.price, qty, seq: order.seq })
  }
  const result = clearCallAuction(input, market.lastPrice, market.referencePrice)
  const id = marketId(market.base, market.quote)
  const base = x.pointType(market.base)
  const quote = x.pointType(market.quote)
  assert(base !== undefined && quote !== undefined, `market ${id} trades a missing point type`)
  const issuers = { baseIssuer: base.issuer, quoteIssuer: quote.issuer }
  if (result.price === null || result.volume === 0n) {
    const orders = input.length
    return { market: id, price: null, volume: 0n, quoteVolume: 0n, orders, filled: 0, ...issuers }
  }
  const quoteVolume = settle(x, market, result.price, result.fills, byId, input)
  const after = x.state.read(MARKET_SCHEMA, keys.market(market.base, market.quote))
  assert(after !== undefined, 'market vanished')
  saveMarket(x, { ...after, lastPrice: result.price })
  x.blockEvents.push({
    type: 'auction.cleared',
    attributes: [
      ['market', id],
      ['price', String(result.price)],
      ['volume', String(result.volume)],
      ['quoteVolume', String(quoteVolume)],
    ],
  })
  return {
    market: id,
    price: result.price,
    volume: result.volume,
    quoteVolume,
    orders: input.length,
    // In input order: a count over the array, not over the fills map.
    filled: input.filter((o) => (result.fills.get(o.id) ?? 0n) > 0n).length,
    ...issuers,
  }
}

interface Side {
  readonly order: Order
  left: bigint
  paidQuote: bigint
  gotLots: boolean
}

function ranked(
  input: readonly AuctionOrder[],
  fills: ReadonlyMap<string, bigint>,
  byId: Map<string, Order>,
  side: 'buy' | 'sell',
): Side[] {
  const chosen = input.filter((o) => o.side === side && (fills.get(o.id) ?? 0n) > 0n)
  chosen.sort((a, b) => {
    if (a.price !== b.price)
      return (side === 'buy' ? a.price > b.price : a.price < b.price) ? -1 : 1
    return a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0
  })
  return chosen.map((o) => ({
    order: byId.get(o.id)!,
    left: fills.get(o.id)!,
    paidQuote: 0n,
    gotLots: false,
  }))
}

/**
 * Pairs buy and sell fills in priority order; each pair trades `q` base for `quoteForFill(q, P)`
 * quote, moving lots with their expiry, so no quote unit is created or lost.
 */
function settle(
  x: Exec,
  market: Market,
  price: bigint,
  fills: ReadonlyMap<string, bigint>,
  byId: Map<string, Order>,
  input: readonly AuctionOrder[],
): bigint {
  const buys = ranked(input, fills, byId, 'buy')
  const sells = ranked(input, fills, byId, 'sell')
  const escrow = new Map<string, Order>()
  for (const s of [...buys, ...sells]) escrow.set(toHex(s.order.orderId), s.order)
  let quoteVolume = 0n
  let i = 0
  let j = 0
  while (i < buys.length && j < sells.length) {
    const buy = buys[i]!
    const sell = sells[j]!
    const q = buy.left < sell.left ? buy.left : sell.left
    const quote = quoteForFill(q, price, market.priceDecimals)
    const baseLots = takeEscrow(x, escrow, sell.order, q)
    x.creditAccountCapped(buy.order.owner, market.base, baseLots)
    if (quote > 0n)
      x.creditAccountCapped(sell.order.owner, market.quote, takeEscrow(x, escrow, buy.order, quote))
    quoteVolume += quote
    buy.left -= q
    sell.left -= q
    if (buy.left === 0n) i++
    if (sell.left === 0n) j++
  }
  assert(i === buys.length && j === sells.length, 'both sides fill the same volume')
  for (const s of [...buys, ...sells])
    finishFilled(
      x,
      market,
      escrow.get(toHex(s.order.orderId))!,
      fills.get(toHex(s.order.orderId))!,
      s.order.escrow,
    )
  return quoteVolume
}

function takeEscrow(x: Exec, escrow: Map<string, Order>, original: Order, amount: bigint): Lot[] {
  const id = toHex(original.orderId)
  const current = escrow.get(id)!
  const debit = debitLots(current.escrow, amount, x.ctx.time)
  assert(debit !== null, `escrow of ${id} cannot pay ${amount}`)
  escrow.set(id, { ...current, escrow: debit.kept })
  return debit.taken
}

function finishFilled(
  x: Exec,
  market: Market,
  order: Order,
  fill: bigint,
  escrowBefore: Order['escrow'],
): void {
  const updated: Order = { ...order, quantity: order.quantity - fill, filled: order.filled + fill }
  assert(updated.quantity >= 0n, 'overfilled order')
  if (updated.quantity > 0n && tradableQuantity(updated, market, x.ctx.time) > 0n) {
    saveOrder(x, updated, escrowBefore)
    return
  }
  x.reindex(
    HOLDER_KIND.order,
    order.orderId,
    order.side === 'sell' ? order.base : order.quote,
    escrowBefore,
    updated.escrow,
  )
  endOrder(x, { ...updated, quantity: 0n }, updated.quantity === 0n ? 'filled' : 'exhausted')
  assert(totalOf(updated.escrow) >= 0n, 'escrow non-negative')
}

/** Ends orders whose good-till height has passed (goodTillHeight ≤ height), bounded per block. */
export function releaseExpiredOrders(x: Exec): number {
  const start = keys.raw(PREFIX.goodTill)
  const end = keys.raw(PREFIX.goodTill, u32Bytes(x.ctx.height + 1))
  const due = x.state.range(start, end, ORDER_RELEASES_PER_BLOCK_MAX)
  for (const { key } of due) {
    const order = x.state.read(ORDER_SCHEMA, keys.order(key.slice(5, 37)))
    assert(order !== undefined, 'good-till index points at a missing order')
    endOrder(x, order, 'expired')
  }
  return due.length
}
