/**
 * Goal: the in-memory state (a value map per key namespace plus a B+ tree of keys,
 * src/vm/memory-state.ts) answers
 * gets, range scans and `entries()` exactly like a plain model, across random sequences of write sets
 * with puts, overwrites and deletes (of present and absent keys), including bytes ≥ 0x80 and the
 * longest keys and values.
 * Method: fast-check (1,000 runs; the seed is printed on failure). The model is an array of
 * (hex key, key, value) kept sorted with `compareBytes` and filtered by byte comparison: it shares
 * no code with the state.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  STATE_KEY_BYTES_MAX,
  STATE_VALUE_BYTES_MAX,
  type StateChange,
} from '../../src/core/state.ts'
import { compareBytes, toHex } from '../../src/util/bytes.ts'
import { MemoryState } from '../../src/vm/memory-state.ts'
import { writeSetFrom } from '../support/state.ts'

// Few distinct first bytes, so that keys share prefixes and ranges cut through them (the first
// byte is the namespace: each has a value map of its own).
const keyArb = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 4, max: 3 }),
  fc.uint8Array({ minLength: 1, maxLength: 6 }),
  fc.uint8Array({ minLength: STATE_KEY_BYTES_MAX, maxLength: STATE_KEY_BYTES_MAX }),
)
const valueArb = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 200, maxLength: 300 }) },
  {
    weight: 1,
    arbitrary: fc.constant(new Uint8Array(STATE_VALUE_BYTES_MAX).fill(0xfe)),
  },
)
const writeSetArb = fc
  .uniqueArray(fc.tuple(keyArb, fc.option(valueArb, { freq: 4 })), {
    maxLength: 30,
    selector: ([key]) => toHex(key),
  })
  .map((pairs) => writeSetFrom(pairs.map(([key, value]): StateChange => ({ key, value }))))
const scanArb = fc.tuple(keyArb, fc.option(keyArb), fc.integer({ min: 0, max: 12 }))

type Model = Map<string, { key: Uint8Array; value: Uint8Array }>

/** Entries as `key=value` hex lines: a cheap exact comparison of large values. */
const lines = (entries: readonly { key: Uint8Array; value: Uint8Array }[]): string[] =>
  entries.map((e) => `${toHex(e.key)}=${toHex(e.value)}`)

function modelRange(model: Model, start: Uint8Array, end: Uint8Array | null, limit: number) {
  return [...model.values()]
    .sort((a, b) => compareBytes(a.key, b.key))
    .filter(
      (e) => compareBytes(e.key, start) >= 0 && (end === null || compareBytes(e.key, end) < 0),
    )
    .slice(0, limit)
}

describe('MemoryState against a plain model', () => {
  it('agrees on gets, ranges and entries after every write set', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(writeSetArb, scanArb), { maxLength: 12 }), (steps) => {
        const state = new MemoryState()
        const model: Model = new Map()
        for (const [writeSet, [start, end, limit]] of steps) {
          state.apply(writeSet)
          for (const { key, value } of writeSet) {
            if (value === null) model.delete(toHex(key))
            else model.set(toHex(key), { key, value })
          }
          expect(state.size).toBe(model.size)
          for (const { key } of writeSet) {
            const got = state.get(key)
            const want = model.get(toHex(key))?.value
            expect(got === undefined ? 'absent' : toHex(got)).toBe(
              want === undefined ? 'absent' : toHex(want),
            )
          }
          expect(lines(state.range(start, end, limit))).toEqual(
            lines(modelRange(model, start, end, limit)),
          )
          expect(lines(state.entries())).toEqual(
            lines(modelRange(model, new Uint8Array(0), null, model.size)),
          )
        }
      }),
      { numRuns: 1_000 },
    )
  })

  it('returns fresh arrays: changing a returned value changes nothing stored', () => {
    const state = new MemoryState()
    state.apply([{ key: Uint8Array.of(2, 0x80), value: Uint8Array.of(0xff, 1) }])
    state.get(Uint8Array.of(2, 0x80))![0] = 7
    state.range(Uint8Array.of(2), null, 1)[0]!.value[1] = 9
    expect(state.get(Uint8Array.of(2, 0x80))).toEqual(Uint8Array.of(0xff, 1))
  })
})
