/**
 * The settlement report: net obligations between enterprises and the platform over a period,
 * derived from burn records alone. Spec: SPEC.md section 7; docs/protocol/storage.md#settlement.
 *
 * Pure function of its inputs. Rules, all in universal minor units (`valueUniversal`):
 * - redemption: the issuer of the burned points owes the acceptor;
 * - conversion: the issuer of the burned type owes the platform, and the platform owes the issuer
 *   of the type minted in exchange (`convertedTo`); legs whose party is the platform itself vanish,
 *   so enterprise → universal gives "issuer owes platform" and universal → enterprise gives
 *   "platform owes that enterprise";
 * - expiry: no obligation; listed separately, as are redemptions at the issuer itself.
 * Obligations are netted per unordered pair. Every line lists the ids (`height:index`) of the burn
 * records behind it, so each figure can be traced and recomputed.
 */
import type { BurnRecord } from '../core/records.ts'
import { assert } from '../util/assert.ts'
import { toHex } from '../util/bytes.ts'
import { err, ok, type Result } from '../util/result.ts'

/** Inputs of a report besides the burns. */
export interface SettlementOptions {
  /** Period start (inclusive), UNIX ms. */
  readonly fromMs: bigint
  /** Period end (exclusive), UNIX ms. */
  readonly toMs: bigint
  /** The platform (operator) account: issuer of universal points, counterparty of conversions. */
  readonly platform: Uint8Array
  /** The issuer address of each point type symbol (for `convertedTo`). */
  readonly pointTypeIssuers: ReadonlyMap<string, Uint8Array>
}

/** One netted pair: `debtor` owes `creditor` `netValueUniversal` (≥ 0). */
export interface SettlementLine {
  /** Hex address. */
  readonly debtor: string
  readonly creditor: string
  readonly netValueUniversal: bigint
  /** Sum owed by `debtor` to `creditor` before netting. */
  readonly grossDebtorToCreditor: bigint
  /** Sum owed by `creditor` to `debtor` before netting. */
  readonly grossCreditorToDebtor: bigint
  /** Burn record ids (`height:index`) behind this line, ascending. */
  readonly burnIds: string[]
}

/** Burns without an obligation, grouped by reason, issuer and point type. */
export interface UnobligatedLine {
  readonly reason: 'expiry' | 'self-redemption'
  readonly issuer: string
  readonly pointType: string
  readonly amount: bigint
  readonly valueUniversal: bigint
  readonly burnIds: string[]
}

/** A settlement report. */
export interface SettlementReport {
  readonly fromMs: bigint
  readonly toMs: bigint
  readonly platform: string
  /** Netted pairs, ordered by (debtor, creditor). */
  readonly lines: SettlementLine[]
  /** Expiry and self-redemption burns, ordered by (reason, issuer, point type). */
  readonly unobligated: UnobligatedLine[]
  /** Number of burn records in the period. */
  readonly burnCount: number
}

/** Why a report cannot be built. */
export interface SettlementError {
  readonly code: 'SETTLEMENT_BAD_PERIOD' | 'SETTLEMENT_BAD_RECORD' | 'SETTLEMENT_UNKNOWN_POINT_TYPE'
  readonly message: string
}

/** The id of a burn record: `height:index`. */
export function burnIdOf(burn: Pick<BurnRecord, 'height' | 'index'>): string {
  return `${burn.height}:${burn.index}`
}

interface Leg {
  readonly from: string
  readonly to: string
  readonly value: bigint
  readonly id: string
}

type Classified =
  | { readonly kind: 'legs'; readonly legs: Leg[] }
  | { readonly kind: 'none'; readonly reason: UnobligatedLine['reason'] }

function classify(
  burn: BurnRecord,
  options: SettlementOptions,
): Result<Classified, SettlementError> {
  const id = burnIdOf(burn)
  const issuer = toHex(burn.issuer)
  const platform = toHex(options.platform)
  const value = burn.valueUniversal
  switch (burn.reason) {
    case 'expiry':
      return ok({ kind: 'none', reason: 'expiry' })
    case 'redemption': {
      if (burn.acceptor === null) {
        return err({ code: 'SETTLEMENT_BAD_RECORD', message: `redemption ${id} has no acceptor` })
      }
      const acceptor = toHex(burn.acceptor)
      if (acceptor === issuer) return ok({ kind: 'none', reason: 'self-redemption' })
      return ok({ kind: 'legs', legs: [{ from: issuer, to: acceptor, value, id }] })
    }
    case 'conversion': {
      if (burn.convertedTo === null) {
        return err({ code: 'SETTLEMENT_BAD_RECORD', message: `conversion ${id} has no target` })
      }
      const target = options.pointTypeIssuers.get(burn.convertedTo)
      if (target === undefined) {
        const message = `conversion ${id} targets unknown point type ${burn.convertedTo}`
        return err({ code: 'SETTLEMENT_UNKNOWN_POINT_TYPE', message })
      }
      const legs: Leg[] = []
      if (issuer !== platform) legs.push({ from: issuer, to: platform, value, id })
      if (toHex(target) !== platform) legs.push({ from: platform, to: toHex(target), value, id })
      return ok({ kind: 'legs', legs })
    }
  }
}

function compareIds(a: string, b: string): number {
  const [ah, ai] = a.split(':').map(Number) as [number, number]
  const [bh, bi] = b.split(':').map(Number) as [number, number]
  return ah - bh || ai - bi
}

