/**
 * Goal: every index query returns the same answer as a brute-force scan over all committed records,
 * and cursor pagination neither skips nor repeats entries while blocks are committed concurrently
 * (issue 5, acceptance 3).
 * Method: fast-check generates random histories (per block: account-history entries, burns of every
 * reason, issuances, rate changes, auction results, statistics deltas over small pools of parties,
 * so groups collide). We commit them, then page through every group with random page sizes in both
 * orders and compare with a filter-and-sort over the generated records. A second property pages
 * while commits run in between and concurrently with the page reads: ascending pagination must
 * return a prefix of the final brute-force answer containing everything committed before it
 * started; descending pagination must return exactly the snapshot at its start, reversed.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import type { BurnRecord } from '../../src/core/records.ts'
import { openLevelKvStore } from '../../src/ledger/kv-level.ts'
import { MemoryKvStore } from '../../src/ledger/kv-memory.ts'
import type { KvStore } from '../../src/ledger/kv.ts'
import { Ledger } from '../../src/ledger/ledger.ts'
import type { CommitInput } from '../../src/ledger/commit.ts'
import type { Page, PageRequest } from '../../src/ledger/indexes.ts'
import type { QueryResult } from '../../src/ledger/queries.ts'
import type {
  AuctionRecord,
  HistoryRecord,
  IndexEntries,
  IssuanceRecord,
  RateRecord,
  StatsDelta,
} from '../../src/ledger/records.ts'
import { toHex } from '../../src/util/bytes.ts'
import {
  hashChainStateRootStandIn,
  TEST_GENESIS_HASH,
  TestChain,
} from '../support/ledger-fixtures.ts'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

const party = (i: number): Uint8Array => new Uint8Array(20).fill(0x10 + i)
const PARTIES = [0, 1, 2, 3].map(party)
const TYPES = ['ACME', 'BETA', 'UNI']
const MARKETS = ['ACME/BETA', 'BETA/UNI']
const digest = (i: number): Uint8Array => new Uint8Array(32).fill(0x40 + i)

/** What one generated block contains, before heights and times are known. */
interface BlockPlan {
  readonly txCount: number
  readonly touches: [number, number][] // [tx index, party]
  readonly burns: {
    reason: 0 | 1 | 2
    issuer: number
    acceptor: number
    type: number
    amount: number
  }[]
  readonly issuances: { type: number; voucher: number; to: number }[]
  readonly rates: { type: number; rate: number }[]
  readonly markets: number[]
  readonly stats: { enterprise: number; issued: number; redeemed: number }[]
}

const planArb: fc.Arbitrary<BlockPlan> = fc.integer({ min: 1, max: 4 }).chain((txCount) =>
  fc.record({
    txCount: fc.constant(txCount),
    touches: fc.uniqueArray(
      fc.tuple(fc.integer({ min: 0, max: txCount - 1 }), fc.integer({ min: 0, max: 3 })),
      {
        maxLength: 6,
        selector: ([t, p]) => `${t}/${p}`,
      },
    ),
    burns: fc.array(
      fc.record({
        reason: fc.constantFrom(0 as const, 1 as const, 2 as const),
        issuer: fc.integer({ min: 0, max: 3 }),
        acceptor: fc.integer({ min: 0, max: 3 }),
        type: fc.integer({ min: 0, max: 2 }),
        amount: fc.integer({ min: 1, max: 1000 }),
      }),
      { maxLength: 4 },
    ),
    issuances: fc.array(
      fc.record({
        type: fc.integer({ min: 0, max: 2 }),
        voucher: fc.integer({ min: 0, max: 5 }),
        to: fc.integer({ min: 0, max: 3 }),
      }),
      { maxLength: 2 },
    ),
    rates: fc.array(
      fc.record({ type: fc.integer({ min: 0, max: 2 }), rate: fc.integer({ min: 1, max: 1e6 }) }),
      { maxLength: 2 },
    ),
    markets: fc.uniqueArray(fc.integer({ min: 0, max: 1 }), { maxLength: 2 }),
    stats: fc.array(
      fc.record({
        enterprise: fc.integer({ min: 0, max: 3 }),
        issued: fc.integer({ min: 0, max: 50 }),
        redeemed: fc.integer({ min: 0, max: 50 }),
      }),
      { maxLength: 3 },
    ),
  }),
)

/** All records committed so far: the brute-force side. */
class Committed {
  history: HistoryRecord[] = []
  burns: BurnRecord[] = []
  issuances: IssuanceRecord[] = []
  rates: RateRecord[] = []
  auctions: AuctionRecord[] = []
  stats: StatsDelta[] = []
  readonly usedVouchers = new Set<string>()
}

