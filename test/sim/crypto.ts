/**
 * Signers and verifiers for the simulator. `fastCrypto` is a keyed-hash stand-in for secp256k1 that
 * is unforgeable inside the simulation (the secrets never leave this module), two orders of
 * magnitude faster; `realCrypto` is the production secp256k1 path, used by a share of the runs.
 */
import { createHash } from 'node:crypto'
import type { Signer, VerifyDigest } from '../../src/consensus/messages.ts'
import { signDigest, verifyDigest } from '../../src/crypto/secp256k1.ts'
import { concatBytes, equalBytes, toHex } from '../../src/util/bytes.ts'
import { testKey } from '../support/fixtures.ts'

/** A validator key of the simulation. */
export interface SimKey {
  readonly label: string
  readonly secretKey: Uint8Array
  readonly publicKey: Uint8Array
}

const keyCache = new Map<string, SimKey>()

/** The fixed key of simulated node `index` (deterministic, cached). */
export function simKey(index: number): SimKey {
  const label = `sim-validator-${index}`
  let key = keyCache.get(label)
  if (!key) {
    const k = testKey(label)
    key = { label, secretKey: k.secretKey, publicKey: k.publicKey }
    keyCache.set(label, key)
  }
  return key
}

/** How the engines of one simulation sign and verify. */
export interface SimCrypto {
  signer(key: SimKey): Signer
  readonly verify: VerifyDigest
}

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest())
}

function fakeSignature(secretKey: Uint8Array, digest: Uint8Array): Uint8Array {
  const a = sha256(concatBytes(secretKey, digest))
  return concatBytes(a, sha256(concatBytes(digest, a)))
}

const secrets = new Map<string, Uint8Array>()

/** Keyed-hash signatures: sig = H(secret ‖ digest) ‖ H(digest ‖ that); verified with the secret. */
export function fastCrypto(): SimCrypto {
  return {
    signer(key) {
      secrets.set(toHex(key.publicKey), key.secretKey)
      return { publicKey: key.publicKey, signDigest: (d) => fakeSignature(key.secretKey, d) }
    },
    verify(signature, digest, publicKey) {
      const secret = secrets.get(toHex(publicKey))
      if (!secret || signature.length !== 64) return false
      return equalBytes(fakeSignature(secret, digest), signature)
    },
  }
}

/** Production secp256k1 signing and verification (noble), with a verification cache. */
export function realCrypto(): SimCrypto {
  const cache = new Map<string, boolean>()
  return {
    signer(key) {
      return { publicKey: key.publicKey, signDigest: (d) => signDigest(d, key.secretKey) }
    },
    verify(signature, digest, publicKey) {
      const id = `${toHex(signature)}${toHex(digest)}${toHex(publicKey)}`
      let result = cache.get(id)
      if (result === undefined) {
        result = verifyDigest(signature, digest, publicKey)
        cache.set(id, result)
      }
      return result
    },
  }
}
