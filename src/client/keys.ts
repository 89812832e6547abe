/**
 * Light-client keys: generation, addresses and an encrypted key file format (keystore) that works in
 * Node and in browsers. Spec: SPEC.md sections 2 and 10. Browser-safe: noble only, no node:* imports.
 *
 * Keystore v1 (JSON): the secret key encrypted with AES-256-GCM under a key derived from the password
 * by scrypt (N = 2^15, r = 8, p = 1), with the address as associated data.
 */
import { gcm } from '@noble/ciphers/aes.js'
import { scrypt } from '@noble/hashes/scrypt.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { addressOf, generateSecretKey, isValidSecretKey, publicKeyOf } from '../crypto/secp256k1.ts'
import { fromHex, isHex, toHex, utf8 } from '../util/bytes.ts'
import { err, ok, type Result } from '../util/result.ts'

/** A key pair with its address. */
export interface KeyPair {
  readonly secretKey: Uint8Array
  readonly publicKey: Uint8Array
  /** 20 bytes. */
  readonly address: Uint8Array
  /** 40 lowercase hex characters. */
  readonly addressHex: string
}

/** The encrypted key file. */
export interface Keystore {
  readonly version: 1
  readonly address: string
  readonly publicKey: string
  readonly kdf: {
    readonly name: 'scrypt'
    readonly n: number
    readonly r: number
    readonly p: number
    readonly salt: string
  }
  readonly cipher: { readonly name: 'aes-256-gcm'; readonly nonce: string }
  readonly ciphertext: string
}

/** Why a keystore could not be opened. */
export interface KeystoreError {
  readonly code: 'KEYSTORE_MALFORMED' | 'KEYSTORE_WRONG_PASSWORD'
  readonly message: string
}

/** scrypt cost; about 0.1 s in a browser. Tests may lower it through `sealKeystore`'s options. */
export const KEYSTORE_SCRYPT_N = 1 << 15

/** The key pair of a secret key. */
export function keyPairOf(secretKey: Uint8Array): KeyPair {
  const publicKey = publicKeyOf(secretKey)
  const address = addressOf(publicKey)
  return { secretKey, publicKey, address, addressHex: toHex(address) }
}

/** A new random key pair. */
export function generateKeyPair(): KeyPair {
  return keyPairOf(generateSecretKey())
}

function deriveKey(password: string, salt: Uint8Array, n: number): Uint8Array {
  return scrypt(utf8(password), salt, { N: n, r: 8, p: 1, dkLen: 32 })
}

/** Encrypts a key pair under `password`. */
export function sealKeystore(keys: KeyPair, password: string, n = KEYSTORE_SCRYPT_N): Keystore {
  const salt = randomBytes(16)
  const nonce = randomBytes(12)
  const ciphertext = gcm(deriveKey(password, salt, n), nonce, keys.address).encrypt(keys.secretKey)
  return {
    version: 1,
    address: keys.addressHex,
    publicKey: toHex(keys.publicKey),
    kdf: { name: 'scrypt', n, r: 8, p: 1, salt: toHex(salt) },
    cipher: { name: 'aes-256-gcm', nonce: toHex(nonce) },
    ciphertext: toHex(ciphertext),
  }
}

function isKeystoreShape(value: unknown): value is Keystore {
  if (typeof value !== 'object' || value === null) return false
  const k = value as Partial<Keystore>
  const hexFields = [k.address, k.publicKey, k.ciphertext, k.kdf?.salt, k.cipher?.nonce]
  const n = k.kdf?.n
  return (
    k.version === 1 &&
    hexFields.every((f) => typeof f === 'string' && isHex(f)) &&
    k.kdf?.name === 'scrypt' &&
    typeof n === 'number' &&
    Number.isInteger(n) &&
    n >= 2 &&
    n <= 1 << 20 &&
    (n & (n - 1)) === 0 &&
    k.kdf.r === 8 &&
    k.kdf.p === 1 &&
    k.cipher?.name === 'aes-256-gcm'
  )
}

/** Decrypts a keystore (parsed JSON) with `password`. */
export function openKeystore(value: unknown, password: string): Result<KeyPair, KeystoreError> {
  if (!isKeystoreShape(value)) {
    return err({ code: 'KEYSTORE_MALFORMED', message: 'not a version 1 keystore' })
  }
  const key = deriveKey(password, fromHex(value.kdf.salt), value.kdf.n)
  let secretKey: Uint8Array
  try {
    const cipher = gcm(key, fromHex(value.cipher.nonce), fromHex(value.address))
    secretKey = cipher.decrypt(fromHex(value.ciphertext))
  } catch {
    // GCM authentication failed: wrong password or a modified file.
    return err({ code: 'KEYSTORE_WRONG_PASSWORD', message: 'wrong password or modified keystore' })
  }
  if (!isValidSecretKey(secretKey)) {
    return err({ code: 'KEYSTORE_MALFORMED', message: 'decrypted secret key is invalid' })
  }
  const pair = keyPairOf(secretKey)
  if (pair.addressHex !== value.address) {
    return err({ code: 'KEYSTORE_MALFORMED', message: 'address does not match the key' })
  }
  return ok(pair)
}
