/**
 * The state model shared by the VM, the authenticated state tree and the ledger.
 * Spec: docs/architecture.md#state.
 *
 * The VM's state is a map from byte keys to canonical byte values. The VM decides the key layout and
 * value schemas; the state tree authenticates the map (its root goes in the header); the ledger
 * persists it. Executing a block yields a `WriteSet`: the changed keys in ascending byte order, each
 * with its new value or `null` for a deletion. The same blocks give the same write sets on every node.
 */

/** Synchronous read access to a state. */
export interface StateReader {
  /** The value at `key`, or undefined when absent. */
  get(key: Uint8Array): Uint8Array | undefined
  /**
   * Up to `limit` entries with `start ≤ key < end` in ascending byte order (`end` null: no bound).
   */
  range(start: Uint8Array, end: Uint8Array | null, limit: number): StateEntry[]
}

/** One key and its value. */
export interface StateEntry {
  readonly key: Uint8Array
  readonly value: Uint8Array
}

/** One change: a new value, or `null` to delete the key. */
export interface StateChange {
  readonly key: Uint8Array
  readonly value: Uint8Array | null
}

/** The changes of one block: unique keys in ascending byte order. */
export type WriteSet = readonly StateChange[]

/** Largest state key, in bytes. */
export const STATE_KEY_BYTES_MAX = 128
/** Largest state value, in bytes. */
export const STATE_VALUE_BYTES_MAX = 16 * 1024
