/**
 * Encrypted voucher details: ECDH on secp256k1 + AES-256-GCM, sealed to the operator's public key.
 * Spec: SPEC.md section 3 (`points.issue`); docs/protocol/encoding.md#voucher-detail.
 *
 * Box layout: `version(1) ‖ ephemeralPublicKey(33) ‖ nonce(12) ‖ ciphertext ‖ tag(16)`.
 * Key: `sha256("pointsnode/voucher-key#" ‖ ecdhPoint(33) ‖ ephemeralPublicKey)`. The associated data
 * is the voucher digest, so a box cannot be moved to another issuance.
 */
import { gcm } from '@noble/ciphers/aes.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { hashTagged } from '../codec/hash.ts'
import { concatBytes } from '../util/bytes.ts'
import { err, ok, type Result } from '../util/result.ts'
import {
  generateSecretKey,
  isValidPublicKey,
  isValidSecretKey,
  publicKeyOf,
  sharedSecret,
} from './secp256k1.ts'

/** Box format version. */
export const VOUCHER_BOX_VERSION = 1
const HEADER_BYTES = 1 + 33 + 12
const TAG_BYTES = 16

/** Why a box could not be opened. */
export interface VoucherBoxError {
  readonly code: 'VOUCHER_BOX_MALFORMED' | 'VOUCHER_BOX_AUTH_FAILED'
  readonly message: string
}

/** Randomness for sealing; injectable so that tests and vectors are reproducible. */
export interface SealRandomness {
  readonly ephemeralSecretKey: Uint8Array
  readonly nonce: Uint8Array
}

function boxKey(point: Uint8Array, ephemeralPublicKey: Uint8Array): Uint8Array {
  return hashTagged('voucherKey', point, ephemeralPublicKey)
}

/** Seals `plaintext` to `recipientPublicKey`, bound to `voucherDigest`. */
export function sealVoucherDetail(
  plaintext: Uint8Array,
  recipientPublicKey: Uint8Array,
  voucherDigest: Uint8Array,
  randomness: SealRandomness = { ephemeralSecretKey: generateSecretKey(), nonce: randomBytes(12) },
): Uint8Array {
  const { ephemeralSecretKey, nonce } = randomness
  const ephemeralPublicKey = publicKeyOf(ephemeralSecretKey)
  const key = boxKey(sharedSecret(ephemeralSecretKey, recipientPublicKey), ephemeralPublicKey)
  const sealed = gcm(key, nonce, voucherDigest).encrypt(plaintext)
  return concatBytes(Uint8Array.of(VOUCHER_BOX_VERSION), ephemeralPublicKey, nonce, sealed)
}

/** Opens a box with the recipient's secret key; coded errors for malformed or forged boxes. */
export function openVoucherDetail(
  box: Uint8Array,
  recipientSecretKey: Uint8Array,
  voucherDigest: Uint8Array,
): Result<Uint8Array, VoucherBoxError> {
  if (box.length < HEADER_BYTES + TAG_BYTES || box[0] !== VOUCHER_BOX_VERSION) {
    return err({ code: 'VOUCHER_BOX_MALFORMED', message: `box of ${box.length} bytes` })
  }
  const ephemeralPublicKey = box.subarray(1, 34)
  if (!isValidPublicKey(ephemeralPublicKey) || !isValidSecretKey(recipientSecretKey)) {
    return err({ code: 'VOUCHER_BOX_MALFORMED', message: 'invalid ephemeral or recipient key' })
  }
  const key = boxKey(sharedSecret(recipientSecretKey, ephemeralPublicKey), ephemeralPublicKey)
  try {
    return ok(gcm(key, box.subarray(34, 46), voucherDigest).decrypt(box.subarray(HEADER_BYTES)))
  } catch {
    // GCM authentication failed: wrong key, wrong digest or tampered box.
    return err({ code: 'VOUCHER_BOX_AUTH_FAILED', message: 'box does not authenticate' })
  }
}
