/**
 * Goal: `bench:accounts` compares runs with 1 M and 1 k accounts as the acceptance 5 reads
 * (large against small, in per cent, per pair and by the medians, for each measure), and refuses
 * pairs that differ in more than the state's size.
 * Method: run summaries with round numbers, so each expected difference is worked out by hand in the
 * test (e.g. 3,600 against 4,000 tx/s is −10 %).
 */
import { describe, expect, it } from 'vitest'
import {
  compareAccountPairs,
  largeFirstInPair,
  percentChange,
  type AccountsPair,
  type ClusterRunSummary,
  type MeasureComparison,
} from '../../../bench/accounts-lib.ts'

/** A run: `cpu` is node 0's CPU per tx and `verifier` its verifier workers' share (µs). */
function run(
  extraAccounts: number,
  committedPerSecond: number,
  verify: number,
  cpu: number | null,
  verifier: number | null = 200,
): ClusterRunSummary {
  return {
    validators: 1,
    accounts: 1000,
    extraAccounts,
    verifyBefore: verify,
    verifyAfter: verify - 100,
    committedPerSecond,
    ratio: committedPerSecond / verify,
    cpuPerTxMicros: cpu,
    verifierPerTxMicros: verifier,
    p99Ms: 900,
    round0Percent: 100,
  }
}

function pair(
  small: ClusterRunSummary,
  large: ClusterRunSummary,
  largeFirst = false,
): AccountsPair {
  return { small, large, largeFirst }
}

/** The comparison by the measure whose label starts with `prefix`. */
function by(comparisons: readonly MeasureComparison[], prefix: string): MeasureComparison {
  const found = comparisons.find((c) => c.measure.label.startsWith(prefix))
  if (found === undefined) throw new Error(`no measure ${prefix}`)
  return found
}

const rounded = (xs: readonly (number | null)[]): (number | null)[] =>
  xs.map((x) => (x === null ? null : Math.round(x * 1e9) / 1e9))

describe('bench:accounts comparison', () => {
  it('alternates the order of the pairs: small first, then large first (ABBA)', () => {
    expect([0, 1, 2, 3].map(largeFirstInPair)).toEqual([false, true, false, true])
  })

  it('gives each pair and the medians as large against small, in per cent', () => {
    const pairs = [
      // −10 % by tx/s and by ratio (same verify rate); CPU 400 → 440 µs is +10 %, and with the
      // same 200 µs of verification 2.0 → 2.2 verifications is +10 %.
      pair(run(0, 4000, 10_000, 400), run(999_000, 3600, 10_000, 440)),
      // −25 % by tx/s, but the host's verify rate fell by a quarter too: 0 % by ratio. CPU 400 →
      // 500 µs is +25 %, and so did one verification (200 → 250 µs): 2.0 verifications each, 0 %.
      pair(run(0, 4000, 10_000, 400), run(999_000, 3000, 7_500, 500, 250), true),
      // +5 % by tx/s and by ratio; CPU 400 → 380 is −5 %, 2.0 → 1.9 verifications −5 %.
      pair(run(0, 4000, 10_000, 400), run(999_000, 4200, 10_000, 380)),
    ]
    const c = compareAccountPairs(pairs, 20)
    const rate = by(c, 'committed tx/s')
    expect(rate.pairs).toEqual([-10, -25, 5])
    expect(rate.medians).toEqual([4000, 3600])
    expect(rate.percent).toBe(-10)
    // The −25 % pair is beyond 20 % by tx/s, within it by every other measure.
    expect(rate.pairsWithin).toBe(2)
    const ratio = by(c, 'committed tx/s ÷')
    expect(rounded(ratio.pairs)).toEqual([-10, 0, 5])
    // Ratios 0.4 each small; large 0.36, 0.4, 0.42.
    expect(ratio.medians).toEqual([0.4, 0.4])
    expect(ratio.percent).toBe(0)
    expect(ratio.pairsWithin).toBe(3)
    const cpu = by(c, 'node 0 CPU per tx, µs')
    expect(cpu.pairs).toEqual([10, 25, -5])
    expect(cpu.medians).toEqual([400, 440])
    expect(cpu.percent).toBe(10)
    expect(cpu.pairsWithin).toBe(2)
    const verifications = by(c, 'node 0 CPU per tx in verifications')
    expect(rounded(verifications.pairs)).toEqual([10, 0, -5])
    expect(verifications.medians).toEqual([2, 2])
    expect(verifications.pairsWithin).toBe(3)
  })

  it('counts a difference of exactly the limit as within it, and a faster large run too', () => {
    const c = compareAccountPairs(
      [
        pair(run(0, 5000, 10_000, 400), run(1, 4000, 10_000, 500)),
        pair(run(0, 1000, 10_000, 400), run(1, 1500, 10_000, 300)),
      ],
      20,
    )
    const rate = by(c, 'committed tx/s')
    expect(rate.pairs).toEqual([-20, 50])
    expect(rate.pairsWithin).toBe(1)
  })

  it('leaves out a measure a run did not take, pair by pair', () => {
    const c = compareAccountPairs(
      [
        pair(run(0, 4000, 10_000, null), run(9, 3600, 10_000, 440)),
        pair(run(0, 4000, 10_000, 400, null), run(9, 3600, 10_000, 440)),
      ],
      20,
    )
    const cpu = by(c, 'node 0 CPU per tx, µs')
    expect(cpu.pairs).toEqual([null, 10])
    expect(cpu.medians).toBeNull()
    expect(cpu.percent).toBeNull()
    expect(cpu.pairsWithin).toBe(1)
    expect(by(c, 'node 0 CPU per tx in verifications').pairs).toEqual([null, null])
    expect(by(c, 'committed tx/s').percent).toBe(-10)
  })

  it('refuses no pairs, pairs that differ in more than the state, and a zero baseline', () => {
    expect(() => compareAccountPairs([], 20)).toThrow(/no pairs/)
    const other = { ...run(999_000, 3600, 10_000, 440), accounts: 2000 }
    expect(() => compareAccountPairs([pair(run(0, 4000, 10_000, 400), other)], 20)).toThrow(
      /more than the funded accounts/,
    )
    const fourValidators = { ...run(999_000, 3600, 10_000, 440), validators: 4 }
    expect(() =>
      compareAccountPairs([pair(run(0, 4000, 10_000, 400), fourValidators)], 20),
    ).toThrow(/more than the funded accounts/)
    const same = pair(run(5, 4000, 10_000, 400), run(5, 3600, 10_000, 440))
    expect(() => compareAccountPairs([same], 20)).toThrow(/does not hold more accounts/)
    expect(() => percentChange(0, 1)).toThrow(/against 0/)
  })
})
