/**
 * Goal: voucher details sealed to the operator open only with the operator's key and the same
 * voucher digest, and any tampering is detected with a coded error.
 * Method: seal with fixed randomness, open with right and wrong keys/digests, flip every byte.
 */
import { describe, expect, it } from 'vitest'
import { openVoucherDetail, sealVoucherDetail } from '../../../src/crypto/voucher-box.ts'
import { utf8 } from '../../../src/util/bytes.ts'
import { testKey } from '../../support/fixtures.ts'

const operator = testKey('operator')
const digest = new Uint8Array(32).fill(9)
const plaintext = utf8('sales order SO-1: 120 units, invoice INV-9')
const randomness = {
  ephemeralSecretKey: testKey('ephemeral').secretKey,
  nonce: new Uint8Array(12).fill(3),
}

describe('voucher box', () => {
  const box = sealVoucherDetail(plaintext, operator.publicKey, digest, randomness)

  it('opens with the operator key and the same digest', () => {
    const opened = openVoucherDetail(box, operator.secretKey, digest)
    expect(opened.ok && new TextDecoder().decode(opened.value)).toBe(
      new TextDecoder().decode(plaintext),
    )
    expect(box.length).toBe(1 + 33 + 12 + plaintext.length + 16)
  })

  it('does not reveal the plaintext', () => {
    expect(Buffer.from(box).includes(Buffer.from('SO-1'))).toBe(false)
  })

  it('refuses another key or another voucher digest', () => {
    const wrongKey = openVoucherDetail(box, testKey('mallory').secretKey, digest)
    expect(wrongKey.ok ? 'opened' : wrongKey.error.code).toBe('VOUCHER_BOX_AUTH_FAILED')
    const wrongDigest = openVoucherDetail(box, operator.secretKey, new Uint8Array(32))
    expect(wrongDigest.ok ? 'opened' : wrongDigest.error.code).toBe('VOUCHER_BOX_AUTH_FAILED')
  })

  it('detects a change to any byte', () => {
    for (let i = 0; i < box.length; i++) {
      const tampered = box.slice()
      tampered[i] = tampered[i]! ^ 0x01
      const result = openVoucherDetail(tampered, operator.secretKey, digest)
      expect(result.ok, `byte ${i}`).toBe(false)
    }
  })

  it('refuses truncated boxes as malformed', () => {
    const result = openVoucherDetail(box.slice(0, 40), operator.secretKey, digest)
    expect(result.ok ? 'opened' : result.error.code).toBe('VOUCHER_BOX_MALFORMED')
  })

  it('uses fresh randomness by default', () => {
    const a = sealVoucherDetail(plaintext, operator.publicKey, digest)
    const b = sealVoucherDetail(plaintext, operator.publicKey, digest)
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false)
  })
})
