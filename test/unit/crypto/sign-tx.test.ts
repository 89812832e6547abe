/**
 * Goal: `signTx` signs only with the signer's own key, also when it has derived that key's public
 * key before (it keeps derived public keys by secret-key array): a different key is refused, and
 * so is an array whose bytes were changed in place after a first signature.
 * Method: fixed test keys; signatures checked with the noble verifier; the refusals are the
 * documented AssertionError.
 */
import { describe, expect, it } from 'vitest'
import { signTx, verifySignedTx } from '../../../src/crypto/tx-signature.ts'
import { AssertionError } from '../../../src/util/assert.ts'
import { sampleTx, testKey } from '../../support/fixtures.ts'

describe('signTx', () => {
  it('signs many txs with one key, each signature valid', () => {
    const alice = testKey('alice')
    for (let i = 0; i < 3; i++) {
      const tx = { ...sampleTx('points.transfer', alice), salt: Uint8Array.of(i) }
      expect(verifySignedTx(signTx(tx, alice.secretKey)), `tx ${i}`).toBe(true)
    }
  })

  it("refuses a key that is not the tx's signer, before and after signing with it", () => {
    const alice = testKey('alice')
    const bob = testKey('bob')
    const tx = sampleTx('points.transfer', alice)
    expect(() => signTx(tx, bob.secretKey)).toThrow(AssertionError)
    signTx(sampleTx('points.transfer', bob), bob.secretKey)
    expect(() => signTx(tx, bob.secretKey)).toThrow(AssertionError)
  })

  it('refuses a secret-key array whose bytes changed in place since it last signed', () => {
    const alice = testKey('alice')
    const bob = testKey('bob')
    const secret = alice.secretKey.slice()
    expect(verifySignedTx(signTx(sampleTx('points.transfer', alice), secret))).toBe(true)
    // The same array now holds bob's key: alice's txs must be refused, bob's signed with bob's key.
    secret.set(bob.secretKey)
    expect(() => signTx(sampleTx('points.transfer', alice), secret)).toThrow(AssertionError)
    expect(verifySignedTx(signTx(sampleTx('points.transfer', bob), secret))).toBe(true)
  })
})
