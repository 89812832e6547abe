/**
 * Helpers for state-tree tests: write sets from maps, byte flipping, and an independent (test-only)
 * statement of the hashing rules of docs/protocol/state.md, written from the spec with noble sha256
 * and literal tags so that expected roots are never computed by the code under test.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import type { StateChange, StateEntry, WriteSet } from '../../src/core/state.ts'
import { compareBytes, concatBytes, toHex, utf8 } from '../../src/util/bytes.ts'

/** `sha256("pointsnode/state-leaf#" ‖ sha256(key) ‖ sha256(value))`, from the spec. */
export function specLeafHash(key: Uint8Array, value: Uint8Array): Uint8Array {
  return sha256(concatBytes(utf8('pointsnode/state-leaf#'), sha256(key), sha256(value)))
}

/** `sha256("pointsnode/state-node#" ‖ left ‖ right)`, from the spec. */
export function specNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(concatBytes(utf8('pointsnode/state-node#'), left, right))
}

/** Bit `i` of `path`, most significant bit first. */
export function specBit(path: Uint8Array, i: number): number {
  return (path[i >> 3]! >> (7 - (i % 8))) & 1
}

/**
 * The root of a key/value map by the spec's recursive definition (quadratic-free but naive:
 * partitions the entries by one bit per level). Independent of src/state.
 */
export function specRoot(entries: readonly StateEntry[], depth = 0): Uint8Array {
  if (entries.length === 0) return new Uint8Array(32)
  if (entries.length === 1) return specLeafHash(entries[0]!.key, entries[0]!.value)
  const left = entries.filter((e) => specBit(sha256(e.key), depth) === 0)
  const right = entries.filter((e) => specBit(sha256(e.key), depth) === 1)
  return specNodeHash(specRoot(left, depth + 1), specRoot(right, depth + 1))
}

/** A write set from changes with unique keys: sorted by key, as the VM produces it. */
export function writeSetFrom(changes: readonly StateChange[]): WriteSet {
  return [...changes].sort((a, b) => compareBytes(a.key, b.key))
}

/** A copy of `bytes` with byte `index` XORed with `mask` (non-zero). */
export function flipByte(bytes: Uint8Array, index: number, mask = 0x01): Uint8Array {
  const out = bytes.slice()
  out[index] = out[index]! ^ mask
  return out
}

/** Hex of a key, for messages and maps. */
export const hexKey = toHex
