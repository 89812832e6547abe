/**
 * An in-memory ordered state: the reference `StateReader` for tests, benchmarks and the simulator.
 * Spec: docs/protocol/vm.md#state; src/core/state.ts.
 *
 * Keys are held as latin1 strings (one char per byte), whose JavaScript string order equals the
 * byte order of the keys, plus one sorted array of those strings for range scans.
 */
import type { StateEntry, StateReader, WriteSet } from '../core/state.ts'
import { STATE_KEY_BYTES_MAX, STATE_VALUE_BYTES_MAX } from '../core/state.ts'
import { assert } from '../util/assert.ts'

/** The latin1 string of a key: its order is the byte order of the key. */
export function keyString(key: Uint8Array): string {
  assert(key.length <= STATE_KEY_BYTES_MAX, `key of ${key.length} bytes`)
  // One call builds a flat string (appending char by char builds rope strings and garbage);
  // `apply` over a packed array of small integers is faster than over the typed array itself.
  let scratch = scratchByLength[key.length]
  if (scratch === undefined) {
    scratch = new Array<number>(key.length).fill(0)
    scratchByLength[key.length] = scratch
  }
  for (let i = 0; i < key.length; i++) scratch[i] = key[i]!
  return String.fromCharCode.apply(null, scratch)
}

/** Reused char-code arrays by key length (a key string is built from one in a single call). */
const scratchByLength: (number[] | undefined)[] = []

/** The key bytes of a `keyString` (its inverse). */
export function keyBytesOf(k: string): Uint8Array {
  const out = new Uint8Array(k.length)
  for (let i = 0; i < k.length; i++) out[i] = k.charCodeAt(i)
  return out
}

/** Index of the first element of `sorted` that is ≥ `target`. */
export function lowerBound(sorted: readonly string[], target: string): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! < target) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** An in-memory ordered key-value state with range scans. */
export class MemoryState implements StateReader {
  readonly #map = new Map<string, StateEntry>()
  #sorted: string[] = []

  /** The value at `key`. */
  get(key: Uint8Array): Uint8Array | undefined {
    return this.#map.get(keyString(key))?.value
  }

  /** The value at the key whose `keyString` is `k` (saves the conversion when it is known). */
  getByKeyString(k: string): Uint8Array | undefined {
    return this.#map.get(k)?.value
  }

  /** Entries with `start ≤ key < end`, ascending, at most `limit`. */
  range(start: Uint8Array, end: Uint8Array | null, limit: number): StateEntry[] {
    assert(limit >= 0, 'negative limit')
    const out: StateEntry[] = []
    const endString = end === null ? null : keyString(end)
    for (let i = lowerBound(this.#sorted, keyString(start)); i < this.#sorted.length; i++) {
      if (out.length >= limit) break
      const k = this.#sorted[i]!
      if (endString !== null && k >= endString) break
      out.push(this.#map.get(k)!)
    }
    return out
  }

  /** Number of keys. */
  get size(): number {
    return this.#map.size
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
    const added: string[] = []
    let removed = false
    for (let i = 0; i < writeSet.length; i++) {
      const change = writeSet[i]!
      const k = strings[i]!
      if (change.value === null) {
        if (this.#map.delete(k)) removed = true
        continue
      }
      if (!this.#map.has(k)) added.push(k)
      this.#map.set(k, { key: change.key.slice(), value: change.value.slice() })
    }
    if (added.length > 0 || removed) this.#merge(added)
    assert(this.#sorted.length === this.#map.size, 'sorted index matches the map')
  }

  #merge(added: readonly string[]): void {
    const old = this.#sorted
    const out: string[] = []
    let i = 0
    let j = 0
    while (i < old.length || j < added.length) {
      const a = old[i]
      const b = added[j]
      if (b === undefined || (a !== undefined && a < b)) {
        if (this.#map.has(a!)) out.push(a!)
        i++
      } else {
        out.push(b)
        j++
      }
    }
    this.#sorted = out
  }

  /** Every entry in key order (tests and invariant checks). */
  entries(): StateEntry[] {
    return this.#sorted.map((k) => this.#map.get(k)!)
  }
}
