/**
 * Goal: the worker-thread verifier pool gives the same answers as noble, in job order, for valid,
 * invalid, high-S and garbage jobs, with 1 and 2 workers.
 * Method: a fixed mix of jobs from fixed keys; compare pool results with noble's verifyDigest.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { hashTagged, taggedPreimage } from '../../../src/codec/hash.ts'
import { signDigest, toHighS, verifyDigest } from '../../../src/crypto/secp256k1.ts'
import type { VerifyJob } from '../../../src/crypto/verifier.ts'
import { nobleVerifier } from '../../../src/crypto/verifier.ts'
import { inlineNodeVerifier, VerifierPool } from '../../../src/node/verifier.ts'
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
