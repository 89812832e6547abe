/**
 * Goal: the reusable hashers of src/codec/hash.ts (`buildTaggedHasher`, `buildPlainHasher`, and the
 * per-tag ones behind `hashTagged` and `sha256Plain`) compute exactly sha256 over `tag ‖ parts`, for
 * any number and length of parts, interleaved use of several hashers does not mix their states, and
 * a digest stays valid after later calls (a hasher reuses its own buffer, so it must return a copy).
 * Method: compare against noble's one-shot sha256 over the concatenation (with the literal tag text)
 * for every input length 0..200 and for random multi-part inputs from fast-check.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  buildPlainHasher,
  buildTaggedHasher,
  hashTagged,
  sha256Plain,
} from '../../../src/codec/hash.ts'
import { concatBytes, toHex, utf8 } from '../../../src/util/bytes.ts'

describe('reusable hashers', () => {
  it('equal one-shot sha256 for every length 0..200 (one and two blocks and padding edges)', () => {
    const plain = buildPlainHasher()
    const node = buildTaggedHasher('stateNode')
    for (let n = 0; n <= 200; n++) {
      const input = Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 255)
      expect(toHex(plain(input)), `plain length ${n}`).toBe(toHex(sha256(input)))
      const tagged = sha256(concatBytes(utf8('pointsnode/state-node#'), input))
      expect(toHex(node(input)), `tagged length ${n}`).toBe(toHex(tagged))
    }
  })

  it('equal hashTagged for random parts, interleaved across hashers', () => {
    const leaf = buildTaggedHasher('stateLeaf')
    const node = buildTaggedHasher('stateNode')
    const plain = buildPlainHasher()
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 4 }), (parts) => {
        const oneShot = (tag: string): string => toHex(sha256(concatBytes(utf8(tag), ...parts)))
        expect(toHex(leaf(...parts))).toBe(oneShot('pointsnode/state-leaf#'))
        expect(toHex(hashTagged('tx', ...parts))).toBe(oneShot('pointsnode/tx'))
        expect(toHex(plain(...parts))).toBe(oneShot(''))
        expect(toHex(sha256Plain(concatBytes(...parts)))).toBe(oneShot(''))
        expect(toHex(node(...parts))).toBe(oneShot('pointsnode/state-node#'))
        expect(toHex(hashTagged('stateNode', ...parts))).toBe(oneShot('pointsnode/state-node#'))
      }),
      { numRuns: 300 },
    )
  })

  it('returns digests that later calls of the same hasher do not overwrite', () => {
    const node = buildTaggedHasher('stateNode')
    const a = Uint8Array.from({ length: 64 }, (_, i) => i)
    const b = Uint8Array.from({ length: 64 }, (_, i) => 255 - i)
    const tag = utf8('pointsnode/state-node#')
    for (const hash of [node, (x: Uint8Array) => hashTagged('stateNode', x)]) {
      const first = hash(a)
      const second = hash(b)
      expect(toHex(first)).toBe(toHex(sha256(concatBytes(tag, a))))
      expect(toHex(second)).toBe(toHex(sha256(concatBytes(tag, b))))
      expect(first.buffer).not.toBe(second.buffer)
    }
  })
})
