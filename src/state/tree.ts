/**
 * The authenticated state tree: an immutable binary sparse Merkle tree with path compression over
 * `path = sha256(key)`. Spec: docs/protocol/state.md; ADR 0015.
 *
 * `update(writeSet)` returns a new tree and leaves the old one valid (structural sharing: only the
 * O(k log n) nodes on the changed paths are new), because consensus executes proposals
 * speculatively. The root depends only on the set of (key, value) pairs: a subtree with no key is
 * empty, a subtree with one key is that key's leaf, any other subtree is a node
 * (docs/protocol/state.md#shape), so every set has exactly one shape.
 *
 * The tree does not keep keys or values (the ledger does), only paths and value hashes; see
 * node.ts for the memory layout.
 */
import {
  STATE_EMPTY_HASH,
  STATE_PATH_BITS,
  STATE_PROOF_VERSION,
  commonPrefixBits,
  pathBit,
  stateNodeHash,
  statePath,
  stateValueHash,
  type StateProof,
} from '../codec/state-proof.ts'
import {
  STATE_KEY_BYTES_MAX,
  STATE_VALUE_BYTES_MAX,
  type StateEntry,
  type WriteSet,
} from '../core/state.ts'
import { assert } from '../util/assert.ts'
import { compareBytes, equalBytes } from '../util/bytes.ts'
import {
  Branch,
  comparePaths,
  hashOf,
  isLeaf,
  leafBit,
  leafPath,
  leafValueHash,
  sameLeaf,
  makeLeaf,
  samePath,
  type Leaf,
  type TreeNode,
} from './node.ts'

/**
 * The subtree over `left` and `right` in canonical form: an empty or single-leaf subtree is not
 * wrapped in a node (path compression), so a leaf moves up when its sibling becomes empty.
 */
function joinChildren(left: TreeNode, right: TreeNode): TreeNode {
  if (left === null && !(right instanceof Branch)) return right
  if (right === null && !(left instanceof Branch)) return left
  return new Branch(left, right)
}

/** First index in `[lo, hi)` whose path has bit `depth` set; `leaves` sorted by path. */
function splitIndex(leaves: readonly Leaf[], lo: number, hi: number, depth: number): number {
  let a = lo
  let b = hi
  while (a < b) {
    const mid = (a + b) >>> 1
    if (leafBit(leaves[mid]!, depth) === 0) a = mid + 1
    else b = mid
  }
  return a
}

/** The canonical subtree at `depth` over `leaves[lo, hi)`, sorted by path and unique. */
function buildSorted(leaves: readonly Leaf[], lo: number, hi: number, depth: number): TreeNode {
  if (hi === lo) return null
  if (hi - lo === 1) return leaves[lo]!
  assert(depth < STATE_PATH_BITS, `two leaves share all ${STATE_PATH_BITS} path bits`)
  const mid = splitIndex(leaves, lo, hi, depth)
  const left = buildSorted(leaves, lo, mid, depth + 1)
  const right = buildSorted(leaves, mid, hi, depth + 1)
  return joinChildren(left, right)
}

/** Sorts leaves by path and checks that no path occurs twice (a duplicate key is a bug). */
function sortLeaves(leaves: Leaf[]): void {
  leaves.sort(comparePaths)
  for (let i = 1; i < leaves.length; i++) {
    assert(!samePath(leaves[i - 1]!, leaves[i]!), `two entries with the same path at ${i}`)
  }
}

/** One pending change, positioned by path: `put` false deletes. */
interface PathChange {
  readonly leaf: Leaf
  readonly put: boolean
}

/** Mutable bookkeeping of one `update` call. */
interface UpdateCount {
  delta: number
}

function checkWriteSet(writeSet: WriteSet): void {
  for (let i = 0; i < writeSet.length; i++) {
    const change = writeSet[i]!
    assert(change.key.length <= STATE_KEY_BYTES_MAX, `write set key ${i} too long`)
    if (change.value !== null) {
      assert(change.value.length <= STATE_VALUE_BYTES_MAX, `write set value ${i} too long`)
    }
    if (i > 0) {
      const order = compareBytes(writeSet[i - 1]!.key, change.key)
      assert(order < 0, `write set keys must be unique and ascending (at ${i})`)
    }
  }
}

const ZERO_HASH = new Uint8Array(32)