function netLines(legs: readonly Leg[]): SettlementLine[] {
  const pairs = new Map<
    string,
    { a: string; b: string; ab: bigint; ba: bigint; ids: Set<string> }
  >()
  for (const leg of legs) {
    assert(leg.from !== leg.to, `leg ${leg.id} from a party to itself`)
    const [a, b] = leg.from < leg.to ? [leg.from, leg.to] : [leg.to, leg.from]
    const pair = pairs.get(`${a}/${b}`) ?? { a, b, ab: 0n, ba: 0n, ids: new Set<string>() }
    if (leg.from === a) pair.ab += leg.value
    else pair.ba += leg.value
    pair.ids.add(leg.id)
    pairs.set(`${a}/${b}`, pair)
  }
  const lines = [...pairs.values()].map(({ a, b, ab, ba, ids }): SettlementLine => {
    const aOwes = ab >= ba
    return {
      debtor: aOwes ? a : b,
      creditor: aOwes ? b : a,
      netValueUniversal: aOwes ? ab - ba : ba - ab,
      grossDebtorToCreditor: aOwes ? ab : ba,
      grossCreditorToDebtor: aOwes ? ba : ab,
      burnIds: [...ids].sort(compareIds),
    }
  })
  const key = (l: SettlementLine): string => `${l.debtor}/${l.creditor}`
  return lines.sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0))
}

function groupUnobligated(
  items: readonly { burn: BurnRecord; reason: UnobligatedLine['reason'] }[],
): UnobligatedLine[] {
  const groups = new Map<string, UnobligatedLine>()
  for (const { burn, reason } of items) {
    const issuer = toHex(burn.issuer)
    const id = `${reason}/${issuer}/${burn.pointType}`
    const g = groups.get(id) ?? {
      reason,
      issuer,
      pointType: burn.pointType,
      amount: 0n,
      valueUniversal: 0n,
      burnIds: [],
    }
    groups.set(id, {
      ...g,
      amount: g.amount + burn.amount,
      valueUniversal: g.valueUniversal + burn.valueUniversal,
      burnIds: [...g.burnIds, burnIdOf(burn)],
    })
  }
  return [...groups.entries()]
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([, g]) => ({ ...g, burnIds: [...g.burnIds].sort(compareIds) }))
}

/**
 * Builds the report over the burns whose time lies in `[fromMs, toMs)` (others are ignored).
 * Returns an error for an empty period or a record the rules cannot classify.
 */
export function buildSettlementReport(
  burns: readonly BurnRecord[],
  options: SettlementOptions,
): Result<SettlementReport, SettlementError> {
  if (options.fromMs >= options.toMs) {
    return err({
      code: 'SETTLEMENT_BAD_PERIOD',
      message: `period ${options.fromMs}..${options.toMs} is empty`,
    })
  }
  const legs: Leg[] = []
  const none: { burn: BurnRecord; reason: UnobligatedLine['reason'] }[] = []
  let burnCount = 0
  for (const burn of burns) {
    if (burn.time < options.fromMs || burn.time >= options.toMs) continue
    burnCount++
    const classified = classify(burn, options)
    if (!classified.ok) return classified
    if (classified.value.kind === 'legs') legs.push(...classified.value.legs)
    else none.push({ burn, reason: classified.value.reason })
  }
  const lines = netLines(legs)
  const unobligated = groupUnobligated(none)
  return ok({
    fromMs: options.fromMs,
    toMs: options.toMs,
    platform: toHex(options.platform),
    lines,
    unobligated,
    burnCount,
  })
}

/** JSON form of a report: amounts as decimal strings, addresses as hex. */
export function settlementToJson(report: SettlementReport): Record<string, unknown> {
  return {
    fromMs: report.fromMs.toString(),
    toMs: report.toMs.toString(),
    platform: report.platform,
    burnCount: report.burnCount,
    lines: report.lines.map((l) => ({
      debtor: l.debtor,
      creditor: l.creditor,
      netValueUniversal: l.netValueUniversal.toString(),
      grossDebtorToCreditor: l.grossDebtorToCreditor.toString(),
      grossCreditorToDebtor: l.grossCreditorToDebtor.toString(),
      burnIds: l.burnIds,
    })),
    unobligated: report.unobligated.map((u) => ({
      reason: u.reason,
      issuer: u.issuer,
      pointType: u.pointType,
      amount: u.amount.toString(),
      valueUniversal: u.valueUniversal.toString(),
      burnIds: u.burnIds,
    })),
  }
}

/** CSV columns, in order. */
export const SETTLEMENT_CSV_COLUMNS = [
  'kind',
  'debtor',
  'creditor',
  'point_type',
  'net_value_universal',
  'gross_debtor_to_creditor',
  'gross_creditor_to_debtor',
  'amount',
  'burn_ids',
] as const

/**
 * CSV form of a report (RFC 4180, `\r\n` line ends): one `obligation` row per netted pair, then
 * one row per unobligated group (`kind` = its reason, `debtor` = the issuer). `burn_ids` are
 * space-separated. No field needs quoting: hex, symbols, integers and ids only.
 */
export function settlementToCsv(report: SettlementReport): string {
  const rows: string[][] = [[...SETTLEMENT_CSV_COLUMNS]]
  for (const l of report.lines) {
    rows.push([
      'obligation',
      l.debtor,
      l.creditor,
      '',
      l.netValueUniversal.toString(),
      l.grossDebtorToCreditor.toString(),
      l.grossCreditorToDebtor.toString(),
      '',
      l.burnIds.join(' '),
    ])
  }
  for (const u of report.unobligated) {
    const value = u.valueUniversal.toString()
    rows.push([
      u.reason,
      u.issuer,
      '',
      u.pointType,
      value,
      '',
      '',
      u.amount.toString(),
      u.burnIds.join(' '),
    ])
  }
  for (const row of rows)
    assert(
      row.every((f) => !/[",\r\n]/.test(f)),
      'CSV fields need no quoting',
    )
  return rows.map((r) => r.join(',')).join('\r\n') + '\r\n'
}
