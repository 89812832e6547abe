/**
 * Decoded signed txs by their bytes, so that a validator decodes each tx once: at the mempool's door
 * (gossip or HTTP), and then finds it decoded when the tx comes back in a proposal (signature
 * pre-check, block execution). Decoding is a canonical msgpack decode, a re-encode to prove the form
 * canonical, and a hash for the tx id: about as costly as the rest of a tx's execution together.
 * Only successful decodes are kept; the map is bounded (oldest first out) and holds no state.
 */
import type { CodecError } from '../codec/canonical.ts'
import { decodeSignedTx, type SignedTx } from '../codec/tx.ts'
import { assert } from '../util/assert.ts'
import type { Result } from '../util/result.ts'

/** Decoded txs kept: a few full blocks (BLOCK_TX_COUNT_MAX is 5,000). */
export const DECODED_TX_CACHE_MAX = 20_000

/** The key of a byte string: its bytes as a latin1 string (one char per byte, no hashing). */
function keyOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}

/** A bounded cache in front of `decodeSignedTx`; one per node, used from its main thread. */
export class DecodedTxCache {
  readonly #byBytes = new Map<string, SignedTx>()
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
    return this.#byBytes.size
  }

  /** `decodeSignedTx(bytes)`, from the cache when these bytes were decoded before. */
  readonly decode = (bytes: Uint8Array): Result<SignedTx, CodecError> => {
    const key = keyOf(bytes)
    const known = this.#byBytes.get(key)
    if (known) {
      this.hits++
      return { ok: true, value: known }
    }
    this.misses++
    // Decoded from a copy: the decoded tx refers to its input, and a tx held here must not keep the
    // whole gossip frame or proposal it arrived in alive.
    const decoded = decodeSignedTx(bytes.slice())
    if (decoded.ok) {
      if (this.#byBytes.size >= this.#max) {
        const oldest = this.#byBytes.keys().next().value
        if (oldest !== undefined) this.#byBytes.delete(oldest)
      }
      this.#byBytes.set(key, decoded.value)
    }
    return decoded
  }

  /** Forgets the txs of a committed block (they will not be proposed again). */
  forget(txs: readonly Uint8Array[]): void {
    for (const bytes of txs) this.#byBytes.delete(keyOf(bytes))
  }
}
