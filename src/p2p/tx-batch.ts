/**
 * The tx gossip frames. `/pointsnode/tx/2`: the nodes the frame's txs were sent to (`reached`)
 * and a canonical list of signed-tx byte strings; `/pointsnode/tx/1` (still read): the list alone.
 * Frames are split so that each stays within TX_BATCH_COUNT_MAX txs and TX_MESSAGE_BYTES_MAX bytes.
 * The p2p layer does not decode the txs themselves; the node validates them.
 * Spec: docs/protocol/p2p.md#tx-gossip.
 */
import { decodeCanonical, encodeCanonical, type CodecError } from '../codec/canonical.ts'
import { bytes, list, struct } from '../codec/schema.ts'
import { SIGNED_TX_BYTES_MAX } from '../core/limits.ts'
import { assert } from '../util/assert.ts'
import { ok, type Result } from '../util/result.ts'
import { TX_BATCH_COUNT_MAX, TX_MESSAGE_BYTES_MAX, TX_REACHED_MAX } from './limits.ts'

/** Wire schema of a `/pointsnode/tx/1` frame: the txs alone. */
export const TX_BATCH_SCHEMA = list(bytes(1, SIGNED_TX_BYTES_MAX), TX_BATCH_COUNT_MAX)

/**
 * Wire schema of a `/pointsnode/tx/2` frame. `reached`: public keys of nodes that hold the txs or
 * were sent them (the origin, each forwarder, and the peers each of them sent them to); a receiver
 * forwards only to its peers that are not in it.
 */
export const TX_GOSSIP_SCHEMA = struct('TxGossip', {
  reached: list(bytes(33), TX_REACHED_MAX),
  txs: TX_BATCH_SCHEMA,
})

/** A decoded gossip frame. */
export interface TxGossip {
  readonly reached: readonly Uint8Array[]
  readonly txs: readonly Uint8Array[]
}

// msgpack overhead per item (bin32 header) and per list (array32 header), as an upper bound.
const ITEM_OVERHEAD_BYTES = 5
const LIST_OVERHEAD_BYTES = 5

/**
 * Encodes `txs` into one or more `/pointsnode/tx/2` frames, each carrying `reached`.
 * @throws {AssertionError} if an item is empty or larger than SIGNED_TX_BYTES_MAX, or `reached`
 *   has more than TX_REACHED_MAX keys or one not of 33 bytes (a caller bug).
 */
export function encodeTxBatches(
  txs: readonly Uint8Array[],
  reached: readonly Uint8Array[],
): Uint8Array[] {
  assert(reached.length <= TX_REACHED_MAX, `${reached.length} reached keys`)
  for (const key of reached) assert(key.length === 33, `reached key of ${key.length} bytes`)
  const encode = (batch: Uint8Array[]): Uint8Array =>
    encodeCanonical(TX_GOSSIP_SCHEMA, { reached, txs: batch })
  // The frame's tuple and the reached list come before the txs' own list.
  const header = 2 * LIST_OVERHEAD_BYTES + reached.length * (33 + ITEM_OVERHEAD_BYTES)
  const frames: Uint8Array[] = []
  let batch: Uint8Array[] = []
  let size = header + LIST_OVERHEAD_BYTES
  for (const tx of txs) {
    assert(tx.length >= 1 && tx.length <= SIGNED_TX_BYTES_MAX, `gossip item of ${tx.length} bytes`)
    const itemSize = tx.length + ITEM_OVERHEAD_BYTES
    if (batch.length === TX_BATCH_COUNT_MAX || size + itemSize > TX_MESSAGE_BYTES_MAX) {
      frames.push(encode(batch))
      batch = []
      size = header + LIST_OVERHEAD_BYTES
    }
    batch.push(tx)
    size += itemSize
  }
  if (batch.length > 0) frames.push(encode(batch))
  for (const frame of frames) assert(frame.length <= TX_MESSAGE_BYTES_MAX, 'gossip frame too big')
  return frames
}

/** Decodes a `/pointsnode/tx/2` frame (canonical form required). */
export function decodeTxGossip(frame: Uint8Array): Result<TxGossip, CodecError> {
  return decodeCanonical(TX_GOSSIP_SCHEMA, frame, TX_MESSAGE_BYTES_MAX)
}

/**
 * Decodes a `/pointsnode/tx/1` frame (canonical form required), from a node of an earlier
 * version: it names no reached nodes, so its txs are forwarded to every other peer.
 */
export function decodeTxBatchV1(frame: Uint8Array): Result<TxGossip, CodecError> {
  const txs = decodeCanonical(TX_BATCH_SCHEMA, frame, TX_MESSAGE_BYTES_MAX)
  return txs.ok ? ok({ reached: [], txs: txs.value }) : txs
}
