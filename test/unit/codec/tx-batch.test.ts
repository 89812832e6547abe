/**
 * Goal: the batch body's wire shape bounds the list at API_TX_BATCH_MAX items (no decode of it
 * unpacks more), and `txBatchCountOf` reads the count a body's list header announces (fixarray,
 * array16, array32) without decoding the items, refusing what is not a list header with the code
 * that `decodeCanonical` gives for the same bytes.
 * Method: msgpack bodies built byte by byte (a list longer than the bound cannot be encoded with
 * the schema); counts and codes written out by hand, and compared with a full decode's code.
 */
import { describe, expect, it } from 'vitest'
import { decodeCanonical, encodeCanonical } from '../../../src/codec/canonical.ts'
import {
  API_TX_BATCH_BODY_BYTES_MAX,
  API_TX_BATCH_MAX,
  API_TX_BATCH_SCHEMA,
  txBatchCountOf,
} from '../../../src/codec/tx-batch.ts'
import { AssertionError } from '../../../src/util/assert.ts'

/** The canonical msgpack list of `count` one-byte items (bin8), header written by hand. */
function listOfOneByteItems(count: number): Uint8Array {
  const header =
    count < 16
      ? [0x90 + count]
      : count <= 0xffff
        ? [0xdc, count >> 8, count & 255]
        : [0xdd, count >>> 24, (count >> 16) & 255, (count >> 8) & 255, count & 255]
  const body = new Uint8Array(header.length + 3 * count)
  body.set(header)
  for (let i = 0; i < count; i++) body.set([0xc4, 1, i & 255], header.length + 3 * i)
  return body
}

const decode = (body: Uint8Array): ReturnType<typeof decodeCanonical<Uint8Array[]>> =>
  decodeCanonical(API_TX_BATCH_SCHEMA, body, API_TX_BATCH_BODY_BYTES_MAX)

describe('API_TX_BATCH_SCHEMA', () => {
  it(`takes ${API_TX_BATCH_MAX} items and refuses one more, decoding or encoding`, () => {
    const full = listOfOneByteItems(API_TX_BATCH_MAX)
    const decoded = decode(full)
    expect(decoded.ok && decoded.value.length).toBe(API_TX_BATCH_MAX)
    expect(decoded.ok && encodeCanonical(API_TX_BATCH_SCHEMA, decoded.value)).toEqual(full)
    const over = decode(listOfOneByteItems(API_TX_BATCH_MAX + 1))
    expect(over.ok ? 'OK' : [over.error.code, over.error.fault?.path]).toEqual(['CODEC_SHAPE', '$'])
    const items = Array.from({ length: API_TX_BATCH_MAX + 1 }, () => Uint8Array.of(1))
    expect(() => encodeCanonical(API_TX_BATCH_SCHEMA, items)).toThrow(AssertionError)
  })
})

describe('txBatchCountOf', () => {
  it('reads the count of each list header form, whatever follows the header', () => {
    const cases: [number[], number][] = [
      [[0x90], 0],
      [[0x9f], 15],
      [[0xdc, 0x00, 0x10], 16],
      [[0xdc, 0xff, 0xff], 0xffff],
      [[0xdd, 0x00, 0x0a, 0xaa, 0xa9], 699_049],
      // Above 2^31: read as an unsigned count, not a negative one.
      [[0xdd, 0xff, 0xff, 0xff, 0xff], 0xffff_ffff],
      // Not canonical and not followed by items: the header alone decides the count.
      [[0xdd, 0x00, 0x00, 0x00, 0x02, 0xc1, 0xc1], 2],
    ]
    for (const [bytes, count] of cases) {
      expect(txBatchCountOf(Uint8Array.from(bytes)), bytes.join(',')).toEqual({
        ok: true,
        value: count,
      })
    }
    expect(txBatchCountOf(listOfOneByteItems(API_TX_BATCH_MAX + 1))).toEqual({
      ok: true,
      value: API_TX_BATCH_MAX + 1,
    })
  })

  it('refuses an empty body, a header cut short and a non-list with the decode’s own code', () => {
    const cases: [number[], string][] = [
      [[], 'CODEC_MALFORMED'],
      [[0xdc], 'CODEC_MALFORMED'],
      [[0xdc, 0x04], 'CODEC_MALFORMED'],
      [[0xdd, 0x00, 0x00, 0x04], 'CODEC_MALFORMED'],
      [[0x01], 'CODEC_SHAPE'], // a number
      [[0xc4, 0x01, 0x07], 'CODEC_SHAPE'], // a byte string
      [[0x80], 'CODEC_SHAPE'], // a map
      [[0xc0], 'CODEC_SHAPE'], // nil
    ]
    for (const [bytes, code] of cases) {
      const body = Uint8Array.from(bytes)
      const read = txBatchCountOf(body)
      expect(read.ok ? 'OK' : read.error.code, bytes.join(',')).toBe(code)
      const decoded = decode(body)
      expect(decoded.ok ? 'OK' : decoded.error.code, `decode ${bytes.join(',')}`).toBe(code)
      if (code === 'CODEC_SHAPE' && !read.ok && !decoded.ok) {
        expect(read.error.fault).toEqual(decoded.error.fault)
      }
    }
  })
})
