/**
 * The node's `BlockEventSource` for the API's event streams (src/api/events.ts): committed blocks read
 * from the ledger, summarised (hash, time, tx count, and per tx the addresses it concerns, as the
 * account-history index derives them) and kept in a small cache, because every subscriber reads the
 * same recent blocks. Spec: SPEC §9; docs/api.md.
 */
import type { BlockEventSource, BlockSummary, TxSummary } from '../api/events.ts'
import { decodeSignedTx } from '../codec/tx.ts'
import { addressOf } from '../crypto/secp256k1.ts'
import type { Ledger } from '../ledger/ledger.ts'
import { assert } from '../util/assert.ts'
import { toHex } from '../util/bytes.ts'
import { counterparties } from './index-entries.ts'

/** Block summaries kept in memory (the most recently read). */
export const EVENT_CACHE_BLOCKS_MAX = 256

function txSummaryOf(signedBytes: Uint8Array, index: number): TxSummary {
  const decoded = decodeSignedTx(signedBytes)
  assert(decoded.ok, `committed tx ${index} decodes`)
  const { tx, txId } = decoded.value
  const addresses = [addressOf(tx.signerPublicKey), ...counterparties(tx)].map(toHex)
  return { txId: toHex(txId), index, kind: tx.kind, addresses: [...new Set(addresses)] }
}

/** Builds the source over `ledger`; `head` and `onCommitted` come from the running node. */
export function ledgerEventSource(
  ledger: Ledger,
  head: () => number,
  onCommitted: (listener: (height: number) => void) => () => void,
): BlockEventSource {
  const cache = new Map<number, BlockSummary>()
  const block = async (height: number): Promise<BlockSummary | undefined> => {
    const cached = cache.get(height)
    if (cached) return cached
    if (height < 1 || height > head()) return undefined
    const stored = await ledger.loadBlock(height)
    if (!stored) return undefined
    const { header, txs } = stored.block
    assert(header.height === height, `block at ${height} has height ${header.height}`)
    const summary: BlockSummary = {
      height,
      blockHash: toHex(stored.hash),
      txCount: txs.length,
      time: header.time.toString(),
      txs: txs.map(txSummaryOf),
    }
    cache.set(height, summary)
    // Evict the oldest entry (insertion order is fine here: nothing consensus-relevant).
    if (cache.size > EVENT_CACHE_BLOCKS_MAX) cache.delete(cache.keys().next().value ?? height)
    return summary
  }
  return { head, block, onCommitted }
}
