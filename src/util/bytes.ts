/**
 * Byte helpers shared by every layer. Pure: no Node Buffer, so the client can use them in browsers.
 */
import { assert } from './assert.ts'

const HEX_CHARS = '0123456789abcdef'
const HEX_RE = /^(?:[0-9a-f]{2})*$/

const HEX_CODES = Uint8Array.from(HEX_CHARS, (c) => c.charCodeAt(0))
const asciiDecoder = new TextDecoder()

/**
 * Lowercase hex of `bytes`. Built as ASCII bytes and decoded once, so the result is one flat string:
 * appending two characters at a time makes a rope of one node per append, about 1.5 KB for a
 * 64-character id held as a map key (measured: 100,000 tx ids 151 MB as ropes, 11 MB flat), and
 * decoding is also about 4x faster.
 */
export function toHex(bytes: Uint8Array): string {
  const out = new Uint8Array(bytes.length * 2)
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!
    out[2 * i] = HEX_CODES[b >> 4]!
    out[2 * i + 1] = HEX_CODES[b & 15]!
  }
  return asciiDecoder.decode(out)
}

/** True when `text` is even-length lowercase hex. */
export function isHex(text: string): boolean {
  return HEX_RE.test(text)
}

/** Value of each lowercase hex digit by character code (0..127); -1 for any other character. */
const HEX_VALUES = (() => {
  const values = new Int8Array(128).fill(-1)
  for (let i = 0; i < 16; i++) values[HEX_CODES[i]!] = i
  return values
})()

/**
 * Parses lowercase hex. Callers validate external input with `isHex` first.
 * Two digits per byte through a table of character codes, with no string per byte: the earlier
 * `parseInt` of a two-character slice made one, and was about a third of the JSON batch route's
 * cost (docs/BENCHMARKS.md, "Cluster", seventeenth session).
 * @throws {AssertionError} when `text` is not even-length lowercase hex.
 */
export function fromHex(text: string): Uint8Array {
  assert(text.length % 2 === 0, `not lowercase hex of even length: ${text.slice(0, 16)}`)
  const out = new Uint8Array(text.length / 2)
  let bad = 0
  for (let i = 0, at = 0; i < out.length; i++, at += 2) {
    // A code of 128 or more reads past the table (undefined → -1), so it fails like any other.
    const high = HEX_VALUES[text.charCodeAt(at)] ?? -1
    const low = HEX_VALUES[text.charCodeAt(at + 1)] ?? -1
    bad |= high | low
    out[i] = (high << 4) | low
  }
  assert(bad >= 0, `not lowercase hex of even length: ${text.slice(0, 16)}`)
  return out
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

/** Constant-shape equality of two byte arrays. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

/** Lexicographic comparison, for defined iteration order over byte keys. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!
    if (d !== 0) return d
  }
  return a.length - b.length
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text)
}

/**
 * Decodes UTF-8.
 * @throws {TypeError} on invalid UTF-8 (callers at trust boundaries catch and code it).
 */
export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes)
}

/** Copies into a plain `Uint8Array` (not a Node Buffer view), so equality and encoding are stable. */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes)
}
