/**
 * Goal: `toHex` gives node:crypto's lowercase hex for every byte value and length (it is built from
 * ASCII codes, not by appending), and `fromHex` inverts it.
 * Method: Buffer's own hex encoding as the reference (the code under test does not use Buffer).
 */
import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../../../src/util/bytes.ts'

describe('toHex and fromHex', () => {
  it('match Buffer hex for every byte value and for lengths 0..70', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i)
    expect(toHex(all)).toBe(Buffer.from(all).toString('hex'))
    for (let n = 0; n <= 70; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n * 11) & 255)
      const hex = toHex(bytes)
      expect(hex, `length ${n}`).toBe(Buffer.from(bytes).toString('hex'))
      expect(fromHex(hex)).toEqual(bytes)
    }
  })

  it('reads only the view of a sub-array', () => {
    const backing = Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0x01)
    expect(toHex(backing.subarray(1, 4))).toBe('adbeef')
  })
})
