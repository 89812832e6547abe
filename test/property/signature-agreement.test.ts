/**
 * Goal: node:crypto (the node's fast path) and noble (the pure core and the client) agree on every
 * signature, and both reject the high-S twin of a valid signature.
 * Method: 10,000 random (secret key, message) pairs from fast-check; noble signs; noble and
 * node:crypto verify the signature, its high-S twin and the signature over a different message.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { hashTagged, taggedPreimage } from '../../src/codec/hash.ts'
import {
  CURVE_ORDER,
  isLowS,
  publicKeyOf,
  signDigest,
  toHighS,
  verifyDigest,
} from '../../src/crypto/secp256k1.ts'
import { verifyJobNode } from '../../src/node/verifier.ts'
import { toHex } from '../../src/util/bytes.ts'

const secretKey = fc
  .bigInt(1n, CURVE_ORDER - 1n)
  .map((k) => Uint8Array.from(Buffer.from(k.toString(16).padStart(64, '0'), 'hex')))

describe('noble and node:crypto agree', () => {
  // About 40 s on one idle core: noble's pure-JS verify is the cost (see docs/BENCHMARKS.md).
  it(
    'on 10,000 random signatures, their high-S twins and wrong messages',
    { timeout: 300_000 },
    () => {
      let checked = 0
      fc.assert(
        fc.property(secretKey, fc.uint8Array({ maxLength: 200 }), (sk, message) => {
          const publicKey = publicKeyOf(sk)
          const digest = hashTagged('tx', message)
          const preimage = taggedPreimage('tx', message)
          const signature = signDigest(digest, sk)
          const high = toHighS(signature)
          const where = `key ${toHex(publicKey)} message ${toHex(message)}`
          expect(isLowS(signature), where).toBe(true)
          expect(verifyDigest(signature, digest, publicKey), where).toBe(true)
          expect(verifyJobNode({ publicKey, digest, preimage, signature }), where).toBe(true)
          expect(verifyDigest(high, digest, publicKey), where).toBe(false)
          expect(verifyJobNode({ publicKey, digest, preimage, signature: high }), where).toBe(false)
          // A wrong message: checked on node:crypto each time, on noble (3 ms a verify) every 20th.
          const other = taggedPreimage('tx', Uint8Array.of(...message, 1))
          const otherDigest = hashTagged('tx', Uint8Array.of(...message, 1))
          expect(
            verifyJobNode({ publicKey, digest: otherDigest, preimage: other, signature }),
            where,
          ).toBe(false)
          if (checked % 20 === 0)
            expect(verifyDigest(signature, otherDigest, publicKey), where).toBe(false)
          checked++
        }),
        { numRuns: 10_000 },
      )
      expect(checked).toBe(10_000)
    },
  )
})
