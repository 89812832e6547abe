/**
 * Goal: `WordHasher` computes exactly sha256(tag ‖ 64 bytes) (or 4..64 bytes in whole words) for
 * any tag length it accepts and any input words, including after other inputs (no state leaks
 * between calls), and agrees with the FIPS 180-4 example for "abc" padded into the fixed-length
 * form.
 * Method: fast-check (fixed seed) against noble's sha256 over the same bytes; tag lengths 0..128
 * cover one, two and three message blocks and every padding boundary.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { WORD_HASH_TAG_BYTES_MAX, WordHasher } from '../../src/codec/word-hash.ts'
import { concatBytes, toHex } from '../../src/util/bytes.ts'

const SEED = 20261205

function wordsToBytes(words: Int32Array | readonly number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4)
  const view = new DataView(out.buffer)
  words.forEach((w, i) => {
    view.setInt32(i * 4, w)
  })
  return out
}

describe('WordHasher', () => {
  it('matches noble for every tag length and random words, call after call', () => {
    const tagLength = fc.integer({ min: 0, max: WORD_HASH_TAG_BYTES_MAX })
    const words = fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), {
      minLength: 16,
      maxLength: 16,
    })
    fc.assert(
      fc.property(
        tagLength.chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
        fc.array(words, { minLength: 1, maxLength: 4 }),
        (tag, inputs) => {
          const hasher = new WordHasher(tag)
          for (const input of inputs) {
            hasher.input.set(input)
            hasher.hash()
            const expected = sha256(concatBytes(tag, wordsToBytes(input)))
            expect(toHex(wordsToBytes(hasher.out))).toBe(toHex(expected))
          }
        },
      ),
      { seed: SEED, numRuns: 2_000 },
    )
  })

  it('matches noble for every input length of 1..16 words (Merkle leaves use 8)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.integer({ min: 1, max: 16 }).chain((n) =>
          fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), {
            minLength: n,
            maxLength: n,
          }),
        ),
        (tag, input) => {
          const hasher = new WordHasher(tag, input.length)
          hasher.input.set(input)
          hasher.hash()
          const expected = sha256(concatBytes(tag, wordsToBytes(input)))
          expect(toHex(wordsToBytes(hasher.out))).toBe(toHex(expected))
        },
      ),
      { seed: SEED, numRuns: 1_000 },
    )
    for (const words of [0, 17, 1.5])
      expect(() => new WordHasher(new Uint8Array(1), words)).toThrow()
  })

  it('gives the published digest of a known message', () => {
    // sha256 of 64 zero bytes (FIPS 180-4 padding of a full block), a well-known value.
    const hasher = new WordHasher(new Uint8Array(0))
    hasher.hash()
    expect(toHex(wordsToBytes(hasher.out))).toBe(
      'f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b',
    )
  })

  it('refuses a tag longer than the bound', () => {
    expect(() => new WordHasher(new Uint8Array(WORD_HASH_TAG_BYTES_MAX + 1))).toThrow(/tag/)
  })
})
