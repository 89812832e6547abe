/**
 * The browser wallet: keys created or imported in the page, kept only as encrypted keystores
 * (src/client/keys.ts: scrypt + AES-256-GCM) in localStorage. An unlocked key lives in memory for
 * the page's lifetime and is never sent anywhere: the console signs txs locally and posts them.
 */
import {
  generateKeyPair,
  keyPairOf,
  openKeystore,
  sealKeystore,
  type KeyPair,
  type Keystore,
} from '../src/client/keys.ts'
import { isValidSecretKey } from '../src/crypto/secp256k1.ts'
import { fromHex } from '../src/util/bytes.ts'
import { err, ok, type Result } from '../src/util/result.ts'
import type { CodedError } from './api.ts'

const STORE_KEY = 'pointsnode.keystores'

/** A stored (encrypted) key with its label. */
export interface StoredKey {
  readonly label: string
  readonly keystore: Keystore
}

/** The stored keys, oldest first. */
export function storedKeys(): StoredKey[] {
  try {
    const parsed = JSON.parse(localStorage.getItem(STORE_KEY) ?? '[]') as unknown
    return Array.isArray(parsed) ? (parsed as StoredKey[]) : []
  } catch {
    return []
  }
}

function save(keys: readonly StoredKey[]): void {
  localStorage.setItem(STORE_KEY, JSON.stringify(keys))
}

function checkPassword(password: string): Result<true, CodedError> {
  if (password.length < 8) {
    return err({
      code: 'CONSOLE_WEAK_PASSWORD',
      message: 'use a password of at least 8 characters',
    })
  }
  return ok(true)
}

function remember(label: string, pair: KeyPair, password: string): Result<KeyPair, CodedError> {
  const checked = checkPassword(password)
  if (!checked.ok) return checked
  const others = storedKeys().filter((k) => k.keystore.address !== pair.addressHex)
  save([
    ...others,
    { label: label || pair.addressHex.slice(0, 8), keystore: sealKeystore(pair, password) },
  ])
  return ok(pair)
}

/** Creates a new key, stores it encrypted under `password`, and returns it unlocked. */
export function createKey(label: string, password: string): Result<KeyPair, CodedError> {
  return remember(label, generateKeyPair(), password)
}

/** Imports a secret key (64 hex characters) and stores it encrypted under `password`. */
export function importSecretKey(
  label: string,
  secretHex: string,
  password: string,
): Result<KeyPair, CodedError> {
  const hex = secretHex.trim().replace(/^0x/i, '').toLowerCase()
  if (!/^[0-9a-f]{64}$/.test(hex) || !isValidSecretKey(fromHex(hex))) {
    return err({ code: 'CONSOLE_BAD_SECRET_KEY', message: 'a secret key is 64 hex characters' })
  }
  return remember(label, keyPairOf(fromHex(hex)), password)
}

/** Imports a keystore file (JSON text): checks it opens with `password`, then stores it. */
export function importKeystore(
  label: string,
  json: string,
  password: string,
): Result<KeyPair, CodedError> {
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch {
    return err({ code: 'CONSOLE_BAD_KEYSTORE', message: 'the keystore is not JSON' })
  }
  const opened = openKeystore(parsed, password)
  if (!opened.ok) return opened
  const others = storedKeys().filter((k) => k.keystore.address !== opened.value.addressHex)
  save([
    ...others,
    { label: label || opened.value.addressHex.slice(0, 8), keystore: parsed as Keystore },
  ])
  return opened
}

/** Unlocks the stored key of `address` with `password`. */
export function unlockKey(address: string, password: string): Result<KeyPair, CodedError> {
  const stored = storedKeys().find((k) => k.keystore.address === address)
  if (!stored) return err({ code: 'CONSOLE_NO_SUCH_KEY', message: `no stored key ${address}` })
  return openKeystore(stored.keystore, password)
}
