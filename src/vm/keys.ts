/**
 * The state key layout: one prefix byte per namespace, then fixed-width fields, so that ascending
 * byte order of keys is the intended iteration order (expiry by time, books by arrival, ...).
 * Spec: docs/protocol/vm.md#key-layout.
 */
import { assert } from '../util/assert.ts'
import { SYMBOL_PATTERN } from '../core/limits.ts'

/** Namespace prefixes. Adding or renumbering one is a protocol change. */
export const PREFIX = {
  config: 0x01,
  account: 0x02,
  enterprise: 0x03,
  operator: 0x04,
  oracle: 0x05,
  pointType: 0x06,
  balance: 0x07,
  expiry: 0x08,
  voucher: 0x09,
  rate: 0x0a,
  rateHistory: 0x0b,
  member: 0x0c,
  market: 0x0d,
  order: 0x0e,
  book: 0x0f,
  goodTill: 0x10,
  validators: 0x11,
  validatorVote: 0x12,
  txId: 0x13,
} as const

/** Bytes of a symbol field: ASCII, zero-padded (zero sorts before every symbol character). */
export const SYMBOL_KEY_BYTES = 16
/** Bytes of a holder id in the expiry index (addresses are zero-padded to this width). */
export const HOLDER_KEY_BYTES = 32

/** Who holds a lot: an account balance or an order's escrow. */
export const HOLDER_KIND = { account: 0, order: 1 } as const
/** A holder kind. */
export type HolderKind = (typeof HOLDER_KIND)[keyof typeof HOLDER_KIND]

/** Symbols seen so far and their key bytes (a memo of a pure function; bounded). */
const symbolCache = new Map<string, Uint8Array>()
const SYMBOL_CACHE_MAX = 4096

function symbolBytes(symbol: string): Uint8Array {
  const cached = symbolCache.get(symbol)
  if (cached !== undefined) return cached
  assert(SYMBOL_PATTERN.test(symbol), `bad symbol ${symbol}`)
  const out = new Uint8Array(SYMBOL_KEY_BYTES)
  for (let i = 0; i < symbol.length; i++) out[i] = symbol.charCodeAt(i)
  if (symbolCache.size >= SYMBOL_CACHE_MAX) symbolCache.clear()
  symbolCache.set(symbol, out)
  return out
}

/** Decodes a zero-padded symbol field. */
export function symbolFromKey(key: Uint8Array, offset: number): string {
  let out = ''
  for (let i = offset; i < offset + SYMBOL_KEY_BYTES; i++) {
    const c = key[i]!
    if (c === 0) break
    out += String.fromCharCode(c)
  }
  assert(out.length > 0, 'empty symbol in key')
  return out
}

/** Big-endian uint32. */
export function u32Bytes(value: number): Uint8Array {
  assert(Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff, `u32 ${value}`)
  return new Uint8Array([value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255])
}

/** Big-endian uint64. */
export function u64Bytes(value: bigint): Uint8Array {
  assert(value >= 0n && value < 1n << 64n, `u64 ${value}`)
  const out = new Uint8Array(8)
  let v = value
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(v & 255n)
    v >>= 8n
  }
  return out
}

/** Reads a big-endian uint32 at `offset`. */
export function readU32(key: Uint8Array, offset: number): number {
  assert(key.length >= offset + 4, 'key too short for u32')
  return (
    (((key[offset]! << 24) | (key[offset + 1]! << 16) | (key[offset + 2]! << 8)) +
      key[offset + 3]!) >>>
    0
  )
}

/** Reads a big-endian uint64 at `offset`. */
export function readU64(key: Uint8Array, offset: number): bigint {
  assert(key.length >= offset + 8, 'key too short for u64')
  let v = 0n
  for (let i = offset; i < offset + 8; i++) v = (v << 8n) | BigInt(key[i]!)
  return v
}

