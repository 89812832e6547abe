/**
 * Goal: the state tree authenticates exactly the key/value set (issue 5 items 2, 6, 7).
 * Method: fast-check generates random states (many small runs and one run with 10,000 keys) and
 * random sequences of write sets. We check that every membership and non-membership proof verifies
 * against the root; that flipping any byte of an encoded proof, of the value or of the root makes
 * verification fail; that the root equals an independent implementation of the spec
 * (test/support/state.ts) and so is independent of insertion order and of how changes are split into
 * write sets; that update-then-delete returns to the previous root; and that old trees stay valid.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { verifyEncodedStateProof, verifyStateProof } from '../../src/client/state-proof.ts'
import { encodeStateProof } from '../../src/codec/state-proof.ts'
import type { StateChange, StateEntry } from '../../src/core/state.ts'
import { EMPTY_STATE_TREE, buildTree, type StateTree } from '../../src/state/index.ts'
import { equalBytes, toHex } from '../../src/util/bytes.ts'
import { flipByte, specRoot, writeSetFrom } from '../support/state.ts'

const keyArb = fc.uint8Array({ minLength: 0, maxLength: 12 })
const valueArb = fc.uint8Array({ minLength: 0, maxLength: 24 })
const stateArb = (maxLength: number): fc.Arbitrary<StateEntry[]> =>
  fc
    .uniqueArray(fc.tuple(keyArb, valueArb), {
      maxLength,
      selector: ([key]) => toHex(key),
    })
    .map((pairs) => pairs.map(([key, value]) => ({ key, value })))

/** Checks membership of every entry and non-membership of every absent key given. */
function checkAllProofs(
  tree: StateTree,
  entries: readonly StateEntry[],
  absent: Uint8Array[],
): void {
  const root = tree.root()
  for (const { key, value } of entries) {
    const encoded = encodeStateProof(tree.prove(key))
    const res = verifyEncodedStateProof(root, key, value, encoded)
    expect(res.ok, `membership of ${toHex(key)}: ${JSON.stringify(res)}`).toBe(true)
    const asAbsent = verifyEncodedStateProof(root, key, null, encoded)
    expect(asAbsent.ok, `membership proof of ${toHex(key)} accepted as absence`).toBe(false)
  }
  for (const key of absent) {
    const encoded = encodeStateProof(tree.prove(key))
    const res = verifyEncodedStateProof(root, key, null, encoded)
    expect(res.ok, `non-membership of ${toHex(key)}: ${JSON.stringify(res)}`).toBe(true)
    const asPresent = verifyEncodedStateProof(root, key, new Uint8Array(0), encoded)
    expect(asPresent.ok, `absence proof of ${toHex(key)} accepted as membership`).toBe(false)
  }
}

/** Flips every byte of the encoded proof, of the value and of the root (XOR `mask`): all fail. */
function checkFlips(
  tree: StateTree,
  key: Uint8Array,
  value: Uint8Array | null,
  mask: number,
): void {
  const root = tree.root()
  const encoded = encodeStateProof(tree.prove(key))
  expect(verifyEncodedStateProof(root, key, value, encoded).ok, 'unflipped proof').toBe(true)
  for (let i = 0; i < encoded.length; i++) {
    const res = verifyEncodedStateProof(root, key, value, flipByte(encoded, i, mask))
    expect(res.ok, `proof byte ${i} of ${encoded.length} flipped (key ${toHex(key)})`).toBe(false)
  }
  for (let i = 0; i < 32; i++) {
    const res = verifyEncodedStateProof(flipByte(root, i, mask), key, value, encoded)
    expect(res.ok, `root byte ${i} flipped (key ${toHex(key)})`).toBe(false)
  }
  if (value === null) return
  for (let i = 0; i < value.length; i++) {
    const res = verifyEncodedStateProof(root, key, flipByte(value, i, mask), encoded)
    expect(res.ok, `value byte ${i} flipped (key ${toHex(key)})`).toBe(false)
  }
}

/** Splits `items` into consecutive chunks at the given cut points. */
function chunks<T>(items: readonly T[], cuts: readonly number[]): T[][] {
  const sorted = [...new Set(cuts.map((c) => c % (items.length + 1)))].sort((a, b) => a - b)
  const out: T[][] = []
  let start = 0
  for (const cut of [...sorted, items.length]) {
    out.push(items.slice(start, cut))
    start = cut
  }
  return out
}

