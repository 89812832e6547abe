/**
 * Goal: edge cases of the state tree (issue 5 item 2): empty tree, one key, two keys, two keys whose
 * paths share a 24-bit prefix, deleting the last key, no-op updates, persistence and misuse.
 * Method: expected roots and proofs are computed by hand from docs/protocol/state.md with noble
 * sha256 and literal tags (test/support/state.ts), never by src/state.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { verifyStateProof } from '../../../src/client/state-proof.ts'
import { STATE_EMPTY_HASH } from '../../../src/codec/state-proof.ts'
import { EMPTY_STATE_TREE, buildTree } from '../../../src/state/index.ts'
import { AssertionError } from '../../../src/util/assert.ts'
import { toHex, utf8 } from '../../../src/util/bytes.ts'
import { specBit, specLeafHash, specNodeHash } from '../../support/state.ts'

const ZERO32 = '00'.repeat(32)
const k = (text: string): Uint8Array => utf8(text)

describe('state tree: empty', () => {
  it('has the all-zero root, size 0, and proves any key absent with no siblings', () => {
    expect(toHex(EMPTY_STATE_TREE.root())).toBe(ZERO32)
    expect(toHex(STATE_EMPTY_HASH)).toBe(ZERO32)
    expect(EMPTY_STATE_TREE.size).toBe(0)
    expect(toHex(buildTree([]).root())).toBe(ZERO32)
    const proof = EMPTY_STATE_TREE.prove(k('alice'))
    expect(proof).toEqual({ version: 1, siblings: [], leaf: null })
    expect(verifyStateProof(EMPTY_STATE_TREE.root(), k('alice'), null, proof).ok).toBe(true)
    const claimed = verifyStateProof(EMPTY_STATE_TREE.root(), k('alice'), k('1'), proof)
    expect(claimed).toMatchObject({ ok: false, error: { code: 'PROOF_KEY_ABSENT' } })
    EMPTY_STATE_TREE.checkInvariants()
  })

  it('returns the same tree for an empty write set and for deleting an absent key', () => {
    expect(EMPTY_STATE_TREE.update([])).toBe(EMPTY_STATE_TREE)
    expect(EMPTY_STATE_TREE.update([{ key: k('x'), value: null }])).toBe(EMPTY_STATE_TREE)
  })
})

describe('state tree: one key', () => {
  it('has the leaf as root and a proof with no siblings', () => {
    const tree = EMPTY_STATE_TREE.update([{ key: k('alice'), value: k('100') }])
    expect(toHex(tree.root())).toBe(toHex(specLeafHash(k('alice'), k('100'))))
    expect(tree.size).toBe(1)
    const proof = tree.prove(k('alice'))
    expect(proof.siblings).toEqual([])
    expect(toHex(proof.leaf!.path)).toBe(toHex(sha256(k('alice'))))
    expect(toHex(proof.leaf!.valueHash)).toBe(toHex(sha256(k('100'))))
    expect(toHex(tree.valueHash(k('alice'))!)).toBe(toHex(sha256(k('100'))))
    expect(tree.valueHash(k('bob'))).toBeUndefined()
    expect(verifyStateProof(tree.root(), k('alice'), k('100'), proof).ok).toBe(true)
    const absent = tree.prove(k('bob'))
    expect(absent.siblings).toEqual([])
    expect(verifyStateProof(tree.root(), k('bob'), null, absent).ok).toBe(true)
  })

  it('deleting the last key gives back the empty root', () => {
    const one = buildTree([{ key: k('alice'), value: k('100') }])
    const none = one.update([{ key: k('alice'), value: null }])
    expect(toHex(none.root())).toBe(ZERO32)
    expect(none.size).toBe(0)
    none.checkInvariants()
    expect(toHex(one.root()), 'the old tree is unchanged').toBe(
      toHex(specLeafHash(k('alice'), k('100'))),
    )
  })

  it('rewriting the same value keeps the same tree object', () => {
    const one = buildTree([{ key: k('alice'), value: k('100') }])
    expect(one.update([{ key: k('alice'), value: k('100') }])).toBe(one)
  })
})

describe('state tree: two keys', () => {
  it('hashes a node over both leaves, ordered by the first path bit', () => {
    const a = { key: k('alice'), value: k('1') }
    const b = { key: k('bob'), value: k('2') }
    const bitA = specBit(sha256(a.key), 0)
    const bitB = specBit(sha256(b.key), 0)
    expect(bitA, 'fixture: the paths differ at bit 0').not.toBe(bitB)
    const [left, right] = bitA === 0 ? [a, b] : [b, a]
    const expected = specNodeHash(
      specLeafHash(left.key, left.value),
      specLeafHash(right.key, right.value),
    )
    const tree = buildTree([a, b])
    expect(toHex(tree.root())).toBe(toHex(expected))
    expect(toHex(buildTree([b, a]).root())).toBe(toHex(expected))
    const proof = tree.prove(a.key)
    expect(proof.siblings.map(toHex)).toEqual([toHex(specLeafHash(b.key, b.value))])
    expect(verifyStateProof(tree.root(), a.key, a.value, proof).ok).toBe(true)
  })

  it('with a 24-bit common prefix: a chain of 24 nodes with empty siblings', () => {
    // Fixture: sha256("key-297") = 33ac746f…, sha256("key-3893") = 33ac748d…: 24 shared bits.
    const a = { key: k('key-297'), value: k('A') }
    const b = { key: k('key-3893'), value: k('B') }
    const pathA = sha256(a.key)
    expect(toHex(pathA).slice(0, 8)).toBe('33ac746f')
    expect(toHex(sha256(b.key)).slice(0, 8)).toBe('33ac748d')
    let expected = specNodeHash(specLeafHash(a.key, a.value), specLeafHash(b.key, b.value))
    for (let depth = 23; depth >= 0; depth--) {
      const zero = new Uint8Array(32)
      expected =
        specBit(pathA, depth) === 0 ? specNodeHash(expected, zero) : specNodeHash(zero, expected)
    }
    const tree = buildTree([a, b])
    tree.checkInvariants()
    expect(toHex(tree.root())).toBe(toHex(expected))
    const proof = tree.prove(a.key)
    expect(proof.siblings.length).toBe(25)
    expect(proof.siblings.slice(0, 24).every((s) => toHex(s) === ZERO32)).toBe(true)
    expect(toHex(proof.siblings[24]!)).toBe(toHex(specLeafHash(b.key, b.value)))
    expect(verifyStateProof(tree.root(), a.key, a.value, proof).ok).toBe(true)
    // Deleting one key moves the other leaf up to the root (path compression).
    const back = tree.update([{ key: b.key, value: null }])
    expect(toHex(back.root())).toBe(toHex(specLeafHash(a.key, a.value)))
    back.checkInvariants()
  })
})

describe('state tree: persistence and misuse', () => {
  it('leaves the old tree valid after an update (speculative execution)', () => {
    const base = buildTree([
      { key: k('a'), value: k('1') },
      { key: k('b'), value: k('2') },
      { key: k('c'), value: k('3') },
    ])
    const rootBefore = toHex(base.root())
    const next = base.update([
      { key: k('a'), value: k('9') },
      { key: k('d'), value: k('4') },
    ])
    expect(next.size).toBe(4)
    expect(toHex(base.root())).toBe(rootBefore)
    expect(base.size).toBe(3)
    base.checkInvariants()
    next.checkInvariants()
    const proof = base.prove(k('a'))
    expect(verifyStateProof(base.root(), k('a'), k('1'), proof).ok).toBe(true)
  })

  it('asserts on write sets out of order or with a duplicate key, and on duplicate entries', () => {
    const unordered = [
      { key: k('b'), value: k('1') },
      { key: k('a'), value: k('2') },
    ]
    expect(() => EMPTY_STATE_TREE.update(unordered)).toThrow(AssertionError)
    const twice = [
      { key: k('a'), value: k('1') },
      { key: k('a'), value: null },
    ]
    expect(() => EMPTY_STATE_TREE.update(twice)).toThrow(AssertionError)
    expect(() =>
      buildTree([
        { key: k('a'), value: k('1') },
        { key: k('a'), value: k('2') },
      ]),
    ).toThrow(AssertionError)
    expect(() => buildTree([{ key: new Uint8Array(129), value: k('1') }])).toThrow(AssertionError)
  })
})
