/**
 * `sha256(tag ‖ 64 bytes)` (or another fixed number of words) over int32 words, without
 * allocating: the state tree's leaf and node hashes (docs/protocol/state.md#hashing), whose nodes
 * keep hashes and paths as eight int32 words each (ADR 0015), and the Merkle roots of blocks.
 * Building a tree hashes once per node, and a block's update once per changed node on every path;
 * through noble's streaming interface each hash allocated its input and output arrays and views
 * (about 16 % of the bytes a validator allocated under load, docs/BENCHMARKS.md "Cluster", seventh
 * session). This is FIPS 180-4's SHA-256 for one fixed message length; it is
 * checked against noble on random inputs (test/property/word-hash.test.ts).
 */
import { assert } from '../util/assert.ts'

// FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64
// primes.
const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
])

// FIPS 180-4 §5.3.3: the initial hash value.
const IV = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
])

/** The big-endian int32 word `index` of `bytes` (bytes 4·index … 4·index + 3). */
export function wordAt(bytes: Uint8Array, index: number): number {
  const o = index * 4
  return (bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!
}

/** Writes `value` as a big-endian int32 word into `out` at byte `offset`. */
export function putWord(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value >>> 24
  out[offset + 1] = (value >>> 16) & 0xff
  out[offset + 2] = (value >>> 8) & 0xff
  out[offset + 3] = value & 0xff
}

/** Longest tag accepted: the message stays a few blocks long (every protocol tag is shorter). */
export const WORD_HASH_TAG_BYTES_MAX = 128

/**
 * A reusable hasher of `tag ‖ input` where `input` is a fixed number of big-endian int32 words
 * (16 by default: 64 bytes; the Merkle leaves of tx ids use 8). Write the words into `input`, call
 * `hash()`, read the digest's eight big-endian words from `out`. Both arrays are overwritten by the
 * next call; the core is synchronous, so one hasher per tag and length suffices.
 */
export class WordHasher {
  /** The input bytes as big-endian words (16 unless the constructor says otherwise). */
  readonly input: Int32Array
  /** The digest as 8 big-endian words, after `hash()`. */
  readonly out = new Int32Array(8)
  readonly #message: Uint8Array
  readonly #tagLength: number
  readonly #blocks: number
  readonly #w = new Int32Array(64)

  /**
   * @throws {AssertionError} on a tag longer than WORD_HASH_TAG_BYTES_MAX, or an input other than
   * 1..16 words.
   */
  constructor(tag: Uint8Array, inputWords = 16) {
    assert(tag.length <= WORD_HASH_TAG_BYTES_MAX, `tag of ${tag.length} bytes`)
    const wordsOk = Number.isInteger(inputWords) && inputWords >= 1 && inputWords <= 16
    assert(wordsOk, `input of ${inputWords} words`)
    this.input = new Int32Array(inputWords)
    const length = tag.length + inputWords * 4
    // Padding (§5.1.1): a 1 bit, zeros, and the length in bits as 64 bits, to a multiple of 64 bytes.
    this.#blocks = Math.ceil((length + 9) / 64)
    this.#message = new Uint8Array(this.#blocks * 64)
    this.#message.set(tag, 0)
    this.#message[length] = 0x80
    const bits = length * 8
    const end = this.#message.length
    this.#message[end - 4] = bits >>> 24
    this.#message[end - 3] = (bits >>> 16) & 0xff
    this.#message[end - 2] = (bits >>> 8) & 0xff
    this.#message[end - 1] = bits & 0xff
    this.#tagLength = tag.length
  }

  /** Computes `out = sha256(tag ‖ input)`. */
  hash(): void {
    const m = this.#message
    const input = this.input
    let at = this.#tagLength
    for (let i = 0; i < input.length; i++, at += 4) {
      const v = input[i]!
      m[at] = v >>> 24
      m[at + 1] = v >>> 16
      m[at + 2] = v >>> 8
      m[at + 3] = v
    }
    const out = this.out
    out.set(IV)
    for (let block = 0; block < this.#blocks; block++) this.#compress(block * 64)
  }

  // §6.2.2 on the block of `this.#message` at `offset`, updating `this.out`.
  #compress(offset: number): void {
    const m = this.#message
    const w = this.#w
    for (let t = 0, at = offset; t < 16; t++, at += 4) {
      w[t] = (m[at]! << 24) | (m[at + 1]! << 16) | (m[at + 2]! << 8) | m[at + 3]!
    }
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15]!
      const y = w[t - 2]!
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)
      w[t] = (s1 + w[t - 7]! + s0 + w[t - 16]!) | 0
    }
    const h = this.out
    let a = h[0]!
    let b = h[1]!
    let c = h[2]!
    let d = h[3]!
    let e = h[4]!
    let f = h[5]!
    let g = h[6]!
    let k = h[7]!
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
      const ch = (e & f) ^ (~e & g)
      const t1 = (k + S1 + ch + K[t]! + w[t]!) | 0
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
      const maj = (a & b) ^ (a & c) ^ (b & c)
      const t2 = (S0 + maj) | 0
      k = g
      g = f
      f = e
      e = (d + t1) | 0
      d = c
      c = b
      b = a
      a = (t1 + t2) | 0
    }
    h[0] = (h[0]! + a) | 0
    h[1] = (h[1]! + b) | 0
    h[2] = (h[2]! + c) | 0
    h[3] = (h[3]! + d) | 0
    h[4] = (h[4]! + e) | 0
    h[5] = (h[5]! + f) | 0
    h[6] = (h[6]! + g) | 0
    h[7] = (h[7]! + k) | 0
  }
}
