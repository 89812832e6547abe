/**
 * Goal: `toHex` gives node:crypto's lowercase hex for every byte value and length (it is built from
 * ASCII codes, not by appending), and `fromHex` inverts it and refuses exactly what `isHex` refuses.
 * Method: Buffer's own hex encoding as the reference (the code under test does not use Buffer);
 * for refusals, every character that is not a lowercase hex digit at every position, and random
 * strings (fast-check) against `isHex`, whose pattern is the documented rule.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromHex, isHex, toHex } from '../../../src/util/bytes.ts'
import { AssertionError } from '../../../src/util/assert.ts'

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

  it('refuses any string that is not even-length lowercase hex, at any position', () => {
    expect(() => fromHex('abc')).toThrow(AssertionError)
    const good = 'deadbeef'
    const others = [...Array.from('ABCDEFGghxz /:@`{'), '\u0000', '\u00e9', '\u0130', '\uffff']
    for (const char of others) {
      for (let at = 0; at < good.length; at++) {
        const text = good.slice(0, at) + char + good.slice(at + 1)
        if (text.length % 2 === 0)
          expect(() => fromHex(text), JSON.stringify(text)).toThrow(AssertionError)
      }
    }
    // A code point beyond 0xffff takes two UTF-16 units: replace a whole byte with it.
    expect(() => fromHex('de\u{1f600}ef')).toThrow(AssertionError)
  })

  it('parses exactly the strings isHex accepts, as Buffer does', () => {
    const hexish = fc.string({
      unit: fc.constantFrom(...Array.from('0123456789abcdefAFgz')),
      maxLength: 12,
    })
    fc.assert(
      fc.property(fc.oneof(hexish, fc.string({ maxLength: 12 })), (text) => {
        if (isHex(text)) expect(fromHex(text)).toEqual(new Uint8Array(Buffer.from(text, 'hex')))
        else expect(() => fromHex(text)).toThrow(AssertionError)
      }),
      { numRuns: 2000 },
    )
  })
})
