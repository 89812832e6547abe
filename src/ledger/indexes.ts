/**
 * Index keys and generic index queries. Spec: docs/protocol/storage.md#indexes.
 *
 * Every index is a key range `prefix ‖ group ‖ order`: `group` selects what a query asks for (an
 * address, an issuer, a point type, ...) and `order` (height, position) sorts its entries. Keys are
 * never rewritten except the per-day statistics, and every new key of a group sorts after the
 * existing ones (heights and block times only grow), so cursor pagination (cursor = last key
 * returned) neither skips nor repeats entries while blocks are committed concurrently.
 */
import { decodeCanonical, encodeCanonicalView } from '../codec/canonical.ts'
import type { Schema } from '../codec/schema.ts'
import { BURN_RECORD_SCHEMA, type BurnRecord } from '../core/records.ts'
import { assert } from '../util/assert.ts'
import { compareBytes, concatBytes, equalBytes, fromHex, isHex, toHex } from '../util/bytes.ts'
import { NodeError } from '../util/errors.ts'
import { err, ok, type Result } from '../util/result.ts'
import { burnKey, PREFIX, prefixEnd, strKey, u32Key, u64Key } from './keys.ts'
import type { KvOp, KvStore } from './kv.ts'
import {
  AUCTION_RECORD_SCHEMA,
  DAY_MS,
  HISTORY_RECORD_SCHEMA,
  ISSUANCE_RECORD_SCHEMA,
  RATE_RECORD_SCHEMA,
  type AuctionRecord,
  type HistoryRecord,
  type IssuanceRecord,
  type RateRecord,
} from './records.ts'

/** Largest stored record of any index, in bytes. */
export const INDEX_RECORD_BYTES_MAX = 4096
/** Most items one query page returns. */
export const QUERY_PAGE_LIMIT_MAX = 1000

/** Names of the index families; each has an index head (`i ‖ name`) advanced by every commit. */
export const INDEX_NAMES = [
  'txs',
  'history',
  'burns',
  'issuances',
  'rates',
  'auctions',
  'stats',
] as const
/** An index family name. */
export type IndexName = (typeof INDEX_NAMES)[number]

/** A page request: resume after `cursor` (opaque; null or absent for the first page). */
export interface PageRequest {
  readonly cursor?: string | null
  readonly limit: number
  /** Ascending (oldest first, default) or descending. */
  readonly order?: 'asc' | 'desc'
}

/** A page of results; `cursor` is null when the range is exhausted. */
export interface Page<T> {
  readonly items: T[]
  readonly cursor: string | null
}

/** Why a query was rejected. */
export interface LedgerQueryError {
  readonly code: 'LEDGER_BAD_CURSOR' | 'LEDGER_BAD_QUERY'
  readonly message: string
}

/** Keys of one group: `[gte, lt)`. */
export interface KeyBounds {
  readonly gte: Uint8Array
  readonly lt: Uint8Array
}

/** The bounds of every key that starts with `prefix`. */
export function boundsOf(prefix: Uint8Array): KeyBounds {
  const end = prefixEnd(prefix)
  assert(end !== null, 'index prefixes never consist only of 0xff bytes')
  return { gte: prefix, lt: end }
}

const refOf = (height: number, index: number): Uint8Array =>
  concatBytes(u32Key(height), u32Key(index))

/** `xa ‖ address ‖ height ‖ index`: account history. */
export const historyKey = (r: HistoryRecord): Uint8Array =>
  concatBytes(PREFIX.history, r.address, refOf(r.height, r.index))
/** `xi ‖ issuer ‖ height ‖ index`: burns by issuer (value empty; the burn is at `u ‖ height ‖ index`). */
export const burnByIssuerKey = (b: BurnRecord): Uint8Array =>
  concatBytes(PREFIX.burnByIssuer, b.issuer, refOf(b.height, b.index))
