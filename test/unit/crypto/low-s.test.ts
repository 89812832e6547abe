/**
 * Goal: `isLowS` accepts exactly the signatures whose s is in 1..n/2 (SPEC: one accepted form per
 * signature), at the edges of that range too.
 * Method: s values built with bigint arithmetic from the curve order as written in SEC 2, placed in
 * the second half of a 64-byte signature; r is irrelevant and left arbitrary.
 */
import { describe, expect, it } from 'vitest'
import { isLowS } from '../../../src/crypto/secp256k1.ts'

// SEC 2, section 2.4.1: the order n of secp256k1's base point.
const N = BigInt('0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141')

function signatureWithS(s: bigint): Uint8Array {
  const out = new Uint8Array(64).fill(0x5a)
  for (let i = 0; i < 32; i++) out[63 - i] = Number((s >> BigInt(8 * i)) & 0xffn)
  return out
}

describe('isLowS', () => {
  it('accepts s in 1..n/2 and refuses 0, n/2 + 1, n - 1 and 2^256 - 1', () => {
    const half = N / 2n
    const cases: [bigint, boolean][] = [
      [0n, false],
      [1n, true],
      [0xffn, true],
      [half - 1n, true],
      [half, true],
      [half + 1n, false],
      [N - 1n, false],
      [(1n << 256n) - 1n, false],
    ]
    for (const [s, expected] of cases) {
      expect(isLowS(signatureWithS(s)), s.toString(16)).toBe(expected)
    }
  })

  it('refuses a signature that is not 64 bytes', () => {
    expect(isLowS(signatureWithS(1n).subarray(0, 63))).toBe(false)
    expect(isLowS(new Uint8Array(65))).toBe(false)
  })
})