/** Builds the commit of `plan` (skipping issuances whose voucher/type pair is already used). */
function buildCommit(
  chain: TestChain,
  plan: BlockPlan,
  used: Set<string>,
): { input: CommitInput; entries: IndexEntries } {
  let entries: IndexEntries | null = null
  const input = chain.next(plan.txCount, {
    burns: (height, time) =>
      plan.burns.map((b, index) => ({
        pointType: TYPES[b.type]!,
        issuer: PARTIES[b.issuer]!,
        holder: PARTIES[(b.issuer + 1) % 4]!,
        amount: BigInt(b.amount),
        reason: (['expiry', 'redemption', 'conversion'] as const)[b.reason],
        acceptor: b.reason === 1 ? PARTIES[b.acceptor]! : null,
        orderRef: b.reason === 1 ? `ORD-${height}-${index}` : null,
        rate: 1_000_000_000n,
        valueUniversal: BigInt(b.amount),
        convertedTo: b.reason === 2 ? 'UNI' : null,
        txId: null,
        height,
        time,
        index,
      })),
    indexEntries: (height, time, txIds) => {
      const issuances: IssuanceRecord[] = []
      for (const [i, p] of plan.issuances.entries()) {
        const id = `${p.voucher}/${p.type}`
        if (used.has(id)) continue
        used.add(id)
        issuances.push({
          pointType: TYPES[p.type]!,
          voucherDigest: digest(p.voucher),
          voucherKind: 'sales-order',
          voucherRef: `SO-${height}-${i}`,
          issuer: PARTIES[p.type]!,
          to: PARTIES[p.to]!,
          amount: 100n,
          txId: txIds[0]!,
          height,
          time,
        })
      }
      entries = {
        history: plan.touches.map(([index, p]) => ({
          address: PARTIES[p]!,
          txId: txIds[index]!,
          height,
          index,
          kind: 'points.transfer',
        })),
        issuances,
        rates: plan.rates.map((r, index) => ({
          pointType: TYPES[r.type]!,
          rate: BigInt(r.rate),
          sourceRef: `src-${height}`,
          oracle: PARTIES[3]!,
          txId: txIds[0]!,
          height,
          time,
          index,
        })),
        auctions: plan.markets.map((m) => ({
          market: MARKETS[m]!,
          price: m === 0 ? null : 150n,
          volume: BigInt(m * 10),
          orderCount: 2,
          fillCount: m * 2,
          height,
          time,
        })),
        stats: plan.stats.map((s) => ({
          enterprise: PARTIES[s.enterprise]!,
          time,
          issued: BigInt(s.issued),
          redeemed: BigInt(s.redeemed),
          converted: 0n,
          expired: 0n,
          exchanged: 0n,
        })),
      }
      return entries
    },
  })
  return { input, entries: entries! }
}

function record(committed: Committed, input: CommitInput, entries: IndexEntries): void {
  committed.history.push(...entries.history)
  committed.burns.push(...input.burns)
  committed.issuances.push(...entries.issuances)
  committed.rates.push(...entries.rates)
  committed.auctions.push(...entries.auctions)
  committed.stats.push(...entries.stats)
}

async function newLedger(kv: KvStore): Promise<Ledger> {
  const ledger = await Ledger.open(kv, { computeStateRoot: hashChainStateRootStandIn })
  await ledger.initGenesis({
    genesisHash: TEST_GENESIS_HASH,
    writeSet: [],
    stateRoot: hashChainStateRootStandIn([]),
  })
  return ledger
}

/** Pages through a query to the end with the given page size. */
async function pageAll<T>(
  query: (page: PageRequest) => Promise<QueryResult<T>>,
  limit: number,
  order: 'asc' | 'desc',
): Promise<T[]> {
  const out: T[] = []
  let cursor: string | null = null
  for (let guard = 0; guard < 10_000; guard++) {
    const result: QueryResult<T> = await query({ cursor, limit, order })
    if (!result.ok) throw new Error(result.error.message)
    const page: Page<T> = result.value
    out.push(...page.items)
    if (page.cursor === null) return out
    cursor = page.cursor
  }
  throw new Error('pagination did not end')
}

const byRef = (
  a: { height: number; index: number },
  b: { height: number; index: number },
): number => a.height - b.height || a.index - b.index
const ordered = <T>(items: T[], order: 'asc' | 'desc'): T[] =>
  order === 'asc' ? items : [...items].reverse()
const burnId = (b: BurnRecord): string => `${b.height}:${b.index}`
const hex = toHex

