/**
 * The node's implementation of the API read model (src/api/read-model.ts) over the ledger (blocks,
 * certificates, receipts, indexes, validator sets), the committed VM state and the state tree
 * (proofs). Spec: SPEC §9; docs/api.md; /work/API-CONTRACT.md.
 *
 * Proven reads take the state and the tree of the chain app in one synchronous step (both change
 * together in `ChainApp.commit`), then load the header and certificate of that height from the
 * ledger, waiting briefly when the ledger commit of that block is still being written.
 */
import { decodeCanonical } from '../codec/canonical.ts'
import { toJson } from '../codec/json.ts'
import { merkleProof } from '../codec/merkle.ts'
import { encodeStateProof } from '../codec/state-proof.ts'
import { decodeSignedTx } from '../codec/tx.ts'
import type {
  BalancesRead,
  BlockRead,
  BurnFilter,
  CertifiedHeader,
  ListOrder,
  OrderedPageQuery,
  PageQuery,
  ReadModel,
  ReadResult,
  StateRead,
  TxRead,
  View,
  ViewPage,
} from '../api/read-model.ts'
import type { Block, Validator } from '../core/block.ts'
import { TIME_MS_MAX } from '../core/limits.ts'
import type { BurnRecord } from '../core/records.ts'
import type { StateEntry } from '../core/state.ts'
import type { Ledger } from '../ledger/ledger.ts'
import {
  QUERY_PAGE_LIMIT_MAX,
  type LedgerQueryError,
  type Page,
  type PageRequest,
  type QueryResult,
} from '../ledger/index.ts'
import { DAY_MS, STATS_COUNTERS, type StatsDay } from '../ledger/records.ts'
import { buildSettlementReport, settlementToCsv, settlementToJson } from '../ledger/settlement.ts'
import type { StateTree } from '../state/tree.ts'
import { blockHashOf } from '../consensus/messages.ts'
import { assert } from '../util/assert.ts'
import { compareBytes, concatBytes, fromHex, isHex, toHex } from '../util/bytes.ts'
import { NodeError } from '../util/errors.ts'
import { err, ok } from '../util/result.ts'
import { keys, PREFIX, prefixEnd, symbolFromKey } from '../vm/keys.ts'
import { NEVER_EXPIRES } from '../vm/limits.ts'
import type { MemoryState } from '../vm/memory-state.ts'
import { readMarket, readOrder, readPointType, readRate, readValue } from '../vm/queries.ts'
import {
  BALANCE_SCHEMA,
  BOOK_SCHEMA,
  CONFIG_SCHEMA,
  ENTERPRISE_SCHEMA,
  MARKET_SCHEMA,
  POINT_TYPE_SCHEMA,
  RATE_SCHEMA,
} from '../vm/schemas.ts'
import { RECEIPT_SCHEMA } from '../vm/types.ts'

/** The committed chain state a read model reads (the node's `ChainApp`). */
export interface CommittedChain {
  readonly height: number
  readonly tree: StateTree
  readonly state: MemoryState
}

/** What the read model is built over. */
export interface ReadSources {
  readonly ledger: Ledger
  readonly chain: CommittedChain
  /** The genesis block (height 0 is not stored in the ledger). */
  readonly genesisBlock: Block
  /** How long a proven read waits for the ledger to hold the header of the state's height. */
  readonly headerWaitMs?: number
}

/** How often waits poll the ledger. */
const POLL_MS = 20
/** Most UTC days one statistics query may span. */
export const STATS_DAYS_MAX = 3660

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms)
  })

function apiError(e: LedgerQueryError): { code: string; message: string } {
  const code = e.code === 'LEDGER_BAD_CURSOR' ? 'API_BAD_CURSOR' : 'API_BAD_QUERY'
  return { code, message: e.message }
}

/**
 * The hex of the byte that opens a descending cursor. A ledger cursor is the hex of the last index
 * key returned, and index keys start with `x` (src/ledger/keys.ts), never with 0xff: so a cursor
 * says which order it was read in, and one used with the other order is refused instead of
 * returning the records already read (docs/api.md#conventions).
 */
const DESC_CURSOR_TAG = 'ff'

