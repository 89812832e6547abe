/**
 * Signing and verifying transactions with noble (the pure-core path, also used by the light client).
 * Nodes verify through the `Verifier` interface, whose fast implementation uses libsecp256k1.
 */
import type { CodecErrorCode } from '../codec/canonical.ts'
import { sha256Plain } from '../codec/hash.ts'
import {
  buildSignedTx,
  decodeSignedTx,
  validateTxStatic,
  type SignedTx,
  type TxStaticErrorCode,
} from '../codec/tx.ts'
import { err, ok, type Result } from '../util/result.ts'
import type { Tx } from '../core/tx.ts'
import { assert } from '../util/assert.ts'
import { equalBytes } from '../util/bytes.ts'
import { isLowS, isValidPublicKey, publicKeyOf, signDigest, verifyDigest } from './secp256k1.ts'
import type { VerifyJob } from './verifier.ts'

/** A public key signTx derived, with a digest of the secret-key bytes it was derived from. */
interface DerivedKey {
  readonly secretDigest: Uint8Array
  readonly publicKey: Uint8Array
}

/**
 * Public keys signTx derived, by secret-key array: a client that signs many txs with one key
 * derives its public key once (the derivation costs about as much as the signature: 42 % of the
 * cluster bench's signing time). Held weakly, so an entry lives no longer than the caller's array;
 * the digest (not the secret) tells a caller that changed the array's bytes in place, whose key is
 * then derived again. A memo of a pure function: no result depends on what it holds.
 */
const derivedKeys = new WeakMap<Uint8Array, DerivedKey>()

/** The public key of `secretKey`, derived once per secret-key array and content. */
function signerKeyOf(secretKey: Uint8Array): Uint8Array {
  const secretDigest = sha256Plain(secretKey)
  const known = derivedKeys.get(secretKey)
  if (known && equalBytes(known.secretDigest, secretDigest)) return known.publicKey
  const publicKey = publicKeyOf(secretKey)
  derivedKeys.set(secretKey, { secretDigest, publicKey })
  return publicKey
}

/**
 * Signs `tx` with `secretKey`, which must belong to `tx.signerPublicKey`.
 * @throws {AssertionError} if the key does not match the tx's signer.
 */
export function signTx(tx: Tx, secretKey: Uint8Array): SignedTx {
  assert(equalBytes(signerKeyOf(secretKey), tx.signerPublicKey), 'secret key is not the tx signer')
  const unsigned = buildSignedTx(tx, new Uint8Array(64))
  return buildSignedTx(tx, signDigest(unsigned.txId, secretKey))
}

/** True when the signature of `signed` is a valid low-S signature of its signer over its txId. */
export function verifySignedTx(signed: SignedTx): boolean {
  return verifyDigest(signed.signature, signed.txId, signed.tx.signerPublicKey)
}

/** The verification job of a signed tx, for a `Verifier` (e.g. the node's worker pool). */
export function txVerifyJob(signed: SignedTx): VerifyJob {
  return {
    publicKey: signed.tx.signerPublicKey,
    digest: signed.txId,
    signature: signed.signature,
  }
}

/** Why a signed tx was refused at the door (before any state is consulted). */
export interface TxAdmissionError {
  readonly code:
    CodecErrorCode | TxStaticErrorCode | 'TX_BAD_PUBLIC_KEY' | 'TX_HIGH_S' | 'TX_BAD_SIGNATURE'
  readonly message: string
}

/**
 * Decodes and checks a signed tx without state: canonical encoding, chain id, expiry window at
 * `height`, signer key, low-S and the signature (noble). Nodes use the same steps with the fast
 * verifier; this synchronous form serves the client, tests and tools.
 */
export function checkSignedTx(
  signedBytes: Uint8Array,
  chainId: string,
  height: number,
): Result<SignedTx, TxAdmissionError> {
  const decoded = decodeSignedTx(signedBytes)
  if (!decoded.ok) return err({ code: decoded.error.code, message: decoded.error.message })
  const signed = decoded.value
  const valid = validateTxStatic(signed.tx, chainId, height)
  if (!valid.ok) return valid
  if (!isValidPublicKey(signed.tx.signerPublicKey)) {
    return err({ code: 'TX_BAD_PUBLIC_KEY', message: 'signer key is not a curve point' })
  }
  if (!isLowS(signed.signature)) {
    return err({ code: 'TX_HIGH_S', message: 'signature s is above n/2 (malleable form)' })
  }
  if (!verifySignedTx(signed)) {
    return err({ code: 'TX_BAD_SIGNATURE', message: 'signature does not verify' })
  }
  return ok(signed)
}
