/**
 * Goal: every kind of malformed signed tx is refused with its own coded error, and nothing throws.
 * Method: start from a valid signed tx, build each bad variant by hand (raw msgpack bytes via a plain
 * msgpackr packer and hand-assembled headers, not the project's canonical encoder), and run the
 * door check `checkSignedTx` at a fixed chain id and height.
 */
import { Packr } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { TX_SCHEMA } from '../../src/codec/tx.ts'
import { SIGNED_TX_BYTES_MAX } from '../../src/core/limits.ts'
import { toHighS } from '../../src/crypto/secp256k1.ts'
import { checkSignedTx, signTx } from '../../src/crypto/tx-signature.ts'
import { concatBytes, fromHex } from '../../src/util/bytes.ts'
import { sampleTx, testKey } from '../support/fixtures.ts'

const CHAIN = 'pointsnode-test'
const HEIGHT = 50
const plain = new Packr({ useRecords: false })
const pack = (v: unknown): Uint8Array => new Uint8Array(plain.pack(v))
const alice = testKey('alice')
const mallory = testKey('mallory')
const transfer = signTx(sampleTx('points.transfer', alice), alice.secretKey)
const wire = TX_SCHEMA.toWire(transfer.tx) as unknown[]
const sig = transfer.signature

/** The valid transfer's wire tuple with field `i` replaced (body fields via [3, j]). */
function withField(path: readonly number[], value: unknown): unknown[] {
  const copy = structuredClone(wire)
  let target: unknown[] = copy
  for (const i of path.slice(0, -1)) target = target[i] as unknown[]
  target[path[path.length - 1]!] = value
  return copy
}
/** A signed envelope around arbitrary inner bytes. */
const envelope = (txBytes: Uint8Array, signature = sig): Uint8Array => pack([txBytes, signature])
/** A signed envelope around a tx tuple packed by the plain packer. */
const wrapped = (tuple: unknown[]): Uint8Array => envelope(pack(tuple))
/** Tuple `[a, b, ...]` with element `i` given as raw bytes (to write non-canonical forms). */
function rawTuple(elements: unknown[], i: number, raw: Uint8Array): Uint8Array {
  const parts = elements.map((e, j) => (j === i ? raw : pack(e)))
  return concatBytes(Uint8Array.of(0x90 + elements.length), ...parts)
}
const signedOther = (kind: Parameters<typeof sampleTx>[0], mutate: (w: unknown[]) => void) => {
  const w = structuredClone(TX_SCHEMA.toWire(sampleTx(kind, alice)) as unknown[])
  mutate(w)
  const tx = TX_SCHEMA.parse(w)
  if (!tx.ok) throw new Error(`fixture ${kind} invalid: ${tx.fault.path}`)
  return signTx(tx.value, alice.secretKey).signedBytes
}

