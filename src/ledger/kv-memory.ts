/**
 * In-memory `KvStore` for tests and simulation: a sorted array of entries with the same semantics
 * as `LevelKvStore` (missing key → undefined, atomic batches, bounded ordered ranges).
 * Spec: docs/protocol/storage.md#kvstore.
 */
import { assert } from '../util/assert.ts'
import { compareBytes, plainBytes } from '../util/bytes.ts'
import { NodeError } from '../util/errors.ts'
import {
  assertRange,
  KV_BATCH_OPS_MAX,
  type KvBatchOptions,
  type KvEntry,
  type KvOp,
  type KvRange,
  type KvStore,
} from './kv.ts'

/** A sorted in-memory store. Values are copied in and out, so callers cannot alias stored bytes. */
export class MemoryKvStore implements KvStore {
  #entries: KvEntry[] = []
  #closed = false

  /** Index of the first entry with key ≥ `key` (the entry count when none). */
  #lowerBound(key: Uint8Array): number {
    let lo = 0
    let hi = this.#entries.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareBytes(this.#entries[mid]!.key, key) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** Index of the last entry that may satisfy the upper bound of `range` (−1 when none). */
  #reverseStart(range: KvRange): number {
    const upper = range.lt ?? range.lte
    if (upper === undefined) return this.#entries.length - 1
    const i = this.#lowerBound(upper)
    const at = this.#entries[i]
    const equal = at !== undefined && compareBytes(at.key, upper) === 0
    return range.lte !== undefined && equal ? i : i - 1
  }

  #checkOpen(): void {
    if (this.#closed) throw new NodeError('LEDGER_KV_CLOSED', 'memory store is closed')
  }

  /** Synchronous read; undefined when absent. */
  readonly getSync = (key: Uint8Array): Uint8Array | undefined => {
    this.#checkOpen()
    const i = this.#lowerBound(key)
    const entry = this.#entries[i]
    if (entry === undefined || compareBytes(entry.key, key) !== 0) return undefined
    return plainBytes(entry.value)
  }

  /** {@inheritDoc KvStore.get} */
  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.getSync(key))
  }

  /** {@inheritDoc KvStore.getMany} */
  getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return Promise.resolve(keys.map((key) => this.getSync(key)))
  }

  /** {@inheritDoc KvStore.batch} */
  batch(ops: readonly KvOp[], options: KvBatchOptions): Promise<void> {
    this.#checkOpen()
    assert(ops.length <= KV_BATCH_OPS_MAX, `batch of ${ops.length} ops`)
    assert(typeof options.sync === 'boolean', 'batch sync option must be given')
    // Applied synchronously: no reader can observe half a batch.
    for (const op of ops) {
      const i = this.#lowerBound(op.key)
      const found = this.#entries[i]
      const exists = found !== undefined && compareBytes(found.key, op.key) === 0
      if (op.type === 'put') {
        const entry = { key: plainBytes(op.key), value: plainBytes(op.value) }
        if (exists) this.#entries[i] = entry
        else this.#entries.splice(i, 0, entry)
      } else if (exists) {
        this.#entries.splice(i, 1)
      }
    }
    return Promise.resolve()
  }

  /** {@inheritDoc KvStore.range} */
  range(range: KvRange): Promise<KvEntry[]> {
    this.#checkOpen()
    assertRange(range)
    const inLower = (k: Uint8Array): boolean =>
      (range.gte === undefined || compareBytes(k, range.gte) >= 0) &&
      (range.gt === undefined || compareBytes(k, range.gt) > 0)
    const inUpper = (k: Uint8Array): boolean =>
      (range.lt === undefined || compareBytes(k, range.lt) < 0) &&
      (range.lte === undefined || compareBytes(k, range.lte) <= 0)
    const out: KvEntry[] = []
    const lower = range.gte ?? range.gt
    let i = lower ? this.#lowerBound(lower) : 0
    if (range.reverse) {
      i = this.#reverseStart(range)
      for (; i >= 0 && out.length < range.limit; i--) {
        const e = this.#entries[i]!
        if (!inUpper(e.key)) continue
        if (!inLower(e.key)) break
        out.push({ key: plainBytes(e.key), value: plainBytes(e.value) })
      }
    } else {
      for (; i < this.#entries.length && out.length < range.limit; i++) {
        const e = this.#entries[i]!
        if (!inLower(e.key)) continue
        if (!inUpper(e.key)) break
        out.push({ key: plainBytes(e.key), value: plainBytes(e.value) })
      }
    }
    return Promise.resolve(out)
  }

  /** {@inheritDoc KvStore.close} */
  close(): Promise<void> {
    this.#closed = true
    return Promise.resolve()
  }

  /** Number of stored entries (tests). */
  get size(): number {
    return this.#entries.length
  }
}
