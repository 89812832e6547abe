/**
 * Goal: the light client's state-proof verifier rejects every kind of lie with the right code
 * (wrong root, wrong value, membership shown as absence and vice versa, truncated or extended
 * sibling lists, a leaf from another position, malformed or oversized encodings), and the proof
 * encoding is canonical and bounded.
 * Method: proofs come from a small tree; each case edits one thing and checks the exact error code.
 * Expected byte encodings are written out by hand from the msgpack format.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { verifyEncodedStateProof, verifyStateProof } from '../../../src/client/state-proof.ts'
import {
  STATE_PROOF_BYTES_MAX,
  decodeStateProof,
  encodeStateProof,
  type StateProof,
} from '../../../src/codec/state-proof.ts'
import { buildTree } from '../../../src/state/index.ts'
import { concatBytes, toHex, utf8 } from '../../../src/util/bytes.ts'

const entries = Array.from({ length: 64 }, (_, i) => ({ key: utf8(`k${i}`), value: utf8(`v${i}`) }))
const tree = buildTree(entries)
const root = tree.root()
const key = utf8('k7')
const value = utf8('v7')
const member = tree.prove(key)
const absentKey = utf8('nobody')
const absent = tree.prove(absentKey)

function codeOf(result: ReturnType<typeof verifyStateProof>): string {
  return result.ok ? 'OK' : result.error.code
}

describe('verifyStateProof', () => {
  it('accepts the honest proofs', () => {
    expect(member.leaf, 'fixture: membership ends at a leaf').not.toBeNull()
    expect(codeOf(verifyStateProof(root, key, value, member))).toBe('OK')
    expect(codeOf(verifyStateProof(root, absentKey, null, absent))).toBe('OK')
  })

  it('rejects a wrong root, a wrong value and a wrong key', () => {
    const otherRoot = buildTree(entries.slice(1)).root()
    expect(codeOf(verifyStateProof(otherRoot, key, value, member))).toBe('PROOF_ROOT_MISMATCH')
    expect(codeOf(verifyStateProof(otherRoot, absentKey, null, absent))).toBe('PROOF_ROOT_MISMATCH')
    expect(codeOf(verifyStateProof(root, key, utf8('v8'), member))).toBe('PROOF_VALUE_MISMATCH')
    expect(codeOf(verifyStateProof(root, key, new Uint8Array(0), member))).toBe(
      'PROOF_VALUE_MISMATCH',
    )
    expect(codeOf(verifyStateProof(root, utf8('k8'), value, member))).toBe('PROOF_KEY_ABSENT')
  })

  it('rejects membership presented as non-membership and vice versa', () => {
    expect(codeOf(verifyStateProof(root, key, null, member))).toBe('PROOF_KEY_PRESENT')
    expect(codeOf(verifyStateProof(root, absentKey, utf8('x'), absent))).toBe('PROOF_KEY_ABSENT')
    // Another key's membership proof does not show `absentKey` absent: wrong position.
    const res = verifyStateProof(root, absentKey, null, member)
    expect(['PROOF_PATH_MISMATCH', 'PROOF_ROOT_MISMATCH']).toContain(codeOf(res))
  })

  it('rejects truncated and extended sibling lists', () => {
    const truncated: StateProof = { ...member, siblings: member.siblings.slice(1) }
    expect(codeOf(verifyStateProof(root, key, value, truncated))).toBe('PROOF_ROOT_MISMATCH')
    const dropLast: StateProof = { ...member, siblings: member.siblings.slice(0, -1) }
    expect(codeOf(verifyStateProof(root, key, value, dropLast))).toBe('PROOF_ROOT_MISMATCH')
    const extended: StateProof = { ...member, siblings: [...member.siblings, new Uint8Array(32)] }
    expect(codeOf(verifyStateProof(root, key, value, extended))).toBe('PROOF_ROOT_MISMATCH')
    const prefixed: StateProof = { ...member, siblings: [new Uint8Array(32), ...member.siblings] }
    expect(codeOf(verifyStateProof(root, key, value, prefixed))).toBe('PROOF_ROOT_MISMATCH')
  })

  it('rejects a non-membership leaf that is not on the key path', () => {
    // The leaf's path differs from the key's path in bit 0, but one sibling claims depth 1.
    const flipped = sha256(absentKey)
    flipped[0] = flipped[0]! ^ 0x80
    const forged: StateProof = {
      version: 1,
      siblings: [new Uint8Array(32).fill(1)],
      leaf: { path: flipped, valueHash: new Uint8Array(32) },
    }
    expect(codeOf(verifyStateProof(root, absentKey, null, forged))).toBe('PROOF_PATH_MISMATCH')
    // With no siblings the same leaf is on the path of every key (depth 0): only the root decides.
    const shallow: StateProof = { ...forged, siblings: [] }
    expect(codeOf(verifyStateProof(root, absentKey, null, shallow))).toBe('PROOF_ROOT_MISMATCH')
  })

  it('rejects malformed fields, empty-beside-empty and bad inputs', () => {
    const shortSibling: StateProof = { ...member, siblings: [new Uint8Array(31)] }
    expect(codeOf(verifyStateProof(root, key, value, shortSibling))).toBe('PROOF_MALFORMED')
    expect(codeOf(verifyStateProof(root.subarray(1), key, value, member))).toBe('PROOF_MALFORMED')
    expect(codeOf(verifyStateProof(root, new Uint8Array(129), value, member))).toBe(
      'PROOF_MALFORMED',
    )
    const tooMany: StateProof = {
      ...member,
      siblings: Array.from({ length: 257 }, () => new Uint8Array(32)),
    }
    expect(codeOf(verifyStateProof(root, key, value, tooMany))).toBe('PROOF_MALFORMED')
    const emptyBesideEmpty: StateProof = { version: 1, siblings: [new Uint8Array(32)], leaf: null }
    expect(codeOf(verifyStateProof(root, absentKey, null, emptyBesideEmpty))).toBe(
      'PROOF_MALFORMED',
    )
    const version2 = { ...member, version: 2 }
    expect(codeOf(verifyStateProof(root, key, value, version2))).toBe('PROOF_MALFORMED')
  })
})

describe('state proof encoding', () => {
  it('encodes the empty-tree proof as msgpack [1, [], nil]', () => {
    const encoded = encodeStateProof({ version: 1, siblings: [], leaf: null })
    expect(toHex(encoded)).toBe('9301' + '90' + 'c0')
  })

  it('round-trips and rejects non-canonical, truncated, trailing and oversized bytes', () => {
    const encoded = encodeStateProof(member)
    const decoded = decodeStateProof(encoded)
    expect(decoded.ok && toHex(encodeStateProof(decoded.value))).toBe(toHex(encoded))
    const enc = (bytes: Uint8Array): string =>
      codeOf(verifyEncodedStateProof(root, key, value, bytes))
    expect(enc(encoded)).toBe('OK')
    expect(enc(encoded.subarray(0, encoded.length - 1))).toBe('PROOF_MALFORMED')
    expect(enc(concatBytes(encoded, new Uint8Array([0])))).toBe('PROOF_MALFORMED')
    expect(enc(new Uint8Array(STATE_PROOF_BYTES_MAX + 1))).toBe('PROOF_MALFORMED')
    expect(enc(new Uint8Array(0))).toBe('PROOF_MALFORMED')
    // The version as a 2-byte uint8 (0xcc 0x01) instead of the fixint 0x01: same value, not canonical.
    expect(toHex(encoded.subarray(0, 2))).toBe('9301')
    const wide = concatBytes(new Uint8Array([0x93, 0xcc, 0x01]), encoded.subarray(2))
    expect(enc(wide)).toBe('PROOF_MALFORMED')
  })

  it('fits the largest proof (256 siblings and a leaf) in STATE_PROOF_BYTES_MAX', () => {
    const largest: StateProof = {
      version: 1,
      siblings: Array.from({ length: 256 }, () => new Uint8Array(32).fill(0xff)),
      leaf: { path: new Uint8Array(32), valueHash: new Uint8Array(32) },
    }
    const encoded = encodeStateProof(largest)
    expect(encoded.length).toBe(1 + 1 + 3 + 256 * 34 + 1 + 2 * 34)
    expect(encoded.length).toBeLessThanOrEqual(STATE_PROOF_BYTES_MAX)
    expect(decodeStateProof(encoded).ok).toBe(true)
  })
})