/** The ledger's page request for an API page request of a ledger-backed list. */
function ledgerPage(page: OrderedPageQuery): ReadResult<PageRequest> {
  const { cursor, limit } = page
  const order = page.order ?? 'asc'
  if (cursor === null) return ok({ cursor: null, limit, order })
  const descending = cursor.startsWith(DESC_CURSOR_TAG)
  if (descending !== (order === 'desc')) {
    const message = `cursor was not read in ${order} order (give the same order= as its page)`
    return err({ code: 'API_BAD_CURSOR', message })
  }
  const key = descending ? cursor.slice(DESC_CURSOR_TAG.length) : cursor
  return ok({ cursor: key, limit, order })
}

/** The API cursor of a ledger cursor read in `order`. */
function apiCursor(cursor: string | null, order: ListOrder): string | null {
  if (cursor === null) return null
  assert(cursor.length > 0, 'a ledger cursor is the hex of a key')
  assert(!cursor.startsWith(DESC_CURSOR_TAG), `ledger cursor ${cursor} starts with the tag`)
  return order === 'desc' ? DESC_CURSOR_TAG + cursor : cursor
}

/** Reads one ledger page for `page` and maps it to a view page. */
async function viewPage<T>(
  page: OrderedPageQuery,
  query: (request: PageRequest) => Promise<QueryResult<T>>,
  view: (item: T) => View,
): Promise<ReadResult<ViewPage>> {
  const request = ledgerPage(page)
  if (!request.ok) return request
  const result = await query(request.value)
  if (!result.ok) return err(apiError(result.error))
  const found: Page<T> = result.value
  const next = apiCursor(found.cursor, request.value.order ?? 'asc')
  return ok({ items: found.items.map(view), next })
}

/** A record without the fields the route already names. */
function omit(record: object, ...fields: string[]): View {
  const json = toJson(record) as View
  for (const f of fields) Reflect.deleteProperty(json, f)
  return json
}

/**
 * A page of the state entries with keys in `[start, end)`, resuming strictly after the cursor key
 * (the hex of the last key of the previous page).
 */
function statePage(
  state: MemoryState,
  start: Uint8Array,
  end: Uint8Array,
  page: PageQuery,
  view: (entry: StateEntry) => View,
): ReadResult<ViewPage> {
  let from = start
  if (page.cursor !== null) {
    const c = page.cursor
    const inRange = (k: Uint8Array): boolean =>
      k.length <= 128 && compareBytes(k, start) >= 0 && compareBytes(k, end) < 0
    if (c.length === 0 || !isHex(c) || !inRange(fromHex(c))) {
      return err({ code: 'API_BAD_CURSOR', message: 'cursor is not a cursor of this list' })
    }
    from = concatBytes(fromHex(c), new Uint8Array(1))
  }
  const entries = state.range(from, end, page.limit + 1)
  const items = entries.slice(0, page.limit)
  const more = entries.length > page.limit
  const last = items[items.length - 1]
  return ok({ items: items.map(view), next: more && last ? toHex(last.key) : null })
}

function decodeState<T>(schema: Parameters<typeof decodeCanonical<T>>[0], value: Uint8Array): T {
  const decoded = decodeCanonical(schema, value, 16 * 1024)
  if (!decoded.ok) throw new NodeError('STATE_CORRUPT', `state value: ${decoded.error.message}`)
  return decoded.value
}

/** Certified headers kept in memory: proven reads at the head need no ledger read. */
const RECENT_HEADERS_MAX = 16

/**
 * Proven balance answers kept per address for the current height (a state at a height never
 * changes, so a repeated read needs no new proofs); cleared when full.
 */
const BALANCE_CACHE_MAX = 4096

/** The read model of a node. */
export class NodeReadModel implements ReadModel {
  readonly #ledger: Ledger
  readonly #chain: CommittedChain
  readonly #genesis: Block
  readonly #headerWaitMs: number
  /** Certified headers of recent heights (immutable once committed), newest last. */
  readonly #recent = new Map<number, CertifiedHeader>()
  /** Proven balances by address hex, valid only at the height they were proven at. */
  readonly #balanceCache = new Map<string, { height: number; read: BalancesRead }>()

  /** Reads from `sources`. */
  constructor(sources: ReadSources) {
    this.#ledger = sources.ledger
    this.#chain = sources.chain
    this.#genesis = sources.genesisBlock
    this.#headerWaitMs = sources.headerWaitMs ?? 10_000
  }

