/**
 * Binary Merkle tree over an ordered list of leaves (tx ids, receipts), with inclusion proofs.
 * Spec: docs/protocol/encoding.md#merkle. Leaves and inner nodes are hashed under different tags
 * (second-preimage resistance); an odd node is promoted unchanged to the next level (no duplication,
 * so no CVE-2012-2459-style ambiguity). The root of an empty list is `sha256(merkleLeaf tag)`.
 */
import { assert } from '../util/assert.ts'
import { equalBytes } from '../util/bytes.ts'
import { hashTagged } from './hash.ts'

/** The root of the empty list. */
export const EMPTY_MERKLE_ROOT = hashTagged('merkleLeaf')

/** One step of an inclusion proof: the sibling hash and whether it sits on the left. */
export interface MerkleStep {
  readonly sibling: Uint8Array
  readonly siblingOnLeft: boolean
}

function leafHash(leaf: Uint8Array): Uint8Array {
  return hashTagged('merkleLeaf', leaf)
}

function nextLevel(level: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let i = 0; i < level.length; i += 2) {
    const right = level[i + 1]
    out.push(right ? hashTagged('merkleNode', level[i]!, right) : level[i]!)
  }
  return out
}

/** Merkle root of `leaves` (in order). */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_MERKLE_ROOT
  let level = leaves.map(leafHash)
  while (level.length > 1) level = nextLevel(level)
  assert(level.length === 1, 'merkle reduces to one root')
  return level[0]!
}

/** Inclusion proof of `leaves[index]`. */
export function merkleProof(leaves: readonly Uint8Array[], index: number): MerkleStep[] {
  assert(index >= 0 && index < leaves.length, `index ${index} out of ${leaves.length}`)
  const steps: MerkleStep[] = []
  let level = leaves.map(leafHash)
  let position = index
  while (level.length > 1) {
    const siblingIndex = position % 2 === 0 ? position + 1 : position - 1
    const sibling = level[siblingIndex]
    if (sibling) steps.push({ sibling, siblingOnLeft: siblingIndex < position })
    level = nextLevel(level)
    position = Math.floor(position / 2)
  }
  return steps
}

/** True when `proof` shows `leaf` under `root`. */
export function verifyMerkleProof(
  root: Uint8Array,
  leaf: Uint8Array,
  proof: readonly MerkleStep[],
): boolean {
  let node = leafHash(leaf)
  for (const step of proof) {
    node = step.siblingOnLeft
      ? hashTagged('merkleNode', step.sibling, node)
      : hashTagged('merkleNode', node, step.sibling)
  }
  return equalBytes(node, root)
}
