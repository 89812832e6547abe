/**
 * Hashing rules and proof encoding of the authenticated state tree, shared by the tree
 * (`src/state/`) and the light client's proof verifier (`src/client/state-proof.ts`).
 * Spec: docs/protocol/state.md.
 *
 * The tree is a binary sparse Merkle tree over `path = sha256(key)` (256 bits, most significant bit
 * first). A subtree holding no key hashes to `STATE_EMPTY_HASH` (32 zero bytes); a subtree holding
 * exactly one key is that key's leaf, placed at the shortest prefix that no other key shares; any
 * other subtree is a node over its two halves. This module imports only util and codec, so the
 * browser-safe client can use it.
 */
import { STATE_KEY_BYTES_MAX } from '../core/state.ts'
import { assert } from '../util/assert.ts'
import { err, ok, type Result } from '../util/result.ts'
import { decodeCanonical, encodeCanonical, type CodecError } from './canonical.ts'
import { buildPlainHasher, buildTaggedHasher } from './hash.ts'
import { bytes, list, nullable, struct, u32, type Infer } from './schema.ts'

/** Bits in a path: the depth of the full (uncompressed) tree. */
export const STATE_PATH_BITS = 256

/** Hash of an empty subtree, and so the root of the empty state: 32 zero bytes. */
export const STATE_EMPTY_HASH: Uint8Array = new Uint8Array(32)

/** The proof format version this code produces and accepts. */
export const STATE_PROOF_VERSION = 1

/** Most siblings in a proof: one per level of the full tree. */
export const STATE_PROOF_SIBLINGS_MAX = STATE_PATH_BITS

/**
 * Largest encoded proof, in bytes: the largest proof is 8,777 bytes (256 siblings of 34 encoded
 * bytes, a 3-byte list header, a 69-byte leaf and 2 bytes of tuple and version), rounded up.
 */
export const STATE_PROOF_BYTES_MAX = 9 * 1024

const plainHash = buildPlainHasher()
const leafHasher = buildTaggedHasher('stateLeaf')
const nodeHasher = buildTaggedHasher('stateNode')

/**
 * Position of a key in the tree: `sha256(key)`, untagged (it is a position, not a commitment; the
 * leaf hash that commits to it is tagged).
 * @throws {AssertionError} if `key` is longer than `STATE_KEY_BYTES_MAX`.
 */
export function statePath(key: Uint8Array): Uint8Array {
  assert(key.length <= STATE_KEY_BYTES_MAX, `state key of ${key.length} bytes`)
  return plainHash(key)
}

/** `sha256(value)`: what a leaf commits to, so that proofs carry 32 bytes instead of the value. */
export function stateValueHash(value: Uint8Array): Uint8Array {
  return plainHash(value)
}

/**
 * Hash of the leaf of one key: `sha256("pointsnode/state-leaf#" ‖ path ‖ valueHash)`.
 * @throws {AssertionError} if either input is not 32 bytes.
 */
export function stateLeafHash(path: Uint8Array, valueHash: Uint8Array): Uint8Array {
  assert(path.length === 32, `path of ${path.length} bytes`)
  assert(valueHash.length === 32, `value hash of ${valueHash.length} bytes`)
  return leafHasher(path, valueHash)
}

/**
 * Hash of an inner node: `sha256("pointsnode/state-node#" ‖ left ‖ right)`.
 * @throws {AssertionError} if either child hash is not 32 bytes.
 */
export function stateNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  assert(left.length === 32, `left child hash of ${left.length} bytes`)
  assert(right.length === 32, `right child hash of ${right.length} bytes`)
  return nodeHasher(left, right)
}

/** Bit `index` of `path` (0 = most significant bit of byte 0): 0 goes left, 1 goes right. */
export function pathBit(path: Uint8Array, index: number): number {
  return (path[index >> 3]! >> (7 - (index & 7))) & 1
}

/** Length of the common prefix of two paths, in bits (256 when they are equal). */
export function commonPrefixBits(a: Uint8Array, b: Uint8Array): number {
  assert(a.length === 32 && b.length === 32, 'paths are 32 bytes')
  for (let i = 0; i < 32; i++) {
    const diff = a[i]! ^ b[i]!
    if (diff !== 0) return i * 8 + Math.clz32(diff) - 24
  }
  return STATE_PATH_BITS
}

const hash32 = bytes(32)

/** Wire schema of the leaf at the end of a proof's path. */
export const STATE_PROOF_LEAF_SCHEMA = struct('stateProofLeaf', {
  path: hash32,
  valueHash: hash32,
})

/**
 * Wire schema of a state proof. `siblings[i]` is the hash of the sibling subtree at depth `i`
 * (root first). `leaf` is the leaf the walk down `path(key)` ends at, or null when it ends at an
 * empty subtree. Membership: `leaf.path = path(key)`. Non-membership: `leaf` is null, or a leaf of
 * another key whose path shares the first `siblings.length` bits with `path(key)`.
 */
export const STATE_PROOF_SCHEMA = struct('stateProof', {
  version: u32(STATE_PROOF_VERSION, STATE_PROOF_VERSION),
  siblings: list(hash32, STATE_PROOF_SIBLINGS_MAX),
  leaf: nullable(STATE_PROOF_LEAF_SCHEMA),
})

/** The leaf at the end of a proof's path. */
export type StateProofLeaf = Infer<typeof STATE_PROOF_LEAF_SCHEMA>

/** A proof of membership or non-membership of one key. */
export type StateProof = Infer<typeof STATE_PROOF_SCHEMA>

/**
 * Canonical encoding of a proof.
 * @throws {AssertionError} if `proof` does not match `STATE_PROOF_SCHEMA`.
 */
export function encodeStateProof(proof: StateProof): Uint8Array {
  const encoded = encodeCanonical(STATE_PROOF_SCHEMA, proof)
  assert(encoded.length <= STATE_PROOF_BYTES_MAX, `proof of ${encoded.length} bytes`)
  return encoded
}

/** Decodes a proof (size limit, shape, canonical form). Never throws on input. */
export function decodeStateProof(encoded: Uint8Array): Result<StateProof, CodecError> {
  const decoded = decodeCanonical(STATE_PROOF_SCHEMA, encoded, STATE_PROOF_BYTES_MAX)
  if (!decoded.ok) return err(decoded.error)
  return ok(decoded.value)
}
