/**
 * Verification of state proofs against a state root, for light clients (Node and browsers).
 * Spec: docs/protocol/state.md#verification.
 *
 * Pure and browser-safe: imports only src/util, src/codec (and through it @noble/hashes and the
 * state limits in src/core). A node that lies about a value, or about a key being absent, is detected:
 * every rejection is a coded error, never an exception.
 */
import { STATE_KEY_BYTES_MAX, STATE_VALUE_BYTES_MAX } from '../core/state.ts'
import {
  STATE_EMPTY_HASH,
  STATE_PROOF_SIBLINGS_MAX,
  STATE_PROOF_VERSION,
  commonPrefixBits,
  decodeStateProof,
  pathBit,
  stateLeafHash,
  stateNodeHash,
  statePath,
  stateValueHash,
  type StateProof,
} from '../codec/state-proof.ts'
import { equalBytes } from '../util/bytes.ts'
import { err, ok, type Result } from '../util/result.ts'

/** Why a state proof was rejected. */
export type StateProofErrorCode =
  /** The proof bytes or fields are not a well-formed proof, or the inputs have wrong sizes. */
  | 'PROOF_MALFORMED'
  /** A value was claimed, but the proof shows the key absent. */
  | 'PROOF_KEY_ABSENT'
  /** Absence was claimed, but the proof shows the key present. */
  | 'PROOF_KEY_PRESENT'
  /** The proof shows the key with a different value. */
  | 'PROOF_VALUE_MISMATCH'
  /** A non-membership proof ends at a leaf that is not on the key's path. */
  | 'PROOF_PATH_MISMATCH'
  /** The proof does not hash to the trusted root. */
  | 'PROOF_ROOT_MISMATCH'

/** A rejected state proof. */
export interface StateProofError {
  readonly code: StateProofErrorCode
  readonly message: string
}

function fail(code: StateProofErrorCode, message: string): Result<true, StateProofError> {
  return err({ code, message })
}

function checkShapes(
  root: Uint8Array,
  key: Uint8Array,
  value: Uint8Array | null,
  proof: StateProof,
): string | null {
  if (root.length !== 32) return `root of ${root.length} bytes`
  if (key.length > STATE_KEY_BYTES_MAX) return `key of ${key.length} bytes`
  if (value !== null && value.length > STATE_VALUE_BYTES_MAX)
    return `value of ${value.length} bytes`
  if (proof.version !== STATE_PROOF_VERSION) return `proof version ${proof.version}`
  if (proof.siblings.length > STATE_PROOF_SIBLINGS_MAX) return `${proof.siblings.length} siblings`
  for (let i = 0; i < proof.siblings.length; i++) {
    if (proof.siblings[i]!.length !== 32) return `sibling ${i} is not 32 bytes`
  }
  const leaf = proof.leaf
  if (leaf !== null && (leaf.path.length !== 32 || leaf.valueHash.length !== 32)) {
    return 'leaf fields are not 32 bytes'
  }
  return null
}

/**
 * The hash at the bottom of the proof's path, after checking that the proof's kind (membership or
 * non-membership) matches the claim `value`.
 */
function bottomHash(
  path: Uint8Array,
  value: Uint8Array | null,
  proof: StateProof,
): Result<Uint8Array, StateProofError> {
  const leaf = proof.leaf
  const depth = proof.siblings.length
  if (leaf === null) {
    if (value !== null) return err({ code: 'PROOF_KEY_ABSENT', message: 'path ends empty' })
    // A node never has two empty children, so a non-empty empty-ending proof has a real sibling last.
    if (depth > 0 && equalBytes(proof.siblings[depth - 1]!, STATE_EMPTY_HASH)) {
      return err({ code: 'PROOF_MALFORMED', message: 'empty subtree beside an empty sibling' })
    }
    return ok(STATE_EMPTY_HASH)
  }
  if (equalBytes(leaf.path, path)) {
    if (value === null) return err({ code: 'PROOF_KEY_PRESENT', message: 'the key has a leaf' })
    if (!equalBytes(leaf.valueHash, stateValueHash(value))) {
      return err({ code: 'PROOF_VALUE_MISMATCH', message: 'the leaf holds another value' })
    }
    return ok(stateLeafHash(path, leaf.valueHash))
  }
  if (value !== null) return err({ code: 'PROOF_KEY_ABSENT', message: 'path ends at another key' })
  const shared = commonPrefixBits(leaf.path, path)
  if (shared < depth) {
    return err({
      code: 'PROOF_PATH_MISMATCH',
      message: `leaf shares ${shared} bits with the key's path, needs ${depth}`,
    })
  }
  return ok(stateLeafHash(leaf.path, leaf.valueHash))
}

/**
 * Checks that `proof` shows `key` holding `value` (membership) or, when `value` is null, `key`
 * absent (non-membership), in the state whose root is `root`. Never throws on input.
 */
export function verifyStateProof(
  root: Uint8Array,
  key: Uint8Array,
  value: Uint8Array | null,
  proof: StateProof,
): Result<true, StateProofError> {
  const fault = checkShapes(root, key, value, proof)
  if (fault !== null) return fail('PROOF_MALFORMED', fault)
  const path = statePath(key)
  const bottom = bottomHash(path, value, proof)
  if (!bottom.ok) return bottom
  let hash = bottom.value
  for (let depth = proof.siblings.length - 1; depth >= 0; depth--) {
    const sibling = proof.siblings[depth]!
    hash = pathBit(path, depth) === 0 ? stateNodeHash(hash, sibling) : stateNodeHash(sibling, hash)
  }
  if (!equalBytes(hash, root)) return fail('PROOF_ROOT_MISMATCH', 'proof does not reach the root')
  return ok(true)
}

/**
 * `verifyStateProof` over the canonical encoding of a proof (as served by the node's API).
 * Bytes that are not a canonical proof give `PROOF_MALFORMED`. Never throws on input.
 */
export function verifyEncodedStateProof(
  root: Uint8Array,
  key: Uint8Array,
  value: Uint8Array | null,
  encodedProof: Uint8Array,
): Result<true, StateProofError> {
  const decoded = decodeStateProof(encodedProof)
  if (!decoded.ok) return fail('PROOF_MALFORMED', `${decoded.error.code}: ${decoded.error.message}`)
  return verifyStateProof(root, key, value, decoded.value)
}