function build(prefix: number, ...parts: readonly Uint8Array[]): Uint8Array {
  let length = 1
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  out[0] = prefix
  let offset = 1
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

function fixed(bytes: Uint8Array, length: number, what: string): Uint8Array {
  assert(bytes.length === length, `${what} must be ${length} bytes, got ${bytes.length}`)
  return bytes
}

/** A holder id padded to HOLDER_KEY_BYTES. */
export function holderBytes(id: Uint8Array): Uint8Array {
  assert(id.length === 20 || id.length === 32, `holder id of ${id.length} bytes`)
  if (id.length === HOLDER_KEY_BYTES) return id
  const out = new Uint8Array(HOLDER_KEY_BYTES)
  out.set(id)
  return out
}

/** Key builders, one per namespace. */
export const keys = {
  config: (): Uint8Array => build(PREFIX.config),
  account: (address: Uint8Array): Uint8Array =>
    build(PREFIX.account, fixed(address, 20, 'address')),
  enterprise: (address: Uint8Array): Uint8Array =>
    build(PREFIX.enterprise, fixed(address, 20, 'address')),
  operator: (address: Uint8Array): Uint8Array =>
    build(PREFIX.operator, fixed(address, 20, 'address')),
  oracle: (address: Uint8Array): Uint8Array => build(PREFIX.oracle, fixed(address, 20, 'address')),
  pointType: (symbol: string): Uint8Array => build(PREFIX.pointType, symbolBytes(symbol)),
  balance: (address: Uint8Array, symbol: string): Uint8Array =>
    build(PREFIX.balance, fixed(address, 20, 'address'), symbolBytes(symbol)),
  expiry: (expiresAt: bigint, kind: HolderKind, holder: Uint8Array, symbol: string): Uint8Array =>
    build(
      PREFIX.expiry,
      u64Bytes(expiresAt),
      new Uint8Array([kind]),
      holderBytes(holder),
      symbolBytes(symbol),
    ),
  voucher: (symbol: string, digest: Uint8Array): Uint8Array =>
    build(PREFIX.voucher, symbolBytes(symbol), fixed(digest, 32, 'voucher digest')),
  rate: (symbol: string): Uint8Array => build(PREFIX.rate, symbolBytes(symbol)),
  rateHistory: (symbol: string, height: number, txIndex: number): Uint8Array =>
    build(PREFIX.rateHistory, symbolBytes(symbol), u32Bytes(height), u32Bytes(txIndex)),
  member: (enterprise: Uint8Array, consumer: Uint8Array): Uint8Array =>
    build(PREFIX.member, fixed(enterprise, 20, 'enterprise'), fixed(consumer, 20, 'consumer')),
  market: (base: string, quote: string): Uint8Array =>
    build(PREFIX.market, symbolBytes(base), symbolBytes(quote)),
  order: (orderId: Uint8Array): Uint8Array => build(PREFIX.order, fixed(orderId, 32, 'order id')),
  book: (base: string, quote: string, seq: bigint): Uint8Array =>
    build(PREFIX.book, symbolBytes(base), symbolBytes(quote), u64Bytes(seq)),
  bookPrefix: (base: string, quote: string): Uint8Array =>
    build(PREFIX.book, symbolBytes(base), symbolBytes(quote)),
  goodTill: (height: number, orderId: Uint8Array): Uint8Array =>
    build(PREFIX.goodTill, u32Bytes(height), fixed(orderId, 32, 'order id')),
  validators: (): Uint8Array => build(PREFIX.validators),
  validatorVote: (action: 'add' | 'remove', key: Uint8Array, proposal: number): Uint8Array =>
    build(
      PREFIX.validatorVote,
      new Uint8Array([action === 'add' ? 1 : 2]),
      fixed(key, 33, 'validator key'),
      u32Bytes(proposal),
    ),
  txId: (expiresAtHeight: number, txId: Uint8Array): Uint8Array =>
    build(PREFIX.txId, u32Bytes(expiresAtHeight), fixed(txId, 32, 'tx id')),
  /** The first key of a namespace (inclusive) and the first key after it (exclusive). */
  namespace: (prefix: number): readonly [Uint8Array, Uint8Array] => [
    new Uint8Array([prefix]),
    new Uint8Array([prefix + 1]),
  ],
  /** Any prefix, for range scans: `[prefix, ...parts]`. */
  raw: (prefix: number, ...parts: readonly Uint8Array[]): Uint8Array => build(prefix, ...parts),
} as const

/*
 * Key strings (`keyString` of a key) built straight from the fields, for the execution hot paths:
 * one reused char-code array per layout and one string, no intermediate byte arrays. Each equals
 * `keyString(keys.<name>(...))` (test/unit/vm/state.test.ts).
 */
const balanceScratch = new Array<number>(1 + 20 + SYMBOL_KEY_BYTES).fill(0)
const txIdScratch = new Array<number>(1 + 4 + 32).fill(0)
const expiryScratch = new Array<number>(1 + 8 + 1 + HOLDER_KEY_BYTES + SYMBOL_KEY_BYTES).fill(0)

function put(out: number[], offset: number, bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) out[offset + i] = bytes[i]!
}

function putU32(out: number[], offset: number, value: number): void {
  assert(Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff, `u32 ${value}`)
  out[offset] = value >>> 24
  out[offset + 1] = (value >>> 16) & 255
  out[offset + 2] = (value >>> 8) & 255
  out[offset + 3] = value & 255
}

function putU64(out: number[], offset: number, value: bigint): void {
  assert(value >= 0n && value < 1n << 64n, `u64 ${value}`)
  putU32(out, offset, Number(value >> 32n))
  putU32(out, offset + 4, Number(value & 0xffff_ffffn))
}

/** Key strings of the hot namespaces (see above). */
export const keyStrings = {
  balance: (address: Uint8Array, symbol: string): string => {
    balanceScratch[0] = PREFIX.balance
    put(balanceScratch, 1, fixed(address, 20, 'address'))
    put(balanceScratch, 21, symbolBytes(symbol))
    return String.fromCharCode.apply(null, balanceScratch)
  },
  txId: (expiresAtHeight: number, txId: Uint8Array): string => {
    txIdScratch[0] = PREFIX.txId
    putU32(txIdScratch, 1, expiresAtHeight)
    put(txIdScratch, 5, fixed(txId, 32, 'tx id'))
    return String.fromCharCode.apply(null, txIdScratch)
  },
  expiry: (expiresAt: bigint, kind: HolderKind, holder: Uint8Array, symbol: string): string => {
    assert(holder.length === 20 || holder.length === 32, `holder id of ${holder.length} bytes`)
    expiryScratch.fill(0)
    expiryScratch[0] = PREFIX.expiry
    putU64(expiryScratch, 1, expiresAt)
    expiryScratch[9] = kind
    put(expiryScratch, 10, holder)
    put(expiryScratch, 10 + HOLDER_KEY_BYTES, symbolBytes(symbol))
    return String.fromCharCode.apply(null, expiryScratch)
  },
} as const

/** The exclusive upper bound of all keys starting with `prefix` (prefix must not be all 0xff). */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const out = prefix.slice()
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! < 255) {
      out[i] = out[i]! + 1
      return out.slice(0, i + 1)
    }
  }
  assert(false, 'prefix of only 0xff bytes has no end')
}

/** Byte offsets inside an expiry-index key. */
export const EXPIRY_KEY = { time: 1, kind: 9, holder: 10, symbol: 42, length: 58 } as const
