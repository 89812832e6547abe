/**
 * The ordered key index of the in-memory state: `sorted-btree`'s B+ tree (ADR 0071) behind the
 * four operations the state uses. Deterministic: its order is code-unit order of the strings (for
 * latin1 key strings, the byte order of the keys), never insertion or hashing order.
 *
 * The package is CommonJS with `exports.default = BTree`. Node's ESM loader hands a default import
 * the whole `module.exports` (the class is its `default`), while bundlers with CommonJS interop
 * (vitest's) hand it the class itself; both are accepted.
 */
import sortedBtree from 'sorted-btree'

type BTreeClass = typeof sortedBtree.default
const imported: unknown = sortedBtree
const BTree: BTreeClass =
  typeof imported === 'function' ? (imported as BTreeClass) : sortedBtree.default

/** A set of strings in code-unit order: O(log n) insert and delete, iteration from a lower bound. */
export interface OrderedStrings {
  readonly size: number
  /** Adds `k`; false when it was already there. */
  add(k: string): boolean
  /** Removes `k`; false when it was not there. */
  delete(k: string): boolean
  /** The strings ≥ `low` (all when omitted), ascending. */
  from(low?: string): IterableIterator<string>
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** An empty `OrderedStrings`. */
export function orderedStrings(): OrderedStrings {
  const tree = new BTree<string, undefined>(undefined, compareStrings)
  return {
    get size() {
      return tree.size
    },
    add: (k) => tree.set(k, undefined, false),
    delete: (k) => tree.delete(k),
    from: (low) => tree.keys(low),
  }
}
