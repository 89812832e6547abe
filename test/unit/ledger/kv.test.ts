/**
 * Goal: `MemoryKvStore` and `LevelKvStore` have the same semantics (missing key → undefined, atomic
 * batches, bounded ordered ranges with every bound kind and reverse, getMany, getSync, chunked scans).
 * Method: fixed cases on both stores, then a fast-check property that runs random op sequences on
 * both and compares every range answer with a brute-force model (sorted hex map).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { assertUniqueKeys } from '../../../src/ledger/indexes.ts'
import { openLevelKvStore } from '../../../src/ledger/kv-level.ts'
import { MemoryKvStore } from '../../../src/ledger/kv-memory.ts'
import { scanRange, type KvRange, type KvStore } from '../../../src/ledger/kv.ts'
import { toHex } from '../../../src/util/bytes.ts'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function levelStore(): Promise<KvStore> {
  const dir = await mkdtemp(join(tmpdir(), 'pointsnode-kv-'))
  dirs.push(dir)
  return openLevelKvStore(join(dir, 'db'))
}

const b = (...xs: number[]): Uint8Array => Uint8Array.from(xs)
const keysOf = (entries: { key: Uint8Array }[]): string[] => entries.map((e) => toHex(e.key))

const STORES: [string, () => Promise<KvStore>][] = [
  ['memory', () => Promise.resolve(new MemoryKvStore())],
  ['level', levelStore],
]

describe.each(STORES)('%s store', (_name, make) => {
  it('reads undefined for missing keys and applies batches atomically', async () => {
    const kv = await make()
    expect(await kv.get(b(1))).toBeUndefined()
    await kv.batch(
      [
        { type: 'put', key: b(1), value: b(10) },
        { type: 'put', key: b(2), value: b(20) },
        { type: 'del', key: b(3) },
      ],
      { sync: true },
    )
    expect(await kv.get(b(1))).toEqual(b(10))
    expect(kv.getSync?.(b(2))).toEqual(b(20))
    expect(kv.getSync?.(b(9))).toBeUndefined()
    expect(await kv.getMany([b(2), b(3), b(1)])).toEqual([b(20), undefined, b(10)])
    await kv.batch(
      [
        { type: 'del', key: b(1) },
        { type: 'put', key: b(2), value: b(21) },
      ],
      { sync: false },
    )
    expect(await kv.get(b(1))).toBeUndefined()
    expect(await kv.get(b(2))).toEqual(b(21))
    await kv.close()
  })

  it('returns plain Uint8Array copies (not Buffers) that callers cannot alias', async () => {
    const kv = await make()
    const value = b(5, 6)
    await kv.batch([{ type: 'put', key: b(1), value }], { sync: false })
    value[0] = 99
    const got = await kv.get(b(1))
    expect(got).toEqual(b(5, 6))
    expect(Object.getPrototypeOf(got)).toBe(Uint8Array.prototype)
    await kv.close()
  })

  it('honours every range bound, reverse order and the limit', async () => {
    const kv = await make()
    const keys = [b(1), b(1, 0), b(1, 5), b(2), b(2, 255), b(3)]
    await kv.batch(
      keys.map((key, i) => ({ type: 'put' as const, key, value: b(i) })),
      { sync: false },
    )
    expect(keysOf(await kv.range({ limit: 100 }))).toEqual([
      '01',
      '0100',
      '0105',
      '02',
      '02ff',
      '03',
    ])
    expect(keysOf(await kv.range({ gte: b(1, 0), lt: b(2, 255), limit: 100 }))).toEqual([
      '0100',
      '0105',
      '02',
    ])
    expect(keysOf(await kv.range({ gt: b(1, 0), lte: b(2, 255), limit: 100 }))).toEqual([
      '0105',
      '02',
      '02ff',
    ])
    expect(keysOf(await kv.range({ gte: b(1), lt: b(3), limit: 2 }))).toEqual(['01', '0100'])
    expect(keysOf(await kv.range({ gte: b(1), lt: b(3), reverse: true, limit: 2 }))).toEqual([
      '02ff',
      '02',
    ])
    expect(keysOf(await kv.range({ gt: b(1), lte: b(2), reverse: true, limit: 10 }))).toEqual([
      '02',
      '0105',
      '0100',
    ])
    expect(keysOf(await kv.range({ lt: b(0, 9), limit: 10 }))).toEqual([])
    expect(keysOf(await kv.range({ reverse: true, limit: 1 }))).toEqual(['03'])
    await kv.close()
  })

  it('answers a range longer than one native read, up to its limit, in either order', async () => {
    // 2,500 entries of 4 bytes: the LevelDB store reads them LEVEL_NEXTV_ENTRIES_MAX at a time.
    const kv = await make()
    const keys = Array.from({ length: 2500 }, (_, i) => b(9, i >> 8, i & 255))
    await kv.batch(
      keys.map((key) => ({ type: 'put' as const, key, value: b(1) })),
      { sync: false },
    )
    const all = keys.map(toHex)
    expect(keysOf(await kv.range({ gte: b(9), lt: b(10), limit: 100_000 }))).toEqual(all)
    expect(keysOf(await kv.range({ gte: b(9), lt: b(10), limit: 1234 }))).toEqual(
      all.slice(0, 1234),
    )
    const reversed = await kv.range({ gte: b(9), lt: b(10), reverse: true, limit: 2001 })
    expect(keysOf(reversed)).toEqual(all.slice(-2001).reverse())
    await kv.close()
  })

  it('scans a range in chunks without repeating or skipping keys', async () => {
    const kv = await make()
    const ops = Array.from({ length: 250 }, (_, i) => ({
      type: 'put' as const,
      key: b(7, i >> 8, i & 255),
      value: b(i & 255),
    }))
    await kv.batch(ops, { sync: false })
    const seen: string[] = []
    for await (const e of scanRange(kv, b(7), b(8), 16)) seen.push(toHex(e.key))
    expect(seen).toEqual(ops.map((o) => toHex(o.key)))
    await kv.close()
  })
})

const keyArb = fc.uint8Array({ minLength: 1, maxLength: 3, max: 4 })
const opArb = fc.oneof(
  fc.record({
    type: fc.constant('put' as const),
    key: keyArb,
    value: fc.uint8Array({ maxLength: 3 }),
  }),
  fc.record({ type: fc.constant('del' as const), key: keyArb }),
)
const rangeArb = fc.record({
  lower: fc.option(fc.tuple(fc.boolean(), keyArb), { nil: undefined }),
  upper: fc.option(fc.tuple(fc.boolean(), keyArb), { nil: undefined }),
  reverse: fc.boolean(),
  limit: fc.integer({ min: 0, max: 20 }),
})

/** A range inside `prefix`: given bounds are prefixed, missing ones default to the prefix range. */
function scopedRange(
  prefix: Uint8Array,
  r: {
    lower: [boolean, Uint8Array] | undefined
    upper: [boolean, Uint8Array] | undefined
    reverse: boolean
    limit: number
  },
): KvRange {
  const scope = (k: Uint8Array): Uint8Array => new Uint8Array([...prefix, ...k])
  const end = new Uint8Array([prefix[0]!, prefix[1]! + 1])
  const lower = r.lower
    ? r.lower[0]
      ? { gte: scope(r.lower[1]) }
      : { gt: scope(r.lower[1]) }
    : { gte: prefix }
  const upper = r.upper
    ? r.upper[0]
      ? { lte: scope(r.upper[1]) }
      : { lt: scope(r.upper[1]) }
    : { lt: end }
  return { ...lower, ...upper, reverse: r.reverse, limit: r.limit }
}

