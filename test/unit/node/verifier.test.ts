/**
 * Goal: the worker-thread verifier pool gives the same answers as noble, in job order, for valid,
 * invalid, high-S and garbage jobs, with 1 and 2 workers; so does the node:crypto check of
 * consensus signatures.
 * Method: a fixed mix of jobs from fixed keys; compare pool results with noble's verifyDigest.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { hashTagged, taggedPreimage } from '../../../src/codec/hash.ts'
import { signDigest, toHighS, verifyDigest } from '../../../src/crypto/secp256k1.ts'
import type { VerifyJob } from '../../../src/crypto/verifier.ts'
import { nobleVerifier } from '../../../src/crypto/verifier.ts'
import { preimageOfDigest, voteDigest } from '../../../src/consensus/messages.ts'
import {
  inlineNodeVerifier,
  verifyConsensusDigest,
  VerifierPool,
} from '../../../src/node/verifier.ts'
import { utf8 } from '../../../src/util/bytes.ts'
import { testKey } from '../../support/fixtures.ts'

function jobs(count: number): VerifyJob[] {
  const out: VerifyJob[] = []
  for (let i = 0; i < count; i++) {
    const key = testKey(`pool-${i % 7}`)
    const message = utf8(`message ${i}`)
    const digest = hashTagged('tx', message)
    const preimage = taggedPreimage('tx', message)
    const good = signDigest(digest, key.secretKey)
    const variants: VerifyJob[] = [
      { publicKey: key.publicKey, digest, preimage, signature: good },
      { publicKey: key.publicKey, digest, preimage, signature: toHighS(good) },
      { publicKey: testKey('other').publicKey, digest, preimage, signature: good },
      { publicKey: new Uint8Array(33).fill(7), digest, preimage, signature: good },
      { publicKey: key.publicKey, digest, preimage, signature: new Uint8Array(64) },
    ]
    out.push(variants[i % variants.length]!)
  }
  return out
}

const pools: VerifierPool[] = []
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()))
})

describe('verifier pool', () => {
  const input = jobs(600)
  const expected = input.map((j) => verifyDigest(j.signature, j.digest, j.publicKey))

  it('the fixture mixes valid and invalid jobs', () => {
    expect(expected.filter(Boolean).length).toBe(120)
  })

  for (const size of [1, 2]) {
    it(`agrees with noble with ${size} worker(s)`, async () => {
      const pool = new VerifierPool(size)
      pools.push(pool)
      expect(await pool.verifyBatch(input)).toEqual(expected)
      expect(await pool.verifyBatch([])).toEqual([])
    })
  }

  it('inline node:crypto and noble verifiers agree too', async () => {
    expect(await inlineNodeVerifier.verifyBatch(input)).toEqual(expected)
    expect(await nobleVerifier.verifyBatch(input.slice(0, 50))).toEqual(expected.slice(0, 50))
  })

  it('refuses work after close', async () => {
    const pool = new VerifierPool(1)
    await pool.close()
    await expect(pool.verifyBatch(input.slice(0, 1))).rejects.toThrow(/closed/)
  })
})

describe('verifyConsensusDigest (node:crypto over the kept preimage)', () => {
  it('gives noble’s answer on votes: valid, high-S, wrong key, garbage, unknown digest', () => {
    let checked = 0
    for (let i = 0; i < 60; i++) {
      const key = testKey(`vote-${i % 4}`)
      const payload = {
        type: i % 2 === 0 ? ('prepare' as const) : ('commit' as const),
        chainId: 'pointsnode-test',
        height: i + 1,
        round: i % 3,
        blockHash: hashTagged('header', utf8(`block ${i}`)),
      }
      const digest = voteDigest(payload)
      expect(preimageOfDigest(digest)).toBeDefined()
      const good = signDigest(digest, key.secretKey)
      const cases: [Uint8Array, Uint8Array, Uint8Array][] = [
        [good, digest, key.publicKey],
        [toHighS(good), digest, key.publicKey],
        [good, digest, testKey('someone else').publicKey],
        [new Uint8Array(64).fill(i + 1), digest, key.publicKey],
        [good, digest, new Uint8Array(33).fill(7)],
        [good.subarray(0, 63), digest, key.publicKey],
        // A copy of the digest has no kept preimage: noble checks it.
        [good, Uint8Array.from(digest), key.publicKey],
      ]
      for (const [signature, d, publicKey] of cases) {
        expect(verifyConsensusDigest(signature, d, publicKey), `vote ${i}`).toBe(
          verifyDigest(signature, d, publicKey),
        )
        checked++
      }
      expect(verifyConsensusDigest(good, digest, key.publicKey)).toBe(true)
    }
    expect(checked).toBe(420)
  })
})
