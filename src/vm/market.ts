/**
 * Markets and orders: market.create, order.place, order.cancel, and the order lifecycle helpers
 * shared with the block phases (escrow shrink on expiry, release, end of order).
 * Spec: SPEC.md sections 3 and 4.1; docs/protocol/vm.md#markets.
 */
import { AMOUNT_MAX } from '../core/limits.ts'
import type { TxOf } from '../core/tx.ts'
import { assert } from '../util/assert.ts'
import { toHex } from '../util/bytes.ts'
import { ok } from '../util/result.ts'
import { fail, type Exec } from './exec.ts'
import { HOLDER_KIND, PREFIX, keys } from './keys.ts'
import { MARKETS_MAX, ORDERS_PER_MARKET_MAX } from './limits.ts'
import { availableAt, totalOf } from './lots.ts'
import {
  BOOK_SCHEMA,
  MARKET_SCHEMA,
  MARKER_BYTES,
  MARKER_SCHEMA,
  ORDER_SCHEMA,
  type Lot,
  type Market,
  type Order,
} from './schemas.ts'
import { isOperator, type TxMeta, type TxOutcome } from './tx-accounts.ts'

/** `ceil(qty × price / 10^priceDecimals)`: quote escrow that pays for `qty` at `price`. */
export function buyEscrowFor(qty: bigint, price: bigint, priceDecimals: number): bigint {
  const scale = 10n ** BigInt(priceDecimals)
  return (qty * price + scale - 1n) / scale
}

/** The market id `BASE/QUOTE`. */
export function marketId(base: string, quote: string): string {
  return `${base}/${quote}`
}

/** market.create: an operator opens `base/quote` between two existing transferable types. */
export function applyCreateMarket(x: Exec, tx: TxOf<'market.create'>, m: TxMeta): TxOutcome {
  if (!isOperator(x, m.signer)) return fail('TX_NOT_OPERATOR', 'signer is not an operator')
  const b = tx.body
  const base = x.pointType(b.base)
  const quote = x.pointType(b.quote)
  if (base === undefined || quote === undefined) {
    return fail('TX_UNKNOWN_POINT_TYPE', `no point type ${base === undefined ? b.base : b.quote}`)
  }
  if (!base.transferable || !quote.transferable) {
    return fail('TX_NOT_TRANSFERABLE', 'both market types must be transferable')
  }
  const key = keys.market(b.base, b.quote)
  if (x.state.read(MARKET_SCHEMA, key) !== undefined)
    return fail('TX_MARKET_EXISTS', 'market exists')
  const [start, end] = keys.namespace(PREFIX.market)
  if (x.state.range(start, end, MARKETS_MAX).length >= MARKETS_MAX) {
    return fail('TX_MARKET_LIMIT', `at most ${MARKETS_MAX} markets`)
  }
  x.state.write(MARKET_SCHEMA, key, {
    base: b.base,
    quote: b.quote,
    priceDecimals: b.priceDecimals,
    lotSize: b.lotSize,
    referencePrice: b.referencePrice,
    lastPrice: null,
    nextSeq: 0n,
    openOrders: 0,
    createdHeight: x.ctx.height,
  })
  x.emit('market.created', { market: marketId(b.base, b.quote), referencePrice: b.referencePrice })
  return ok(null)
}

/** order.place: escrows the funds of a limit order and rests it in the book. */
export function applyPlace(x: Exec, tx: TxOf<'order.place'>, m: TxMeta): TxOutcome {
  const b = tx.body
  const [baseSymbol, quoteSymbol] = b.market.split('/') as [string, string]
  const market = x.state.read(MARKET_SCHEMA, keys.market(baseSymbol, quoteSymbol))
  if (market === undefined) return fail('TX_UNKNOWN_MARKET', `no market ${b.market}`)
  if (b.quantity % market.lotSize !== 0n) {
    return fail('TX_LOT_SIZE', `quantity ${b.quantity} is not a multiple of ${market.lotSize}`)
  }
  if (market.openOrders >= ORDERS_PER_MARKET_MAX) return fail('TX_BOOK_FULL', 'book is full')
  const sell = b.side === 'sell'
  const escrowAmount = sell ? b.quantity : buyEscrowFor(b.quantity, b.price, market.priceDecimals)
  if (escrowAmount > AMOUNT_MAX) return fail('TX_AMOUNT_OVERFLOW', 'escrow overflows')
  const escrowSymbol = sell ? market.base : market.quote
  const debit = x.debitAccount(m.signer, escrowSymbol, escrowAmount)
  if (!debit.ok) return debit
  const order: Order = {
    orderId: m.txId,
    base: market.base,
    quote: market.quote,
    owner: m.signer,
    side: b.side,
    price: b.price,
    quantity: b.quantity,
    filled: 0n,
    goodTillHeight: b.goodTillHeight,
    seq: market.nextSeq,
    escrow: debit.value.taken,
    placedHeight: x.ctx.height,
  }
  saveOrder(x, order, [])
  x.state.write(BOOK_SCHEMA, keys.book(market.base, market.quote, order.seq), order.orderId)
  x.state.write(MARKER_SCHEMA, keys.goodTill(order.goodTillHeight, order.orderId), 0, MARKER_BYTES)
  saveMarket(x, { ...market, nextSeq: market.nextSeq + 1n, openOrders: market.openOrders + 1 })
  x.emit('order.placed', {
    orderId: order.orderId,
    market: b.market,
    side: b.side,
    price: b.price,
    quantity: b.quantity,
  })
  return ok(null)
}

