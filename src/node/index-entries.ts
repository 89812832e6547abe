/**
 * Derives the ledger's index records from a committed block's execution: account history, issuance
 * by voucher, rate history, auction results and per-enterprise daily statistics.
 * Spec: docs/protocol/storage.md#indexes. Deterministic: only the block and its execution are read.
 */
import type { ChainExecution } from '../chain/app.ts'
import type { BlockHeader } from '../core/block.ts'
import type { Tx } from '../core/tx.ts'
import type {
  AuctionRecord,
  HistoryRecord,
  IndexEntries,
  IssuanceRecord,
  RateRecord,
  StatsDelta,
} from '../ledger/records.ts'
import { equalBytes, toHex } from '../util/bytes.ts'
import { signerAddress } from '../vm/execute.ts'

/** Addresses a tx concerns besides its signer (receivers, acceptors, admitted enterprises). */
export function counterparties(tx: Tx): Uint8Array[] {
  switch (tx.kind) {
    case 'points.transfer':
    case 'points.issue':
      return [tx.body.to]
    case 'points.redeem':
      return [tx.body.acceptor]
    case 'enterprise.admit':
    case 'enterprise.update':
      return [tx.body.enterprise]
    case 'member.bind':
      return [tx.body.consumer]
    default:
      return []
  }
}

/** True when a record from `first` on is for `address`. */
function recordedSince(
  records: readonly HistoryRecord[],
  first: number,
  address: Uint8Array,
): boolean {
  for (let i = first; i < records.length; i++) {
    if (equalBytes(records[i]!.address, address)) return true
  }
  return false
}

function historyOf(execution: ChainExecution, height: number): HistoryRecord[] {
  const out: HistoryRecord[] = []
  execution.txs.forEach((signed, index) => {
    const { txId, tx } = signed
    const first = out.length
    out.push({ address: signerAddress(tx.signerPublicKey), txId, height, index, kind: tx.kind })
    // One record per address: a counterparty that is the signer (a transfer to oneself) is not
    // recorded twice. The list is a byte compare over one or two addresses, not a set of hex keys.
    for (const address of counterparties(tx)) {
      if (!recordedSince(out, first, address))
        out.push({ address, txId, height, index, kind: tx.kind })
    }
  })
  return out
}

function emptyStats(enterprise: Uint8Array, time: bigint): StatsDelta {
  return { enterprise, time, issued: 0n, redeemed: 0n, converted: 0n, expired: 0n, exchanged: 0n }
}

function statsOf(
  execution: ChainExecution,
  issuances: readonly IssuanceRecord[],
  time: bigint,
): StatsDelta[] {
  const byEnterprise = new Map<string, StatsDelta>()
  const bump = (
    enterprise: Uint8Array,
    field: 'issued' | 'redeemed' | 'converted' | 'expired' | 'exchanged',
    amount: bigint,
  ): void => {
    const id = toHex(enterprise)
    const current = byEnterprise.get(id) ?? emptyStats(enterprise, time)
    byEnterprise.set(id, { ...current, [field]: current[field] + amount })
  }
  for (const issuance of issuances) bump(issuance.issuer, 'issued', issuance.amount)
  for (const burn of execution.result.burns) {
    const field =
      burn.reason === 'redemption'
        ? 'redeemed'
        : burn.reason === 'conversion'
          ? 'converted'
          : 'expired'
    bump(burn.issuer, field, burn.amount)
  }
  // Auction trades: each issuer's own points that changed hands (base units for the base type's
  // issuer, quote units for the quote type's), in market order.
  for (const auction of execution.result.auctions) {
    if (auction.volume === 0n) continue
    bump(auction.baseIssuer, 'exchanged', auction.volume)
    bump(auction.quoteIssuer, 'exchanged', auction.quoteVolume)
  }
  // Sorted by enterprise address so the order never depends on Map insertion.
  return [...byEnterprise.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, s]) => s)
}

/** The index records of one committed block. */
export function deriveIndexEntries(header: BlockHeader, execution: ChainExecution): IndexEntries {
  const { height, time } = header
  const issuances: IssuanceRecord[] = []
  const rates: RateRecord[] = []
  execution.txs.forEach((signed, index) => {
    if (!execution.result.receipts[index]?.ok) return
    const tx = signed.tx
    if (tx.kind === 'points.issue') {
      const signer = signerAddress(tx.signerPublicKey)
      const { pointType, voucherDigest, voucherKind, voucherRef, to, amount } = tx.body
      issuances.push({
        pointType,
        voucherDigest,
        voucherKind,
        voucherRef,
        issuer: signer,
        to,
        amount,
        txId: signed.txId,
        height,
        time,
      })
    } else if (tx.kind === 'rate.set') {
      const signer = signerAddress(tx.signerPublicKey)
      const { pointType, rate, sourceRef } = tx.body
      rates.push({
        pointType,
        rate,
        sourceRef,
        oracle: signer,
        txId: signed.txId,
        height,
        time,
        index,
      })
    }
  })
  const auctions: AuctionRecord[] = execution.result.auctions.map((a) => ({
    market: a.market,
    price: a.price,
    volume: a.volume,
    orderCount: a.orders,
    fillCount: a.filled,
    height,
    time,
  }))
  return {
    history: historyOf(execution, height),
    issuances,
    rates,
    auctions,
    stats: statsOf(execution, issuances, time),
  }
}
