/**
 * An in-memory ordered state: the reference `StateReader` for tests, benchmarks and the simulator.
 * Spec: docs/protocol/vm.md#state; src/core/state.ts.
 *
 * Keys are held as latin1 strings (one char per byte), whose JavaScript string order equals the
 * byte order of the keys, plus a B+ tree of those strings for range scans (ADR 0071).
 */
import { decodeCanonical } from '../codec/canonical.ts'
import type { Schema } from '../codec/schema.ts'
import type { StateEntry, StateReader, WriteSet } from '../core/state.ts'
import { STATE_KEY_BYTES_MAX, STATE_VALUE_BYTES_MAX } from '../core/state.ts'
import { assert } from '../util/assert.ts'
import { orderedStrings } from './btree.ts'

/** The latin1 string of a key: its order is the byte order of the key. */
export function keyString(key: Uint8Array): string {
  assert(key.length <= STATE_KEY_BYTES_MAX, `key of ${key.length} bytes`)
  return bytesString(key)
}

/** The latin1 string of any byte string up to a state value (one char per byte); see keyBytesOf. */
export function bytesString(bytes: Uint8Array): string {
  assert(bytes.length <= STATE_VALUE_BYTES_MAX, `${bytes.length} bytes`)
  // One call builds a flat string (appending char by char builds rope strings and garbage);
  // `apply` over a packed array of small integers is faster than over the typed array itself.
  if (bytes.length > STATE_KEY_BYTES_MAX) return String.fromCharCode.apply(null, Array.from(bytes))
  let scratch = scratchByLength[bytes.length]
  if (scratch === undefined) {
    scratch = new Array<number>(bytes.length).fill(0)
    scratchByLength[bytes.length] = scratch
  }
  for (let i = 0; i < bytes.length; i++) scratch[i] = bytes[i]!
  return String.fromCharCode.apply(null, scratch)
}

/** Reused char-code arrays by length up to a key's (a string is built from one in a single call). */
const scratchByLength: (number[] | undefined)[] = []

/** The bytes of a `keyString` or `bytesString` (its inverse). */
export function keyBytesOf(k: string): Uint8Array {
  const out = new Uint8Array(k.length)
  for (let i = 0; i < k.length; i++) out[i] = k.charCodeAt(i)
  return out
}

/**
 * A state value decoded with `schema`.
 * @throws {AssertionError} when the bytes do not decode: the state is corrupt.
 */
export function decodeStateValue<T>(schema: Schema<T>, bytes: Uint8Array, keyLength: number): T {
  const decoded = decodeCanonical(schema, bytes, STATE_VALUE_BYTES_MAX)
  assert(
    decoded.ok,
    `corrupt state value at ${keyLength}-byte key: ${decoded.ok || decoded.error.message}`,
  )
  assert(decoded.value !== undefined, 'decoded state value is undefined')
  return decoded.value
}

/** Freezes plain objects and arrays all the way down (typed arrays cannot be frozen). */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return value
  for (const inner of Object.values(value)) deepFreeze(inner)
  return Object.freeze(value)
}

/** Most entries in `MemoryState`'s decoded-value cache; it is emptied when full. */
export const DECODED_CACHE_MAX = 65_536

interface DecodedEntry {
  readonly schema: Schema<unknown>
  readonly value: unknown
}

/**
 * An in-memory ordered key-value state with range scans.
 *
 * Memory and per-block cost matter at millions of keys (docs/BENCHMARKS.md, 1 M accounts): values
 * are kept as latin1 strings (a short string is about 40 bytes of heap, a `Uint8Array` about 200),
 * and the key order is a B+ tree of the key strings (`sorted-btree`, ADR 0071), so a block that adds
 * or deletes k keys costs O(k log n), not a rebuild of a sorted array of all n keys.
 */
