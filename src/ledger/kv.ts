/**
 * The key-value store the ledger is built on: sorted byte keys → byte values, atomic batches,
 * bounded range reads. Spec: docs/protocol/storage.md#kvstore.
 *
 * Two implementations share these semantics and one conformance test: `LevelKvStore`
 * (classic-level, one database per node home) and `MemoryKvStore` (tests, simulation).
 */
import { assert } from '../util/assert.ts'

/** One write of a batch: put a value or delete a key. */
export type KvOp =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'del'; readonly key: Uint8Array }

/** One stored key and its value. */
export interface KvEntry {
  readonly key: Uint8Array
  readonly value: Uint8Array
}

/**
 * A key range: `gte`/`gt` lower bound, `lt`/`lte` upper bound (each optional), ascending order unless
 * `reverse`, at most `limit` entries (required: every read is bounded).
 */
export interface KvRange {
  readonly gte?: Uint8Array
  readonly gt?: Uint8Array
  readonly lt?: Uint8Array
  readonly lte?: Uint8Array
  readonly reverse?: boolean
  readonly limit: number
}

/** Batch options: `sync: true` makes the batch durable (fsync) before the promise resolves. */
export interface KvBatchOptions {
  readonly sync: boolean
}

/** Most entries one `range` call returns. */
export const KV_RANGE_LIMIT_MAX = 100_000
/** Most operations in one batch. */
export const KV_BATCH_OPS_MAX = 2_000_000

/** The store interface. Keys and values are plain `Uint8Array`s; a missing key reads `undefined`. */
export interface KvStore {
  /** The value at `key`, or undefined. */
  get(key: Uint8Array): Promise<Uint8Array | undefined>
  /** Values of `keys`, in order, undefined where missing. */
  getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]>
  /** Synchronous point read, where the implementation has one (both provided ones do). */
  getSync?: (key: Uint8Array) => Uint8Array | undefined
  /**
   * Applies all `ops` atomically: after a crash either all or none are visible.
   * @throws {NodeError} `LEDGER_KV_WRITE` when the store fails.
   */
  batch(ops: readonly KvOp[], options: KvBatchOptions): Promise<void>
  /**
   * Up to `range.limit` entries in key order, fewer only when the range is exhausted. The entries
   * of one call are a consistent snapshot.
   */
  range(range: KvRange): Promise<KvEntry[]>
  /** Closes the store; further calls fail. */
  close(): Promise<void>
}

/** Checks a range's bounds and limit (callers pass internal values: violations are bugs). */
export function assertRange(range: KvRange): void {
  assert(Number.isInteger(range.limit), `range limit ${range.limit} is not an integer`)
  assert(range.limit >= 0 && range.limit <= KV_RANGE_LIMIT_MAX, `range limit ${range.limit}`)
  assert(!(range.gt && range.gte), 'range has both gt and gte')
  assert(!(range.lt && range.lte), 'range has both lt and lte')
}

/**
 * Streams every entry of `[gte, lt)` in ascending order, `chunk` entries per read. Each chunk
 * resumes strictly after the last key seen, so concurrent batches never make it repeat a key.
 */
export async function* scanRange(
  kv: KvStore,
  gte: Uint8Array,
  lt: Uint8Array | null,
  chunk = 1000,
): AsyncGenerator<KvEntry> {
  assert(chunk > 0 && chunk <= KV_RANGE_LIMIT_MAX, `scan chunk ${chunk}`)
  let after: Uint8Array | null = null
  for (;;) {
    const bounds: KvRange = {
      ...(after ? { gt: after } : { gte }),
      ...(lt ? { lt } : {}),
      limit: chunk,
    }
    const entries = await kv.range(bounds)
    for (const entry of entries) yield entry
    if (entries.length < chunk) return
    after = entries[entries.length - 1]!.key
  }
}
