/**
 * JSON views of protocol values for the HTTP edge and the console: bigints become decimal strings
 * and byte strings lowercase hex (SPEC §9: amounts as decimal strings). The canonical encoding stays
 * msgpack; these views are never hashed or signed.
 */
import { assert } from '../util/assert.ts'
import { toHex } from '../util/bytes.ts'

/** A JSON value. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json }

/**
 * Converts a protocol value to JSON: bigint → decimal string, Uint8Array → hex, arrays and plain
 * objects recursively (keys in their declared order).
 * @throws {AssertionError} for other types (functions, symbols, undefined): a bug in the caller.
 */
export function toJson(value: unknown): Json {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') return value
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Uint8Array) return toHex(value)
  if (Array.isArray(value)) return value.map(toJson)
  assert(typeof value === 'object', `toJson: unsupported ${typeof value}`)
  const out: Record<string, Json> = {}
  for (const [key, field] of Object.entries(value)) out[key] = toJson(field)
  return out
}

const DECIMAL_RE = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/

/**
 * Parses a non-negative decimal string with at most `decimals` fraction digits into minor units
 * (`"12.5"` with 2 decimals → 1250n). Returns null for anything else (negative, exponent, too many
 * decimals, empty): exact string arithmetic, never floats.
 */
export function parseDecimal(text: string, decimals: number): bigint | null {
  const match = DECIMAL_RE.exec(text)
  if (!match || text.length > 40) return null
  const whole = match[1]!
  const fraction = match[2] ?? ''
  if (fraction.length > decimals) return null
  return BigInt(whole + fraction.padEnd(decimals, '0'))
}

/** Formats minor units as a decimal string with `decimals` fraction digits (1250n, 2 → "12.50"). */
export function formatDecimal(amount: bigint, decimals: number): string {
  const negative = amount < 0n
  const digits = (negative ? -amount : amount).toString().padStart(decimals + 1, '0')
  const whole = digits.slice(0, digits.length - decimals)
  const fraction = digits.slice(digits.length - decimals)
  return `${negative ? '-' : ''}${whole}${decimals > 0 ? `.${fraction}` : ''}`
}
