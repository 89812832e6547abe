/**
 * Value schemas of the state: every value is the canonical encoding (src/codec) of one of these.
 * Spec: docs/protocol/vm.md#key-layout.
 */
import {
  bigint,
  bool,
  bytes,
  list,
  literal,
  nullable,
  str,
  struct,
  tuple,
  u32,
  BIGINT_MAX,
  type Infer,
} from '../codec/schema.ts'
import {
  AMOUNT_MAX,
  CHAIN_ID_PATTERN,
  DECIMALS_MAX,
  EXPIRY_SECONDS_MAX,
  HEIGHT_MAX,
  NAME_LENGTH_MAX,
  PRICE_DECIMALS_MAX,
  REF_LENGTH_MAX,
  SYMBOL_PATTERN,
  TIME_MS_MAX,
} from '../core/limits.ts'
import { encodeCanonical } from '../codec/canonical.ts'
import { VALIDATOR_COUNT_MAX } from '../core/block.ts'
import { LOTS_PER_HOLDER_MAX, NEVER_EXPIRES, SUPPLY_COUNTER_MAX } from './limits.ts'

const address = bytes(20)
const symbol = str(16, SYMBOL_PATTERN)
const amount = bigint(1n, AMOUNT_MAX)
const height = u32(0, HEIGHT_MAX)

/** A lot: `[expiresAt ms (NEVER_EXPIRES for none), amount]`. */
export const LOT_SCHEMA = tuple(bigint(0n, NEVER_EXPIRES), amount)
/** A lot. */
export type Lot = Infer<typeof LOT_SCHEMA>
/** Lots sorted by expiry ascending, distinct expiries. */
export const LOTS_SCHEMA = list(LOT_SCHEMA, LOTS_PER_HOLDER_MAX)

/** Chain-wide parameters fixed at genesis. */
export const CONFIG_SCHEMA = struct('config', {
  chainId: str(32, CHAIN_ID_PATTERN),
  universalSymbol: symbol,
  platformAccount: address,
  operatorQuorum: u32(1, 1000),
  genesisTime: bigint(0n, TIME_MS_MAX),
})
/** A registered consumer account. */
export const ACCOUNT_SCHEMA = struct('account', {
  profileDigest: nullable(bytes(32)),
  registeredHeight: height,
})
/** An admitted enterprise. */
export const ENTERPRISE_SCHEMA = struct('enterprise', {
  name: str(NAME_LENGTH_MAX),
  isIssuer: bool(),
  isAcceptor: bool(),
  settlementAccount: address,
  active: bool(),
  admittedHeight: height,
})
/** An operator or oracle role entry. */
export const ROLE_SCHEMA = struct('role', { publicKey: bytes(33) })
/** A point type: immutable policy plus supply counters. */
export const POINT_TYPE_SCHEMA = struct('pointType', {
  symbol,
  name: str(NAME_LENGTH_MAX),
  issuer: address,
  decimals: u32(0, DECIMALS_MAX),
  expirySeconds: bigint(0n, EXPIRY_SECONDS_MAX),
  transferable: bool(),
  convertible: bool(),
  maxSupply: nullable(amount),
  issued: bigint(0n, SUPPLY_COUNTER_MAX),
  burned: bigint(0n, SUPPLY_COUNTER_MAX),
  createdHeight: height,
})
/** A holder's lots of one type. */
export const BALANCE_SCHEMA = struct('balance', { lots: LOTS_SCHEMA })
/** Value of index entries whose key says everything (expiry, good-till, tx id). */
export const MARKER_SCHEMA = u32(0, 0)
/** The encoding of the marker value 0 (shared, never mutated). */
export const MARKER_BYTES = encodeCanonical(MARKER_SCHEMA, 0)
/** An issuance voucher, once used. */
export const VOUCHER_SCHEMA = struct('voucher', {
  txId: bytes(32),
  height,
  to: address,
  amount,
})
/** A rate of a type to universal points (current, and each history entry). */
export const RATE_SCHEMA = struct('rate', {
  rate: amount,
  sourceRef: str(REF_LENGTH_MAX),
  oracle: address,
  height,
  time: bigint(0n, TIME_MS_MAX),
})
/** A consumer bound to an enterprise membership. */
export const MEMBER_SCHEMA = struct('member', { memberIdDigest: bytes(32), height })
/** A market `base/quote`. */
export const MARKET_SCHEMA = struct('market', {
  base: symbol,
  quote: symbol,
  priceDecimals: u32(0, PRICE_DECIMALS_MAX),
  lotSize: amount,
  referencePrice: amount,
  lastPrice: nullable(amount),
  nextSeq: bigint(0n, BIGINT_MAX),
  openOrders: u32(),
  createdHeight: height,
})
/** An open order with its escrow. */
export const ORDER_SCHEMA = struct('order', {
  orderId: bytes(32),
  base: symbol,
  quote: symbol,
  owner: address,
  side: literal('buy', 'sell'),
  price: amount,
  quantity: bigint(0n, AMOUNT_MAX),
  filled: bigint(0n, AMOUNT_MAX),
  goodTillHeight: height,
  seq: bigint(0n, BIGINT_MAX),
  escrow: LOTS_SCHEMA,
  placedHeight: height,
})
/** A book entry: the order id. */
export const BOOK_SCHEMA = bytes(32)
/** The validator set after every accepted update. */
export const VALIDATORS_SCHEMA = struct('validators', {
  publicKeys: list(bytes(33), VALIDATOR_COUNT_MAX),
  changedHeight: height,
})
/** Votes for one validator change proposal. */
export const VOTE_SCHEMA = struct('validatorVote', {
  voters: list(address, 1000),
  executed: bool(),
})

/** Decoded value types. */
export type Config = Infer<typeof CONFIG_SCHEMA>
/** A consumer account. */
export type Account = Infer<typeof ACCOUNT_SCHEMA>
/** An enterprise. */
export type Enterprise = Infer<typeof ENTERPRISE_SCHEMA>
/** A point type. */
export type PointType = Infer<typeof POINT_TYPE_SCHEMA>
/** A balance. */
export type Balance = Infer<typeof BALANCE_SCHEMA>
/** A rate entry. */
export type RateEntry = Infer<typeof RATE_SCHEMA>
/** A market. */
export type Market = Infer<typeof MARKET_SCHEMA>
/** An order. */
export type Order = Infer<typeof ORDER_SCHEMA>
