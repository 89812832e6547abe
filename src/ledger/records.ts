/**
 * Typed index records the node derives from an executed block and hands to `commitBlock`, besides
 * the burn records (`src/core/records.ts`). Spec: SPEC.md section 7; docs/protocol/storage.md#indexes.
 *
 * The ledger never interprets txs or receipts itself: whoever executes the block (the VM, wired by
 * the node) says which accounts a tx touched, which issuances, rate changes, auction results and
 * statistics it produced. The ledger only keys, stores and queries these records.
 */
import {
  BIGINT_MAX,
  bigint,
  bytes,
  literal,
  nullable,
  str,
  struct,
  u32,
  type Infer,
} from '../codec/schema.ts'
import {
  AMOUNT_MAX,
  HEIGHT_MAX,
  REF_LENGTH_MAX,
  SYMBOL_PATTERN,
  TIME_MS_MAX,
} from '../core/limits.ts'
import { MARKET_ID_PATTERN } from '../core/tx.ts'

const address = bytes(20)
const hash32 = bytes(32)
const symbol = str(16, SYMBOL_PATTERN)
const height = u32(0, HEIGHT_MAX)
const time = bigint(0n, TIME_MS_MAX)

/** One account touched by one tx (signer, recipient, acceptor, ...): an account-history entry. */
export const HISTORY_RECORD_SCHEMA = struct('history', {
  address,
  txId: hash32,
  height,
  /** Position of the tx in its block. */
  index: u32(),
  /** The tx kind (e.g. `points.transfer`), for listing without loading the tx. */
  kind: str(32),
})
/** An account-history record. */
export type HistoryRecord = Infer<typeof HISTORY_RECORD_SCHEMA>

/** One issuance and the voucher that backs it. */
export const ISSUANCE_RECORD_SCHEMA = struct('issuance', {
  pointType: symbol,
  voucherDigest: hash32,
  voucherKind: literal('marketing-contract', 'sales-order'),
  voucherRef: str(REF_LENGTH_MAX),
  issuer: address,
  to: address,
  amount: bigint(1n, AMOUNT_MAX),
  txId: hash32,
  height,
  time,
})
/** An issuance record. */
export type IssuanceRecord = Infer<typeof ISSUANCE_RECORD_SCHEMA>

/** One rate change of a point type (RATE_DECIMALS fixed point). */
export const RATE_RECORD_SCHEMA = struct('rate', {
  pointType: symbol,
  rate: bigint(0n, AMOUNT_MAX),
  sourceRef: str(REF_LENGTH_MAX),
  oracle: address,
  txId: hash32,
  height,
  time,
  /** Position of the tx in its block (orders several changes in one block). */
  index: u32(),
})
/** A rate record. */
export type RateRecord = Infer<typeof RATE_RECORD_SCHEMA>

/** The outcome of one market's call auction in one block. */
export const AUCTION_RECORD_SCHEMA = struct('auction', {
  market: str(33, MARKET_ID_PATTERN),
  /** Clearing price in ticks; null when nothing traded. */
  price: nullable(bigint(0n, AMOUNT_MAX)),
  volume: bigint(0n, AMOUNT_MAX),
  orderCount: u32(),
  fillCount: u32(),
  height,
  time,
})
/** An auction record. */
export type AuctionRecord = Infer<typeof AUCTION_RECORD_SCHEMA>

/** Activity of one enterprise in one block, in minor units; the ledger sums it per UTC day. */
export const STATS_DELTA_SCHEMA = struct('stats-delta', {
  enterprise: address,
  time,
  issued: bigint(0n, AMOUNT_MAX),
  redeemed: bigint(0n, AMOUNT_MAX),
  converted: bigint(0n, AMOUNT_MAX),
  expired: bigint(0n, AMOUNT_MAX),
  exchanged: bigint(0n, AMOUNT_MAX),
})
/** A statistics delta. */
export type StatsDelta = Infer<typeof STATS_DELTA_SCHEMA>

/** Milliseconds per statistics day (UTC days since the UNIX epoch). */
export const DAY_MS = 86_400_000n

/** The stored per-enterprise, per-day totals (sums of deltas). */
export const STATS_DAY_SCHEMA = struct('stats-day', {
  enterprise: address,
  /** UTC day number: `floor(time / DAY_MS)`. */
  day: u32(),
  issued: bigint(0n, BIGINT_MAX),
  redeemed: bigint(0n, BIGINT_MAX),
  converted: bigint(0n, BIGINT_MAX),
  expired: bigint(0n, BIGINT_MAX),
  exchanged: bigint(0n, BIGINT_MAX),
})
/** Per-enterprise totals of one day. */
export type StatsDay = Infer<typeof STATS_DAY_SCHEMA>

/** The counters of `StatsDelta`/`StatsDay`, in a fixed order. */
export const STATS_COUNTERS = ['issued', 'redeemed', 'converted', 'expired', 'exchanged'] as const

/** The index records of one block (everything except burns, which `commitBlock` takes apart). */
export interface IndexEntries {
  readonly history: readonly HistoryRecord[]
  readonly issuances: readonly IssuanceRecord[]
  readonly rates: readonly RateRecord[]
  readonly auctions: readonly AuctionRecord[]
  readonly stats: readonly StatsDelta[]
}

/** No index records (a block whose txs touch no index). */
export const NO_INDEX_ENTRIES: IndexEntries = {
  history: [],
  issuances: [],
  rates: [],
  auctions: [],
  stats: [],
}
