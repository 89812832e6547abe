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
  verifyRateInRun,
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
      // −10 % by tx/s and by ratio (same verify rate); CPU 400 → 440 µs is +10 %. One verification
      // took 200 µs in both runs (10,000/s on two cores): −10 % against the rate in the run too.
      pair(run(0, 4000, 10_000, 400), run(999_000, 3600, 10_000, 440)),
      // −25 % by tx/s. The verify rate around the run fell by a quarter: 0 % by that ratio. During
      // the run a verification took 200 → 250 µs (10,000 → 8,000/s): 0.4 → 0.375, −6.25 %.
      pair(run(0, 4000, 10_000, 400), run(999_000, 3000, 7_500, 500, 250), true),
      // +5 % by tx/s and by both ratios; CPU 400 → 380 is −5 %.
      pair(run(0, 4000, 10_000, 400), run(999_000, 4200, 10_000, 380)),
    ]
    const c = compareAccountPairs(pairs, 20)
    const rate = by(c, 'committed tx/s')
    expect(rate.pairs).toEqual([-10, -25, 5])
    expect(rate.medians).toEqual([4000, 3600])
    expect(rate.percent).toBe(-10)
    // The −25 % pair is beyond 20 % by tx/s, within it by the ratios.
    expect(rate.pairsWithin).toBe(2)
    const around = by(c, 'committed tx/s ÷ verify rate (before')
    expect(rounded(around.pairs)).toEqual([-10, 0, 5])
    // Ratios 0.4 each small; large 0.36, 0.4, 0.42.
    expect(around.medians).toEqual([0.4, 0.4])
    expect(around.percent).toBe(0)
    expect(around.pairsWithin).toBe(3)
    const during = by(c, 'committed tx/s ÷ verify rate during')
    expect(rounded(during.pairs)).toEqual([-10, -6.25, 5])
    // Small 0.4 each; large 0.36, 0.375, 0.42.
    expect(rounded(during.medians ?? [])).toEqual([0.4, 0.375])
    expect(during.pairsWithin).toBe(3)
    const cpu = by(c, 'node 0 CPU per tx, µs')
    expect(cpu.pairs).toEqual([10, 25, -5])
    expect(cpu.medians).toEqual([400, 440])
    expect(cpu.percent).toBe(10)
    expect(cpu.pairsWithin).toBe(2)
  })

  it('takes the verify rate during a run from two cores and its verifier CPU per tx', () => {
    expect(verifyRateInRun(run(0, 4000, 10_000, 400, 250))).toBe(8000)
    expect(verifyRateInRun(run(0, 4000, 10_000, 400, null))).toBeNull()
    expect(verifyRateInRun(run(0, 4000, 10_000, 400, 0))).toBeNull()
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
    // The first pair's runs both measured their verifiers (200 µs), the second's small run did not.
    expect(rounded(by(c, 'committed tx/s ÷ verify rate during').pairs)).toEqual([-10, null])
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