/** `xc ‖ acceptor ‖ height ‖ index`: burns by acceptor (redemptions only). */
export const burnByAcceptorKey = (b: BurnRecord, acceptor: Uint8Array): Uint8Array =>
  concatBytes(PREFIX.burnByAcceptor, acceptor, refOf(b.height, b.index))
/** `xt ‖ time ‖ height ‖ index`: burns by block time. */
export const burnByTimeKey = (b: BurnRecord): Uint8Array =>
  concatBytes(PREFIX.burnByTime, u64Key(b.time), refOf(b.height, b.index))
/** `xv ‖ voucherDigest ‖ str(pointType)`: the issuance a voucher backs (one per type). */
export const issuanceKey = (r: IssuanceRecord): Uint8Array =>
  concatBytes(PREFIX.issuanceByVoucher, r.voucherDigest, strKey(r.pointType))
/** `xq ‖ str(pointType) ‖ height ‖ index`: rate history. */
export const rateKey = (r: RateRecord): Uint8Array =>
  concatBytes(PREFIX.rateByType, strKey(r.pointType), refOf(r.height, r.index))
/** `xm ‖ str(market) ‖ height`: auction results. */
export const auctionKey = (r: AuctionRecord): Uint8Array =>
  concatBytes(PREFIX.auctionByMarket, strKey(r.market), u32Key(r.height))
/** `xs ‖ enterprise ‖ day`: per-enterprise totals of one UTC day. */
export const statsKey = (enterprise: Uint8Array, day: number): Uint8Array =>
  concatBytes(PREFIX.statsByEnterprise, enterprise, u32Key(day))

/** The UTC day number of a block time. */
export function dayOf(timeMs: bigint): number {
  const day = timeMs / DAY_MS
  assert(day >= 0n && day <= 0xffff_ffffn, `day of time ${timeMs}`)
  return Number(day)
}

function putRecord<T>(schema: Schema<T>, key: Uint8Array, record: T): KvOp {
  // Written with the block's batch and dropped: no copy out of the encoder's buffer.
  const value = encodeCanonicalView(schema, record)
  assert(value.length <= INDEX_RECORD_BYTES_MAX, `index record of ${value.length} bytes`)
  return { type: 'put', key, value }
}

/** The puts of one block's burns: the record under `u`, references under `xi`, `xc`, `xt`. */
export function burnOps(burns: readonly BurnRecord[]): KvOp[] {
  const empty = new Uint8Array(0)
  const ops: KvOp[] = []
  for (const burn of burns) {
    ops.push(putRecord(BURN_RECORD_SCHEMA, burnKey(burn.height, burn.index), burn))
    ops.push({ type: 'put', key: burnByIssuerKey(burn), value: empty })
    ops.push({ type: 'put', key: burnByTimeKey(burn), value: empty })
    // Only redemptions have an acceptor; conversions and expiry have the platform or no one.
    if (burn.acceptor !== null) {
      ops.push({ type: 'put', key: burnByAcceptorKey(burn, burn.acceptor), value: empty })
    }
  }
  return ops
}

/** The puts of one block's history, issuance, rate and auction records. */
export function recordOps(entries: {
  readonly history: readonly HistoryRecord[]
  readonly issuances: readonly IssuanceRecord[]
  readonly rates: readonly RateRecord[]
  readonly auctions: readonly AuctionRecord[]
}): KvOp[] {
  return [
    ...entries.history.map((r) => putRecord(HISTORY_RECORD_SCHEMA, historyKey(r), r)),
    ...entries.issuances.map((r) => putRecord(ISSUANCE_RECORD_SCHEMA, issuanceKey(r), r)),
    ...entries.rates.map((r) => putRecord(RATE_RECORD_SCHEMA, rateKey(r), r)),
    ...entries.auctions.map((r) => putRecord(AUCTION_RECORD_SCHEMA, auctionKey(r), r)),
  ]
}

/** FNV-1a over `key`'s bytes: the bucket of a key in `assertUniqueKeys`. */
function keyHash(key: Uint8Array): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i]!, 0x01000193)
  return h >>> 0
}

