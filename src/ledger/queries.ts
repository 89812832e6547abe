/**
 * Index queries with cursor pagination. Spec: docs/protocol/storage.md#queries.
 *
 * Arguments come from API clients, so bad ones return `LEDGER_BAD_QUERY`/`LEDGER_BAD_CURSOR`
 * results. A page is read from one store snapshot; the cursor is the last key returned.
 */
import type { Schema } from '../codec/schema.ts'
import { BURN_RECORD_SCHEMA, type BurnRecord } from '../core/records.ts'
import { SYMBOL_PATTERN, TIME_MS_MAX } from '../core/limits.ts'
import { MARKET_ID_PATTERN } from '../core/tx.ts'
import { assert } from '../util/assert.ts'
import { concatBytes } from '../util/bytes.ts'
import { NodeError } from '../util/errors.ts'
import { err, ok, type Result } from '../util/result.ts'
import {
  boundsOf,
  burnRefOfKey,
  decodeStored,
  queryPage,
  type KeyBounds,
  type LedgerQueryError,
  type Page,
  type PageRequest,
} from './indexes.ts'
import { PREFIX, strKey, u32Key, u64Key } from './keys.ts'
import type { KvStore } from './kv.ts'
import {
  AUCTION_RECORD_SCHEMA,
  HISTORY_RECORD_SCHEMA,
  ISSUANCE_RECORD_SCHEMA,
  RATE_RECORD_SCHEMA,
  STATS_DAY_SCHEMA,
  type AuctionRecord,
  type HistoryRecord,
  type IssuanceRecord,
  type RateRecord,
  type StatsDay,
} from './records.ts'

/** A query result. */
export type QueryResult<T> = Result<Page<T>, LedgerQueryError>

/** Most burn records one settlement period may hold (bounds the report's memory). */
export const SETTLEMENT_BURNS_MAX = 1_000_000

function badQuery<T>(message: string): QueryResult<T> {
  return err({ code: 'LEDGER_BAD_QUERY', message })
}

/** Read-only queries over the ledger's indexes (the base of `Ledger`). */
export class LedgerQueries {
  /** The underlying store. */
  protected readonly kv: KvStore

  /** Wraps `kv`. */
  constructor(kv: KvStore) {
    this.kv = kv
  }