function bruteRange(model: Map<string, Uint8Array>, range: KvRange): string[] {
  const keys = [...model.keys()].sort()
  const inRange = (h: string): boolean =>
    (range.gte === undefined || h >= toHex(range.gte)) &&
    (range.gt === undefined || h > toHex(range.gt)) &&
    (range.lt === undefined || h < toHex(range.lt)) &&
    (range.lte === undefined || h <= toHex(range.lte))
  const selected = keys.filter(inRange)
  if (range.reverse) selected.reverse()
  return selected.slice(0, range.limit)
}

describe('level store batches', () => {
  it('write nothing of a batch with a bad op, report LEDGER_KV_WRITE and stay usable', async () => {
    const kv = await levelStore()
    await kv.batch([{ type: 'put', key: b(1), value: b(10) }], { sync: true })
    const bad = [
      { type: 'put', key: b(2), value: b(20) },
      { type: 'del', key: b(1) },
      // Not a byte string: LevelDB refuses it after the two ops above were queued.
      { type: 'put', key: b(3), value: undefined as unknown as Uint8Array },
    ] as const
    await expect(kv.batch(bad, { sync: true })).rejects.toMatchObject({ code: 'LEDGER_KV_WRITE' })
    expect(await kv.getMany([b(1), b(2), b(3)]), 'nothing of the failed batch').toEqual([
      b(10),
      undefined,
      undefined,
    ])
    await kv.batch([{ type: 'put', key: b(2), value: b(22) }], { sync: true })
    expect(await kv.get(b(2)), 'the next batch is written').toEqual(b(22))
    await kv.close()
  })
})

