/**
 * Parsing of route inputs (path parameters and query strings) into typed values or coded 4xx
 * errors, and the helper that sends a coded error. Spec: SPEC §9; docs/api.md#errors.
 */
import type { FastifyReply } from 'fastify'
import { SYMBOL_PATTERN, TIME_MS_MAX } from '../core/limits.ts'
import { MARKET_ID_PATTERN } from '../core/tx.ts'
import { fromHex, isHex } from '../util/bytes.ts'
import { err, ok, type Result } from '../util/result.ts'
import { errorBody, httpStatusOf } from './errors.ts'
import type { PageQuery, ReadError } from './read-model.ts'

/** Default page size of the lists. */
export const PAGE_LIMIT_DEFAULT = 100
/** Largest page size of the lists. */
export const PAGE_LIMIT_MAX = 1000
/** Largest integer a query accepts where a uint32 is meant (heights). */
const U32_MAX = 0xffff_ffff
const DECIMAL_RE = /^(0|[1-9][0-9]{0,15})$/

/** A parsed input or a coded error. */
export type Parsed<T> = Result<T, ReadError>

/** Sends a coded error with the table's status. */
export function sendError(reply: FastifyReply, e: ReadError): FastifyReply {
  return reply.code(httpStatusOf(e.code)).send(errorBody(e.code, e.message))
}

/** A uint32 in decimal (no sign, no leading zeros). */
export function parseU32(text: string | undefined, code: string, what: string): Parsed<number> {
  if (text === undefined || !DECIMAL_RE.test(text) || Number(text) > U32_MAX) {
    return err({ code, message: `${what} must be a decimal integer 0..${U32_MAX}` })
  }
  return ok(Number(text))
}

/** A time in UNIX ms, in decimal. */
export function parseTime(text: string | undefined, what: string): Parsed<bigint> {
  if (text === undefined || !DECIMAL_RE.test(text) || BigInt(text) > TIME_MS_MAX + 1n) {
    return err({ code: 'API_BAD_QUERY', message: `${what} must be UNIX ms in decimal` })
  }
  return ok(BigInt(text))
}

/** A period `[from, to)` in UNIX ms with from < to. */
export function parsePeriod(
  from: string | undefined,
  to: string | undefined,
): Parsed<[bigint, bigint]> {
  const f = parseTime(from, 'from')
  if (!f.ok) return f
  const t = parseTime(to, 'to')
  if (!t.ok) return t
  if (f.value >= t.value) return err({ code: 'API_BAD_QUERY', message: 'need from < to' })
  return ok([f.value, t.value])
}

/** Hex of exactly `length` bytes. */
export function parseBytes(
  text: string | undefined,
  length: number,
  code: string,
  what: string,
): Parsed<Uint8Array> {
  if (text === undefined || text.length !== length * 2 || !isHex(text)) {
    return err({ code, message: `${what} must be ${length} bytes of lowercase hex` })
  }
  return ok(fromHex(text))
}

/** An account or enterprise address (20 bytes hex). */
export function parseAddress(text: string | undefined, what = 'address'): Parsed<Uint8Array> {
  return parseBytes(text, 20, 'API_BAD_ADDRESS', what)
}

/** A point type symbol. */
export function parseSymbol(text: string | undefined): Parsed<string> {
  if (text === undefined || !SYMBOL_PATTERN.test(text)) {
    return err({ code: 'API_BAD_SYMBOL', message: 'point type must be a symbol like ACME' })
  }
  return ok(text)
}

/** A market id `BASE/QUOTE` (in a path: `BASE%2FQUOTE`). */
export function parseMarketId(text: string | undefined): Parsed<string> {
  if (text === undefined || !MARKET_ID_PATTERN.test(text)) {
    return err({ code: 'API_BAD_MARKET', message: 'market id must be BASE/QUOTE' })
  }
  return ok(text)
}

/** `cursor` and `limit` of a list. */
export function parsePage(query: { cursor?: string; limit?: string }): Parsed<PageQuery> {
  let limit = PAGE_LIMIT_DEFAULT
  if (query.limit !== undefined) {
    const parsed = parseU32(query.limit, 'API_BAD_QUERY', 'limit')
    if (!parsed.ok || parsed.value < 1 || parsed.value > PAGE_LIMIT_MAX) {
      return err({ code: 'API_BAD_QUERY', message: `limit must be 1..${PAGE_LIMIT_MAX}` })
    }
    limit = parsed.value
  }
  const cursor = query.cursor ?? null
  if (cursor !== null && (cursor.length === 0 || cursor.length > 1024 || !isHex(cursor))) {
    return err({ code: 'API_BAD_CURSOR', message: 'cursor must be the `next` of a page' })
  }
  return ok({ cursor, limit })
}