  async #certified(height: number): Promise<CertifiedHeader> {
    if (height === 0) {
      const header = this.#genesis.header
      return { header, blockHash: blockHashOf(header), certificate: null }
    }
    const cached = this.#recent.get(height)
    if (cached) return cached
    const deadline = Date.now() + this.#headerWaitMs
    for (;;) {
      const stored = await this.#ledger.loadBlock(height)
      const certificate = stored ? await this.#ledger.loadCertificate(height) : undefined
      if (stored && certificate) {
        const certified = { header: stored.block.header, blockHash: stored.hash, certificate }
        this.#remember(height, certified)
        return certified
      }
      if (Date.now() > deadline) {
        throw new NodeError('API_NOT_READY', `block ${height} is not in the ledger yet`)
      }
      await sleep(POLL_MS)
    }
  }

  #remember(height: number, certified: CertifiedHeader): void {
    if (this.#recent.size >= RECENT_HEADERS_MAX) {
      const oldest = this.#recent.keys().next().value
      if (oldest !== undefined) this.#recent.delete(oldest)
    }
    this.#recent.set(height, certified)
  }

  /** @inheritdoc */
  async head(): Promise<BlockRead> {
    const block = await this.block(this.#ledger.head?.height ?? 0)
    if (!block) throw new NodeError('LEDGER_HEAD_MISMATCH', 'head block missing')
    return block
  }

  /** @inheritdoc */
  async block(height: number): Promise<BlockRead | undefined> {
    if (height === 0) return { ...(await this.#certified(0)), txIds: [] }
    if (height > (this.#ledger.head?.height ?? 0)) return undefined
    const stored = await this.#ledger.loadBlock(height)
    const certificate = await this.#ledger.loadCertificate(height)
    if (!stored || !certificate) return undefined
    const txIds = stored.block.txs.map((bytes, i) => {
      const decoded = decodeSignedTx(bytes)
      if (!decoded.ok) throw new NodeError('LEDGER_CORRUPT', `block ${height} tx ${i}`)
      return decoded.value.txId
    })
    return { header: stored.block.header, blockHash: stored.hash, certificate, txIds }
  }

  /** @inheritdoc */
  validatorSet(hash: Uint8Array): Promise<Validator[] | undefined> {
    return this.#ledger.loadValidatorSet(hash)
  }

  /** @inheritdoc */
  async tx(txId: Uint8Array): Promise<TxRead | undefined> {
    const inclusion = await this.#ledger.loadTxInclusion(txId)
    if (!inclusion) return undefined
    const { height, index } = inclusion
    const receipts = await this.#ledger.loadReceipts(height)
    const receipt = receipts?.[index]
    if (!receipts || !receipt) throw new NodeError('LEDGER_CORRUPT', `receipts of ${height}`)
    const decoded = decodeCanonical(RECEIPT_SCHEMA, receipt, 64 * 1024)
    if (!decoded.ok) throw new NodeError('LEDGER_CORRUPT', `receipt ${height}:${index}`)
    return {
      txId,
      height,
      index,
      signedTx: inclusion.signedTx,
      receipt,
      receiptView: toJson(decoded.value) as View,
      proof: inclusion.proof,
      receiptProof: merkleProof(receipts, index),
      header: inclusion.header,
      blockHash: blockHashOf(inclusion.header),
      certificate: inclusion.certificate,
    }
  }

  /** @inheritdoc */
  async state(key: Uint8Array): Promise<StateRead> {
    const { height, tree, state } = this.#chain
    const value = state.get(key) ?? null
    const proof = encodeStateProof(tree.prove(key))
    return { ...(await this.#certified(height)), entry: { key, value, proof } }
  }

  /** @inheritdoc */
  async balances(address: Uint8Array): Promise<BalancesRead> {
    const height = this.#chain.height
    const id = toHex(address)
    const cached = this.#balanceCache.get(id)
    if (cached && cached.height === height) return cached.read
    const read = await this.#provenBalances(address)
    if (this.#balanceCache.size >= BALANCE_CACHE_MAX) this.#balanceCache.clear()
    this.#balanceCache.set(id, { height, read })
    return read
  }

  async #provenBalances(address: Uint8Array): Promise<BalancesRead> {
    const { height, tree, state } = this.#chain
    const start = keys.raw(PREFIX.balance, address)
    const found = state.range(start, prefixEnd(start), 10_000)
    const entries = found.map((e) => ({
      key: e.key,
      value: e.value,
      proof: encodeStateProof(tree.prove(e.key)),
    }))
    const balances = found.map((e) => {
      const lots = decodeState(BALANCE_SCHEMA, e.value).lots.map(([expiresAt, amount]) => ({
        amount,
        expiresAt: expiresAt === NEVER_EXPIRES ? null : expiresAt,
      }))
      const amount = lots.reduce((sum, lot) => sum + lot.amount, 0n)
      return { pointType: symbolFromKey(e.key, 21), amount, lots }
    })
    return { ...(await this.#certified(height)), balances, entries }
  }

  /** @inheritdoc */
  async waitForTx(
    txId: Uint8Array,
    timeoutMs: number,
  ): Promise<{ height: number; index: number } | null> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const at = await this.#ledger.loadTxLocation(txId)
      if (at) return at
      if (Date.now() >= deadline) return null
      await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())))
    }
  }

  /** @inheritdoc */
  history(address: Uint8Array, page: OrderedPageQuery): Promise<ReadResult<ViewPage>> {
    return viewPage(
      page,
      (request) => this.#ledger.queryAccountHistory(address, request),
      (r) => omit(r, 'address'),
    )
  }

  /** @inheritdoc */
  pointTypes(page: PageQuery): Promise<ReadResult<ViewPage>> {
    const [start, end] = keys.namespace(PREFIX.pointType)
    return Promise.resolve(
      statePage(
        this.#chain.state,
        start,
        end,
        page,
        (e) => toJson(decodeState(POINT_TYPE_SCHEMA, e.value)) as View,
      ),
    )
  }

  /** @inheritdoc */
  pointType(symbol: string): Promise<View | undefined> {
    const state = this.#chain.state
    const type = readPointType(state, symbol)
    if (!type) return Promise.resolve(undefined)
    const rate = readRate(state, symbol)
    return Promise.resolve({ ...(toJson(type) as View), rate: rate ? toJson(rate) : null })
  }

  /** @inheritdoc */
  rates(page: PageQuery): Promise<ReadResult<ViewPage>> {
    const [start, end] = keys.namespace(PREFIX.rate)
    return Promise.resolve(
      statePage(this.#chain.state, start, end, page, (e) => ({
        pointType: symbolFromKey(e.key, 1),
        ...(toJson(decodeState(RATE_SCHEMA, e.value)) as View),
      })),
    )
  }

  /** @inheritdoc */
  rateHistory(symbol: string, page: OrderedPageQuery): Promise<ReadResult<ViewPage>> {
    return viewPage(
      page,
      (request) => this.#ledger.queryRateHistory(symbol, request),
      (r) => toJson(r) as View,
    )
  }

  /** @inheritdoc */
  markets(page: PageQuery): Promise<ReadResult<ViewPage>> {
    const [start, end] = keys.namespace(PREFIX.market)
    return Promise.resolve(
      statePage(this.#chain.state, start, end, page, (e) => marketView(e.value)),
    )
  }

  /** @inheritdoc */
  market(id: string): Promise<View | undefined> {
    const [base, quote] = id.split('/') as [string, string]
    const market = readMarket(this.#chain.state, base, quote)
    return Promise.resolve(market ? { id, ...(toJson(market) as View) } : undefined)
  }

  /** @inheritdoc */
  orderBook(id: string, page: PageQuery): Promise<ReadResult<ViewPage>> {
    const [base, quote] = id.split('/') as [string, string]
    const state = this.#chain.state
    const start = keys.bookPrefix(base, quote)
    return Promise.resolve(
      statePage(state, start, prefixEnd(start), page, (e) => {
        const order = readOrder(state, decodeState(BOOK_SCHEMA, e.value))
        if (!order) throw new NodeError('STATE_CORRUPT', `book entry without order`)
        return omit(order, 'escrow')
      }),
    )
  }

  /** @inheritdoc */
  auctions(id: string, page: OrderedPageQuery): Promise<ReadResult<ViewPage>> {
    return viewPage(
      page,
      (request) => this.#ledger.queryAuctionResults(id, request),
      (r) => toJson(r) as View,
    )
  }

  /** @inheritdoc */
  burns(filter: BurnFilter, page: OrderedPageQuery): Promise<ReadResult<ViewPage>> {
    const ledger = this.#ledger
    const query = (request: PageRequest): Promise<QueryResult<BurnRecord>> =>
      filter.by === 'issuer'
        ? ledger.queryBurnsByIssuer(filter.address, request)
        : filter.by === 'acceptor'
          ? ledger.queryBurnsByAcceptor(filter.address, request)
          : ledger.queryBurnsByTime(filter.fromMs, filter.toMs, request)
    return viewPage(page, query, (r) => toJson(r) as View)
  }

  /** @inheritdoc */
  issuances(voucherDigest: Uint8Array, page: OrderedPageQuery): Promise<ReadResult<ViewPage>> {
    return viewPage(
      page,
      (request) => this.#ledger.queryIssuancesByVoucher(voucherDigest, request),
      (r) => toJson(r) as View,
    )
  }

  /** @inheritdoc */
  async settlement(fromMs: bigint, toMs: bigint): Promise<ReadResult<{ json: View; csv: string }>> {
    const state = this.#chain.state
    const config = readValue(state, CONFIG_SCHEMA, keys.config())
    if (!config) throw new NodeError('STATE_CORRUPT', 'no chain config in the state')
    const [start, end] = keys.namespace(PREFIX.pointType)
    const issuers = new Map<string, Uint8Array>()
    for (const e of state.range(start, end, Number.MAX_SAFE_INTEGER)) {
      const type = decodeState(POINT_TYPE_SCHEMA, e.value)
      issuers.set(type.symbol, type.issuer)
    }
    const burns = await this.#ledger.loadBurnsInPeriod(fromMs, toMs)
    if (!burns.ok) return err(apiError(burns.error))
    const options = { fromMs, toMs, platform: config.platformAccount, pointTypeIssuers: issuers }
    const report = buildSettlementReport(burns.value, options)
    if (!report.ok) {
      const code = report.error.code === 'SETTLEMENT_BAD_PERIOD' ? 'API_BAD_QUERY' : 'API_INTERNAL'
      return err({ code, message: report.error.message })
    }
    return ok({ json: settlementToJson(report.value) as View, csv: settlementToCsv(report.value) })
  }

  /** @inheritdoc */
  async enterpriseStats(
    address: Uint8Array,
    fromMs: bigint,
    toMs: bigint,
  ): Promise<ReadResult<View>> {
    if (fromMs < 0n || toMs > TIME_MS_MAX + 1n || fromMs >= toMs) {
      return err({ code: 'API_BAD_QUERY', message: 'need 0 ≤ from < to ≤ time max' })
    }
    const fromDay = Number(fromMs / DAY_MS)
    const toDay = Number((toMs + DAY_MS - 1n) / DAY_MS)
    if (toDay - fromDay > STATS_DAYS_MAX) {
      return err({ code: 'API_BAD_QUERY', message: `more than ${STATS_DAYS_MAX} days` })
    }
    if (!readValue(this.#chain.state, ENTERPRISE_SCHEMA, keys.enterprise(address))) {
      return err({ code: 'API_ENTERPRISE_NOT_FOUND', message: 'no such enterprise' })
    }
    const found: StatsDay[] = []
    let cursor: string | null = null
    do {
      const page: QueryResult<StatsDay> = await this.#ledger.queryEnterpriseStats(
        address,
        fromDay,
        toDay,
        { cursor, limit: QUERY_PAGE_LIMIT_MAX },
      )
      if (!page.ok) return err(apiError(page.error))
      found.push(...page.value.items)
      cursor = page.value.cursor
    } while (cursor !== null)
    const totals = { issued: 0n, redeemed: 0n, converted: 0n, expired: 0n, exchanged: 0n }
    for (const d of found) {
      for (const k of STATS_COUNTERS) totals[k] += d[k]
    }
    const days = found.map((d) => omit(d, 'enterprise'))
    const enterprise = toHex(address)
    const period = { fromMs: fromMs.toString(), toMs: toMs.toString(), fromDay, toDay }
    return ok({ enterprise, ...period, totals: toJson(totals), days })
  }

  /** @inheritdoc */
  enterprises(page: PageQuery): Promise<ReadResult<ViewPage>> {
    const [start, end] = keys.namespace(PREFIX.enterprise)
    return Promise.resolve(
      statePage(this.#chain.state, start, end, page, (e) => ({
        address: toHex(e.key.subarray(1, 21)),
        ...(toJson(decodeState(ENTERPRISE_SCHEMA, e.value)) as View),
      })),
    )
  }
}

function marketView(value: Uint8Array): View {
  const market = decodeState(MARKET_SCHEMA, value)
  return { id: `${market.base}/${market.quote}`, ...(toJson(market) as View) }
}
