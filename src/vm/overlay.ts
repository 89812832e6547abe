/**
 * The block-execution overlay: reads fall through to the base state, writes are buffered with
 * their decoded values (a typed cache, so a balance read twice in a block is decoded once), a
 * per-tx journal rolls a failed tx back, and `writeSet()` ends the block with one sorted WriteSet.
 * Spec: docs/protocol/vm.md#execution.
 */
import { decodeCanonical, encodeCanonical } from '../codec/canonical.ts'
import type { Schema } from '../codec/schema.ts'
import type { StateChange, StateEntry, StateReader, WriteSet } from '../core/state.ts'
import { STATE_VALUE_BYTES_MAX } from '../core/state.ts'
import { assert } from '../util/assert.ts'
import { equalBytes } from '../util/bytes.ts'
import { keyString } from './memory-state.ts'

/** A base state that can also be read by key string (MemoryState does; others need not). */
interface KeyStringReader {
  getByKeyString(k: string): Uint8Array | undefined
}

function hasKeyStringReads(state: StateReader): state is StateReader & KeyStringReader {
  return typeof (state as Partial<KeyStringReader>).getByKeyString === 'function'
}

interface Entry {
  readonly key: Uint8Array
  /** The decoded value, or null when the key is deleted. */
  readonly value: unknown
  readonly schema: Schema<unknown> | null
  encoded: Uint8Array | null
}

interface JournalItem {
  readonly k: string
  readonly previous: Entry | undefined
}

/** A write-buffering view over a base state, with tx-level rollback. */
export class Overlay implements StateReader {
  readonly #base: StateReader
  readonly #baseByString: KeyStringReader | null
  readonly #writes = new Map<string, Entry>()
  readonly #decoded = new Map<string, unknown>()
  #journal: JournalItem[] | null = null

  constructor(base: StateReader) {
    this.#base = base
    this.#baseByString = hasKeyStringReads(base) ? base : null
  }

  #baseGet(key: Uint8Array, k: string): Uint8Array | undefined {
    return this.#baseByString === null ? this.#base.get(key) : this.#baseByString.getByKeyString(k)
  }

  /** Decoded value at `key`, or undefined when absent. */
  read<T>(schema: Schema<T>, key: Uint8Array): T | undefined {
    const k = keyString(key)
    const written = this.#writes.get(k)
    if (written !== undefined) return written.value === null ? undefined : (written.value as T)
    if (this.#decoded.has(k)) return this.#decoded.get(k) as T
    const bytes = this.#baseGet(key, k)
    if (bytes === undefined) return undefined
    const decoded = decodeCanonical(schema, bytes, STATE_VALUE_BYTES_MAX)
    assert(
      decoded.ok,
      `corrupt state value at ${k.length}-byte key: ${decoded.ok || decoded.error.message}`,
    )
    this.#decoded.set(k, decoded.value)
    return decoded.value
  }

  /**
   * Writes a decoded value (encoded once, when the block ends). `encoded`, when given, must be
   * the canonical encoding of `value` (constants such as index markers).
   */
  write<T>(schema: Schema<T>, key: Uint8Array, value: T, encoded: Uint8Array | null = null): void {
    this.#set(key, { key, value, schema, encoded })
  }

  /** Deletes `key`. */
  remove(key: Uint8Array): void {
    this.#set(key, { key, value: null, schema: null, encoded: null })
  }

  #set(key: Uint8Array, entry: Entry): void {
    const k = keyString(key)
    if (this.#journal !== null) this.#journal.push({ k, previous: this.#writes.get(k) })
    this.#writes.set(k, entry)
  }

  /** Starts a tx: later writes can be rolled back together. */
  begin(): void {
    assert(this.#journal === null, 'nested tx')
    this.#journal = []
  }

  /** Keeps the tx's writes. */
  commit(): void {
    assert(this.#journal !== null, 'commit without begin')
    this.#journal = null
  }

  /** Undoes every write since `begin`. */
  rollback(): void {
    const journal = this.#journal
    assert(journal !== null, 'rollback without begin')
    for (let i = journal.length - 1; i >= 0; i--) {
      const { k, previous } = journal[i]!
      if (previous === undefined) this.#writes.delete(k)
      else this.#writes.set(k, previous)
    }
    this.#journal = null
  }

  /** Raw bytes at `key` as seen through the overlay. */
  get(key: Uint8Array): Uint8Array | undefined {
    const k = keyString(key)
    const written = this.#writes.get(k)
    if (written === undefined) return this.#baseGet(key, k)
    return written.value === null ? undefined : encodeEntry(written)
  }

  /** Entries with `start ≤ key < end` through the overlay, ascending, at most `limit`. */
  range(start: Uint8Array, end: Uint8Array | null, limit: number): StateEntry[] {
    const s = keyString(start)
    const e = end === null ? null : keyString(end)
    const mine: [string, Entry][] = []
    for (const item of this.#writes) {
      if (item[0] >= s && (e === null || item[0] < e)) mine.push(item)
    }
    mine.sort((a, b) => (a[0] < b[0] ? -1 : 1))
    const base = this.#base.range(start, end, limit + mine.length)
    const out: StateEntry[] = []
    let i = 0
    let j = 0
    while (out.length < limit && (i < base.length || j < mine.length)) {
      const b = base[i]
      const m = mine[j]
      const bk = b === undefined ? null : keyString(b.key)
      if (m === undefined || (bk !== null && bk < m[0])) {
        out.push(b!)
        i++
        continue
      }
      if (bk === m[0]) i++
      j++
      if (m[1].value !== null) out.push({ key: m[1].key, value: encodeEntry(m[1]) })
    }
    return out
  }

  /** The block's changes: real changes only, ascending by key. */
  writeSet(): WriteSet {
    assert(this.#journal === null, 'write set inside a tx')
    const sorted = [...this.#writes.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))
    const out: StateChange[] = []
    for (const [k, entry] of sorted) {
      const before = this.#baseGet(entry.key, k)
      if (entry.value === null) {
        if (before !== undefined) out.push({ key: entry.key, value: null })
        continue
      }
      const bytes = encodeEntry(entry)
      if (before === undefined || !equalBytes(before, bytes))
        out.push({ key: entry.key, value: bytes })
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