describe('assertUniqueKeys', () => {
  it('refuses a batch that writes one key twice, also from views into larger arrays', () => {
    const backing = b(9, 1, 2, 3, 9)
    const view = backing.subarray(1, 4)
    expect(() => {
      assertUniqueKeys([
        { type: 'put', key: b(1, 2, 3), value: b(1) },
        { type: 'del', key: view },
      ])
    }).toThrow(/batch writes key 010203 twice/)
    expect(() => {
      assertUniqueKeys([
        { type: 'put', key: b(1, 2, 3), value: b(1) },
        { type: 'put', key: b(1, 2), value: b(1) },
        { type: 'put', key: backing.subarray(0, 4), value: b(1) },
        { type: 'put', key: b(0x31, 0x32), value: b(1) },
        { type: 'put', key: b(255, 0), value: b(1) },
        { type: 'put', key: b(255), value: b(1) },
      ])
    }, 'distinct keys, also ones that share a prefix').not.toThrow()
  })

  it('tells apart distinct keys whose 32-bit FNV-1a hashes collide, and finds a repeat among them', () => {
    // An independent FNV-1a, and the first colliding pair among pseudo-random 8-byte keys (a
    // birthday search: about 77,000 keys on average; FNV-1a has no collision among keys of one
    // length up to 4 bytes).
    const fnv = (key: Uint8Array): number => {
      let h = 0x811c9dc5
      for (const byte of key) h = Math.imul(h ^ byte, 0x01000193)
      return h >>> 0
    }
    let x = 0x12345678
    const next = (): number => {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      return x >>> 0
    }
    const seen = new Map<number, Uint8Array>()
    let pair: [Uint8Array, Uint8Array] | undefined
    for (let n = 0; pair === undefined && n < 1 << 22; n++) {
      const key = new Uint8Array(new Uint32Array([next(), next()]).buffer)
      const other = seen.get(fnv(key))
      if (other !== undefined) pair = [other, key]
      else seen.set(fnv(key), key)
    }
    expect(pair).toBeDefined()
    const [first, second] = pair!
    expect(first).not.toEqual(second)
    const put = (key: Uint8Array) => ({ type: 'put' as const, key, value: b(1) })
    expect(() => {
      assertUniqueKeys([put(first), put(second)])
    }).not.toThrow()
    expect(() => {
      assertUniqueKeys([put(first), put(second), put(second.slice())])
    }).toThrow(/twice/)
    expect(() => {
      assertUniqueKeys([put(second), put(first), put(b(7)), put(first.slice())])
    }).toThrow(/twice/)
  })
})

describe('memory and level stores agree with a brute-force model', () => {
  it('on random batches and ranges', async () => {
    const level = await levelStore()
    let round = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(opArb, { maxLength: 8 }), { maxLength: 6 }),
        fc.array(rangeArb, { maxLength: 6 }),
        async (batches, ranges) => {
          round++
          const prefix = b(round >> 8, round & 255)
          const memory = new MemoryKvStore()
          const model = new Map<string, Uint8Array>()
          for (const batch of batches) {
            const scoped = batch.map((op) => ({
              ...op,
              key: new Uint8Array([...prefix, ...op.key]),
            }))
            await memory.batch(scoped, { sync: false })
            await level.batch(scoped, { sync: false })
            for (const op of scoped) {
              if (op.type === 'put') model.set(toHex(op.key), op.value)
              else model.delete(toHex(op.key))
            }
          }
          for (const r of ranges) {
            const range = scopedRange(prefix, r)
            const expected = bruteRange(model, range)
            expect(keysOf(await memory.range(range)), `memory ${JSON.stringify(range)}`).toEqual(
              expected,
            )
            expect(keysOf(await level.range(range)), `level ${JSON.stringify(range)}`).toEqual(
              expected,
            )
          }
          const all = [...model.keys()].sort()
          const whole = {
            gte: prefix,
            lt: new Uint8Array([prefix[0]!, prefix[1]! + 1]),
            limit: 1000,
          }
          expect(keysOf(await memory.range(whole))).toEqual(all)
          expect(keysOf(await level.range(whole))).toEqual(all)
        },
      ),
      { numRuns: 60 },
    )
    await level.close()
  })
})