const valid = transfer.signedBytes
const cases: [string, Uint8Array, string][] = [
  ['empty input', new Uint8Array(0), 'CODEC_MALFORMED'],
  ['truncated by one byte', valid.slice(0, -1), 'CODEC_MALFORMED'],
  ['truncated to half', valid.slice(0, valid.length >> 1), 'CODEC_MALFORMED'],
  ['trailing byte', concatBytes(valid, Uint8Array.of(0)), 'CODEC_MALFORMED'],
  ['oversize input', new Uint8Array(SIGNED_TX_BYTES_MAX + 1), 'CODEC_TOO_LARGE'],
  ['unknown extension type', fromHex('c70101aa'), 'CODEC_MALFORMED'],
  ['envelope is a map', pack(new Map([['tx', 1]])), 'CODEC_SHAPE'],
  ['envelope of three items', pack([transfer.txBytes, sig, 1]), 'CODEC_SHAPE'],
  ['signature of 63 bytes', envelope(transfer.txBytes, sig.slice(0, 63)), 'CODEC_SHAPE'],
  ['signature as a string', pack([transfer.txBytes, 'sig']), 'CODEC_SHAPE'],
  ['empty tx bytes', envelope(new Uint8Array(0)), 'CODEC_SHAPE'],
  [
    'signature bin with 2-byte length',
    rawTuple([transfer.txBytes, sig], 1, concatBytes(fromHex('c50040'), sig)),
    'CODEC_NON_CANONICAL',
  ],
  [
    'inner tx with trailing byte',
    envelope(concatBytes(transfer.txBytes, Uint8Array.of(0xc0))),
    'CODEC_MALFORMED',
  ],
  ['inner tx truncated', envelope(transfer.txBytes.slice(0, -3)), 'CODEC_MALFORMED'],
  ['version 2', wrapped(withField([0], 2)), 'CODEC_SHAPE'],
  ['version as bigint', wrapped(withField([0], 1n)), 'CODEC_SHAPE'],
  ['chain id not allowed characters', wrapped(withField([1], 'Main Net')), 'CODEC_SHAPE'],
  ['unknown kind', wrapped(withField([2], 'points.steal')), 'CODEC_SHAPE'],
  ['kind as a number', wrapped(withField([2], 7)), 'CODEC_SHAPE'],
  ['body with a missing field', wrapped(withField([3], ['ACME', alice.address])), 'CODEC_SHAPE'],
  ['body is null', wrapped(withField([3], null)), 'CODEC_SHAPE'],
  ['amount as number, not bigint', wrapped(withField([3, 2], 250)), 'CODEC_SHAPE'],
  ['amount zero', wrapped(withField([3, 2], 0n)), 'CODEC_SHAPE'],
  ['amount negative', wrapped(withField([3, 2], -5n)), 'CODEC_SHAPE'],
  ['amount above int64', wrapped(withField([3, 2], 1n << 63n)), 'CODEC_SHAPE'],
  ['amount as decimal string', wrapped(withField([3, 2], '2.50')), 'CODEC_SHAPE'],
  ['address of 19 bytes', wrapped(withField([3, 1], alice.address.slice(1))), 'CODEC_SHAPE'],
  ['address as hex text', wrapped(withField([3, 1], 'ab'.repeat(20))), 'CODEC_SHAPE'],
  ['symbol in lower case', wrapped(withField([3, 0], 'acme')), 'CODEC_SHAPE'],
  ['symbol too long', wrapped(withField([3, 0], 'A'.repeat(17))), 'CODEC_SHAPE'],
  ['signer key of 65 bytes', wrapped(withField([4], new Uint8Array(65))), 'CODEC_SHAPE'],
  [
    'signer key not on the curve',
    wrapped(withField([4], concatBytes(Uint8Array.of(2), new Uint8Array(32).fill(0xff)))),
    'TX_BAD_PUBLIC_KEY',
  ],
  ['expiry height as a float', wrapped(withField([5], 1.5)), 'CODEC_SHAPE'],
  ['expiry height negative', wrapped(withField([5], -1)), 'CODEC_SHAPE'],
  [
    'expiry height as float64 100.0',
    envelope(rawTuple(wire, 5, fromHex('cb4059000000000000'))),
    'CODEC_NON_CANONICAL',
  ],
  [
    'expiry height as uint16',
    envelope(rawTuple(wire, 5, fromHex('cd0064'))),
    'CODEC_NON_CANONICAL',
  ],
  ['salt of 33 bytes', wrapped(withField([6], new Uint8Array(33))), 'CODEC_SHAPE'],
  ['salt as nil', wrapped(withField([6], null)), 'CODEC_SHAPE'],
  [
    'chain id as str8 (not fixstr)',
    envelope(rawTuple(wire, 1, concatBytes(fromHex('d90f'), new TextEncoder().encode(CHAIN)))),
    'CODEC_NON_CANONICAL',
  ],
  [
    'amount bigint as uint64 form',
    envelope(
      rawTuple(
        withField([3], []),
        3,
        concatBytes(
          fromHex('93'),
          pack('ACME'),
          pack(alice.address),
          fromHex('cf00000000000000fa'),
        ),
      ),
    ),
    'CODEC_NON_CANONICAL',
  ],
  [
    'boolean as integer',
    wrapped(
      structuredClone(TX_SCHEMA.toWire(sampleTx('pointType.create', alice)) as unknown[]).map(
        (f, i) => (i === 3 ? (f as unknown[]).map((x, j) => (j === 4 ? 1 : x)) : f),
      ),
    ),
    'CODEC_SHAPE',
  ],
  [
    'decimals 19',
    wrapped(
      structuredClone(TX_SCHEMA.toWire(sampleTx('pointType.create', alice)) as unknown[]).map(
        (f, i) => (i === 3 ? (f as unknown[]).map((x, j) => (j === 2 ? 19 : x)) : f),
      ),
    ),
    'CODEC_SHAPE',
  ],
  [
    'optional field as empty bytes, not nil',
    wrapped(
      structuredClone(
        TX_SCHEMA.toWire(sampleTx('account.register', alice, false)) as unknown[],
      ).map((f, i) => (i === 3 ? [new Uint8Array(0)] : f)),
    ),
    'CODEC_SHAPE',
  ],
  [
    'unknown voucher kind',
    wrapped(
      structuredClone(TX_SCHEMA.toWire(sampleTx('points.issue', alice)) as unknown[]).map((f, i) =>
        i === 3 ? (f as unknown[]).map((x, j) => (j === 3 ? 'gift' : x)) : f,
      ),
    ),
    'CODEC_SHAPE',
  ],
  ['wrong chain id', wrapped(withField([1], 'other-chain')), 'TX_WRONG_CHAIN'],
  ['expired window', signedOther('points.transfer', (w) => (w[5] = HEIGHT - 1)), 'TX_EXPIRED'],
  [
    'expiry too far ahead',
    signedOther('points.transfer', (w) => (w[5] = HEIGHT + 1201)),
    'TX_EXPIRY_TOO_FAR',
  ],
  [
    'convert to the same type',
    signedOther('points.convert', (w) => ((w[3] as unknown[])[1] = 'ACME')),
    'TX_SAME_POINT_TYPE',
  ],
  [
    'market with base = quote',
    signedOther('market.create', (w) => ((w[3] as unknown[])[1] = 'ACME')),
    'TX_SAME_POINT_TYPE',
  ],
  [
    'order good-till in the past',
    signedOther('order.place', (w) => ((w[3] as unknown[])[4] = HEIGHT - 1)),
    'TX_BAD_GOOD_TILL',
  ],
  ['high-S signature', envelope(transfer.txBytes, toHighS(sig)), 'TX_HIGH_S'],
  [
    'signature with one bit flipped',
    envelope(
      transfer.txBytes,
      sig.map((b, i) => (i === 5 ? b ^ 1 : b)),
    ),
    'TX_BAD_SIGNATURE',
  ],
  [
    'signature by another key over another tx',
    envelope(
      transfer.txBytes,
      signTx(sampleTx('points.redeem', mallory), mallory.secretKey).signature,
    ),
    'TX_BAD_SIGNATURE',
  ],
  ['zero signature', envelope(transfer.txBytes, new Uint8Array(64)), 'TX_HIGH_S'],
]

describe('malformed signed txs', () => {
  it('the valid transaction itself is accepted', () => {
    const result = checkSignedTx(valid, CHAIN, HEIGHT)
    expect(result.ok ? 'ok' : result.error.code).toBe('ok')
  })

  it('has at least 40 distinct malformed inputs', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40)
    expect(new Set(cases.map(([name]) => name)).size).toBe(cases.length)
  })

  for (const [name, bytes, code] of cases) {
    it(`refuses ${name} with ${code}`, () => {
      let outcome: string
      try {
        const result = checkSignedTx(bytes, CHAIN, HEIGHT)
        outcome = result.ok ? 'accepted' : result.error.code
      } catch (error) {
        outcome = `threw ${String(error)}`
      }
      expect(outcome, name).toBe(code)
    })
  }
})
