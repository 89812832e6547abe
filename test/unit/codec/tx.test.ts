/**
 * Goal: every tx kind encodes, decodes back to an equal value, and its signature verifies.
 * Method: sample txs from fixed keys; round trip through the signed-tx codec.
 */
import { describe, expect, it } from 'vitest'
import { decodeSignedTx } from '../../../src/codec/tx.ts'
import { TX_KINDS } from '../../../src/core/tx.ts'
import { signTx, verifySignedTx } from '../../../src/crypto/tx-signature.ts'
import { sampleTx, testKey } from '../../support/fixtures.ts'

describe('signed tx codec', () => {
  for (const kind of TX_KINDS) {
    for (const full of [true, false]) {
      it(`round-trips ${kind} (${full ? 'all fields' : 'minimal'})`, () => {
        const signer = testKey('alice')
        const signed = signTx(sampleTx(kind, signer, full), signer.secretKey)
        const decoded = decodeSignedTx(signed.signedBytes)
        expect(decoded.ok ? 'ok' : decoded.error.message).toBe('ok')
        if (!decoded.ok) return
        expect(decoded.value.tx).toEqual(signed.tx)
        expect(decoded.value.txId).toEqual(signed.txId)
        expect(verifySignedTx(decoded.value)).toBe(true)
      })
    }
  }
})
