/**
 * The node's key file: its validator (and libp2p) secret key, stored as JSON with file mode 0600,
 * like CometBFT's priv_validator_key.json: a validator must start unattended, so the key is
 * protected by the file system, not by a password. Consumers' keys use the encrypted keystore
 * (src/client/keys.ts) instead.
 */
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { keyPairOf, type KeyPair } from '../client/keys.ts'
import { generateSecretKey, isValidSecretKey } from '../crypto/secp256k1.ts'
import { fromHex, isHex, toHex } from '../util/bytes.ts'
import { NodeError } from '../util/errors.ts'

/** File name of the node key inside a node home. */
export const NODE_KEY_FILE = 'node-key.json'

/** Path of the key file of `home`. */
export function nodeKeyPath(home: string): string {
  return join(home, NODE_KEY_FILE)
}

/**
 * Creates a new node key in `home`.
 * @throws {NodeError} KEY_EXISTS if a key is already there (never overwrite a validator key).
 */
export function createNodeKey(home: string, secretKey: Uint8Array = generateSecretKey()): KeyPair {
  const path = nodeKeyPath(home)
  if (existsSync(path))
    throw new NodeError('KEY_EXISTS', `${path} exists; refusing to overwrite a key`)
  const keys = keyPairOf(secretKey)
  const body = {
    address: keys.addressHex,
    publicKey: toHex(keys.publicKey),
    secretKey: toHex(secretKey),
  }
  writeFileSync(path, JSON.stringify(body, null, 2) + '\n', { mode: 0o600, flag: 'wx' })
  chmodSync(path, 0o600)
  return keys
}

/**
 * Loads the node key of `home`.
 * @throws {NodeError} KEY_MISSING, KEY_PERMISSIONS (readable by others) or KEY_INVALID.
 */
export function loadNodeKey(home: string): KeyPair {
  const path = nodeKeyPath(home)
  if (!existsSync(path))
    throw new NodeError('KEY_MISSING', `no node key at ${path}; run pointsnode init`)
  const mode = statSync(path).mode & 0o777
  if ((mode & 0o077) !== 0) {
    throw new NodeError('KEY_PERMISSIONS', `${path} has mode ${mode.toString(8)}; chmod 600 it`)
  }
  let parsed: { secretKey?: unknown; address?: unknown }
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as typeof parsed
  } catch (cause) {
    throw new NodeError('KEY_INVALID', `${path} is not JSON`, { cause })
  }
  const hex = parsed.secretKey
  if (typeof hex !== 'string' || !isHex(hex) || !isValidSecretKey(fromHex(hex))) {
    throw new NodeError('KEY_INVALID', `${path} has no valid secretKey`)
  }
  const keys = keyPairOf(fromHex(hex))
  if (parsed.address !== keys.addressHex) {
    throw new NodeError('KEY_INVALID', `${path}: address does not match the secret key`)
  }
  return keys
}
