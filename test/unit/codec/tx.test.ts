/**
 * Goal: every tx kind encodes, decodes back to an equal value, and its signature verifies; a
 * decoded tx owns one copy of its bytes, which its byte fields view, and keeps nothing of its input.
 * Method: sample txs from fixed keys; round trip through the signed-tx codec; a decode from a view
 * into a larger frame, whose bytes are then overwritten.
 */
import { describe, expect, it } from 'vitest'
import { decodeCanonical } from '../../../src/codec/canonical.ts'
import { SIGNED_TX_SCHEMA, decodeSignedTx } from '../../../src/codec/tx.ts'
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

describe('decoded signed tx bytes', () => {
  const signer = testKey('alice')
  const signed = signTx(sampleTx('points.transfer', signer, true), signer.secretKey)

  it('are one copy of the input, viewed by every byte field, and not the input itself', () => {
    // A frame with the tx in its middle, as a gossip frame or a block carries it.
    const frame = new Uint8Array(signed.signedBytes.length + 100)
    frame.set(signed.signedBytes, 40)
    const input = frame.subarray(40, 40 + signed.signedBytes.length)
    const decoded = decodeSignedTx(input)
    expect(decoded.ok).toBe(true)
    if (!decoded.ok) return
    const { tx, txBytes, signature, signedBytes } = decoded.value
    expect(signedBytes.buffer).not.toBe(frame.buffer)
    expect(signedBytes.buffer.byteLength).toBe(signed.signedBytes.length)
    const body = tx.body as { to: Uint8Array }
    for (const field of [txBytes, signature, tx.signerPublicKey, tx.salt, body.to]) {
      expect(field.buffer).toBe(signedBytes.buffer)
    }
    // The input's owner may reuse it: the decoded tx does not change.
    frame.fill(0)
    expect(signedBytes).toEqual(signed.signedBytes)
    expect(tx).toEqual(signed.tx)
    expect(signature).toEqual(signed.signature)
    expect(verifySignedTx(decoded.value)).toBe(true)
  })

  it('are copies per field in any other decode (a view would keep the whole input alive)', () => {
    const decoded = decodeCanonical(SIGNED_TX_SCHEMA, signed.signedBytes, 10_000)
    expect(decoded.ok).toBe(true)
    if (!decoded.ok) return
    const [txBytes, signature] = decoded.value
    expect(txBytes.buffer).not.toBe(signed.signedBytes.buffer)
    expect(signature.buffer).not.toBe(txBytes.buffer)
    expect(txBytes.buffer.byteLength).toBe(txBytes.length)
  })

  it('refuses oversized input as before, without copying it', () => {
    const big = new Uint8Array(9000)
    const decoded = decodeSignedTx(big)
    expect(decoded.ok ? 'ok' : decoded.error.code).toBe('CODEC_TOO_LARGE')
  })
})
