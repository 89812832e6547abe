/**
 * secp256k1 keys, addresses and ECDSA signatures over 32-byte digests, on @noble/secp256k1 with
 * every option written out. Spec: docs/protocol/encoding.md#signatures.
 *
 * - Signatures are 64-byte compact `r ‖ s`, deterministic (RFC 6979), low-S.
 * - The signed message is a domain-tagged digest (`prehash: false`): the digest is already
 *   `sha256(tag ‖ bytes)`, and the node's fast verifier (libsecp256k1) checks the same digest.
 * - Verification rejects high-S (`s > n/2`) so a signature has exactly one accepted form.
 */
import * as secp from '@noble/secp256k1'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { sha256Plain } from '../codec/hash.ts'
import { assert } from '../util/assert.ts'
import { compareBytes, fromHex, toHex } from '../util/bytes.ts'

secp.hashes.sha256 = sha256
secp.hashes.hmacSha256 = (key, message) => hmac(sha256, key, message)

/** Bytes in a secret key, a compressed public key, a compact signature and an address. */
export const SECRET_KEY_BYTES = 32
export const PUBLIC_KEY_BYTES = 33
export const SIGNATURE_BYTES = 64
export const ADDRESS_BYTES = 20

/** The curve order n and n/2, for the low-S rule. */
export const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
export const HALF_CURVE_ORDER = CURVE_ORDER >> 1n
// n/2 as 32 big-endian bytes: `isLowS` compares bytes rather than parse a bigint for every tx.
const HALF_CURVE_ORDER_BYTES = fromHex(HALF_CURVE_ORDER.toString(16).padStart(64, '0'))

/** A fresh random secret key from the platform CSPRNG. Not for use in the deterministic core. */
export function generateSecretKey(): Uint8Array {
  return secp.utils.randomSecretKey()
}

/** True when `secretKey` is a valid secp256k1 scalar (1 ≤ k < n). */
export function isValidSecretKey(secretKey: Uint8Array): boolean {
  if (secretKey.length !== SECRET_KEY_BYTES) return false
  const k = BigInt(`0x${toHex(secretKey)}`)
  return k > 0n && k < CURVE_ORDER
}

/** The 33-byte compressed public key of `secretKey`. */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  assert(isValidSecretKey(secretKey), 'invalid secret key')
  return secp.getPublicKey(secretKey, true)
}

/** True when `publicKey` is a 33-byte compressed point on the curve. */
export function isValidPublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES) return false
  try {
    secp.Point.fromBytes(publicKey)
    return true
  } catch {
    // Not on the curve or not a valid compressed encoding: the answer is "invalid".
    return false
  }
}

/** `address = sha256(compressedPubKey)[0..20]`, as bytes. Spec: SPEC.md section 2. */
export function addressOf(publicKey: Uint8Array): Uint8Array {
  assert(
    publicKey.length === PUBLIC_KEY_BYTES,
    `public key must be 33 bytes, got ${publicKey.length}`,
  )
  return sha256Plain(publicKey).slice(0, ADDRESS_BYTES)
}

/** Signs a 32-byte digest: 64-byte compact, low-S, RFC 6979 deterministic nonce. */
export function signDigest(digest: Uint8Array, secretKey: Uint8Array): Uint8Array {
  assert(digest.length === 32, `digest must be 32 bytes, got ${digest.length}`)
  const signature = secp.sign(digest, secretKey, {
    prehash: false,
    lowS: true,
    format: 'compact',
    extraEntropy: false,
  })
  assert(signature.length === SIGNATURE_BYTES, 'compact signature is 64 bytes')
  assert(isLowS(signature), 'noble signs low-S')
  return signature
}

/** True when the compact signature's `s` is in the lower half of the order (and non-zero). */
export function isLowS(signature: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES) return false
  const s = signature.subarray(32, 64)
  return !s.every((b) => b === 0) && compareBytes(s, HALF_CURVE_ORDER_BYTES) <= 0
}

/** Verifies a compact low-S signature over a 32-byte digest. Never throws on bad input. */
export function verifyDigest(
  signature: Uint8Array,
  digest: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  if (signature.length !== SIGNATURE_BYTES || digest.length !== 32) return false
  if (publicKey.length !== PUBLIC_KEY_BYTES || !isLowS(signature)) return false
  try {
    return secp.verify(signature, digest, publicKey, {
      prehash: false,
      lowS: true,
      format: 'compact',
    })
  } catch {
    // Malformed point or scalar: not a valid signature.
    return false
  }
}

/** The high-S twin of a low-S signature (`s' = n − s`): valid ECDSA, but rejected by this protocol. */
export function toHighS(signature: Uint8Array): Uint8Array {
  assert(signature.length === SIGNATURE_BYTES, 'compact signature is 64 bytes')
  const s = BigInt(`0x${toHex(signature.subarray(32, 64))}`)
  const out = signature.slice()
  out.set(fromHex((CURVE_ORDER - s).toString(16).padStart(64, '0')), 32)
  return out
}

/** ECDH shared secret (33-byte compressed point) between a secret and a public key. */
export function sharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return secp.getSharedSecret(secretKey, publicKey, true)
}
