/**
 * Goal: the settlement report nets obligations between enterprises and the platform correctly,
 * every figure traces to its burn records, and the CSV and JSON forms agree (issue 5, acceptance 4).
 * Method: (1) a hand-computed scenario with literal expected lines; (2) a seeded month of
 * redemptions, conversions (both directions and enterprise to enterprise) and expiries among three
 * enterprises and the platform, committed through a real `Ledger` and read back by period: the
 * expected figures come from an independent gross-obligation matrix computed in this test, each
 * line's figures are recomputed from the burn records it lists, and the CSV is parsed and compared
 * field by field with the JSON.
 */
import { describe, expect, it } from 'vitest'
import type { BurnRecord } from '../../../src/core/records.ts'
import { MemoryKvStore } from '../../../src/ledger/kv-memory.ts'
import { Ledger } from '../../../src/ledger/ledger.ts'
import {
  buildSettlementReport,
  SETTLEMENT_CSV_COLUMNS,
  settlementToCsv,
  settlementToJson,
  type SettlementReport,
} from '../../../src/ledger/settlement.ts'
import { toHex } from '../../../src/util/bytes.ts'
import {
  hashChainStateRootStandIn,
  seededRandom,
  TEST_GENESIS_HASH,
  TestChain,
} from '../../support/ledger-fixtures.ts'

const addr = (b: number): Uint8Array => new Uint8Array(20).fill(b)
const A = addr(0xaa) // issuer of ACME
const B = addr(0xbb) // issuer of BETA
const C = addr(0xcc) // issuer of CARE
const P = addr(0x11) // the platform, issuer of UNI
const ISSUERS = new Map([
  ['ACME', A],
  ['BETA', B],
  ['CARE', C],
  ['UNI', P],
])
const hex = toHex

function burn(
  height: number,
  index: number,
  time: bigint,
  fields: Pick<BurnRecord, 'pointType' | 'reason' | 'valueUniversal'> & Partial<BurnRecord>,
): BurnRecord {
  return {
    issuer: ISSUERS.get(fields.pointType)!,
    holder: addr(0x77),
    amount: fields.valueUniversal * 2n,
    acceptor: null,
    orderRef: null,
    rate: 500_000_000n,
    convertedTo: null,
    txId: null,
    height,
    time,
    index,
    ...fields,
  }
}

describe('settlement report: hand-computed scenario', () => {
  const t = 1_000_000n
  const burns: BurnRecord[] = [
    burn(1, 0, t, {
      pointType: 'ACME',
      reason: 'redemption',
      valueUniversal: 100n,
      acceptor: B,
      orderRef: 'o1',
    }),
    burn(1, 1, t, {
      pointType: 'BETA',
      reason: 'redemption',
      valueUniversal: 30n,
      acceptor: A,
      orderRef: 'o2',
    }),
    burn(2, 0, t + 1n, {
      pointType: 'UNI',
      reason: 'redemption',
      valueUniversal: 50n,
      acceptor: C,
      orderRef: 'o3',
    }),
    burn(3, 0, t + 2n, {
      pointType: 'ACME',
      reason: 'conversion',
      valueUniversal: 200n,
      convertedTo: 'UNI',
    }),
    burn(3, 1, t + 2n, {
      pointType: 'UNI',
      reason: 'conversion',
      valueUniversal: 80n,
      convertedTo: 'BETA',
    }),
    burn(4, 0, t + 3n, { pointType: 'ACME', reason: 'expiry', valueUniversal: 10n }),
    burn(4, 1, t + 3n, {
      pointType: 'ACME',
      reason: 'redemption',
      valueUniversal: 40n,
      acceptor: A,
      orderRef: 'o4',
    }),
    burn(5, 0, t + 100n, {
      pointType: 'CARE',
      reason: 'redemption',
      valueUniversal: 25n,
      acceptor: B,
      orderRef: 'late',
    }),
    burn(4, 2, t + 3n, {
      pointType: 'ACME',
      reason: 'conversion',
      valueUniversal: 15n,
      convertedTo: 'BETA',
    }),
  ]
  const options = { fromMs: t, toMs: t + 100n, platform: P, pointTypeIssuers: ISSUERS }

  it('nets each pair, splits conversions through the platform and lists unobligated burns', () => {
    const result = buildSettlementReport(burns, options)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    const r = result.value
    expect(r.burnCount).toBe(8)
    // Lines are ordered by (debtor, creditor) hex: 11.. (P) < aa.. (A).
    expect(
      r.lines.map((l) => [
        l.debtor,
        l.creditor,
        l.netValueUniversal,
        l.grossDebtorToCreditor,
        l.grossCreditorToDebtor,
        l.burnIds,
      ]),
    ).toEqual([
      [hex(P), hex(B), 95n, 95n, 0n, ['3:1', '4:2']],
      [hex(P), hex(C), 50n, 50n, 0n, ['2:0']],
      [hex(A), hex(P), 215n, 215n, 0n, ['3:0', '4:2']],
      [hex(A), hex(B), 70n, 100n, 30n, ['1:0', '1:1']],
    ])
    expect(r.unobligated).toEqual([
      {
        reason: 'expiry',
        issuer: hex(A),
        pointType: 'ACME',
        amount: 20n,
        valueUniversal: 10n,
        burnIds: ['4:0'],
      },
      {
        reason: 'self-redemption',
        issuer: hex(A),
        pointType: 'ACME',
        amount: 80n,
        valueUniversal: 40n,
        burnIds: ['4:1'],
      },
    ])
  })

  it('rejects records the rules cannot classify and empty periods', () => {
    const noTarget = burn(1, 0, t, { pointType: 'ACME', reason: 'conversion', valueUniversal: 1n })
    expect(buildSettlementReport([noTarget], options)).toMatchObject({
      ok: false,
      error: { code: 'SETTLEMENT_BAD_RECORD' },
    })
    const unknown = burn(1, 0, t, {
      pointType: 'ACME',
      reason: 'conversion',
      valueUniversal: 1n,
      convertedTo: 'ZZZ',
    })
    expect(buildSettlementReport([unknown], options)).toMatchObject({
      ok: false,
      error: { code: 'SETTLEMENT_UNKNOWN_POINT_TYPE' },
    })
    expect(buildSettlementReport(burns, { ...options, toMs: t })).toMatchObject({
      ok: false,
      error: { code: 'SETTLEMENT_BAD_PERIOD' },
    })
  })
})