  async #records<T>(
    bounds: KeyBounds,
    page: PageRequest,
    schema: Schema<T>,
    what: string,
  ): Promise<QueryResult<T>> {
    const raw = await queryPage(this.kv, bounds, page)
    if (!raw.ok) return raw
    const items = raw.value.items.map((e) => decodeStored(schema, e.value, what))
    return ok({ items, cursor: raw.value.cursor })
  }

  async #burns(bounds: KeyBounds, page: PageRequest): Promise<QueryResult<BurnRecord>> {
    const raw = await queryPage(this.kv, bounds, page)
    if (!raw.ok) return raw
    const refs = raw.value.items.map((e) => burnRefOfKey(e.key))
    const values = await this.kv.getMany(refs)
    const items = values.map((value, i) => {
      // The reference and the record were written in one batch and are never deleted.
      if (value === undefined)
        throw new NodeError('LEDGER_CORRUPT', `LEDGER_CORRUPT: burn ${i} missing`)
      return decodeStored(BURN_RECORD_SCHEMA, value, 'burn record')
    })
    return ok({ items, cursor: raw.value.cursor })
  }

  /** The txs that touched `address`, by (height, index). */
  queryAccountHistory(address: Uint8Array, page: PageRequest): Promise<QueryResult<HistoryRecord>> {
    if (address.length !== 20) return Promise.resolve(badQuery('address must be 20 bytes'))
    const bounds = boundsOf(concatBytes(PREFIX.history, address))
    return this.#records(bounds, page, HISTORY_RECORD_SCHEMA, 'history record')
  }

  /** Burns of points issued by `issuer`, by (height, index). */
  queryBurnsByIssuer(issuer: Uint8Array, page: PageRequest): Promise<QueryResult<BurnRecord>> {
    if (issuer.length !== 20) return Promise.resolve(badQuery('issuer must be 20 bytes'))
    return this.#burns(boundsOf(concatBytes(PREFIX.burnByIssuer, issuer)), page)
  }

  /** Redemption burns at `acceptor`, by (height, index). */
  queryBurnsByAcceptor(acceptor: Uint8Array, page: PageRequest): Promise<QueryResult<BurnRecord>> {
    if (acceptor.length !== 20) return Promise.resolve(badQuery('acceptor must be 20 bytes'))
    return this.#burns(boundsOf(concatBytes(PREFIX.burnByAcceptor, acceptor)), page)
  }

  /** Burns with block time in `[fromMs, toMs)`, by (time, height, index). */
  queryBurnsByTime(
    fromMs: bigint,
    toMs: bigint,
    page: PageRequest,
  ): Promise<QueryResult<BurnRecord>> {
    if (fromMs < 0n || toMs > TIME_MS_MAX + 1n || fromMs >= toMs) {
      return Promise.resolve(badQuery('need 0 ≤ from < to ≤ time max'))
    }
    const bounds = {
      gte: concatBytes(PREFIX.burnByTime, u64Key(fromMs)),
      lt: concatBytes(PREFIX.burnByTime, u64Key(toMs)),
    }
    return this.#burns(bounds, page)
  }

  /** The issuances backed by `voucherDigest` (at most one per point type), by point type. */
  queryIssuancesByVoucher(
    voucherDigest: Uint8Array,
    page: PageRequest,
  ): Promise<QueryResult<IssuanceRecord>> {
    if (voucherDigest.length !== 32)
      return Promise.resolve(badQuery('voucher digest must be 32 bytes'))
    const bounds = boundsOf(concatBytes(PREFIX.issuanceByVoucher, voucherDigest))
    return this.#records(bounds, page, ISSUANCE_RECORD_SCHEMA, 'issuance record')
  }

  /** The rate changes of `pointType`, by (height, index). */
  queryRateHistory(pointType: string, page: PageRequest): Promise<QueryResult<RateRecord>> {
    if (!SYMBOL_PATTERN.test(pointType)) return Promise.resolve(badQuery('bad point type symbol'))
    const bounds = boundsOf(concatBytes(PREFIX.rateByType, strKey(pointType)))
    return this.#records(bounds, page, RATE_RECORD_SCHEMA, 'rate record')
  }

  /** The auction results of `market`, by height. */
  queryAuctionResults(market: string, page: PageRequest): Promise<QueryResult<AuctionRecord>> {
    if (!MARKET_ID_PATTERN.test(market)) return Promise.resolve(badQuery('bad market id'))
    const bounds = boundsOf(concatBytes(PREFIX.auctionByMarket, strKey(market)))
    return this.#records(bounds, page, AUCTION_RECORD_SCHEMA, 'auction record')
  }

  /** The daily totals of `enterprise` for UTC days in `[fromDay, toDay)`, by day. */
  queryEnterpriseStats(
    enterprise: Uint8Array,
    fromDay: number,
    toDay: number,
    page: PageRequest,
  ): Promise<QueryResult<StatsDay>> {
    if (enterprise.length !== 20) return Promise.resolve(badQuery('enterprise must be 20 bytes'))
    const dayOk = (d: number): boolean => Number.isInteger(d) && d >= 0 && d <= 0xffff_ffff
    if (!dayOk(fromDay) || !dayOk(toDay) || fromDay >= toDay) {
      return Promise.resolve(badQuery('need 0 ≤ fromDay < toDay'))
    }
    const group = concatBytes(PREFIX.statsByEnterprise, enterprise)
    const upper = toDay === 0xffff_ffff ? boundsOf(group).lt : concatBytes(group, u32Key(toDay))
    const bounds = { gte: concatBytes(group, u32Key(fromDay)), lt: upper }
    return this.#records(bounds, page, STATS_DAY_SCHEMA, 'stats day')
  }

  /**
   * Every burn with block time in `[fromMs, toMs)`, in time order: the input of the settlement
   * report. Returns `LEDGER_BAD_QUERY` for more than `SETTLEMENT_BURNS_MAX` burns.
   */
  async loadBurnsInPeriod(
    fromMs: bigint,
    toMs: bigint,
  ): Promise<Result<BurnRecord[], LedgerQueryError>> {
    const out: BurnRecord[] = []
    let cursor: string | null = null
    for (;;) {
      const page: QueryResult<BurnRecord> = await this.queryBurnsByTime(fromMs, toMs, {
        cursor,
        limit: 1000,
      })
      if (!page.ok) return page
      out.push(...page.value.items)
      if (out.length > SETTLEMENT_BURNS_MAX) {
        return err({
          code: 'LEDGER_BAD_QUERY',
          message: `more than ${SETTLEMENT_BURNS_MAX} burns in period`,
        })
      }
      cursor = page.value.cursor
      if (cursor === null) break
    }
    assert(
      out.every((b) => b.time >= fromMs && b.time < toMs),
      'burns lie in the period',
    )
    return ok(out)
  }
}
