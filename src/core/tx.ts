/**
 * Transactions: the envelope `[version, chainId, kind, body, signerPubKey, expiresAtHeight, salt]`
 * and the body of every kind. Spec: SPEC.md section 3; docs/protocol/encoding.md#transactions.
 *
 * A signed transaction travels as `[txBytes, signature]`: `txBytes` is the canonical encoding of the
 * envelope, `txId = sha256("pointsnode/tx" ‖ txBytes)` and the signature is ECDSA over `txId`.
 */
import {
  bigint,
  bool,
  bytes,
  literal,
  nullable,
  str,
  struct,
  u32,
  type Schema,
  type StructOf,
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
  SALT_BYTES_MAX,
  SYMBOL_PATTERN,
  VOUCHER_DETAIL_BYTES_MAX,
} from './limits.ts'

/** The envelope version this code produces and accepts. */
export const TX_VERSION = 1

const address = bytes(20)
const digest32 = bytes(32)
const symbol = str(16, SYMBOL_PATTERN)
const name = str(NAME_LENGTH_MAX)
const ref = str(REF_LENGTH_MAX)
const amount = bigint(1n, AMOUNT_MAX)
const amountOrZero = bigint(0n, AMOUNT_MAX)

/** Market ids are `BASE/QUOTE`. */
export const MARKET_ID_PATTERN = /^[A-Z0-9][A-Z0-9._-]{0,15}\/[A-Z0-9][A-Z0-9._-]{0,15}$/

/** Body schemas, by kind. Field order is wire order. */
export const TX_BODY_SCHEMAS = {
  'account.register': struct('account.register', {
    profileDigest: nullable(digest32),
  }),
  'enterprise.admit': struct('enterprise.admit', {
    enterprise: address,
    name,
    isIssuer: bool(),
    isAcceptor: bool(),
    settlementAccount: address,
  }),
  'enterprise.update': struct('enterprise.update', {
    enterprise: address,
    name,
    isIssuer: bool(),
    isAcceptor: bool(),
    settlementAccount: address,
    active: bool(),
  }),
  'member.bind': struct('member.bind', {
    consumer: address,
    memberIdDigest: digest32,
  }),
  'pointType.create': struct('pointType.create', {
    symbol,
    name,
    decimals: u32(0, DECIMALS_MAX),
    expirySeconds: bigint(0n, EXPIRY_SECONDS_MAX),
    transferable: bool(),
    convertible: bool(),
    maxSupply: nullable(amount),
  }),
  'points.issue': struct('points.issue', {
    pointType: symbol,
    to: address,
    amount,
    voucherKind: literal('marketing-contract', 'sales-order'),
    voucherRef: ref,
    voucherDigest: digest32,
    encryptedDetail: nullable(bytes(1, VOUCHER_DETAIL_BYTES_MAX)),
  }),
  'points.transfer': struct('points.transfer', {
    pointType: symbol,
    to: address,
    amount,
  }),
  'rate.set': struct('rate.set', {
    pointType: symbol,
    rate: amount,
    sourceRef: ref,
  }),
  'points.convert': struct('points.convert', {
    fromType: symbol,
    toType: symbol,
    amount,
    minReceive: amountOrZero,
  }),
  'points.redeem': struct('points.redeem', {
    pointType: symbol,
    amount,
    acceptor: address,
    orderRef: ref,
  }),
  'market.create': struct('market.create', {
    base: symbol,
    quote: symbol,
    priceDecimals: u32(0, PRICE_DECIMALS_MAX),
    lotSize: amount,
    referencePrice: amount,
  }),
  'order.place': struct('order.place', {
    market: str(33, MARKET_ID_PATTERN),
    side: literal('buy', 'sell'),
    price: amount,
    quantity: amount,
    goodTillHeight: u32(0, HEIGHT_MAX),
  }),
  'order.cancel': struct('order.cancel', {
    orderId: digest32,
  }),
  'validator.update': struct('validator.update', {
    action: literal('add', 'remove'),
    validatorPublicKey: bytes(33),
    proposal: u32(),
  }),
} as const

/** Every transaction kind, in a fixed order. */
export const TX_KINDS = Object.keys(TX_BODY_SCHEMAS) as readonly TxKind[]

/** A transaction kind. */
export type TxKind = keyof typeof TX_BODY_SCHEMAS

/** The body of a transaction of kind `K`. */
export type TxBody<K extends TxKind> =
  (typeof TX_BODY_SCHEMAS)[K] extends Schema<infer B> ? B : never

/** The fields every envelope has, whatever its kind. */
export interface TxHeaderFields {
  readonly version: number
  readonly chainId: string
  readonly signerPublicKey: Uint8Array
  readonly expiresAtHeight: number
  readonly salt: Uint8Array
}

/** An unsigned transaction of one kind. */
export type TxOf<K extends TxKind> = TxHeaderFields & { readonly kind: K; readonly body: TxBody<K> }

/** An unsigned transaction of any kind (a discriminated union on `kind`). */
export type Tx = { [K in TxKind]: TxOf<K> }[TxKind]

/** Schemas of the envelope's common fields. */
export const TX_FIELD_SCHEMAS = {
  version: u32(TX_VERSION, TX_VERSION),
  chainId: str(32, CHAIN_ID_PATTERN),
  kind: literal(...(Object.keys(TX_BODY_SCHEMAS) as TxKind[])),
  signerPublicKey: bytes(33),
  expiresAtHeight: u32(0, HEIGHT_MAX),
  salt: bytes(0, SALT_BYTES_MAX),
} as const

/** The struct type of a body, for helpers that work across kinds. */
export type AnyTxBody = StructOf<Record<string, Schema<unknown>>>