/** A month of random burns, as (per block) lists, with hourly blocks. */
function monthOfBurns(seed: number): ((height: number, time: bigint) => BurnRecord[])[] {
  const random = seededRandom(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
  const enterpriseTypes = ['ACME', 'BETA', 'CARE']
  const acceptors = [A, B, C]
  return Array.from({ length: 31 * 24 }, () => {
    const count = Math.floor(random() * 4)
    const kinds = Array.from({ length: count }, () => ({
      roll: random(),
      type: pick([...enterpriseTypes, 'UNI']),
      target: pick(enterpriseTypes),
      acceptor: pick(acceptors),
      value: BigInt(1 + Math.floor(random() * 5000)),
    }))
    return (height: number, time: bigint) =>
      kinds.map((k, index) => {
        if (k.roll < 0.5) {
          return burn(height, index, time, {
            pointType: k.type,
            reason: 'redemption',
            valueUniversal: k.value,
            acceptor: k.acceptor,
            orderRef: `o${height}.${index}`,
          })
        }
        if (k.roll < 0.9) {
          const convertedTo =
            k.type === 'UNI'
              ? k.target
              : pick(['UNI', 'UNI', k.target === k.type ? 'UNI' : k.target])
          return burn(height, index, time, {
            pointType: k.type,
            reason: 'conversion',
            valueUniversal: k.value,
            convertedTo,
          })
        }
        return burn(height, index, time, {
          pointType: k.type,
          reason: 'expiry',
          valueUniversal: k.value,
        })
      })
  })
}

/** Independent expectation: gross obligations in a matrix, then netted per pair. */
function expectedNet(burns: readonly BurnRecord[], from: bigint, to: bigint): Map<string, bigint> {
  const gross = new Map<string, bigint>()
  const owe = (d: Uint8Array, c: Uint8Array, v: bigint): void => {
    if (hex(d) === hex(c)) return
    gross.set(`${hex(d)}>${hex(c)}`, (gross.get(`${hex(d)}>${hex(c)}`) ?? 0n) + v)
  }
  for (const b of burns) {
    if (b.time < from || b.time >= to) continue
    if (b.reason === 'redemption') owe(b.issuer, b.acceptor!, b.valueUniversal)
    if (b.reason === 'conversion') {
      owe(b.issuer, P, b.valueUniversal)
      owe(P, ISSUERS.get(b.convertedTo!)!, b.valueUniversal)
    }
  }
  const net = new Map<string, bigint>()
  const parties = [A, B, C, P].map(hex)
  for (const x of parties) {
    for (const y of parties) {
      const v = (gross.get(`${x}>${y}`) ?? 0n) - (gross.get(`${y}>${x}`) ?? 0n)
      const involved = gross.has(`${x}>${y}`) || gross.has(`${y}>${x}`)
      if (involved && (v > 0n || (v === 0n && x < y))) net.set(`${x}>${y}`, v)
    }
  }
  return net
}

/** Recomputes one line's gross figures from the burns it lists, by the settlement rules. */
function recomputeLine(
  line: SettlementReport['lines'][number],
  byId: Map<string, BurnRecord>,
): [bigint, bigint] {
  let forward = 0n
  let reverse = 0n
  for (const id of line.burnIds) {
    const b = byId.get(id)!
    const legs: [string, string][] =
      b.reason === 'redemption'
        ? [[hex(b.issuer), hex(b.acceptor!)]]
        : [
            [hex(b.issuer), hex(P)],
            [hex(P), hex(ISSUERS.get(b.convertedTo!)!)],
          ]
    for (const [d, c] of legs) {
      if (d === line.debtor && c === line.creditor) forward += b.valueUniversal
      if (d === line.creditor && c === line.debtor) reverse += b.valueUniversal
    }
  }
  return [forward, reverse]
}

describe('settlement report: a month through the ledger', () => {
  it('nets correctly, traces every figure to its burns, and CSV equals JSON', async () => {
    const ledger = await Ledger.open(new MemoryKvStore(), {
      computeStateRoot: hashChainStateRootStandIn,
    })
    await ledger.initGenesis({
      genesisHash: TEST_GENESIS_HASH,
      writeSet: [],
      stateRoot: hashChainStateRootStandIn([]),
    })
    const chain = new TestChain('month', 3_600_000n)
    const all: BurnRecord[] = []
    for (const makeBurns of monthOfBurns(7)) {
      const input = chain.next(1, { burns: makeBurns })
      all.push(...input.burns)
      await ledger.commitBlock(input)
    }
    // The period: the second to the twenty-ninth day of the chain's month.
    const from = chain.timeAt(24)
    const to = chain.timeAt(28 * 24)
    const loaded = await ledger.loadBurnsInPeriod(from, to)
    expect(loaded.ok).toBe(true)
    if (!loaded.ok) return
    const inPeriod = all.filter((b) => b.time >= from && b.time < to)
    expect(loaded.value.map((b) => `${b.height}:${b.index}`)).toEqual(
      inPeriod.map((b) => `${b.height}:${b.index}`),
    )
    const result = buildSettlementReport(loaded.value, {
      fromMs: from,
      toMs: to,
      platform: P,
      pointTypeIssuers: ISSUERS,
    })
    expect(result.ok).toBe(true)
    if (!result.ok) return
    const report = result.value
    expect(report.lines.length).toBeGreaterThanOrEqual(6)

    const expected = expectedNet(all, from, to)
    expect(
      new Map(report.lines.map((l) => [`${l.debtor}>${l.creditor}`, l.netValueUniversal])),
    ).toEqual(expected)

    const byId = new Map(inPeriod.map((b) => [`${b.height}:${b.index}`, b]))
    const traced = new Set<string>()
    for (const line of report.lines) {
      const [forward, reverse] = recomputeLine(line, byId)
      expect([forward, reverse], `line ${line.debtor}>${line.creditor}`).toEqual([
        line.grossDebtorToCreditor,
        line.grossCreditorToDebtor,
      ])
      expect(forward - reverse, `net of ${line.debtor}>${line.creditor}`).toBe(
        line.netValueUniversal,
      )
      line.burnIds.forEach((id) => traced.add(id))
    }
    for (const u of report.unobligated) {
      const sum = u.burnIds.reduce((s, id) => s + byId.get(id)!.valueUniversal, 0n)
      expect(sum, `unobligated ${u.reason} ${u.pointType}`).toBe(u.valueUniversal)
      u.burnIds.forEach((id) => traced.add(id))
    }
    expect([...traced].sort(), 'every burn of the period is traced').toEqual(
      [...byId.keys()].sort(),
    )

    const json = settlementToJson(report) as {
      lines: Record<string, unknown>[]
      unobligated: Record<string, unknown>[]
    }
    const csv = settlementToCsv(report).split('\r\n')
    expect(csv.pop()).toBe('')
    expect(csv[0]).toBe(SETTLEMENT_CSV_COLUMNS.join(','))
    const rows = csv
      .slice(1)
      .map((line) =>
        Object.fromEntries(line.split(',').map((v, i) => [SETTLEMENT_CSV_COLUMNS[i]!, v])),
      )
    const obligationRows = rows.filter((r) => r['kind'] === 'obligation')
    expect(obligationRows.length).toBe(json.lines.length)
    obligationRows.forEach((row, i) => {
      const l = json.lines[i]!
      expect(row, `csv row ${i}`).toEqual({
        kind: 'obligation',
        debtor: l['debtor'],
        creditor: l['creditor'],
        point_type: '',
        net_value_universal: l['netValueUniversal'],
        gross_debtor_to_creditor: l['grossDebtorToCreditor'],
        gross_creditor_to_debtor: l['grossCreditorToDebtor'],
        amount: '',
        burn_ids: (l['burnIds'] as string[]).join(' '),
      })
    })
    const otherRows = rows.filter((r) => r['kind'] !== 'obligation')
    expect(
      otherRows.map((r) => [
        r['kind'],
        r['debtor'],
        r['point_type'],
        r['net_value_universal'],
        r['amount'],
        r['burn_ids'],
      ]),
    ).toEqual(
      json.unobligated.map((u) => [
        u['reason'],
        u['issuer'],
        u['pointType'],
        u['valueUniversal'],
        u['amount'],
        (u['burnIds'] as string[]).join(' '),
      ]),
    )
  })
})