async function checkAllQueries(
  ledger: Ledger,
  c: Committed,
  limit: number,
  order: 'asc' | 'desc',
  times: [bigint, bigint][],
): Promise<void> {
  for (const [i, p] of PARTIES.entries()) {
    const history = await pageAll((pg) => ledger.queryAccountHistory(p, pg), limit, order)
    const expectedHistory = c.history.filter((r) => hex(r.address) === hex(p)).sort(byRef)
    expect(
      history.map((r) => `${r.height}:${r.index}:${hex(r.txId)}`),
      `history of party ${i}`,
    ).toEqual(ordered(expectedHistory, order).map((r) => `${r.height}:${r.index}:${hex(r.txId)}`))
    const byIssuer = await pageAll((pg) => ledger.queryBurnsByIssuer(p, pg), limit, order)
    expect(byIssuer.map(burnId), `burns by issuer ${i}`).toEqual(
      ordered(c.burns.filter((b) => hex(b.issuer) === hex(p)).sort(byRef), order).map(burnId),
    )
    const byAcceptor = await pageAll((pg) => ledger.queryBurnsByAcceptor(p, pg), limit, order)
    const expectedAcceptor = c.burns
      .filter((b) => b.acceptor !== null && hex(b.acceptor) === hex(p))
      .sort(byRef)
    expect(byAcceptor.map(burnId), `burns by acceptor ${i}`).toEqual(
      ordered(expectedAcceptor, order).map(burnId),
    )
    const days = await pageAll(
      (pg) => ledger.queryEnterpriseStats(p, 0, 0xffff_ffff, pg),
      limit,
      order,
    )
    const sums = new Map<number, [bigint, bigint]>()
    for (const s of c.stats.filter((d) => hex(d.enterprise) === hex(p))) {
      const day = Number(s.time / 86_400_000n)
      const t = sums.get(day) ?? [0n, 0n]
      sums.set(day, [t[0] + s.issued, t[1] + s.redeemed])
    }
    const expectedDays = [...sums.entries()]
      .sort(([a], [b]) => a - b)
      .map(([d, [is, re]]) => `${d}:${is}:${re}`)
    expect(
      days.map((d) => `${d.day}:${d.issued}:${d.redeemed}`),
      `stats of party ${i}`,
    ).toEqual(ordered(expectedDays, order))
  }
  for (const type of TYPES) {
    const rates = await pageAll((pg) => ledger.queryRateHistory(type, pg), limit, order)
    const expectedRates = c.rates.filter((r) => r.pointType === type).sort(byRef)
    expect(
      rates.map((r) => `${r.height}:${r.index}:${r.rate}`),
      `rates of ${type}`,
    ).toEqual(ordered(expectedRates, order).map((r) => `${r.height}:${r.index}:${r.rate}`))
  }
  for (const market of MARKETS) {
    const auctions = await pageAll((pg) => ledger.queryAuctionResults(market, pg), limit, order)
    const expectedAuctions = c.auctions
      .filter((a) => a.market === market)
      .sort((a, b) => a.height - b.height)
    expect(
      auctions.map((a) => a.height),
      `auctions of ${market}`,
    ).toEqual(ordered(expectedAuctions, order).map((a) => a.height))
  }
  for (let v = 0; v < 6; v++) {
    const issuances = await pageAll(
      (pg) => ledger.queryIssuancesByVoucher(digest(v), pg),
      limit,
      order,
    )
    // Key order within a voucher is the length-prefixed symbol: shorter symbols first, then bytes.
    const bySymbol = (a: IssuanceRecord, b: IssuanceRecord): number =>
      a.pointType.length - b.pointType.length ||
      (a.pointType < b.pointType ? -1 : a.pointType > b.pointType ? 1 : 0)
    const expectedIssuances = c.issuances
      .filter((r) => hex(r.voucherDigest) === hex(digest(v)))
      .sort(bySymbol)
      .map((r) => `${r.pointType}:${r.height}`)
    expect(
      issuances.map((r) => `${r.pointType}:${r.height}`),
      `issuances of voucher ${v}`,
    ).toEqual(ordered(expectedIssuances, order))
  }
  for (const [from, to] of times) {
    const burns = await pageAll((pg) => ledger.queryBurnsByTime(from, to, pg), limit, order)
    const expectedBurns = c.burns.filter((b) => b.time >= from && b.time < to).sort(byRef)
    expect(burns.map(burnId), `burns in [${from}, ${to})`).toEqual(
      ordered(expectedBurns, order).map(burnId),
    )
  }
}