function toPathChanges(writeSet: WriteSet): PathChange[] {
  const changes = writeSet.map((change): PathChange => {
    const path = statePath(change.key)
    const put = change.value !== null
    const valueHash = change.value === null ? ZERO_HASH : stateValueHash(change.value)
    return { leaf: makeLeaf(path, valueHash), put }
  })
  changes.sort((a, b) => comparePaths(a.leaf, b.leaf))
  for (let i = 1; i < changes.length; i++) {
    assert(!samePath(changes[i - 1]!.leaf, changes[i]!.leaf), `two changes with one path at ${i}`)
  }
  return changes
}

/** Applies `changes[lo, hi)` (all below this subtree) to the single leaf `leaf`. */
function updateLeaf(
  leaf: Leaf,
  depth: number,
  changes: readonly PathChange[],
  range: readonly [number, number],
  count: UpdateCount,
): TreeNode {
  const leaves: Leaf[] = []
  let kept = true
  for (let i = range[0]; i < range[1]; i++) {
    const change = changes[i]!
    const same = samePath(change.leaf, leaf)
    if (same) kept = false
    if (change.put) {
      leaves.push(same && sameLeaf(change.leaf, leaf) ? leaf : change.leaf)
      if (!same) count.delta++
    } else if (same) {
      count.delta--
    }
  }
  if (kept) leaves.push(leaf)
  leaves.sort(comparePaths)
  return buildSorted(leaves, 0, leaves.length, depth)
}

/** First index in `[lo, hi)` whose change path has bit `depth` set. */
function splitChanges(
  changes: readonly PathChange[],
  lo: number,
  hi: number,
  depth: number,
): number {
  let a = lo
  let b = hi
  while (a < b) {
    const mid = (a + b) >>> 1
    if (leafBit(changes[mid]!.leaf, depth) === 0) a = mid + 1
    else b = mid
  }
  return a
}

/** The subtree at `depth` after applying `changes[lo, hi)`; unchanged subtrees are shared. */
function updateNode(
  node: TreeNode,
  depth: number,
  changes: readonly PathChange[],
  range: readonly [number, number],
  count: UpdateCount,
): TreeNode {
  const [lo, hi] = range
  if (lo === hi) return node
  if (node === null) {
    const inserted: Leaf[] = []
    for (let i = lo; i < hi; i++) {
      const change = changes[i]!
      if (change.put) inserted.push(change.leaf)
    }
    count.delta += inserted.length
    return buildSorted(inserted, 0, inserted.length, depth)
  }
  if (isLeaf(node)) return updateLeaf(node, depth, changes, range, count)
  assert(depth < STATE_PATH_BITS, 'a branch below the last path bit')
  const mid = splitChanges(changes, lo, hi, depth)
  const left = updateNode(node.left, depth + 1, changes, [lo, mid], count)
  const right = updateNode(node.right, depth + 1, changes, [mid, hi], count)
  if (left === node.left && right === node.right) return node
  return joinChildren(left, right)
}

/** The root-first sibling hashes and the end of the walk down `path`. */
function walk(root: TreeNode, path: Uint8Array): { siblings: Uint8Array[]; end: Leaf | null } {
  const siblings: Uint8Array[] = []
  let node = root
  let depth = 0
  while (node instanceof Branch) {
    assert(depth < STATE_PATH_BITS, 'a branch below the last path bit')
    const goRight = pathBit(path, depth) === 1
    siblings.push(hashOf(goRight ? node.left : node.right))
    node = goRight ? node.right : node.left
    depth++
  }
  return { siblings, end: node }
}

function withBit(prefix: Uint8Array, index: number, bit: number): Uint8Array {
  const out = prefix.slice()
  const mask = 1 << (7 - (index & 7))
  out[index >> 3] = bit === 1 ? out[index >> 3]! | mask : out[index >> 3]! & ~mask
  return out
}

/**
 * Recursively checks shape, hashes and leaf positions; returns the number of leaves. `prefix` is any
 * path whose first `depth` bits are this subtree's position.
 */
function checkSubtree(node: TreeNode, depth: number, prefix: Uint8Array): number {
  if (node === null) return 0
  if (isLeaf(node)) {
    const shared = commonPrefixBits(prefix, leafPath(node))
    assert(shared >= depth, `leaf at depth ${depth} shares only ${shared} bits with its position`)
    return 1
  }
  const { left, right } = node
  assert(depth < STATE_PATH_BITS, 'a branch below the last path bit')
  assert(left !== null || right instanceof Branch, `branch at depth ${depth} is not canonical`)
  assert(right !== null || left instanceof Branch, `branch at depth ${depth} is not canonical`)
  const expected = stateNodeHash(hashOf(left), hashOf(right))
  assert(equalBytes(hashOf(node), expected), `stale node hash at depth ${depth}`)
  const leftCount = checkSubtree(left, depth + 1, withBit(prefix, depth, 0))
  return leftCount + checkSubtree(right, depth + 1, withBit(prefix, depth, 1))
}

