/**
 * The tx gossip frame: a canonical list of signed-tx byte strings, split so that every frame stays
 * within TX_BATCH_COUNT_MAX items and TX_MESSAGE_BYTES_MAX bytes. The p2p layer does not decode the
 * txs themselves; the node validates them. Spec: docs/protocol/p2p.md#tx-gossip.
 */
import { decodeCanonical, encodeCanonical, type CodecError } from '../codec/canonical.ts'
import { bytes, list } from '../codec/schema.ts'
import { SIGNED_TX_BYTES_MAX } from '../core/limits.ts'
import { assert } from '../util/assert.ts'
import type { Result } from '../util/result.ts'
import { TX_BATCH_COUNT_MAX, TX_MESSAGE_BYTES_MAX } from './limits.ts'

/** Wire schema of a gossip batch. */
export const TX_BATCH_SCHEMA = list(bytes(1, SIGNED_TX_BYTES_MAX), TX_BATCH_COUNT_MAX)

// msgpack overhead per item (bin32 header) and per list (array32 header), as an upper bound.
const ITEM_OVERHEAD_BYTES = 5
const LIST_OVERHEAD_BYTES = 5

/**
 * Encodes `txs` into one or more frames.
 * @throws {AssertionError} if an item is empty or larger than SIGNED_TX_BYTES_MAX (a caller bug).
 */
export function encodeTxBatches(txs: readonly Uint8Array[]): Uint8Array[] {
  const frames: Uint8Array[] = []
  let batch: Uint8Array[] = []
  let size = LIST_OVERHEAD_BYTES
  for (const tx of txs) {
    assert(tx.length >= 1 && tx.length <= SIGNED_TX_BYTES_MAX, `gossip item of ${tx.length} bytes`)
    const itemSize = tx.length + ITEM_OVERHEAD_BYTES
    if (batch.length === TX_BATCH_COUNT_MAX || size + itemSize > TX_MESSAGE_BYTES_MAX) {
      frames.push(encodeCanonical(TX_BATCH_SCHEMA, batch))
      batch = []
      size = LIST_OVERHEAD_BYTES
    }
    batch.push(tx)
    size += itemSize
  }
  if (batch.length > 0) frames.push(encodeCanonical(TX_BATCH_SCHEMA, batch))
  for (const frame of frames) assert(frame.length <= TX_MESSAGE_BYTES_MAX, 'gossip frame too big')
  return frames
}

/** Decodes a gossip frame (canonical form required). */
export function decodeTxBatch(frame: Uint8Array): Result<Uint8Array[], CodecError> {
  return decodeCanonical(TX_BATCH_SCHEMA, frame, TX_MESSAGE_BYTES_MAX)
}
