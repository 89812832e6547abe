/**
 * The block-execution overlay: reads fall through to the base state, writes are buffered with
 * their decoded values (a typed cache, so a balance read twice in a block is decoded once), a
 * per-tx journal rolls a failed tx back, and `writeSet()` ends the block with one sorted WriteSet.
 * Spec: docs/protocol/vm.md#execution.
 *
 * Keys are held as key strings (`keyString`: one char per byte, so string order is byte order);
 * the hot paths pass key strings built without intermediate byte arrays (`*K` methods), and key
 * bytes are made only for the write set and range results.
 */
import { encodeCanonical } from '../codec/canonical.ts'
import type { Schema } from '../codec/schema.ts'
import type { StateChange, StateEntry, StateReader, WriteSet } from '../core/state.ts'
import { STATE_VALUE_BYTES_MAX } from '../core/state.ts'
import { assert } from '../util/assert.ts'
import { equalBytes } from '../util/bytes.ts'
import { decodeStateValue, keyBytesOf, keyString } from './memory-state.ts'

/** A base state that can also be read by key string (MemoryState does; others need not). */
interface KeyStringReader {
  getByKeyString(k: string): Uint8Array | undefined
  /** The decoded value, shared and frozen (MemoryState caches them). */
  decodedByKeyString?<T>(schema: Schema<T>, k: string): T | undefined
}

function hasKeyStringReads(state: StateReader): state is StateReader & KeyStringReader {
  return typeof (state as Partial<KeyStringReader>).getByKeyString === 'function'
}

interface Entry {
  /** The decoded value, or null when the key is deleted. */
  readonly value: unknown
  readonly schema: Schema<unknown> | null
  encoded: Uint8Array | null
}

const DELETED: Entry = Object.freeze({ value: null, schema: null, encoded: null })

/** A write-buffering view over a base state, with tx-level rollback. */
export class Overlay implements StateReader {
  readonly #base: StateReader
  readonly #baseByString: KeyStringReader | null
  readonly #writes = new Map<string, Entry>()
  readonly #decoded = new Map<string, unknown>()
  // The open tx's journal as two parallel arrays reused across txs (no object per write).
  #inTx = false
  readonly #journalKeys: string[] = []
  readonly #journalPrevious: (Entry | undefined)[] = []

  constructor(base: StateReader) {
    this.#base = base
    this.#baseByString = hasKeyStringReads(base) ? base : null
  }

  #baseGet(k: string, key?: Uint8Array): Uint8Array | undefined {
    if (this.#baseByString !== null) return this.#baseByString.getByKeyString(k)
    return this.#base.get(key ?? keyBytesOf(k))
  }

  /** Decoded value at `key`, or undefined when absent. */
  read<T>(schema: Schema<T>, key: Uint8Array): T | undefined {
    return this.readK(schema, keyString(key), key)
  }

  /** Decoded value at the key whose key string is `k`, or undefined when absent. */
  readK<T>(schema: Schema<T>, k: string, key?: Uint8Array): T | undefined {
    const written = this.#writes.get(k)
    if (written !== undefined) return written.value === null ? undefined : (written.value as T)
    const cached = this.#decoded.get(k)
    if (cached !== undefined) return cached as T
    const base = this.#baseByString
    if (base?.decodedByKeyString !== undefined) return base.decodedByKeyString(schema, k)
    const bytes = this.#baseGet(k, key)
    if (bytes === undefined) return undefined
    const value = decodeStateValue(schema, bytes, k.length)
    this.#decoded.set(k, value)
    return value
  }

  /**
   * Writes a decoded value (encoded once, when the block ends). `encoded`, when given, must be
   * the canonical encoding of `value` (constants such as index markers).
   */
  write<T>(schema: Schema<T>, key: Uint8Array, value: T, encoded: Uint8Array | null = null): void {
    this.writeK(schema, keyString(key), value, encoded)
  }

  /** `write` by key string. */
  writeK<T>(schema: Schema<T>, k: string, value: T, encoded: Uint8Array | null = null): void {
    this.#set(k, { value, schema, encoded })
  }