/**
 * An immutable authenticated state. Build with `buildTree(entries)` or `EMPTY_STATE_TREE.update(…)`.
 */
export class StateTree {
  readonly #root: TreeNode
  readonly #size: number

  private constructor(root: TreeNode, size: number) {
    assert(size >= 0, `negative size ${size}`)
    assert((size === 0) === (root === null), `size ${size} disagrees with the root`)
    this.#root = root
    this.#size = size
  }

  /** The tree of the empty state (same as `EMPTY_STATE_TREE`). */
  static readonly empty: StateTree = new StateTree(null, 0)

  /** See `buildTree`. */
  static build(entries: Iterable<StateEntry>): StateTree {
    const leaves: Leaf[] = []
    for (const { key, value } of entries) {
      assert(value.length <= STATE_VALUE_BYTES_MAX, `value of ${value.length} bytes`)
      leaves.push(makeLeaf(statePath(key), stateValueHash(value)))
    }
    sortLeaves(leaves)
    const root = buildSorted(leaves, 0, leaves.length, 0)
    return new StateTree(root, leaves.length)
  }

  /** Number of keys. */
  get size(): number {
    return this.#size
  }

  /** The 32-byte root hash (a fresh array); `STATE_EMPTY_HASH` for the empty state. */
  root(): Uint8Array {
    return hashOf(this.#root)
  }

  /**
   * A new tree with `writeSet` applied (deleting an absent key is a no-op); this tree is unchanged.
   * Cost: O(k log n) hashes for k changes. Returns `this` when nothing changes.
   * @throws {AssertionError} if keys are not unique and ascending or a key or value is too long.
   */
  update(writeSet: WriteSet): StateTree {
    checkWriteSet(writeSet)
    if (writeSet.length === 0) return this
    const changes = toPathChanges(writeSet)
    const count: UpdateCount = { delta: 0 }
    const root = updateNode(this.#root, 0, changes, [0, changes.length], count)
    return root === this.#root ? this : new StateTree(root, this.#size + count.delta)
  }

  /** `sha256(value)` of the value at `key`, or undefined when the key is absent. */
  valueHash(key: Uint8Array): Uint8Array | undefined {
    const path = statePath(key)
    const { end } = walk(this.#root, path)
    if (end === null || !equalBytes(leafPath(end), path)) return undefined
    return leafValueHash(end)
  }

  /**
   * A proof that `key` has its current value, or that it is absent; verify it with
   * `verifyStateProof` (src/client/state-proof.ts).
   */
  prove(key: Uint8Array): StateProof {
    const { siblings, end } = walk(this.#root, statePath(key))
    if (end === null) return { version: STATE_PROOF_VERSION, siblings, leaf: null }
    const leaf = { path: leafPath(end), valueHash: leafValueHash(end) }
    return { version: STATE_PROOF_VERSION, siblings, leaf }
  }

  /**
   * Checks every invariant: canonical shape, every stored hash, every leaf under its own prefix,
   * the size. O(n log n): for tests and start-up self-checks, not per block.
   * @throws {AssertionError} on the first broken invariant.
   */
  checkInvariants(): void {
    const leaves = checkSubtree(this.#root, 0, new Uint8Array(32))
    assert(leaves === this.#size, `size ${this.#size} but ${leaves} leaves`)
    if (this.#root === null) assert(equalBytes(this.root(), STATE_EMPTY_HASH), 'empty root')
  }
}

/** The tree of the empty state; its root is `STATE_EMPTY_HASH`. */
export const EMPTY_STATE_TREE: StateTree = StateTree.empty

/**
 * Builds the tree of a whole state from scratch (start-up: the ledger recomputes the root from the
 * stored state). Entries may come in any order; keys must be unique. O(n log n).
 * @throws {AssertionError} on a duplicate key or a key or value that is too long.
 */
export function buildTree(entries: Iterable<StateEntry>): StateTree {
  return StateTree.build(entries)
}
