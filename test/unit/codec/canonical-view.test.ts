/**
 * Goal: `encodeCanonicalView` gives the canonical bytes without a copy, and later encodings never
 * change them (the encoder writes each value after the last one, and starts a new buffer when one
 * is full); `encodeCanonical` gives a copy that owns its buffer; a decode still refuses bytes that
 * are not the canonical encoding, now that it compares against a view.
 * Method: encode many values after a view was taken, enough to fill several of the encoder's 8 KiB
 * buffers and one large value that makes it grow, and compare the first view with bytes written by
 * hand from the msgpack spec.
 */
import { describe, expect, it } from 'vitest'
import {
  decodeCanonical,
  encodeCanonical,
  encodeCanonicalView,
} from '../../../src/codec/canonical.ts'
import { bytes, str, tuple, u32 } from '../../../src/codec/schema.ts'

const PAIR = tuple(u32(), str(64))
// msgpack: fixarray of 2 (0x92), positive fixint 7, fixstr of 3 bytes (0xa3) "abc".
const PAIR_7_ABC = Uint8Array.from([0x92, 0x07, 0xa3, 0x61, 0x62, 0x63])
const BLOB = bytes(0, 1 << 20)

describe('encodeCanonicalView', () => {
  it('gives the canonical bytes, unchanged by any later encoding', () => {
    const view = encodeCanonicalView(PAIR, [7, 'abc'])
    expect([...view]).toEqual([...PAIR_7_ABC])
    // Fill several 8 KiB buffers, then force a growth with one value larger than a buffer.
    for (let i = 0; i < 5_000; i++) encodeCanonicalView(PAIR, [i, 'x'.repeat(i % 64)])
    encodeCanonicalView(BLOB, new Uint8Array(100_000).fill(0xee))
    for (let i = 0; i < 5_000; i++) encodeCanonical(PAIR, [i, 'y'.repeat(i % 64)])
    expect([...view]).toEqual([...PAIR_7_ABC])
  })

  it('is a plain Uint8Array, while encodeCanonical returns a copy that owns its buffer', () => {
    const view = encodeCanonicalView(PAIR, [7, 'abc'])
    expect(Object.getPrototypeOf(view)).toBe(Uint8Array.prototype)
    const copy = encodeCanonical(PAIR, [7, 'abc'])
    expect(Object.getPrototypeOf(copy)).toBe(Uint8Array.prototype)
    expect(copy.byteOffset).toBe(0)
    expect(copy.buffer.byteLength).toBe(PAIR_7_ABC.length)
    expect([...copy]).toEqual([...PAIR_7_ABC])
  })

  it('leaves decoding strict: a non-minimal integer is refused, the canonical form is read', () => {
    // 7 as uint8 (0xcc 0x07) instead of a positive fixint.
    const padded = Uint8Array.from([0x92, 0xcc, 0x07, 0xa3, 0x61, 0x62, 0x63])
    const refused = decodeCanonical(PAIR, padded, 64)
    expect(refused.ok).toBe(false)
    if (!refused.ok) expect(refused.error.code).toBe('CODEC_NON_CANONICAL')
    expect(decodeCanonical(PAIR, PAIR_7_ABC, 64)).toEqual({ ok: true, value: [7, 'abc'] })
  })
})
