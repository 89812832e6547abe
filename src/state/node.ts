/**
 * Memory-conscious node representation of the state tree. Spec: docs/protocol/state.md#hashing;
 * ADR 0015 (representation).
 *
 * A `Uint8Array` costs about 200 bytes of V8 heap beyond its contents (typed array and array buffer
 * objects), so nodes keep their 32-byte hashes and paths as eight int32 words in ordinary fields
 * (stored unboxed as small integers): a leaf is one object of 16 words (path and value hash; its hash
 * is recomputed when needed, one sha256), a branch one object of two children and 8 words. That is
 * about 260 bytes per key instead of about 580. Nodes are immutable once built.
 */
import { tagBytes } from '../codec/hash.ts'
import { putWord, wordAt, WordHasher } from '../codec/word-hash.ts'
import { assert } from '../util/assert.ts'

/** The leaf of one key: its path and value hash as big-endian int32 words. */
export class Leaf {
  readonly p0: number
  readonly p1: number
  readonly p2: number
  readonly p3: number
  readonly p4: number
  readonly p5: number
  readonly p6: number
  readonly p7: number
  readonly v0: number
  readonly v1: number
  readonly v2: number
  readonly v3: number
  readonly v4: number
  readonly v5: number
  readonly v6: number
  readonly v7: number

  constructor(path: Uint8Array, valueHash: Uint8Array) {
    assert(path.length === 32 && valueHash.length === 32, 'leaf inputs are 32 bytes')
    this.p0 = wordAt(path, 0)
    this.p1 = wordAt(path, 1)
    this.p2 = wordAt(path, 2)
    this.p3 = wordAt(path, 3)
    this.p4 = wordAt(path, 4)
    this.p5 = wordAt(path, 5)
    this.p6 = wordAt(path, 6)
    this.p7 = wordAt(path, 7)
    this.v0 = wordAt(valueHash, 0)
    this.v1 = wordAt(valueHash, 1)
    this.v2 = wordAt(valueHash, 2)
    this.v3 = wordAt(valueHash, 3)
    this.v4 = wordAt(valueHash, 4)
    this.v5 = wordAt(valueHash, 5)
    this.v6 = wordAt(valueHash, 6)
    this.v7 = wordAt(valueHash, 7)
  }
}

/** Writes a leaf's path (32 bytes) to `out` at `offset`. */
function putPath(leaf: Leaf, out: Uint8Array, offset: number): void {
  putWord(out, offset, leaf.p0)
  putWord(out, offset + 4, leaf.p1)
  putWord(out, offset + 8, leaf.p2)
  putWord(out, offset + 12, leaf.p3)
  putWord(out, offset + 16, leaf.p4)
  putWord(out, offset + 20, leaf.p5)
  putWord(out, offset + 24, leaf.p6)
  putWord(out, offset + 28, leaf.p7)
}

/** Writes a leaf's value hash (32 bytes) to `out` at `offset`. */
function putValueHash(leaf: Leaf, out: Uint8Array, offset: number): void {
  putWord(out, offset, leaf.v0)
  putWord(out, offset + 4, leaf.v1)
  putWord(out, offset + 8, leaf.v2)
  putWord(out, offset + 12, leaf.v3)
  putWord(out, offset + 16, leaf.v4)
  putWord(out, offset + 20, leaf.v5)
  putWord(out, offset + 24, leaf.v6)
  putWord(out, offset + 28, leaf.v7)
}

/** A leaf's path as a fresh 32-byte array. */
export function leafPath(leaf: Leaf): Uint8Array {
  const out = new Uint8Array(32)
  putPath(leaf, out, 0)
  return out
}

/** A leaf's value hash as a fresh 32-byte array. */
export function leafValueHash(leaf: Leaf): Uint8Array {
  const out = new Uint8Array(32)
  putValueHash(leaf, out, 0)
  return out
}

/** Word `index` (0..7) of a leaf's path. */
export function pathWord(leaf: Leaf, index: number): number {
  switch (index) {
    case 0:
      return leaf.p0
    case 1:
      return leaf.p1
    case 2:
      return leaf.p2
    case 3:
      return leaf.p3
    case 4:
      return leaf.p4
    case 5:
      return leaf.p5
    case 6:
      return leaf.p6
    default:
      assert(index === 7, `path word ${index}`)
      return leaf.p7
  }
}

/** Bit `depth` of a leaf's path (0 = most significant). */
export function leafBit(leaf: Leaf, depth: number): number {
  return (pathWord(leaf, depth >>> 5) >>> (31 - (depth & 31))) & 1
}

