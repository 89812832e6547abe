/**
 * Typed reads of the state for the API, the ledger and tests. Spec: docs/protocol/vm.md#key-layout.
 */
import type { Schema } from '../codec/schema.ts'
import type { StateReader } from '../core/state.ts'
import { keys } from './keys.ts'
import { decodeStateValue, keyString, MemoryState } from './memory-state.ts'
import {
  BALANCE_SCHEMA,
  MARKET_SCHEMA,
  ORDER_SCHEMA,
  POINT_TYPE_SCHEMA,
  RATE_SCHEMA,
  type Lot,
  type Market,
  type Order,
  type PointType,
  type RateEntry,
} from './schemas.ts'

/**
 * Decodes the value at `key` with `schema`, or undefined when absent.
 * @throws {AssertionError} if the stored value is not canonical for `schema` (corrupt state).
 */
export function readValue<T>(
  state: StateReader,
  schema: Schema<T>,
  key: Uint8Array,
): T | undefined {
  const bytes = state.get(key)
  if (bytes === undefined) return undefined
  return decodeStateValue(schema, bytes, key.length)
}

/** The lots `address` holds of `symbol` (empty when none). */
export function readLots(state: StateReader, address: Uint8Array, symbol: string): readonly Lot[] {
  return readValue(state, BALANCE_SCHEMA, keys.balance(address, symbol))?.lots ?? []
}

/** Total held (including lots expired but not yet burned). */
export function readBalance(state: StateReader, address: Uint8Array, symbol: string): bigint {
  let sum = 0n
  for (const lot of readLots(state, address, symbol)) sum += lot[1]
  return sum
}

/** A point type. */
export function readPointType(state: StateReader, symbol: string): PointType | undefined {
  return readValue(state, POINT_TYPE_SCHEMA, keys.pointType(symbol))
}

/**
 * The point type `symbol`, for reading only: from the state's shared decoded-value cache when the
 * state is a `MemoryState` (the value is frozen and shared: never mutate it), else as
 * `readPointType`. For hot paths that read a type per tx (the mempool's door check).
 */
export function peekPointType(state: StateReader, symbol: string): PointType | undefined {
  if (state instanceof MemoryState) {
    return state.decodedByKeyString(POINT_TYPE_SCHEMA, keyString(keys.pointType(symbol)))
  }
  return readPointType(state, symbol)
}

/** An open order. */
export function readOrder(state: StateReader, orderId: Uint8Array): Order | undefined {
  return readValue(state, ORDER_SCHEMA, keys.order(orderId))
}

/** A market. */
export function readMarket(state: StateReader, base: string, quote: string): Market | undefined {
  return readValue(state, MARKET_SCHEMA, keys.market(base, quote))
}

/** The current rate of a type. */
export function readRate(state: StateReader, symbol: string): RateEntry | undefined {
  return readValue(state, RATE_SCHEMA, keys.rate(symbol))
}
