/**
 * Signing and verifying transactions with noble (the pure-core path, also used by the light client).
 * Nodes verify through the `Verifier` interface, whose fast implementation uses node:crypto.
 */
import { buildSignedTx, type SignedTx } from '../codec/tx.ts'
import type { Tx } from '../core/tx.ts'
import { assert } from '../util/assert.ts'
import { equalBytes } from '../util/bytes.ts'
import { publicKeyOf, signDigest, verifyDigest } from './secp256k1.ts'

/**
 * Signs `tx` with `secretKey`, which must belong to `tx.signerPublicKey`.
 * @throws {AssertionError} if the key does not match the tx's signer.
 */
export function signTx(tx: Tx, secretKey: Uint8Array): SignedTx {
  assert(equalBytes(publicKeyOf(secretKey), tx.signerPublicKey), 'secret key is not the tx signer')
  const unsigned = buildSignedTx(tx, new Uint8Array(64))
  return buildSignedTx(tx, signDigest(unsigned.txId, secretKey))
}

/** True when the signature of `signed` is a valid low-S signature of its signer over its txId. */
export function verifySignedTx(signed: SignedTx): boolean {
  return verifyDigest(signed.signature, signed.txId, signed.tx.signerPublicKey)
}