export class MemoryState implements StateReader {
  /**
   * The values in one map per namespace (the key's prefix byte, docs/protocol/vm.md#key-layout),
   * created on first use. Every tx looks up its replay-index key (absent, as a rule) at the door and
   * in execution; in one map of all keys that lookup missed the CPU caches once the state held a
   * million balances, and took three times as long as with a thousand (docs/BENCHMARKS.md,
   * "Cluster", eighteenth session). A namespace's map is as large as that namespace.
   */
  readonly #values: (Map<string, string> | undefined)[] = []
  #size = 0
  readonly #order = orderedStrings()
  /**
   * Decoded values of recently read keys, so that a value read by many txs and blocks (a point
   * type, the config, a busy account) is decoded once until it changes. `apply` drops the keys it
   * writes. The values are frozen, because every reader shares them.
   */
  readonly #decoded = new Map<string, DecodedEntry>()

  /** The value at `key` (a fresh array). */
  get(key: Uint8Array): Uint8Array | undefined {
    return this.getByKeyString(keyString(key))
  }

  /** The value at the key whose `keyString` is `k` (saves the conversion when it is known). */
  getByKeyString(k: string): Uint8Array | undefined {
    const v = this.#valueOf(k)
    return v === undefined ? undefined : keyBytesOf(v)
  }

  /** The value string at key string `k` (an empty `k` has no namespace and no value). */
  #valueOf(k: string): string | undefined {
    return this.#values[k.charCodeAt(0)]?.get(k)
  }

  /**
   * The value at the key whose `keyString` is `k`, decoded with `schema` and deep-frozen (shared
   * by every caller: never mutate it), or undefined when absent.
   * @throws {AssertionError} when the stored bytes do not decode with `schema`.
   */
  decodedByKeyString<T>(schema: Schema<T>, k: string): T | undefined {
    const hit = this.#decoded.get(k)
    if (hit !== undefined && hit.schema === schema) return hit.value as T
    const v = this.#valueOf(k)
    if (v === undefined) return undefined
    const value = deepFreeze(decodeStateValue(schema, keyBytesOf(v), k.length))
    if (this.#decoded.size >= DECODED_CACHE_MAX) this.#decoded.clear()
    this.#decoded.set(k, { schema, value })
    return value
  }

  /** Entries with `start ≤ key < end`, ascending, at most `limit`. */
  range(start: Uint8Array, end: Uint8Array | null, limit: number): StateEntry[] {
    assert(limit >= 0, 'negative limit')
    const out: StateEntry[] = []
    if (limit === 0) return out
    const endString = end === null ? null : keyString(end)
    for (const k of this.#order.from(keyString(start))) {
      if (endString !== null && k >= endString) break
      out.push({ key: keyBytesOf(k), value: keyBytesOf(this.#valueOf(k)!) })
      if (out.length >= limit) break
    }
    return out
  }

  /** Number of keys. */
  get size(): number {
    return this.#size
  }

  /**
   * Applies a write set (ascending unique keys).
   * @throws {AssertionError} if the write set is not sorted or a key/value exceeds its limit.
   */
  apply(writeSet: WriteSet): void {
    // Validate the whole write set first, so a bad one changes nothing.
    const strings: string[] = []
    for (const change of writeSet) {
      assert(change.key.length > 0 && change.key.length <= STATE_KEY_BYTES_MAX, 'key size')
      assert(change.value === null || change.value.length <= STATE_VALUE_BYTES_MAX, 'value size')
      const k = keyString(change.key)
      assert(strings.length === 0 || strings[strings.length - 1]! < k, 'write set keys must ascend')
      strings.push(k)
    }
    for (let i = 0; i < writeSet.length; i++) {
      const value = writeSet[i]!.value
      const k = strings[i]!
      this.#decoded.delete(k)
      const prefix = k.charCodeAt(0)
      let values = this.#values[prefix]
      if (value === null) {
        if (values?.delete(k) === true) {
          this.#order.delete(k)
          this.#size--
        }
        continue
      }
      if (values === undefined) {
        values = new Map()
        this.#values[prefix] = values
      }
      if (!values.has(k)) {
        this.#order.add(k)
        this.#size++
      }
      values.set(k, bytesString(value))
    }
    assert(this.#order.size === this.#size, 'key order matches the values')
  }

  /** Every entry in key order (tests and invariant checks). */
  entries(): StateEntry[] {
    const out: StateEntry[] = []
    for (const k of this.#order.from()) {
      out.push({ key: keyBytesOf(k), value: keyBytesOf(this.#valueOf(k)!) })
    }
    return out
  }
}
