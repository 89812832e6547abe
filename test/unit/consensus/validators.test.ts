/**
 * Goal: quorum and fault bounds are right for every n, proposers rotate by (height + round), set
 * updates apply in order, and certificate verification rejects each kind of bad certificate with
 * its code. Method: tables of n with hand-computed values; certificates built from real signatures.
 */
import { describe, expect, it } from 'vitest'
import { signVote } from '../../../src/consensus/messages.ts'
import {
  applyValidatorUpdates,
  buildCertificate,
  faultMax,
  proposerOf,
  quorumOf,
  verifyCertificate,
} from '../../../src/consensus/validators.ts'
import type { CommitCertificate } from '../../../src/core/block.ts'
import { verifyDigest } from '../../../src/crypto/secp256k1.ts'
import { testKey } from '../../support/fixtures.ts'
import { CHAIN, setOf, signerOf, validatorKeys } from '../../support/consensus.ts'

describe('quorum', () => {
  // Hand-computed: f = floor((n-1)/3), q = ceil(2n/3).
  const table: [number, number, number][] = [
    [1, 0, 1],
    [2, 0, 2],
    [3, 0, 2],
    [4, 1, 3],
    [5, 1, 4],
    [6, 1, 4],
    [7, 2, 5],
    [10, 3, 7],
    [100, 33, 67],
  ]
  for (const [n, f, q] of table) {
    it(`n=${n}: f=${f}, quorum=${q}`, () => {
      expect(faultMax(n)).toBe(f)
      expect(quorumOf(n)).toBe(q)
    })
  }
})

describe('proposer rotation and set updates', () => {
  const keys = validatorKeys(4)
  const set = setOf(keys)
  it('picks validators[(height + round) mod n]', () => {
    expect(proposerOf(set, 1, 0).publicKey).toEqual(keys[1]!.publicKey)
    expect(proposerOf(set, 1, 3).publicKey).toEqual(keys[0]!.publicKey)
    expect(proposerOf(set, 6, 1).publicKey).toEqual(keys[3]!.publicKey)
  })
  it('adds and removes validators and keeps the set sorted', () => {
    const extra = testKey('consensus-unit-extra')
    const added = applyValidatorUpdates(set, [{ publicKey: extra.publicKey, power: 1 }])
    expect(added).toHaveLength(5)
    const keysSorted = [...added].map((v) => Buffer.from(v.publicKey).toString('hex'))
    expect(keysSorted).toEqual([...keysSorted].sort())
    const removed = applyValidatorUpdates(added, [{ publicKey: keys[0]!.publicKey, power: 0 }])
    expect(removed.map((v) => v.publicKey)).not.toContainEqual(keys[0]!.publicKey)
    expect(removed).toHaveLength(4)
  })
  it('never empties a set', () => {
    const one = set.slice(0, 1)
    expect(applyValidatorUpdates(one, [{ publicKey: one[0]!.publicKey, power: 0 }])).toEqual(one)
  })
})

describe('certificates', () => {
  const keys = validatorKeys(4)
  const set = setOf(keys)
  const blockHash = new Uint8Array(32).fill(7)
  const claim = { chainId: CHAIN, height: 5, blockHash }
  const commit = (i: number, round = 2, hash = blockHash) =>
    signVote(signerOf(keys[i]!), {
      type: 'commit',
      chainId: CHAIN,
      height: 5,
      round,
      blockHash: hash,
    })
  const cert = buildCertificate([commit(2), commit(0), commit(3)], set)
  it('builds a certificate sorted by index that verifies', () => {
    expect(cert.signatures.map(([i]) => i)).toEqual([0, 2, 3])
    expect(verifyCertificate(cert, claim, set, verifyDigest)).toEqual({
      ok: true,
      value: undefined,
    })
  })
  const cases: [string, CommitCertificate, string][] = [
    ['another height', { ...cert, height: 6 }, 'CERT_WRONG_HEIGHT'],
    ['another block', { ...cert, blockHash: new Uint8Array(32) }, 'CERT_WRONG_BLOCK'],
    [
      'an index outside the set',
      { ...cert, signatures: [...cert.signatures.slice(0, 2), [9, cert.signatures[2]![1]]] },
      'CERT_BAD_INDEX',
    ],
    [
      'unsorted indices',
      { ...cert, signatures: [cert.signatures[1]!, cert.signatures[0]!, cert.signatures[2]!] },
      'CERT_UNSORTED',
    ],
    [
      'one validator twice',
      { ...cert, signatures: [cert.signatures[0]!, cert.signatures[0]!, cert.signatures[2]!] },
      'CERT_UNSORTED',
    ],
    [
      'a seal under another index',
      {
        ...cert,
        signatures: [[0, cert.signatures[1]![1]], cert.signatures[1]!, cert.signatures[2]!],
      },
      'CERT_BAD_SIGNATURE',
    ],
    ['a seal of another round', { ...cert, round: 3 }, 'CERT_BAD_SIGNATURE'],
    [
      'fewer than a quorum',
      { ...cert, signatures: cert.signatures.slice(0, 2) },
      'CERT_TOO_FEW_SIGNATURES',
    ],
  ]
  for (const [name, c, code] of cases) {
    it(`rejects ${name} with ${code}`, () => {
      const r = verifyCertificate(c, claim, set, verifyDigest)
      expect(r.ok ? 'ok' : r.error.code, name).toBe(code)
    })
  }
  it('checks a certificate against the set of its height, not a later one', () => {
    const later = applyValidatorUpdates(set, [
      { publicKey: keys[0]!.publicKey, power: 0 },
      { publicKey: keys[2]!.publicKey, power: 0 },
    ])
    const r = verifyCertificate(cert, claim, later, verifyDigest)
    expect(r.ok).toBe(false)
  })
})