/**
 * Asserts that `ops` write every key at most once (two records with one key is a caller bug).
 * Keys are bucketed by a 32-bit hash of their bytes and compared byte by byte only within a bucket:
 * a set of latin1 strings, one allocated and hashed per op, was about 2 % of a validator's event
 * loop under load (docs/BENCHMARKS.md, "Cluster", fifteenth session).
 */
export function assertUniqueKeys(ops: readonly KvOp[]): void {
  // A bucket holds the index of its first op, or the indexes of all its ops once it has two.
  const buckets = new Map<number, number | number[]>()
  for (let i = 0; i < ops.length; i++) {
    const key = ops[i]!.key
    const h = keyHash(key)
    const bucket = buckets.get(h)
    if (bucket === undefined) {
      buckets.set(h, i)
      continue
    }
    const others = typeof bucket === 'number' ? [bucket] : bucket
    for (const j of others) {
      // The message is built only on failure (a template per op was a cost of its own).
      if (equalBytes(ops[j]!.key, key)) assert(false, `batch writes key ${toHex(key)} twice`)
    }
    others.push(i)
    if (typeof bucket === 'number') buckets.set(h, others)
  }
}

function parseCursor(
  cursor: string | null | undefined,
  bounds: KeyBounds,
): Result<Uint8Array | null, LedgerQueryError> {
  if (cursor === undefined || cursor === null) return ok(null)
  if (!isHex(cursor) || cursor.length === 0 || cursor.length > 1024) {
    return err({ code: 'LEDGER_BAD_CURSOR', message: 'cursor is not a ledger cursor' })
  }
  const key = fromHex(cursor)
  if (compareBytes(key, bounds.gte) < 0 || compareBytes(key, bounds.lt) >= 0) {
    return err({ code: 'LEDGER_BAD_CURSOR', message: 'cursor belongs to another query' })
  }
  return ok(key)
}

/**
 * One page of the keys in `bounds`, resuming strictly after the cursor key.
 * @throws {NodeError} from the store.
 */
export async function queryPage(
  kv: KvStore,
  bounds: KeyBounds,
  page: PageRequest,
): Promise<Result<Page<{ key: Uint8Array; value: Uint8Array }>, LedgerQueryError>> {
  if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > QUERY_PAGE_LIMIT_MAX) {
    return err({ code: 'LEDGER_BAD_QUERY', message: `limit must be 1..${QUERY_PAGE_LIMIT_MAX}` })
  }
  const cursor = parseCursor(page.cursor, bounds)
  if (!cursor.ok) return cursor
  const after = cursor.value
  const reverse = page.order === 'desc'
  const entries = await kv.range(
    reverse
      ? {
          gte: bounds.gte,
          ...(after ? { lt: after } : { lt: bounds.lt }),
          reverse,
          limit: page.limit,
        }
      : { ...(after ? { gt: after } : { gte: bounds.gte }), lt: bounds.lt, limit: page.limit },
  )
  assert(entries.length <= page.limit, 'store returned more than the limit')
  const last = entries[entries.length - 1]
  const next = entries.length === page.limit && last ? toHex(last.key) : null
  return ok({ items: entries, cursor: next })
}

/**
 * Decodes a stored record; a stored record that does not decode is disk corruption.
 * @throws {NodeError} `LEDGER_CORRUPT`.
 */
export function decodeStored<T>(schema: Schema<T>, bytes: Uint8Array, what: string): T {
  const decoded = decodeCanonical(schema, bytes, INDEX_RECORD_BYTES_MAX * 2048)
  if (!decoded.ok) {
    throw new NodeError(
      'LEDGER_CORRUPT',
      `stored ${what} does not decode: ${decoded.error.message}`,
    )
  }
  return decoded.value
}

/** The `(height, index)` reference in the last 8 bytes of a burn index key. */
export function burnRefOfKey(key: Uint8Array): Uint8Array {
  assert(key.length >= 8, `burn index key of ${key.length} bytes`)
  return concatBytes(PREFIX.burn, key.subarray(key.length - 8))
}
