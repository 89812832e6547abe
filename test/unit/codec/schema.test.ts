/**
 * Goal: a schema names where a value is wrong with the same path whether it parses (decoding) or
 * only checks (the encoder's assertion), from the leaf up (`.field`, `[i]`); `check` accepts what
 * `parse` accepts; a decode error carries the full path under `$`.
 * Method: a nested schema and the tx schema with hand-made wire values, each wrong in one place;
 * expected paths written by hand.
 */
import { describe, expect, it } from 'vitest'
import { decodeCanonical, encodeCanonical } from '../../../src/codec/canonical.ts'
import {
  bigint,
  bytes,
  list,
  nullable,
  str,
  struct,
  tuple,
  u32,
  type Schema,
} from '../../../src/codec/schema.ts'
import { TX_SCHEMA } from '../../../src/codec/tx.ts'
import { sampleTx, testKey } from '../../support/fixtures.ts'

const LINE = struct('line', { sku: str(8), amount: bigint(1n, 1000n) })
const ORDER = struct('order', {
  id: u32(),
  lines: list(LINE, 4),
  note: nullable(str(16)),
  pair: tuple(bytes(2), u32(0, 9)),
})
const goodWire = [
  7,
  [
    ['a', 5n],
    ['b', 6n],
  ],
  null,
  [Uint8Array.of(1, 2), 3],
]

function faultOf(schema: Schema<unknown>, wire: unknown): { parse: string; check: string } {
  const parsed = schema.parse(wire)
  const checked = schema.check(wire)
  return {
    parse: parsed.ok ? 'ok' : `${parsed.fault.path} ${parsed.fault.expected}`,
    check: checked === null ? 'ok' : `${checked.path} ${checked.expected}`,
  }
}

describe('schema faults', () => {
  it('accepts a good value in both parse and check, and parses it to the object', () => {
    expect(faultOf(ORDER, goodWire)).toEqual({ parse: 'ok', check: 'ok' })
    const parsed = ORDER.parse(goodWire)
    expect(parsed.ok && parsed.value).toEqual({
      id: 7,
      lines: [
        { sku: 'a', amount: 5n },
        { sku: 'b', amount: 6n },
      ],
      note: null,
      pair: [Uint8Array.of(1, 2), 3],
    })
  })

  it('names the same path from parse and from check', () => {
    const cases: [unknown, string][] = [
      [
        [
          7,
          [
            ['a', 5n],
            ['b', 0n],
          ],
          null,
          [Uint8Array.of(1, 2), 3],
        ],
        '.lines[1].amount bigint in 1..1000',
      ],
      [[7, [['a', 5n]], 5, [Uint8Array.of(1, 2), 3]], '.note string of length <= 16'],
      [[7, [['a', 5n]], null, [Uint8Array.of(1), 3]], '.pair[0] 2 bytes'],
      [[7, [['a', 5n]], null, [Uint8Array.of(1, 2), 10]], '.pair[1] uint32 in 0..9'],
      [
        [7, new Array(5).fill(['a', 5n]), null, [Uint8Array.of(1, 2), 3]],
        '.lines list of <= 4 line(sku, amount)',
      ],
      [[7, [['a', 5n]], null], ' order(id, lines, note, pair)'],
      [[-1, [], null, [Uint8Array.of(1, 2), 3]], '.id uint32 in 0..4294967295'],
    ]
    for (const [wire, expected] of cases) {
      expect(faultOf(ORDER, wire), expected).toEqual({ parse: expected, check: expected })
    }
  })

  it('puts $ in front of the path of a decode error, and the encoder asserts the same path', () => {
    const bad = {
      id: 1,
      lines: [{ sku: 'toolongsku', amount: 1n }],
      note: null,
      pair: [Uint8Array.of(1, 2), 1],
    }
    expect(() => encodeCanonical(ORDER, bad as never)).toThrow(
      'encode: $.lines[0].sku is not string',
    )
    const wire = encodeCanonical(
      tuple(u32(), list(tuple(str(16), bigint()), 4), nullable(str(16)), tuple(bytes(2), u32())),
      [1, [['toolongsku', 1n]], null, [Uint8Array.of(1, 2), 1]],
    )
    const decoded = decodeCanonical(ORDER, wire, 1024)
    expect(decoded.ok).toBe(false)
    if (!decoded.ok) {
      expect(decoded.error.code).toBe('CODEC_SHAPE')
      expect(decoded.error.fault?.path).toBe('$.lines[0].sku')
      expect(decoded.error.message).toBe('$.lines[0].sku: expected string of length <= 8')
    }
  })

  it('checks a tx with the body schema its kind selects', () => {
    const wire = TX_SCHEMA.toWire(sampleTx('points.transfer', testKey('alice'))) as unknown[]
    expect(TX_SCHEMA.check(wire)).toBeNull()
    const badBody = structuredClone(wire)
    ;(badBody[3] as unknown[])[2] = 0n
    expect(faultOf(TX_SCHEMA, badBody)).toEqual({
      parse: expect.stringMatching(/^\.body\.amount /),
      check: expect.stringMatching(/^\.body\.amount /),
    })
    const badKind = structuredClone(wire)
    badKind[2] = 'points.steal'
    expect(faultOf(TX_SCHEMA, badKind).check).toMatch(/^\.kind one of /)
    expect(faultOf(TX_SCHEMA, badKind).parse).toMatch(/^\.kind one of /)
    expect(faultOf(TX_SCHEMA, wire.slice(0, 6))).toEqual({
      parse: ' tx tuple(7)',
      check: ' tx tuple(7)',
    })
  })
})