describe('state tree (property)', () => {
  it('every proof verifies; any flipped byte fails; root matches the spec', () => {
    fc.assert(
      fc.property(
        stateArb(40),
        fc.array(keyArb, { maxLength: 8 }),
        fc.integer({ min: 1, max: 255 }),
        (entries, candidates, mask) => {
          const tree = buildTree(entries)
          tree.checkInvariants()
          expect(toHex(tree.root())).toBe(toHex(specRoot(entries)))
          expect(tree.size).toBe(entries.length)
          const present = new Set(entries.map((e) => toHex(e.key)))
          const absent = candidates.filter((k) => !present.has(toHex(k)))
          checkAllProofs(tree, entries, absent)
          const first = entries[0]
          if (first) checkFlips(tree, first.key, first.value, mask)
          const missing = absent[0]
          if (missing) checkFlips(tree, missing, null, mask)
        },
      ),
      { numRuns: 150 },
    )
  })

  it('root is independent of insertion order and of the split into write sets', () => {
    fc.assert(
      fc.property(
        stateArb(60).chain((entries) =>
          fc.tuple(
            fc.constant(entries),
            fc.shuffledSubarray(entries, { minLength: entries.length }),
            fc.array(fc.nat(), { maxLength: 6 }),
          ),
        ),
        ([entries, shuffled, cuts]) => {
          let tree = EMPTY_STATE_TREE
          for (const part of chunks(shuffled, cuts)) tree = tree.update(writeSetFrom(part))
          tree.checkInvariants()
          expect(toHex(tree.root())).toBe(toHex(buildTree(entries).root()))
          expect(toHex(tree.root())).toBe(toHex(specRoot(entries)))
        },
      ),
      { numRuns: 150 },
    )
  })

  it('random write sets track a model; old trees stay valid; undo restores the root', () => {
    const changeArb = fc.tuple(fc.uint8Array({ maxLength: 3 }), fc.option(valueArb))
    fc.assert(
      fc.property(
        stateArb(30),
        fc.array(fc.uniqueArray(changeArb, { maxLength: 12, selector: ([k]) => toHex(k) }), {
          maxLength: 6,
        }),
        (entries, blocks) => {
          const model = new Map(entries.map((e) => [toHex(e.key), e]))
          let tree = buildTree(entries)
          for (const block of blocks) {
            const before = tree
            const rootBefore = tree.root()
            const writeSet = writeSetFrom(block.map(([key, value]) => ({ key, value })))
            const undo: StateChange[] = writeSet.map(({ key }) => ({
              key,
              value: model.get(toHex(key))?.value ?? null,
            }))
            tree = tree.update(writeSet)
            for (const { key, value } of writeSet) {
              if (value === null) model.delete(toHex(key))
              else model.set(toHex(key), { key, value })
            }
            tree.checkInvariants()
            expect(tree.size, 'size follows the model').toBe(model.size)
            expect(toHex(tree.root())).toBe(toHex(specRoot([...model.values()])))
            expect(equalBytes(before.root(), rootBefore), 'old tree unchanged').toBe(true)
            before.checkInvariants()
            const undone = tree.update(writeSetFrom(undo))
            expect(toHex(undone.root()), 'undo restores the root').toBe(toHex(rootBefore))
          }
        },
      ),
      { numRuns: 150 },
    )
  })

  it('10,000 keys: all proofs verify, write-set splits agree, insert-then-delete restores', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 1, max: 255 }),
        (salt, mask) => {
          const key = (i: number): Uint8Array =>
            new Uint8Array([salt >> 8, salt & 255, i >> 16, (i >> 8) & 255, i & 255])
          const entries = Array.from({ length: 10_000 }, (_, i) => ({
            key: key(i),
            value: new Uint8Array([i & 255, 7, (i * 31) & 255]),
          }))
          const tree = buildTree(entries)
          tree.checkInvariants()
          const absent = Array.from({ length: 2_000 }, (_, i) => key(10_000 + i))
          checkAllProofs(tree, entries, absent)
          for (let i = 0; i < 5; i++) {
            checkFlips(tree, entries[i * 1999]!.key, entries[i * 1999]!.value, mask)
            checkFlips(tree, absent[i * 399]!, null, mask)
          }
          let stepwise = EMPTY_STATE_TREE
          for (let start = 0; start < entries.length; start += 1000) {
            stepwise = stepwise.update(writeSetFrom(entries.slice(start, start + 1000)))
          }
          expect(toHex(stepwise.root()), 'ten write sets of 1000').toBe(toHex(tree.root()))
          const inserted = tree.update(writeSetFrom(absent.map((k) => ({ key: k, value: k }))))
          expect(inserted.size).toBe(12_000)
          const removed = inserted.update(
            writeSetFrom(absent.map((k) => ({ key: k, value: null }))),
          )
          expect(toHex(removed.root()), 'insert then delete').toBe(toHex(tree.root()))
          const proof = tree.prove(entries[0]!.key)
          expect(
            verifyStateProof(inserted.root(), entries[0]!.key, entries[0]!.value, proof).ok,
          ).toBe(false)
        },
      ),
      { numRuns: 1 },
    )
  })
})
