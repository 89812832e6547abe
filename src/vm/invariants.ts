/**
 * Whole-state invariant checks for tests and the simulator (STYLE.md section 2: checkInvariants).
 * Spec: SPEC.md section 4 (supply invariant); docs/protocol/vm.md#invariants.
 */
import { decodeCanonical } from '../codec/canonical.ts'
import type { Schema } from '../codec/schema.ts'
import type { StateEntry, StateReader } from '../core/state.ts'
import { STATE_VALUE_BYTES_MAX } from '../core/state.ts'
import { toHex } from '../util/bytes.ts'
import { EXPIRY_KEY, HOLDER_KIND, PREFIX, keys, symbolFromKey, readU64 } from './keys.ts'
import { NEVER_EXPIRES } from './limits.ts'
import { totalOf } from './lots.ts'
import {
  BALANCE_SCHEMA,
  MARKET_SCHEMA,
  ORDER_SCHEMA,
  POINT_TYPE_SCHEMA,
  type Lot,
} from './schemas.ts'

/** Most entries one invariant scan reads (tests only). */
const SCAN_MAX = 10_000_000

function scan(state: StateReader, prefix: number): StateEntry[] {
  const [start, end] = keys.namespace(prefix)
  return state.range(start, end, SCAN_MAX)
}

function decode<T>(schema: Schema<T>, entry: StateEntry): T {
  const r = decodeCanonical(schema, entry.value, STATE_VALUE_BYTES_MAX)
  if (!r.ok) throw new Error(`undecodable value under prefix ${entry.key[0]}: ${r.error.message}`)
  return r.value
}

function checkLots(lots: readonly Lot[], where: string, problems: string[]): void {
  for (let i = 0; i < lots.length; i++) {
    if (lots[i]![1] <= 0n) problems.push(`${where}: non-positive lot`)
    if (i > 0 && lots[i - 1]![0] >= lots[i]![0])
      problems.push(`${where}: lots not strictly ascending`)
  }
}

/**
 * Checks, over the whole state: for every point type, issued − burned = Σ balances + Σ escrow; no
 * lot is non-positive; lots ascend by expiry; the expiry index holds exactly one entry per
 * expiring lot; every market's open-order count matches its book. Returns the problems found.
 */
export function checkInvariants(state: StateReader): string[] {
  const problems: string[] = []
  const held = new Map<string, bigint>()
  const expected = new Set<string>()
  const add = (symbol: string, amount: bigint): void => {
    held.set(symbol, (held.get(symbol) ?? 0n) + amount)
  }
  const indexLots = (
    kind: number,
    holder: Uint8Array,
    symbol: string,
    lots: readonly Lot[],
  ): void => {
    for (const [e] of lots)
      if (e !== NEVER_EXPIRES)
        expected.add(
          `${e}/${kind}/${toHex(holder.length === 20 ? new Uint8Array([...holder, ...new Uint8Array(12)]) : holder)}/${symbol}`,
        )
  }
  for (const entry of scan(state, PREFIX.balance)) {
    const symbol = symbolFromKey(entry.key, 21)
    const { lots } = decode(BALANCE_SCHEMA, entry)
    checkLots(lots, `balance ${toHex(entry.key)}`, problems)
    add(symbol, totalOf(lots))
    indexLots(HOLDER_KIND.account, entry.key.slice(1, 21), symbol, lots)
  }
  const perMarket = new Map<string, number>()
  for (const entry of scan(state, PREFIX.order)) {
    const order = decode(ORDER_SCHEMA, entry)
    const symbol = order.side === 'sell' ? order.base : order.quote
    checkLots(order.escrow, `order ${toHex(order.orderId)}`, problems)
    if (order.quantity <= 0n)
      problems.push(`order ${toHex(order.orderId)}: quantity ${order.quantity}`)
    add(symbol, totalOf(order.escrow))
    indexLots(HOLDER_KIND.order, order.orderId, symbol, order.escrow)
    const m = `${order.base}/${order.quote}`
    perMarket.set(m, (perMarket.get(m) ?? 0) + 1)
  }
  for (const entry of scan(state, PREFIX.pointType)) {
    const t = decode(POINT_TYPE_SCHEMA, entry)
    const sum = held.get(t.symbol) ?? 0n
    if (t.issued - t.burned !== sum)
      problems.push(`${t.symbol}: issued ${t.issued} − burned ${t.burned} ≠ held ${sum}`)
    held.delete(t.symbol)
  }
  for (const symbol of held.keys()) problems.push(`points of unknown type ${symbol}`)
  for (const entry of scan(state, PREFIX.market)) {
    const market = decode(MARKET_SCHEMA, entry)
    const count = perMarket.get(`${market.base}/${market.quote}`) ?? 0
    if (market.openOrders !== count)
      problems.push(`market ${market.base}/${market.quote}: ${market.openOrders} ≠ ${count} orders`)
  }
  const indexed = new Set<string>()
  for (const { key } of scan(state, PREFIX.expiry)) {
    indexed.add(
      `${readU64(key, EXPIRY_KEY.time)}/${key[EXPIRY_KEY.kind]}/${toHex(key.slice(EXPIRY_KEY.holder, EXPIRY_KEY.symbol))}/${symbolFromKey(key, EXPIRY_KEY.symbol)}`,
    )
  }
  if (indexed.size !== expected.size || [...expected].some((k) => !indexed.has(k))) {
    problems.push(`expiry index has ${indexed.size} entries, lots need ${expected.size}`)
  }
  return problems
}
