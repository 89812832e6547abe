/**
 * Transaction builders for every kind (SPEC §3, §10): one typed function, `signedTx(keys, kind, body,
 * options)`, that fills the envelope, encodes it canonically and signs it. Browser-safe.
 */
import type { SignedTx } from '../codec/tx.ts'
import { TX_VERSION, type Tx, type TxBody, type TxKind } from '../core/tx.ts'
import { SALT_BYTES_MAX } from '../core/limits.ts'
import { signTx } from '../crypto/tx-signature.ts'
import { randomBytes } from '@noble/hashes/utils.js'
import { assert } from '../util/assert.ts'
import type { KeyPair } from './keys.ts'

/** Envelope options: the chain, the last height at which the tx may commit, and an optional salt. */
export interface TxOptions {
  readonly chainId: string
  readonly expiresAtHeight: number
  /** Defaults to 8 random bytes, so that identical bodies stay distinct txs. */
  readonly salt?: Uint8Array
}

/**
 * Builds and signs a tx of `kind`.
 * @throws {AssertionError} if the body violates the schema of its kind (a bug in the caller; validate
 * user input first, e.g. with `parseDecimal`).
 */
export function signedTx<K extends TxKind>(
  keys: KeyPair,
  kind: K,
  body: TxBody<K>,
  options: TxOptions,
): SignedTx {
  const salt = options.salt ?? randomBytes(8)
  assert(salt.length <= SALT_BYTES_MAX, `salt of ${salt.length} bytes`)
  const tx = {
    version: TX_VERSION,
    chainId: options.chainId,
    kind,
    body,
    signerPublicKey: keys.publicKey,
    expiresAtHeight: options.expiresAtHeight,
    salt,
  } as Tx
  return signTx(tx, keys.secretKey)
}
