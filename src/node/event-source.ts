/**
 * The node's `BlockEventSource` for the API's event streams (src/api/events.ts): committed blocks read
 * from the ledger, summarised (hash, time, tx count, and per tx the addresses it concerns, as the
 * account-history index derives them) and kept in a small cache, because every subscriber reads the
 * same recent blocks. The per-tx part is made when an account stream first reads it: the block
 * stream sends headers only, and should not decode and hash every tx for them.
 * Spec: SPEC §9; docs/api.md.
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

/**
 * Most txs in the cached blocks together; the newest block is kept whatever its size.
 *
 * Decision: 20,000 (four full blocks). A bound in blocks alone let the cache hold 256 full blocks
 * of BLOCK_TX_COUNT_MAX txs under sustained load: 1.28 M tx summaries, some 400 MB. A cached tx
 * costs its bytes in the block (~190 for a transfer) and, once an account stream has read it, its
 * summary (~300 bytes of strings and objects), so 20,000 txs stay under 10 MB. Subscribers that
 * follow the head read each new block right after its commit, which the newest blocks serve.
 */
export const EVENT_CACHE_TXS_MAX = 20_000

function txSummaryOf(signedBytes: Uint8Array, index: number): TxSummary {
  const decoded = decodeSignedTx(signedBytes)
  assert(decoded.ok, `committed tx ${index} decodes`)
  const { tx, txId } = decoded.value
  const addresses = [addressOf(tx.signerPublicKey), ...counterparties(tx)].map(toHex)
  return { txId: toHex(txId), index, kind: tx.kind, addresses: [...new Set(addresses)] }
}

/** Bounds of the block cache (tests use small ones). */
export interface EventCacheLimits {
  readonly blocksMax: number
  readonly txsMax: number
}

/** Builds the source over `ledger`; `head` and `onCommitted` come from the running node. */
export function ledgerEventSource(
  ledger: Pick<Ledger, 'loadBlock'>,
  head: () => number,
  onCommitted: (listener: (height: number) => void) => () => void,
  limits: EventCacheLimits = { blocksMax: EVENT_CACHE_BLOCKS_MAX, txsMax: EVENT_CACHE_TXS_MAX },
): BlockEventSource {
  assert(limits.blocksMax >= 1 && limits.txsMax >= 0, 'event cache bounds')
  const cache = new Map<number, BlockSummary>()
  let cachedTxs = 0
  const block = async (height: number): Promise<BlockSummary | undefined> => {
    const cached = cache.get(height)
    if (cached) return cached
    if (height < 1 || height > head()) return undefined
    const stored = await ledger.loadBlock(height)
    if (!stored) return undefined
    const { header, txs } = stored.block
    assert(header.height === height, `block at ${height} has height ${header.height}`)
    let summaries: readonly TxSummary[] | null = null
    const summary: BlockSummary = {
      height,
      blockHash: toHex(stored.hash),
      txCount: txs.length,
      time: header.time.toString(),
      get txs(): readonly TxSummary[] {
        summaries ??= txs.map(txSummaryOf)
        return summaries
      },
    }
    // A concurrent read of the same height may have cached it meanwhile: keep one copy.
    const raced = cache.get(height)
    if (raced) return raced
    cache.set(height, summary)
    cachedTxs += txs.length
    // Evict the oldest entries (insertion order is fine here: nothing consensus-relevant).
    for (const [oldest, entry] of cache) {
      if (cache.size <= limits.blocksMax && cachedTxs <= limits.txsMax) break
      if (oldest === height) break
      cache.delete(oldest)
      cachedTxs -= entry.txCount
    }
    return summary
  }
  return { head, block, onCommitted }
}