/** order.cancel: the owner ends an open order; its escrow returns to the owner. */
export function applyCancel(x: Exec, tx: TxOf<'order.cancel'>, m: TxMeta): TxOutcome {
  const order = x.state.read(ORDER_SCHEMA, keys.order(tx.body.orderId))
  if (order === undefined) return fail('TX_UNKNOWN_ORDER', 'no open order with this id')
  if (toHex(order.owner) !== toHex(m.signer)) return fail('TX_NOT_ORDER_OWNER', 'not your order')
  endOrder(x, order, 'cancelled')
  x.txEvents.push(...x.blockEvents.splice(x.blockEvents.length - 1, 1))
  return ok(null)
}

/** Saves an order and keeps the expiry index of its escrow in step. */
export function saveOrder(x: Exec, order: Order, escrowBefore: readonly Lot[]): void {
  assert(order.quantity > 0n, 'saving an order with nothing left')
  x.state.write(ORDER_SCHEMA, keys.order(order.orderId), order)
  x.reindex(HOLDER_KIND.order, order.orderId, escrowSymbol(order), escrowBefore, order.escrow)
}

/** Saves a market. */
export function saveMarket(x: Exec, market: Market): void {
  x.state.write(MARKET_SCHEMA, keys.market(market.base, market.quote), market)
}

/** The symbol an order escrows: base for a sell, quote for a buy. */
export function escrowSymbol(order: Order): string {
  return order.side === 'sell' ? order.base : order.quote
}

/**
 * The quantity an order can still trade: its open quantity, cut to what its live escrow pays for,
 * in whole lots. Escrowed lots that expired shrink the order this way.
 */
export function tradableQuantity(order: Order, market: Market, time: bigint): bigint {
  const live = availableAt(order.escrow, time)
  let qty = order.quantity
  if (order.side === 'sell') {
    if (live < qty) qty = live
  } else {
    const scale = 10n ** BigInt(market.priceDecimals)
    const affordable = (live * scale) / order.price
    if (affordable < qty) qty = affordable
  }
  qty -= qty % market.lotSize
  if (order.side === 'buy')
    assert(buyEscrowFor(qty, order.price, market.priceDecimals) <= live, 'buy escrow covers')
  return qty
}

/**
 * Ends an order: returns its whole escrow (live lots; expired ones are burned by the expiry phase)
 * to the owner, removes it from the book and indexes. Emits a block event `order.ended`.
 */
export function endOrder(
  x: Exec,
  order: Order,
  reason: 'cancelled' | 'filled' | 'expired' | 'exhausted',
): void {
  const market = x.state.read(MARKET_SCHEMA, keys.market(order.base, order.quote))
  assert(market !== undefined && market.openOrders > 0, 'order of an unknown or empty market')
  const symbol = escrowSymbol(order)
  x.creditAccountCapped(order.owner, symbol, order.escrow)
  x.reindex(HOLDER_KIND.order, order.orderId, symbol, order.escrow, [])
  x.state.remove(keys.order(order.orderId))
  x.state.remove(keys.book(order.base, order.quote, order.seq))
  x.state.remove(keys.goodTill(order.goodTillHeight, order.orderId))
  saveMarket(x, { ...market, openOrders: market.openOrders - 1 })
  x.blockEvents.push({
    type: 'order.ended',
    attributes: [
      ['orderId', toHex(order.orderId)],
      ['reason', reason],
      ['returned', String(totalOf(order.escrow))],
      ['filled', String(order.filled)],
    ],
  })
}
