/**
 * Canonical encoding of transactions and signed transactions, tx ids and static validation.
 * Spec: docs/protocol/encoding.md#transactions.
 */
import { TX_BODY_SCHEMAS, TX_FIELD_SCHEMAS, type Tx, type TxKind } from '../core/tx.ts'
import { SIGNED_TX_BYTES_MAX, TX_BYTES_MAX, TX_TTL_BLOCKS_MAX } from '../core/limits.ts'
import { assert } from '../util/assert.ts'
import { err, ok, type Result } from '../util/result.ts'
import { decodeCanonical, encodeCanonical, type CodecError } from './canonical.ts'
import { hashTagged } from './hash.ts'
import { bytes, faultUnder, tuple, type Parsed, type Schema, type ShapeFault } from './schema.ts'

const ENVELOPE_LENGTH = 7

const TX_FAULT: ShapeFault = Object.freeze({ path: '', expected: 'tx tuple(7)' })

/** `parsed`'s fault, seen from the tx tuple whose field `step` it is. */
const refusedAt = (step: string, parsed: { readonly fault: ShapeFault }): Parsed<Tx> => ({
  ok: false,
  fault: faultUnder(step, parsed.fault),
})

function parseTx(v: unknown): Parsed<Tx> {
  if (!Array.isArray(v) || v.length !== ENVELOPE_LENGTH) return { ok: false, fault: TX_FAULT }
  const f = TX_FIELD_SCHEMAS
  const version = f.version.parse(v[0])
  if (!version.ok) return refusedAt('.version', version)
  const chainId = f.chainId.parse(v[1])
  if (!chainId.ok) return refusedAt('.chainId', chainId)
  const kind = f.kind.parse(v[2])
  if (!kind.ok) return refusedAt('.kind', kind)
  const bodySchema = TX_BODY_SCHEMAS[kind.value] as Schema<unknown>
  const body = bodySchema.parse(v[3])
  if (!body.ok) return refusedAt('.body', body)
  const signer = f.signerPublicKey.parse(v[4])
  if (!signer.ok) return refusedAt('.signerPublicKey', signer)
  const expires = f.expiresAtHeight.parse(v[5])
  if (!expires.ok) return refusedAt('.expiresAtHeight', expires)
  const salt = f.salt.parse(v[6])
  if (!salt.ok) return refusedAt('.salt', salt)
  const tx = {
    version: version.value,
    chainId: chainId.value,
    kind: kind.value,
    body: body.value,
    signerPublicKey: signer.value,
    expiresAtHeight: expires.value,
    salt: salt.value,
  } as Tx
  return { ok: true, value: tx }
}

/** The fields of the tx tuple after `kind`, in order, with their path steps. */
const TAIL_FIELDS: readonly [number, string, Schema<unknown>][] = [
  [4, '.signerPublicKey', TX_FIELD_SCHEMAS.signerPublicKey],
  [5, '.expiresAtHeight', TX_FIELD_SCHEMAS.expiresAtHeight],
  [6, '.salt', TX_FIELD_SCHEMAS.salt],
]

function checkTx(v: unknown): ShapeFault | null {
  if (!Array.isArray(v) || v.length !== ENVELOPE_LENGTH) return TX_FAULT
  const f = TX_FIELD_SCHEMAS
  const head: [string, ShapeFault | null][] = [
    ['.version', f.version.check(v[0])],
    ['.chainId', f.chainId.check(v[1])],
    ['.kind', f.kind.check(v[2])],
  ]
  for (const [step, fault] of head) if (fault) return faultUnder(step, fault)
  const body = (TX_BODY_SCHEMAS[v[2] as TxKind] as Schema<unknown>).check(v[3])
  if (body) return faultUnder('.body', body)
  for (const [i, step, schema] of TAIL_FIELDS) {
    const fault = schema.check(v[i])
    if (fault) return faultUnder(step, fault)
  }
  return null
}

/** The schema of an unsigned transaction envelope (body shape chosen by `kind`). */
export const TX_SCHEMA: Schema<Tx> = {
  describe: 'tx(version, chainId, kind, body, signerPublicKey, expiresAtHeight, salt)',
  parse: parseTx,
  check: checkTx,
  toWire: (tx) => [
    tx.version,
    tx.chainId,
    tx.kind,
    (TX_BODY_SCHEMAS[tx.kind] as Schema<unknown>).toWire(tx.body),
    tx.signerPublicKey,
    tx.expiresAtHeight,
    tx.salt,
  ],
}

/** The wire schema of a signed transaction: `[txBytes, signature]`. */
export const SIGNED_TX_SCHEMA = tuple(bytes(1, TX_BYTES_MAX), bytes(64))

/** A decoded signed transaction. The signature is not yet verified. */
export interface SignedTx {
  readonly tx: Tx
  /** Canonical encoding of `tx`: what `txId` hashes. */
  readonly txBytes: Uint8Array
  readonly txId: Uint8Array
  readonly signature: Uint8Array
  /** Canonical encoding of `[txBytes, signature]`: what blocks and the mempool carry. */
  readonly signedBytes: Uint8Array
}

/**
 * Canonical bytes of an unsigned tx.
 * @throws {AssertionError} if `tx` violates its schema (a bug in the caller).
 */
