/**
 * Goal: client keys round-trip through the encrypted keystore only with the right password, and the
 * tx builder produces txs that the node-side door check accepts; JSON views and decimal parsing are
 * exact.
 * Method: fixed keys; low scrypt cost for speed; decode and verify built txs with checkSignedTx.
 */
import { describe, expect, it } from 'vitest'
import { formatDecimal, parseDecimal, toJson } from '../../../src/codec/json.ts'
import { generateKeyPair, keyPairOf, openKeystore, sealKeystore } from '../../../src/client/keys.ts'
import { signedTx } from '../../../src/client/tx-builder.ts'
import { checkSignedTx } from '../../../src/crypto/tx-signature.ts'
import { toHex } from '../../../src/util/bytes.ts'
import { testKey } from '../../support/fixtures.ts'

describe('keystore', () => {
  const keys = keyPairOf(testKey('client').secretKey)
  const store = sealKeystore(keys, 'correct horse', 1 << 4)

  it('opens with the right password', () => {
    const opened = openKeystore(JSON.parse(JSON.stringify(store)), 'correct horse')
    expect(opened.ok && toHex(opened.value.secretKey)).toBe(toHex(keys.secretKey))
    expect(store.address).toBe(toHex(testKey('client').address))
  })

  it('refuses a wrong password, a modified file and garbage with coded errors', () => {
    const wrong = openKeystore(store, 'wrong')
    expect(wrong.ok ? 'opened' : wrong.error.code).toBe('KEYSTORE_WRONG_PASSWORD')
    const swapped = openKeystore(
      { ...store, address: toHex(testKey('other').address) },
      'correct horse',
    )
    expect(swapped.ok ? 'opened' : swapped.error.code).toBe('KEYSTORE_WRONG_PASSWORD')
    for (const bad of [
      null,
      42,
      {},
      { ...store, version: 2 },
      { ...store, kdf: { ...store.kdf, n: 3 } },
    ]) {
      const result = openKeystore(bad, 'correct horse')
      expect(result.ok ? 'opened' : result.error.code, JSON.stringify(bad)).toBe(
        'KEYSTORE_MALFORMED',
      )
    }
  })

  it('generates distinct valid keys', () => {
    const a = generateKeyPair()
    const b = generateKeyPair()
    expect(a.addressHex).toMatch(/^[0-9a-f]{40}$/)
    expect(a.addressHex).not.toBe(b.addressHex)
  })
})

describe('tx builder', () => {
  const keys = keyPairOf(testKey('builder').secretKey)

  it('builds a signed transfer the door check accepts, with a random salt by default', () => {
    const options = { chainId: 'pointsnode-test', expiresAtHeight: 20 }
    const body = { pointType: 'ACME', to: testKey('bob').address, amount: 5n }
    const a = signedTx(keys, 'points.transfer', body, options)
    const b = signedTx(keys, 'points.transfer', body, options)
    const checked = checkSignedTx(a.signedBytes, 'pointsnode-test', 10)
    expect(checked.ok ? checked.value.tx.kind : checked.error.code).toBe('points.transfer')
    expect(toHex(a.txId)).not.toBe(toHex(b.txId))
  })
})

describe('decimal and JSON views', () => {
  it('parses decimals exactly and refuses bad forms', () => {
    expect(parseDecimal('12.5', 2)).toBe(1250n)
    expect(parseDecimal('0.01', 2)).toBe(1n)
    expect(parseDecimal('7', 0)).toBe(7n)
    expect(parseDecimal('123456789012345678.99', 2)).toBe(12345678901234567899n)
    for (const bad of ['-1', '1.234', '1e3', '', '01', ' 1', '1.', '.5', 'NaN']) {
      expect(parseDecimal(bad, 2), bad).toBeNull()
    }
  })

  it('formats minor units', () => {
    expect(formatDecimal(1250n, 2)).toBe('12.50')
    expect(formatDecimal(5n, 3)).toBe('0.005')
    expect(formatDecimal(7n, 0)).toBe('7')
  })

  it('renders bigints as strings and bytes as hex', () => {
    expect(toJson({ a: 5n, b: Uint8Array.of(1, 255), c: [null, true, 3] })).toEqual({
      a: '5',
      b: '01ff',
      c: [null, true, 3],
    })
  })
})
