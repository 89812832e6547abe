/**
 * Decoded signed txs by their bytes, so that a validator decodes each tx once: at the mempool's door
 * (gossip or HTTP), and then finds it decoded when the tx comes back in a proposal (signature
 * pre-check, block execution). Decoding is a canonical msgpack decode, a re-encode to prove the form
 * canonical, and a hash for the tx id: about as costly as the rest of a tx's execution together.
 * Only successful decodes are kept; the map is bounded (oldest first out) and holds no state.
 *
 * Decision: the map's key is a number, the last six bytes of the signed bytes (the end of the
 * signature's s), and a lookup confirms the whole byte string against the held tx. A latin1 string
 * of all ~186 bytes cost a string allocation and its hashing per lookup: about 4 % of a validator's
 * event loop under load (docs/BENCHMARKS.md "Cluster", ninth session). Two different byte strings
 * with one key (by chance, or crafted: s is public once a tx is gossiped) share a slot: the first
 * keeps it, the second is decoded every time, as without a cache. Nothing else depends on it.
 */
import type { CodecError } from '../codec/canonical.ts'
import { decodeSignedTx, type SignedTx } from '../codec/tx.ts'
import { assert } from '../util/assert.ts'
import { equalBytes } from '../util/bytes.ts'
import type { Result } from '../util/result.ts'

/** Decoded txs kept: a few full blocks (BLOCK_TX_COUNT_MAX is 5,000). */
export const DECODED_TX_CACHE_MAX = 20_000

/** Bytes of the key: 48 bits, exact in a double. */
const KEY_BYTES = 6

/** The slot of a byte string: its last six bytes as a number (fewer bytes: -1 - length). */
function keyOf(bytes: Uint8Array): number {
  const n = bytes.length
  if (n < KEY_BYTES) return -1 - n
  return (
    (bytes[n - 6]! * 0x10000 + bytes[n - 5]! * 0x100 + bytes[n - 4]!) * 0x1000000 +
    (bytes[n - 3]! * 0x10000 + bytes[n - 2]! * 0x100 + bytes[n - 1]!)
  )
}

/** A bounded cache in front of `decodeSignedTx`; one per node, used from its main thread. */
export class DecodedTxCache {
  readonly #byKey = new Map<number, SignedTx>()
  readonly #max: number
  hits = 0
  misses = 0

  /** @throws {AssertionError} on a non-positive bound. */
  constructor(max = DECODED_TX_CACHE_MAX) {
    assert(Number.isInteger(max) && max > 0, `decoded tx cache bound ${max}`)
    this.#max = max
  }

  /** Number of decoded txs held. */
  get size(): number {
    return this.#byKey.size
  }

  /** `decodeSignedTx(bytes)`, from the cache when these bytes were decoded before. */
  readonly decode = (bytes: Uint8Array): Result<SignedTx, CodecError> => {
    const key = keyOf(bytes)
    const known = this.#byKey.get(key)
    const hit = this.#match(known, bytes)
    if (hit !== undefined) {
      this.hits++
      return { ok: true, value: hit }
    }
    this.misses++
    // decodeSignedTx decodes its own copy of the bytes: a tx held here does not keep the whole
    // gossip frame or proposal it arrived in alive.
    const decoded = decodeSignedTx(bytes)
    // A slot held by other bytes stays theirs (see the module header).
    if (decoded.ok && known === undefined) {
      if (this.#byKey.size >= this.#max) {
        const oldest = this.#byKey.keys().next().value
        if (oldest !== undefined) this.#byKey.delete(oldest)
      }
      this.#byKey.set(key, decoded.value)
    }
    return decoded
  }

  /** Forgets the txs of a committed block (they will not be proposed again). */
  forget(txs: readonly Uint8Array[]): void {
    for (const bytes of txs) {
      const key = keyOf(bytes)
      if (this.#match(this.#byKey.get(key), bytes) !== undefined) this.#byKey.delete(key)
    }
  }

  /** `known`, the tx in the slot of `bytes`, when it is the decode of exactly these bytes. */
  #match(known: SignedTx | undefined, bytes: Uint8Array): SignedTx | undefined {
    return known !== undefined && equalBytes(known.signedBytes, bytes) ? known : undefined
  }
}