/** Unsigned comparison of two leaves' paths (negative, zero, positive). */
export function comparePaths(a: Leaf, b: Leaf): number {
  for (let i = 0; i < 8; i++) {
    const x = pathWord(a, i) >>> 0
    const y = pathWord(b, i) >>> 0
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

/** True when both leaves have the same path. */
export function samePath(a: Leaf, b: Leaf): boolean {
  return comparePaths(a, b) === 0
}

/** True when both leaves have the same path and value hash. */
export function sameLeaf(a: Leaf, b: Leaf): boolean {
  return (
    samePath(a, b) &&
    a.v0 === b.v0 &&
    a.v1 === b.v1 &&
    a.v2 === b.v2 &&
    a.v3 === b.v3 &&
    a.v4 === b.v4 &&
    a.v5 === b.v5 &&
    a.v6 === b.v6 &&
    a.v7 === b.v7
  )
}

// The same functions as `stateLeafHash` and `stateNodeHash` (src/codec/state-proof.ts), over the
// nodes' words and without allocating: a tree build hashes once per node and a block's update once
// per changed node. `StateTree.checkInvariants` compares every branch's hash with `stateNodeHash`.
const leafHasher = new WordHasher(tagBytes('stateLeaf'))
const nodeHasher = new WordHasher(tagBytes('stateNode'))

/** Hashes `leaf` (docs/protocol/state.md#hashing): the words are in `leafHasher.out` until the next. */
function hashLeafWords(leaf: Leaf): Int32Array {
  const input = leafHasher.input
  input[0] = leaf.p0
  input[1] = leaf.p1
  input[2] = leaf.p2
  input[3] = leaf.p3
  input[4] = leaf.p4
  input[5] = leaf.p5
  input[6] = leaf.p6
  input[7] = leaf.p7
  input[8] = leaf.v0
  input[9] = leaf.v1
  input[10] = leaf.v2
  input[11] = leaf.v3
  input[12] = leaf.v4
  input[13] = leaf.v5
  input[14] = leaf.v6
  input[15] = leaf.v7
  leafHasher.hash()
  return leafHasher.out
}

/** Writes the eight hash words of a subtree to `to` at `at` (the empty subtree: zeros). */
function putHashWords(node: TreeNode, to: Int32Array, at: number): void {
  if (node === null) {
    to.fill(0, at, at + 8)
  } else if (node instanceof Branch) {
    to[at] = node.h0
    to[at + 1] = node.h1
    to[at + 2] = node.h2
    to[at + 3] = node.h3
    to[at + 4] = node.h4
    to[at + 5] = node.h5
    to[at + 6] = node.h6
    to[at + 7] = node.h7
  } else {
    to.set(hashLeafWords(node), at)
  }
}

/** The leaf hash (docs/protocol/state.md#hashing), as a fresh 32-byte array. */
export function leafHash(leaf: Leaf): Uint8Array {
  const words = hashLeafWords(leaf)
  const out = new Uint8Array(32)
  for (let i = 0; i < 8; i++) putWord(out, i * 4, words[i]!)
  return out
}

/** An inner node over a subtree that holds at least two keys. */
export class Branch {
  readonly left: TreeNode
  readonly right: TreeNode
  readonly h0: number
  readonly h1: number
  readonly h2: number
  readonly h3: number
  readonly h4: number
  readonly h5: number
  readonly h6: number
  readonly h7: number

  constructor(left: TreeNode, right: TreeNode) {
    putHashWords(left, nodeHasher.input, 0)
    putHashWords(right, nodeHasher.input, 8)
    nodeHasher.hash()
    const hash = nodeHasher.out
    this.left = left
    this.right = right
    this.h0 = hash[0]!
    this.h1 = hash[1]!
    this.h2 = hash[2]!
    this.h3 = hash[3]!
    this.h4 = hash[4]!
    this.h5 = hash[5]!
    this.h6 = hash[6]!
    this.h7 = hash[7]!
  }
}

/** A subtree: empty (`null`), one key (`Leaf`) or a `Branch`. */
export type TreeNode = Branch | Leaf | null

function branchHash(node: Branch): Uint8Array {
  const out = new Uint8Array(32)
  putWord(out, 0, node.h0)
  putWord(out, 4, node.h1)
  putWord(out, 8, node.h2)
  putWord(out, 12, node.h3)
  putWord(out, 16, node.h4)
  putWord(out, 20, node.h5)
  putWord(out, 24, node.h6)
  putWord(out, 28, node.h7)
  return out
}

/** The hash of a subtree, as a fresh 32-byte array (the empty subtree: 32 zero bytes). */
export function hashOf(node: TreeNode): Uint8Array {
  if (node === null) return new Uint8Array(32)
  if (node instanceof Branch) return branchHash(node)
  return leafHash(node)
}
