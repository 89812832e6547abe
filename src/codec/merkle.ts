/**
 * Binary Merkle tree over an ordered list of leaves (tx ids, receipts), with inclusion proofs.
 * Spec: docs/protocol/encoding.md#merkle. Leaves and inner nodes are hashed under different tags
 * (second-preimage resistance); an odd node is promoted unchanged to the next level (no duplication,
 * so no CVE-2012-2459-style ambiguity). The root of an empty list is `sha256(merkleLeaf tag)`.
 */
import { assert } from '../util/assert.ts'
import { equalBytes } from '../util/bytes.ts'
import { hashTagged, tagBytes } from './hash.ts'
import { putWord, wordAt, WordHasher } from './word-hash.ts'

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

// For `merkleRoot`: each level is one Int32Array of eight big-endian words per hash, and a pair's
// 16 words are adjacent, so an inner node costs one WordHasher call and no allocation; 32-byte
// leaves (tx ids: a block's txRoot) are hashed the same way. Other leaves (receipts) take
// `hashTagged`. Same digests as `leafHash` and `nextLevel` (tested against node:crypto).
const nodeHasher = new WordHasher(tagBytes('merkleNode'))
const idLeafHasher = new WordHasher(tagBytes('merkleLeaf'), 8)

/** Writes the 32 bytes of `bytes` as eight big-endian words into `to` at `at`. */
function putWords(bytes: Uint8Array, to: Int32Array, at: number): void {
  for (let w = 0; w < 8; w++) to[at + w] = wordAt(bytes, w)
}

/** The leaves' hashes as eight big-endian words each, in order. */
function leafWords(leaves: readonly Uint8Array[]): Int32Array {
  const words = new Int32Array(leaves.length * 8)
  const input = idLeafHasher.input
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i]!
    if (leaf.length === 32) {
      putWords(leaf, input, 0)
      idLeafHasher.hash()
      words.set(idLeafHasher.out, i * 8)
    } else {
      putWords(leafHash(leaf), words, i * 8)
    }
  }
  return words
}

/** The level above `level` (`count` hashes), in place: an odd last hash is promoted unchanged. */
function reduceWords(level: Int32Array, count: number): number {
  const input = nodeHasher.input
  const out = nodeHasher.out
  let next = 0
  for (let i = 0; i + 1 < count; i += 2, next++) {
    const from = i * 8
    for (let w = 0; w < 16; w++) input[w] = level[from + w]!
    nodeHasher.hash()
    for (let w = 0; w < 8; w++) level[next * 8 + w] = out[w]!
  }
  if (count % 2 === 1) level.copyWithin(next * 8, (count - 1) * 8, count * 8)
  return Math.ceil(count / 2)
}

/** Merkle root of `leaves` (in order). */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_MERKLE_ROOT
  const level = leafWords(leaves)
  let count = leaves.length
  while (count > 1) count = reduceWords(level, count)
  const root = new Uint8Array(32)
  for (let w = 0; w < 8; w++) putWord(root, w * 4, level[w]!)
  return root
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
