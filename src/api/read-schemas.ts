/**
 * JSON schemas of the read routes' responses and parameters (they drive fastify's serializers and
 * the OpenAPI document). Bigints are decimal strings, bytes lowercase hex. Spec: SPEC §9;
 * docs/api.md; /work/API-CONTRACT.md for the verifiable shapes.
 */
import { ERROR_BODY_SCHEMA } from './errors.ts'

/** Lowercase hex of any length. */
export const HEX = { type: 'string', pattern: '^([0-9a-f]{2})*$' } as const
/** A decimal integer string. */
export const DEC = { type: 'string', pattern: '^(0|[1-9][0-9]*)$' } as const
/** A JSON integer. */
export const INT = { type: 'integer' } as const
const STR = { type: 'string' } as const
const BOOL = { type: 'boolean' } as const
const NULLABLE_DEC = { type: 'string', nullable: true } as const
const NULLABLE_HEX = { type: 'string', nullable: true } as const
const NULLABLE_STR = { type: 'string', nullable: true } as const

/** An object schema whose every listed property is required. */
export function object(
  properties: Record<string, unknown>,
  description?: string,
): Record<string, unknown> {
  return {
    type: 'object',
    ...(description ? { description } : {}),
    required: Object.keys(properties),
    properties,
  }
}

/** A list page: `{ items, next }`. */
export function pageOf(item: Record<string, unknown>): Record<string, unknown> {
  return object({
    items: { type: 'array', items: item },
    next: {
      type: 'string',
      nullable: true,
      description: 'cursor of the next page; null at the end',
    },
  })
}

/** The error responses of a read route. */
export function errors(...statuses: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {}
  for (const s of statuses) out[s] = ERROR_BODY_SCHEMA
  return out
}

/** A block header as JSON (every field; bytes hex, time decimal). */
export const HEADER_JSON = object({
  version: INT,
  chainId: STR,
  height: INT,
  round: INT,
  time: DEC,
  proposer: HEX,
  parentHash: HEX,
  txRoot: HEX,
  stateRoot: HEX,
  receiptsRoot: HEX,
  validatorsHash: HEX,
  nextValidatorsHash: HEX,
})

/** `GET /v1/status`. */
export const STATUS_JSON = object({
  chainId: STR,
  height: INT,
  blockHash: HEX,
  stateRoot: HEX,
  time: DEC,
  validatorsHash: HEX,
  nextValidatorsHash: HEX,
})

/** A BlockView of the contract. */
export const BLOCK_VIEW = object({
  height: INT,
  blockHash: HEX,
  headerHex: HEX,
  header: HEADER_JSON,
  certificateHex: { ...HEX, description: 'empty for the genesis block (height 0)' },
  txIds: { type: 'array', items: HEX },
})

/** `GET /v1/blocks`. */
export const BLOCKS_PAGE = object({
  blocks: { type: 'array', items: BLOCK_VIEW },
  next: { type: 'integer', nullable: true },
})

/** `GET /v1/validator-sets/:hash`. */
export const VALIDATOR_SET_JSON = object({
  validatorsHash: HEX,
  validatorsHex: HEX,
  validators: { type: 'array', items: object({ publicKey: HEX, power: INT }) },
})

const MERKLE_PROOF = {
  type: 'array',
  items: object({ sibling: HEX, siblingOnLeft: BOOL }),
} as const

const RECEIPT_JSON = object({
  txId: HEX,
  ok: BOOL,
  code: NULLABLE_STR,
  events: {
    type: 'array',
    items: object({
      type: STR,
      attributes: { type: 'array', items: { type: 'array', items: STR } },
    }),
  },
  index: INT,
})

/** `GET /v1/txs/:txId`. */
export const TX_JSON = object({
  txId: HEX,
  height: INT,
  index: INT,
  signedTxHex: HEX,
  receiptHex: HEX,
  receipt: RECEIPT_JSON,
  proof: MERKLE_PROOF,
  receiptProof: MERKLE_PROOF,
  headerHex: HEX,
  certificateHex: HEX,
})

/** `GET /v1/state/:keyHex`. */
export const STATE_JSON = object({
  height: INT,
  key: HEX,
  valueHex: NULLABLE_HEX,
  proofHex: HEX,
  headerHex: HEX,
  certificateHex: HEX,
})

/** `GET /v1/accounts/:address/balances`. */
export const BALANCES_JSON = object({
  height: INT,
  address: HEX,
  balances: {
    type: 'array',
    items: object({
      pointType: STR,
      amount: DEC,
      lots: { type: 'array', items: object({ amount: DEC, expiresAt: NULLABLE_DEC }) },
    }),
  },
  entries: { type: 'array', items: object({ key: HEX, valueHex: HEX, proofHex: HEX }) },
  headerHex: HEX,
  certificateHex: HEX,
})

/** Response of `POST /v1/txs?wait=commit`. */
export const COMMITTED_JSON = object({ txId: HEX, height: INT, index: INT })

/** An account-history entry. */
export const HISTORY_ITEM = object({ txId: HEX, height: INT, index: INT, kind: STR })

/** Fields of a point type. */
const POINT_TYPE_FIELDS = {
  symbol: STR,
  name: STR,
  issuer: HEX,
  decimals: INT,
  expirySeconds: DEC,
  transferable: BOOL,
  convertible: BOOL,
  maxSupply: NULLABLE_DEC,
  issued: DEC,
  burned: DEC,
  createdHeight: INT,
}

