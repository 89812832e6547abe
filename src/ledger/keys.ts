/**
 * The key layout of the ledger database. Spec: docs/protocol/storage.md#key-layout (every prefix
 * listed there is built here and nowhere else).
 *
 * Numbers are big-endian so that byte order is numeric order; strings are length-prefixed (one byte)
 * so that no string's keys are a prefix range of another's.
 */
import { assert } from '../util/assert.ts'
import { concatBytes, utf8 } from '../util/bytes.ts'

/** One-byte (or two-byte, for indexes) key prefixes. */
export const PREFIX = {
  head: utf8('h'),
  indexHead: utf8('i'),
  block: utf8('b'),
  blockHash: utf8('B'),
  certificate: utf8('c'),
  receipts: utf8('r'),
  tx: utf8('t'),
  state: utf8('s'),
  validatorSet: utf8('v'),
  burn: utf8('u'),
  history: utf8('xa'),
  burnByIssuer: utf8('xi'),
  burnByAcceptor: utf8('xc'),
  burnByTime: utf8('xt'),
  issuanceByVoucher: utf8('xv'),
  rateByType: utf8('xq'),
  auctionByMarket: utf8('xm'),
  statsByEnterprise: utf8('xs'),
} as const

// Key parts are written and read byte by byte: a `DataView` over a small array asks for its
// `.buffer`, which makes V8 move the array's bytes off its heap into an ArrayBuffer of their own.

/** 4-byte big-endian uint32. */
export function u32Key(n: number): Uint8Array {
  assert(Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff, `u32 key part ${n}`)
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff)
}

/** 8-byte big-endian uint64. */
export function u64Key(n: bigint): Uint8Array {
  assert(n >= 0n && n < 1n << 64n, `u64 key part ${n}`)
  const high = Number(n >> 32n)
  const low = Number(n & 0xffff_ffffn)
  const out = new Uint8Array(8)
  for (let i = 0; i < 4; i++) {
    out[3 - i] = (high >>> (8 * i)) & 0xff
    out[7 - i] = (low >>> (8 * i)) & 0xff
  }
  return out
}

/** Reads a 4-byte big-endian uint32 at `offset`. */
export function readU32(bytes: Uint8Array, offset: number): number {
  assert(offset >= 0 && offset + 4 <= bytes.length, `u32 at ${offset} of ${bytes.length} bytes`)
  const b = bytes
  return (
    ((b[offset]! << 24) | (b[offset + 1]! << 16) | (b[offset + 2]! << 8) | b[offset + 3]!) >>> 0
  )
}

/** A one-byte length prefix followed by the UTF-8 bytes of `text`. */
export function strKey(text: string): Uint8Array {
  const bytes = utf8(text)
  assert(bytes.length > 0 && bytes.length < 256, `string key part of ${bytes.length} bytes`)
  return concatBytes(Uint8Array.of(bytes.length), bytes)
}

/** The first key after every key that starts with `prefix` (null: no such key, unbounded). */
export function prefixEnd(prefix: Uint8Array): Uint8Array | null {
  const out = prefix.slice()
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! < 0xff) {
      out[i] = out[i]! + 1
      return out.slice(0, i + 1)
    }
  }
  return null
}

/** `b ‖ height`: a block. */
export const blockKey = (height: number): Uint8Array => concatBytes(PREFIX.block, u32Key(height))
/** `B ‖ blockHash`: the height of a block hash. */
export const blockHashKey = (hash: Uint8Array): Uint8Array => concatBytes(PREFIX.blockHash, hash)
/** `c ‖ height`: a commit certificate. */
export const certificateKey = (height: number): Uint8Array =>
  concatBytes(PREFIX.certificate, u32Key(height))
/** `r ‖ height`: the receipts of a block. */
export const receiptsKey = (height: number): Uint8Array =>
  concatBytes(PREFIX.receipts, u32Key(height))
/** `t ‖ txId`: where a tx is. */
export const txKey = (txId: Uint8Array): Uint8Array => concatBytes(PREFIX.tx, txId)
/** `s ‖ stateKey`: a persisted state entry. */
export const stateKey = (key: Uint8Array): Uint8Array => concatBytes(PREFIX.state, key)
/** `v ‖ validatorsHash`: a validator set by its hash. */
export const validatorSetKey = (hash: Uint8Array): Uint8Array =>
  concatBytes(PREFIX.validatorSet, hash)
/** `u ‖ height ‖ index`: a burn record. */
export const burnKey = (height: number, index: number): Uint8Array =>
  concatBytes(PREFIX.burn, u32Key(height), u32Key(index))
/** `i ‖ name`: the height up to which index `name` is written. */
export const indexHeadKey = (name: string): Uint8Array => concatBytes(PREFIX.indexHead, utf8(name))
/** `h`: the head record. */
export const headKey = (): Uint8Array => PREFIX.head
