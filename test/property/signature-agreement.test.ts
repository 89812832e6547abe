/**
 * Goal: libsecp256k1 (the node's fast path, inline and on worker threads) and noble (the pure core
 * and the client) agree on every signature, and both reject the high-S twin of a valid signature.
 * Method: 10,000 random (secret key, message) pairs from fast-check; noble signs; noble and
 * libsecp256k1 verify the signature, its high-S twin and the signature over a different message;
 * then the worker pool verifies all 30,000 jobs in one batch and must give the same answers.
 */
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { hashTagged } from '../../src/codec/hash.ts'
import {
  CURVE_ORDER,
  isLowS,
  publicKeyOf,
  signDigest,
  toHighS,
  verifyDigest,
} from '../../src/crypto/secp256k1.ts'
import type { VerifyJob } from '../../src/crypto/verifier.ts'
import { verifyJobFast, VerifierPool } from '../../src/node/verifier.ts'
import { toHex } from '../../src/util/bytes.ts'

const secretKey = fc
  .bigInt(1n, CURVE_ORDER - 1n)
  .map((k) => Uint8Array.from(Buffer.from(k.toString(16).padStart(64, '0'), 'hex')))

describe('noble and libsecp256k1 agree', () => {
  const pool = new VerifierPool(2)
  afterAll(() => pool.close())

  // About 40 s on one idle core: noble's pure-JS verify is the cost (see docs/BENCHMARKS.md).
  it(
    'on 10,000 random signatures, their high-S twins and wrong messages',
    { timeout: 300_000 },
    async () => {
      let checked = 0
      const jobs: VerifyJob[] = []
      const expected: boolean[] = []
      fc.assert(
        fc.property(secretKey, fc.uint8Array({ maxLength: 200 }), (sk, message) => {
          const publicKey = publicKeyOf(sk)
          const digest = hashTagged('tx', message)
          const signature = signDigest(digest, sk)
          const high = toHighS(signature)
          const where = `key ${toHex(publicKey)} message ${toHex(message)}`
          expect(isLowS(signature), where).toBe(true)
          expect(verifyDigest(signature, digest, publicKey), where).toBe(true)
          expect(verifyJobFast({ publicKey, digest, signature }), where).toBe(true)
          expect(verifyDigest(high, digest, publicKey), where).toBe(false)
          expect(verifyJobFast({ publicKey, digest, signature: high }), where).toBe(false)
          // A wrong message: checked on libsecp256k1 each time, on noble (2 ms a verify) every 20th.
          const otherDigest = hashTagged('tx', Uint8Array.of(...message, 1))
          expect(verifyJobFast({ publicKey, digest: otherDigest, signature }), where).toBe(false)
          jobs.push(
            { publicKey, digest, signature },
            { publicKey, digest, signature: high },
            { publicKey, digest: otherDigest, signature },
          )
          expected.push(true, false, false)
          if (checked % 20 === 0)
            expect(verifyDigest(signature, otherDigest, publicKey), where).toBe(false)
          checked++
        }),
        { numRuns: 10_000 },
      )
      expect(checked).toBe(10_000)
      expect(await pool.verifyBatch(jobs)).toEqual(expected)
    },
  )
})