/** A point type with its policy and supply. */
export const POINT_TYPE_ITEM = object(POINT_TYPE_FIELDS)

const RATE_FIELDS = { rate: DEC, sourceRef: STR, oracle: HEX, height: INT, time: DEC }

/** A current rate. */
export const RATE_ITEM = object({ pointType: STR, ...RATE_FIELDS })

/** One point type with its current rate. */
export const POINT_TYPE_JSON = object({
  ...POINT_TYPE_FIELDS,
  rate: { ...object(RATE_FIELDS), nullable: true },
})

/** A rate change. */
export const RATE_HISTORY_ITEM = object({ pointType: STR, ...RATE_FIELDS, txId: HEX, index: INT })

/** A market. */
export const MARKET_ITEM = object({
  id: STR,
  base: STR,
  quote: STR,
  priceDecimals: INT,
  lotSize: DEC,
  referencePrice: DEC,
  lastPrice: NULLABLE_DEC,
  nextSeq: DEC,
  openOrders: INT,
  createdHeight: INT,
})

/** An open order. */
export const ORDER_ITEM = object({
  orderId: HEX,
  base: STR,
  quote: STR,
  owner: HEX,
  side: { type: 'string', enum: ['buy', 'sell'] },
  price: DEC,
  quantity: DEC,
  filled: DEC,
  goodTillHeight: INT,
  seq: DEC,
  placedHeight: INT,
})

/** `GET /v1/markets/:id`: the market and a page of its book. */
export const MARKET_JSON = object({
  market: MARKET_ITEM,
  orders: { type: 'array', items: ORDER_ITEM },
  next: { type: 'string', nullable: true },
})

/** An auction result. */
export const AUCTION_ITEM = object({
  market: STR,
  price: NULLABLE_DEC,
  volume: DEC,
  orderCount: INT,
  fillCount: INT,
  height: INT,
  time: DEC,
})

/** A burn record. */
export const BURN_ITEM = object({
  pointType: STR,
  issuer: HEX,
  holder: HEX,
  amount: DEC,
  reason: { type: 'string', enum: ['expiry', 'redemption', 'conversion'] },
  acceptor: NULLABLE_HEX,
  orderRef: NULLABLE_STR,
  rate: DEC,
  valueUniversal: DEC,
  convertedTo: NULLABLE_STR,
  txId: NULLABLE_HEX,
  height: INT,
  time: DEC,
  index: INT,
})

/** An issuance record. */
export const ISSUANCE_ITEM = object({
  pointType: STR,
  voucherDigest: HEX,
  voucherKind: { type: 'string', enum: ['marketing-contract', 'sales-order'] },
  voucherRef: STR,
  issuer: HEX,
  to: HEX,
  amount: DEC,
  txId: HEX,
  height: INT,
  time: DEC,
})

const ID_LIST = { type: 'array', items: STR } as const

/** `GET /v1/settlement` (JSON form). */
export const SETTLEMENT_JSON = object({
  fromMs: DEC,
  toMs: DEC,
  platform: HEX,
  burnCount: INT,
  lines: {
    type: 'array',
    items: object({
      debtor: HEX,
      creditor: HEX,
      netValueUniversal: DEC,
      grossDebtorToCreditor: DEC,
      grossCreditorToDebtor: DEC,
      burnIds: ID_LIST,
    }),
  },
  unobligated: {
    type: 'array',
    items: object({
      reason: { type: 'string', enum: ['expiry', 'self-redemption'] },
      issuer: HEX,
      pointType: STR,
      amount: DEC,
      valueUniversal: DEC,
      burnIds: ID_LIST,
    }),
  },
})

const COUNTERS = { issued: DEC, redeemed: DEC, converted: DEC, expired: DEC, exchanged: DEC }

/** `GET /v1/stats/enterprises/:id`. */
export const STATS_JSON = object({
  enterprise: HEX,
  fromMs: DEC,
  toMs: DEC,
  fromDay: INT,
  toDay: INT,
  totals: object(COUNTERS),
  days: { type: 'array', items: object({ day: INT, ...COUNTERS }) },
})

/** An admitted enterprise. */
export const ENTERPRISE_ITEM = object({
  address: HEX,
  name: STR,
  isIssuer: BOOL,
  isAcceptor: BOOL,
  settlementAccount: HEX,
  active: BOOL,
  admittedHeight: INT,
})

/** Query string of a paged list. */
export const PAGE_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cursor: { type: 'string', description: 'the `next` of the previous page' },
    limit: { type: 'string', description: 'page size, 1..1000 (default 100)' },
  },
} as const

/**
 * `?order=` of the lists the ledger pages both ways: `asc` oldest first (the default), `desc`
 * newest first. Other values fail the schema (`API_BAD_REQUEST`).
 */
export const ORDER_PARAM = {
  type: 'string',
  enum: ['asc', 'desc'],
  description:
    'asc: oldest first (default); desc: newest first. A cursor continues the order it was read in.',
} as const

/** Path parameters, all strings (validated by the handlers with coded errors). */
export function params(...names: string[]): Record<string, unknown> {
  const properties: Record<string, unknown> = {}
  for (const n of names) properties[n] = STR
  return { type: 'object', required: names, properties }
}