export function encodeTx(tx: Tx): Uint8Array {
  const encoded = encodeCanonical(TX_SCHEMA, tx)
  assert(encoded.length <= TX_BYTES_MAX, `tx encodes to ${encoded.length} > ${TX_BYTES_MAX} bytes`)
  return encoded
}

/** Decodes canonical tx bytes; the tx's byte strings are copies of their own. */
export function decodeTx(txBytes: Uint8Array): Result<Tx, CodecError> {
  return decodeCanonical(TX_SCHEMA, txBytes, TX_BYTES_MAX)
}

const BYTE_VIEWS = { byteViews: true } as const

/** `txId = sha256("pointsnode/tx" ‖ txBytes)`. */
export function txIdOf(txBytes: Uint8Array): Uint8Array {
  return hashTagged('tx', txBytes)
}

/** Assembles a signed tx from its parts (the signature is not checked here). */
export function buildSignedTx(tx: Tx, signature: Uint8Array): SignedTx {
  assert(signature.length === 64, `signature must be 64 bytes, got ${signature.length}`)
  const txBytes = encodeTx(tx)
  const signedBytes = encodeCanonical(SIGNED_TX_SCHEMA, [txBytes, signature])
  return { tx, txBytes, txId: txIdOf(txBytes), signature, signedBytes }
}

/**
 * Decodes a signed tx `[txBytes, signature]`, both layers canonical. The decoded tx holds one copy
 * of `input` (its `signedBytes`), and its byte strings (`txBytes`, `signature`, the keys, salt and
 * body bytes of `tx`) are views into that copy: one buffer per tx instead of one per field, which
 * cost a decode about a sixth of its time and a pooled tx five more buffers for the collector to
 * copy and sweep (docs/BENCHMARKS.md, "Cluster", fifteenth session). Whatever `input` is a view
 * into is not kept.
 */
export function decodeSignedTx(input: Uint8Array): Result<SignedTx, CodecError> {
  // Input over the limit is refused before anything refers to it: not worth a copy.
  const signedBytes = input.length > SIGNED_TX_BYTES_MAX ? input : input.slice()
  const outer = decodeCanonical(SIGNED_TX_SCHEMA, signedBytes, SIGNED_TX_BYTES_MAX, BYTE_VIEWS)
  if (!outer.ok) return outer
  const [txBytes, signature] = outer.value
  const inner = decodeCanonical(TX_SCHEMA, txBytes, TX_BYTES_MAX, BYTE_VIEWS)
  if (!inner.ok) return inner
  return ok({ tx: inner.value, txBytes, txId: txIdOf(txBytes), signature, signedBytes })
}

/** Static (state-free) validation errors of a transaction. */
export type TxStaticErrorCode =
  'TX_WRONG_CHAIN' | 'TX_EXPIRED' | 'TX_EXPIRY_TOO_FAR' | 'TX_SAME_POINT_TYPE' | 'TX_BAD_GOOD_TILL'

/** A static validation failure. */
export interface TxStaticError {
  readonly code: TxStaticErrorCode
  readonly message: string
}

/**
 * Checks what can be checked without state: the chain id and the expiry window at `height`
 * (`height ≤ expiresAtHeight ≤ height + TX_TTL_BLOCKS_MAX`), and rules inside one body.
 */
export function validateTxStatic(
  tx: Tx,
  chainId: string,
  height: number,
): Result<Tx, TxStaticError> {
  if (tx.chainId !== chainId) {
    return err({ code: 'TX_WRONG_CHAIN', message: `chain ${tx.chainId}, expected ${chainId}` })
  }
  if (tx.expiresAtHeight < height) {
    return err({
      code: 'TX_EXPIRED',
      message: `expired at ${tx.expiresAtHeight} < height ${height}`,
    })
  }
  if (tx.expiresAtHeight > height + TX_TTL_BLOCKS_MAX) {
    const limit = height + TX_TTL_BLOCKS_MAX
    return err({
      code: 'TX_EXPIRY_TOO_FAR',
      message: `expiresAtHeight ${tx.expiresAtHeight} > ${limit}`,
    })
  }
  return validateBodyStatic(tx, height)
}

function validateBodyStatic(tx: Tx, height: number): Result<Tx, TxStaticError> {
  switch (tx.kind) {
    case 'points.convert':
      if (tx.body.fromType === tx.body.toType) {
        return err({ code: 'TX_SAME_POINT_TYPE', message: `convert ${tx.body.fromType} to itself` })
      }
      return ok(tx)
    case 'market.create':
      if (tx.body.base === tx.body.quote) {
        return err({
          code: 'TX_SAME_POINT_TYPE',
          message: `market ${tx.body.base}/${tx.body.quote}`,
        })
      }
      return ok(tx)
    case 'order.place':
      if (tx.body.goodTillHeight < height) {
        const message = `goodTillHeight ${tx.body.goodTillHeight} < height ${height}`
        return err({ code: 'TX_BAD_GOOD_TILL', message })
      }
      return ok(tx)
    default:
      return ok(tx)
  }
}

/** Every kind, for exhaustive tests. */
export function isTxKind(value: string): value is TxKind {
  return Object.hasOwn(TX_BODY_SCHEMAS, value)
}