describe('index queries agree with a brute-force scan', () => {
  it('on random histories, every page size and both orders', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(planArb, { minLength: 1, maxLength: 14 }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom('asc' as const, 'desc' as const),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 1, max: 8 })), {
          maxLength: 3,
        }),
        async (plans, limit, order, windows) => {
          const ledger = await newLedger(new MemoryKvStore())
          // Six-hour blocks: a history spans several days, so statistics land on several days.
          const chain = new TestChain('prop', 6n * 3_600_000n)
          const committed = new Committed()
          for (const plan of plans) {
            const { input, entries } = buildCommit(chain, plan, committed.usedVouchers)
            await ledger.commitBlock(input)
            record(committed, input, entries)
          }
          const times = windows.map(([start, length]): [bigint, bigint] => [
            chain.timeAt(start),
            chain.timeAt(start + length),
          ])
          await checkAllQueries(ledger, committed, limit, order, times)
        },
      ),
      { numRuns: 25 },
    )
  })
})

/** Pages through burns by issuer 0 while `commitMore` runs between and alongside the page reads. */
async function paginateDuringCommits(
  ledger: Ledger,
  limit: number,
  order: 'asc' | 'desc',
  commitMore: () => Promise<void>,
): Promise<BurnRecord[]> {
  const out: BurnRecord[] = []
  let cursor: string | null = null
  for (let guard = 0; guard < 10_000; guard++) {
    // The commit and the page read are started together: their order is up to the store.
    const query = ledger.queryBurnsByIssuer(PARTIES[0]!, { cursor, limit, order })
    const commit = commitMore()
    const result: QueryResult<BurnRecord> = await query
    await commit
    if (!result.ok) throw new Error(result.error.message)
    out.push(...result.value.items)
    if (result.value.cursor === null) return out
    cursor = result.value.cursor
  }
  throw new Error('pagination did not end')
}

async function concurrentRun(
  kv: KvStore,
  plans: BlockPlan[],
  split: number,
  limit: number,
  order: 'asc' | 'desc',
): Promise<void> {
  const ledger = await newLedger(kv)
  const chain = new TestChain('concurrent')
  const committed = new Committed()
  const commitOne = async (plan: BlockPlan): Promise<void> => {
    const { input, entries } = buildCommit(chain, plan, committed.usedVouchers)
    await ledger.commitBlock(input)
    record(committed, input, entries)
  }
  const head = plans.slice(0, split)
  const tail = plans.slice(split)
  for (const plan of head) await commitOne(plan)
  const before = committed.burns.filter((b) => hex(b.issuer) === hex(PARTIES[0]!)).map(burnId)
  const seen = await paginateDuringCommits(ledger, limit, order, async () => {
    const plan = tail.shift()
    if (plan) await commitOne(plan)
  })
  const ids = seen.map(burnId)
  expect(new Set(ids).size, `no repeats in ${ids.join(',')}`).toBe(ids.length)
  const final = committed.burns
    .filter((b) => hex(b.issuer) === hex(PARTIES[0]!))
    .sort(byRef)
    .map(burnId)
  if (order === 'asc') {
    expect(ids, 'ascending pages form a prefix of the final answer (no skips)').toEqual(
      final.slice(0, ids.length),
    )
    expect(
      ids.length,
      'everything committed before the first page is returned',
    ).toBeGreaterThanOrEqual(before.length)
  } else {
    expect(ids, 'descending pages return the snapshot at the first page').toEqual(
      [...before].reverse(),
    )
  }
  await ledger.close()
}

const burnyPlanArb = planArb.map((p) => ({
  ...p,
  burns: [...p.burns, { reason: 0 as const, issuer: 0, acceptor: 0, type: 0, amount: 5 }],
}))

describe('cursor pagination under concurrent commits', () => {
  it('neither skips nor repeats (memory store)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(burnyPlanArb, { minLength: 2, maxLength: 16 }),
        fc.nat(),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom('asc' as const, 'desc' as const),
        async (plans, splitSeed, limit, order) => {
          await concurrentRun(new MemoryKvStore(), plans, splitSeed % plans.length, limit, order)
        },
      ),
      { numRuns: 40 },
    )
  })

  it('neither skips nor repeats (LevelDB)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(burnyPlanArb, { minLength: 2, maxLength: 12 }),
        fc.nat(),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom('asc' as const, 'desc' as const),
        async (plans, splitSeed, limit, order) => {
          const dir = await mkdtemp(join(tmpdir(), 'pointsnode-pages-'))
          dirs.push(dir)
          await concurrentRun(
            await openLevelKvStore(join(dir, 'db')),
            plans,
            splitSeed % plans.length,
            limit,
            order,
          )
        },
      ),
      { numRuns: 8 },
    )
  })
})
