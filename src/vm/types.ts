/**
 * Types of the state machine's inputs and outputs: execution context, tx errors, events, receipts
 * and the result of a block. Spec: docs/protocol/vm.md#receipts.
 */
import {
  bool,
  bytes,
  list,
  nullable,
  str,
  struct,
  tuple,
  u32,
  type Infer,
} from '../codec/schema.ts'
import { encodeCanonical } from '../codec/canonical.ts'
import type { WriteSet } from '../core/state.ts'
import type { BurnRecord } from '../core/records.ts'
import { EVENTS_PER_TX_MAX, EVENT_ATTRIBUTES_MAX } from './limits.ts'

/** What a block gives the state machine besides state and txs. */
export interface BlockContext {
  readonly chainId: string
  readonly height: number
  /** Block header time, UNIX milliseconds. Never the wall clock. */
  readonly time: bigint
  /** The proposer's public key (informational). */
  readonly proposer?: Uint8Array
}

/** Every tx error code the state machine returns (docs/protocol/vm.md#errors). */
export type TxErrorCode =
  | 'TX_WRONG_CHAIN'
  | 'TX_EXPIRED'
  | 'TX_EXPIRY_TOO_FAR'
  | 'TX_SAME_POINT_TYPE'
  | 'TX_BAD_GOOD_TILL'
  | 'TX_DUPLICATE'
  | 'TX_ALREADY_REGISTERED'
  | 'TX_NOT_OPERATOR'
  | 'TX_NOT_ORACLE'
  | 'TX_NOT_ENTERPRISE'
  | 'TX_NOT_ISSUER'
  | 'TX_NOT_ACCEPTOR'
  | 'TX_ENTERPRISE_EXISTS'
  | 'TX_UNKNOWN_ENTERPRISE'
  | 'TX_UNKNOWN_ACCOUNT'
  | 'TX_ALREADY_BOUND'
  | 'TX_POINT_TYPE_EXISTS'
  | 'TX_UNKNOWN_POINT_TYPE'
  | 'TX_VOUCHER_REUSED'
  | 'TX_MAX_SUPPLY'
  | 'TX_AMOUNT_OVERFLOW'
  | 'TX_TOO_MANY_LOTS'
  | 'TX_INSUFFICIENT_BALANCE'
  | 'TX_NOT_TRANSFERABLE'
  | 'TX_NOT_CONVERTIBLE'
  | 'TX_UNIVERSAL_RATE'
  | 'TX_NO_RATE'
  | 'TX_MIN_RECEIVE'
  | 'TX_ZERO_RECEIVE'
  | 'TX_MARKET_EXISTS'
  | 'TX_MARKET_LIMIT'
  | 'TX_UNKNOWN_MARKET'
  | 'TX_LOT_SIZE'
  | 'TX_BOOK_FULL'
  | 'TX_UNKNOWN_ORDER'
  | 'TX_NOT_ORDER_OWNER'
  | 'TX_BAD_PUBLIC_KEY'
  | 'TX_ALREADY_VOTED'
  | 'TX_PROPOSAL_CLOSED'
  | 'TX_VALIDATOR_EXISTS'
  | 'TX_UNKNOWN_VALIDATOR'
  | 'TX_VALIDATOR_SET_LIMIT'

/** A tx rejected by the state machine: it changes nothing but its receipt. */
export interface TxError {
  readonly code: TxErrorCode
  readonly message: string
}

/** Canonical schema of an event: a type and string attributes (amounts in decimal, bytes in hex). */
export const EVENT_SCHEMA = struct('event', {
  type: str(32),
  attributes: list(tuple(str(32), str(256)), EVENT_ATTRIBUTES_MAX),
})
/** An event. */
export type VmEvent = Infer<typeof EVENT_SCHEMA>

/** Canonical schema of a receipt (what `receiptsRoot` commits to). */
export const RECEIPT_SCHEMA = struct('receipt', {
  txId: bytes(32),
  ok: bool(),
  /** The error code when `ok` is false. */
  code: nullable(str(32)),
  events: list(EVENT_SCHEMA, EVENTS_PER_TX_MAX),
  index: u32(),
})
/** The receipt of one tx in a block. */
export type Receipt = Infer<typeof RECEIPT_SCHEMA> & { readonly message?: string }

/** A validator set change accepted in a block. */
export interface ValidatorUpdate {
  readonly action: 'add' | 'remove'
  readonly publicKey: Uint8Array
  readonly effectiveHeight: number
}

/** The call auction outcome of one market in one block. */
export interface MarketAuction {
  readonly market: string
  readonly price: bigint | null
  readonly volume: bigint
  /** Quote units that changed hands. */
  readonly quoteVolume: bigint
  /** Orders that took part (open, not expired, with a tradable quantity). */
  readonly orders: number
  /** Of those, the orders that traded, fully or in part. */
  readonly filled: number
  /** The issuers of the base and the quote point type (the enterprises whose points changed hands). */
  readonly baseIssuer: Uint8Array
  readonly quoteIssuer: Uint8Array
}

/** Everything executing one block yields. */
export interface BlockExecution {
  readonly writeSet: WriteSet
  /** One per tx, in block order. */
  readonly receipts: readonly Receipt[]
  /** Every burn in block order (expiry first, then txs), `index` 0, 1, .... */
  readonly burns: readonly BurnRecord[]
  /** One per market whose auction ran, by market id. */
  readonly auctions: readonly MarketAuction[]
  readonly validatorUpdates: readonly ValidatorUpdate[]
  /** Block-level events (expiry burns, auctions, order releases), in order. */
  readonly events: readonly VmEvent[]
}

/** Canonical bytes of a receipt (what `receiptsRoot` commits to; `message` is not committed). */
export function encodeReceipt(receipt: Receipt): Uint8Array {
  const { txId, ok, code, events, index } = receipt
  return encodeCanonical(RECEIPT_SCHEMA, { txId, ok, code, events, index })
}
