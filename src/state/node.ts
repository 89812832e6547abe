/**
 * Memory-conscious node representation of the state tree. Spec: docs/protocol/state.md#hashing;
 * ADR 0015 (representation).
 *
 * A `Uint8Array` costs about 200 bytes of V8 heap beyond its contents (typed array and array buffer
 * objects), so nodes keep their 32-byte hashes and paths in other forms. A leaf is a 64-character
 * latin1 string, its path then its value hash (one char per byte): about 80 bytes of heap, and the
 * garbage collector marks a string without visiting its contents (ADR 0015, addendum of the
 * nineteenth session; an object of 16 int32 fields was 152 bytes, every field visited). Its hash is
 * recomputed when needed, one sha256. A branch is one object of two children and its hash as 8
 * int32 words in ordinary fields (stored unboxed as small integers). Nodes are immutable once built.
 */
import { tagBytes } from '../codec/hash.ts'
import { putWord, WordHasher } from '../codec/word-hash.ts'
import { assert } from '../util/assert.ts'

/** The leaf of one key: its path then its value hash, 64 bytes as a latin1 string. */
export type Leaf = string & { readonly __brand: 'stateLeaf' }

/** Characters of a leaf under construction (reused: a leaf is built from them in one call). */
const leafChars = new Array<number>(64).fill(0)

/** The leaf of a key whose path and value hash are given (32 bytes each). */
export function makeLeaf(path: Uint8Array, valueHash: Uint8Array): Leaf {
  assert(path.length === 32 && valueHash.length === 32, 'leaf inputs are 32 bytes')
  for (let i = 0; i < 32; i++) {
    leafChars[i] = path[i]!
    leafChars[32 + i] = valueHash[i]!
  }
  // One call builds a flat one-byte string; `apply` over a packed array of small integers.
  return String.fromCharCode.apply(null, leafChars) as Leaf
}

/** True when a subtree is a single key's leaf. */
export function isLeaf(node: TreeNode): node is Leaf {
  return typeof node === 'string'
}

/** The big-endian int32 word of a leaf's characters `at..at+3`. */
function charWord(leaf: Leaf, at: number): number {
  return (
    (leaf.charCodeAt(at) << 24) |
    (leaf.charCodeAt(at + 1) << 16) |
    (leaf.charCodeAt(at + 2) << 8) |
    leaf.charCodeAt(at + 3)
  )
}

/** A leaf's 32 characters from `from` as a fresh 32-byte array. */
function leafBytes(leaf: Leaf, from: number): Uint8Array {
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) out[i] = leaf.charCodeAt(from + i)
  return out
}

/** A leaf's path as a fresh 32-byte array. */
export function leafPath(leaf: Leaf): Uint8Array {
  return leafBytes(leaf, 0)
}

/** A leaf's value hash as a fresh 32-byte array. */
export function leafValueHash(leaf: Leaf): Uint8Array {
  return leafBytes(leaf, 32)
}

/** Bit `depth` of a leaf's path (0 = most significant). */
export function leafBit(leaf: Leaf, depth: number): number {
  return (leaf.charCodeAt(depth >>> 3) >>> (7 - (depth & 7))) & 1
}

/** Unsigned comparison of two leaves' paths (negative, zero, positive). */
export function comparePaths(a: Leaf, b: Leaf): number {
  for (let i = 0; i < 32; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i)
    if (d !== 0) return d
  }
  return 0
}

/** True when both leaves have the same path. */
export function samePath(a: Leaf, b: Leaf): boolean {
  return comparePaths(a, b) === 0
}

/** True when both leaves have the same path and value hash. */
export function sameLeaf(a: Leaf, b: Leaf): boolean {
  return a === b
}

// The same functions as `stateLeafHash` and `stateNodeHash` (src/codec/state-proof.ts), over the
// nodes' words and without allocating: a tree build hashes once per node and a block's update once
// per changed node. `StateTree.checkInvariants` compares every branch's hash with `stateNodeHash`.
const leafHasher = new WordHasher(tagBytes('stateLeaf'))
const nodeHasher = new WordHasher(tagBytes('stateNode'))

/** Hashes `leaf` (docs/protocol/state.md#hashing): the words are in `leafHasher.out` until the next. */
function hashLeafWords(leaf: Leaf): Int32Array {
  const input = leafHasher.input
  for (let i = 0; i < 16; i++) input[i] = charWord(leaf, 4 * i)
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
