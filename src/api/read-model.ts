/**
 * The read model: everything the read routes need from the node, as one interface, so that the API
 * imports neither the ledger nor the VM nor the state tree (the node implements it in
 * src/node/read-model.ts). Spec: SPEC §9; docs/api.md; /work/API-CONTRACT.md (verifiable routes).
 *
 * Verifiable reads return protocol values (headers, certificates, proofs) that the routes encode
 * canonically for the light client; list reads return JSON views (bigints as decimal strings, bytes
 * as hex) and pages with an opaque cursor. Bad input returns a coded `ReadError` (`API_*`).
 */
import type { MerkleStep } from '../codec/merkle.ts'
import type { Json } from '../codec/json.ts'
import type { BlockHeader, CommitCertificate, Validator } from '../core/block.ts'
import type { Result } from '../util/result.ts'

/** A coded rejection of a read (`API_BAD_CURSOR`, `API_BAD_QUERY`, `API_*_NOT_FOUND`, ...). */
export interface ReadError {
  readonly code: string
  readonly message: string
}

/** A read that can be rejected. */
export type ReadResult<T> = Result<T, ReadError>

/** A JSON object view. */
export type View = { [key: string]: Json }

/** A page request: resume after `cursor` (opaque; null for the first page). */
export interface PageQuery {
  readonly cursor: string | null
  readonly limit: number
}

/** The order of a ledger-backed list: oldest first (`asc`) or newest first (`desc`). */
export type ListOrder = 'asc' | 'desc'

/**
 * A page request of a list that can be read in either order (the ledger-backed lists); absent
 * `order` is `asc`. A cursor continues the order it was read in; one of the other order is refused
 * with `API_BAD_CURSOR`.
 */
export interface OrderedPageQuery extends PageQuery {
  readonly order?: ListOrder
}

/** One page of a list; `next` is the cursor of the following page, null at the end. */
export interface ViewPage {
  readonly items: View[]
  readonly next: string | null
}

/** A header with the certificate of its height (null only for the genesis header, height 0). */
export interface CertifiedHeader {
  readonly header: BlockHeader
  readonly blockHash: Uint8Array
  readonly certificate: CommitCertificate | null
}

/** A block as the block routes show it. */
export interface BlockRead extends CertifiedHeader {
  readonly txIds: readonly Uint8Array[]
}

/** A committed tx with its inclusion proofs. */
export interface TxRead extends CertifiedHeader {
  readonly txId: Uint8Array
  readonly height: number
  readonly index: number
  readonly signedTx: Uint8Array
  readonly receipt: Uint8Array
  /** The receipt decoded as JSON. */
  readonly receiptView: View
  /** `txId` at `index` under `header.txRoot`. */
  readonly proof: readonly MerkleStep[]
  /** `receipt` at `index` under `header.receiptsRoot`. */
  readonly receiptProof: readonly MerkleStep[]
}

/** One state entry with its proof against the header's state root. */
export interface ProvenEntry {
  readonly key: Uint8Array
  /** Null: the key is absent (the proof shows non-membership). */
  readonly value: Uint8Array | null
  /** `encodeStateProof` bytes. */
  readonly proof: Uint8Array
}

/** A proven read of one key at the head. */
export interface StateRead extends CertifiedHeader {
  readonly entry: ProvenEntry
}

/** One lot of a balance. */
export interface LotRead {
  readonly amount: bigint
  /** UNIX ms; null for lots that never expire. */
  readonly expiresAt: bigint | null
}

/** The balances of one account at the head, with the raw entries they were read from. */
export interface BalancesRead extends CertifiedHeader {
  readonly balances: readonly {
    readonly pointType: string
    readonly amount: bigint
    readonly lots: readonly LotRead[]
  }[]
  readonly entries: readonly ProvenEntry[]
}

/** Which burns to list. */
export type BurnFilter =
  | { readonly by: 'issuer'; readonly address: Uint8Array }
  | { readonly by: 'acceptor'; readonly address: Uint8Array }
  | { readonly by: 'time'; readonly fromMs: bigint; readonly toMs: bigint }

/** A settlement report in both forms. */
export interface SettlementRead {
  readonly json: View
  readonly csv: string
}

/** What the read routes need from the node. */
export interface ReadModel {
  /** The head block (the genesis block before the first commit). */
  head(): Promise<BlockRead>
  /** The block at `height`, or undefined above the head. */
  block(height: number): Promise<BlockRead | undefined>
  /** A validator set by its hash, or undefined. */
  validatorSet(hash: Uint8Array): Promise<Validator[] | undefined>
  /** A committed tx with proofs, or undefined. */
  tx(txId: Uint8Array): Promise<TxRead | undefined>
  /** The value of `key` at the head with its proof. */
  state(key: Uint8Array): Promise<StateRead>
  /** Every balance of `address` (20 bytes) at the head, proven. */
  balances(address: Uint8Array): Promise<BalancesRead>
  /** Waits until `txId` is committed; null after `timeoutMs`. */
  waitForTx(txId: Uint8Array, timeoutMs: number): Promise<{ height: number; index: number } | null>
  /** The txs that touched `address`, by (height, index) in `page.order`. */
  history(address: Uint8Array, page: OrderedPageQuery): Promise<ReadResult<ViewPage>>
  /** Point types by symbol. */
  pointTypes(page: PageQuery): Promise<ReadResult<ViewPage>>
  /** One point type (policy and supply) with its current rate, or undefined. */
  pointType(symbol: string): Promise<View | undefined>
  /** Current rates by point type. */
  rates(page: PageQuery): Promise<ReadResult<ViewPage>>
  /** The rate changes of one point type, by (height, index) in `page.order`. */
  rateHistory(symbol: string, page: OrderedPageQuery): Promise<ReadResult<ViewPage>>
  /** Markets by id. */
  markets(page: PageQuery): Promise<ReadResult<ViewPage>>
  /** One market, or undefined. */
  market(id: string): Promise<View | undefined>
  /** The open orders of a market in arrival order. */
  orderBook(id: string, page: PageQuery): Promise<ReadResult<ViewPage>>
  /** The auction results of a market, by height in `page.order`. */
  auctions(id: string, page: OrderedPageQuery): Promise<ReadResult<ViewPage>>
  /** Burn records, in the filter's index order (docs/protocol/storage.md#queries) or reversed. */
  burns(filter: BurnFilter, page: OrderedPageQuery): Promise<ReadResult<ViewPage>>
  /** The issuances backed by a voucher digest, by point type in `page.order`. */
  issuances(voucherDigest: Uint8Array, page: OrderedPageQuery): Promise<ReadResult<ViewPage>>
  /** The settlement report of `[fromMs, toMs)`. */
  settlement(fromMs: bigint, toMs: bigint): Promise<ReadResult<SettlementRead>>
  /** Activity of an enterprise per UTC day over the days overlapping `[fromMs, toMs)`. */
  enterpriseStats(address: Uint8Array, fromMs: bigint, toMs: bigint): Promise<ReadResult<View>>
  /** Admitted enterprises by address. */
  enterprises(page: PageQuery): Promise<ReadResult<ViewPage>>
}