  /** Deletes `key`. */
  remove(key: Uint8Array): void {
    this.#set(keyString(key), DELETED)
  }

  /** Deletes the key whose key string is `k`. */
  removeK(k: string): void {
    this.#set(k, DELETED)
  }

  #set(k: string, entry: Entry): void {
    if (this.#inTx) {
      this.#journalKeys.push(k)
      this.#journalPrevious.push(this.#writes.get(k))
    }
    this.#writes.set(k, entry)
  }

  /** Starts a tx: later writes can be rolled back together. */
  begin(): void {
    assert(!this.#inTx, 'nested tx')
    this.#inTx = true
    this.#journalKeys.length = 0
    this.#journalPrevious.length = 0
  }

  /** Keeps the tx's writes. */
  commit(): void {
    assert(this.#inTx, 'commit without begin')
    this.#inTx = false
  }

  /** Undoes every write since `begin`. */
  rollback(): void {
    assert(this.#inTx, 'rollback without begin')
    assert(this.#journalKeys.length === this.#journalPrevious.length, 'journal arrays in step')
    for (let i = this.#journalKeys.length - 1; i >= 0; i--) {
      const k = this.#journalKeys[i]!
      const previous = this.#journalPrevious[i]
      if (previous === undefined) this.#writes.delete(k)
      else this.#writes.set(k, previous)
    }
    this.#inTx = false
  }

  /** Raw bytes at `key` as seen through the overlay. */
  get(key: Uint8Array): Uint8Array | undefined {
    return this.getK(keyString(key), key)
  }

  /** Raw bytes at the key whose key string is `k`, as seen through the overlay. */
  getK(k: string, key?: Uint8Array): Uint8Array | undefined {
    const written = this.#writes.get(k)
    if (written === undefined) return this.#baseGet(k, key)
    return written.value === null ? undefined : encodeEntry(written)
  }

  /** Entries with `start ≤ key < end` through the overlay, ascending, at most `limit`. */
  range(start: Uint8Array, end: Uint8Array | null, limit: number): StateEntry[] {
    const s = keyString(start)
    const e = end === null ? null : keyString(end)
    const mine: string[] = []
    for (const k of this.#writes.keys()) if (k >= s && (e === null || k < e)) mine.push(k)
    // Default sort compares UTF-16 code units: for key strings that is byte order.
    mine.sort()
    const base = this.#base.range(start, end, limit + mine.length)
    const out: StateEntry[] = []
    let i = 0
    let j = 0
    while (out.length < limit && (i < base.length || j < mine.length)) {
      const b = base[i]
      const m = mine[j]
      const bk = b === undefined ? null : keyString(b.key)
      if (m === undefined || (bk !== null && bk < m)) {
        out.push(b!)
        i++
        continue
      }
      if (bk === m) i++
      j++
      const entry = this.#writes.get(m)!
      if (entry.value !== null) out.push({ key: keyBytesOf(m), value: encodeEntry(entry) })
    }
    return out
  }

  /** The block's changes: real changes only, ascending by key. */
  writeSet(): WriteSet {
    assert(!this.#inTx, 'write set inside a tx')
    const sorted = [...this.#writes.keys()].sort()
    const out: StateChange[] = []
    for (const k of sorted) {
      const entry = this.#writes.get(k)!
      const before = this.#baseGet(k)
      if (entry.value === null) {
        if (before !== undefined) out.push({ key: keyBytesOf(k), value: null })
        continue
      }
      const bytes = encodeEntry(entry)
      if (before === undefined || !equalBytes(before, bytes))
        out.push({ key: keyBytesOf(k), value: bytes })
    }
    return out
  }
}

function encodeEntry(entry: Entry): Uint8Array {
  if (entry.encoded === null) {
    assert(entry.schema !== null, 'encoding a deletion')
    entry.encoded = encodeCanonical(entry.schema, entry.value)
    assert(entry.encoded.length <= STATE_VALUE_BYTES_MAX, `value of ${entry.encoded.length} bytes`)
  }
  return entry.encoded
}
