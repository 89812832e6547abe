/**
 * Goal: `bench:accounts` compares runs with 1 M and 1 k accounts as the acceptance 5 reads
 * (large against small, in per cent, per pair and by the medians), and refuses pairs that differ in
 * more than the state's size.
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
} from '../../../bench/accounts-lib.ts'

function run(
  extraAccounts: number,
  committedPerSecond: number,
  verify: number,
  cpu: number | null,
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

describe('bench:accounts comparison', () => {
  it('alternates the order of the pairs: small first, then large first (ABBA)', () => {
    expect([0, 1, 2, 3].map(largeFirstInPair)).toEqual([false, true, false, true])
  })

  it('gives each pair and the medians as large against small, in per cent', () => {
    const pairs = [
      // −10 % by tx/s; the same verify rate, so −10 % by ratio; CPU 400 → 440 µs is +10 %.
      pair(run(0, 4000, 10_000, 400), run(999_000, 3600, 10_000, 440)),
      // −25 % by tx/s, but the host's verify rate fell by a quarter too: 0 % by ratio.
      pair(run(0, 4000, 10_000, 400), run(999_000, 3000, 7_500, 500), true),
      // +5 % by tx/s and by ratio; CPU 400 → 380 is −5 %.
      pair(run(0, 4000, 10_000, 400), run(999_000, 4200, 10_000, 380)),
    ]
    const c = compareAccountPairs(pairs, 20)
    expect(c.pairs.map((d) => d.throughputPercent)).toEqual([-10, -25, 5])
    expect(c.pairs.map((d) => Math.round(d.ratioPercent * 1e9) / 1e9)).toEqual([-10, 0, 5])
    expect(c.pairs.map((d) => d.cpuPerTxPercent)).toEqual([10, 25, -5])
    // Medians: 4,000 against 3,600 tx/s; ratios 0.4 against 0.4 (0.36, 0.4, 0.42).
    expect(c.medianThroughput).toEqual([4000, 3600])
    expect(c.throughputPercent).toBe(-10)
    expect(c.medianRatio).toEqual([0.4, 0.4])
    expect(c.ratioPercent).toBe(0)
    expect(c.medianCpuPerTx).toEqual([400, 440])
    expect(c.cpuPerTxPercent).toBe(10)
    // The −25 % pair is beyond 20 % by tx/s, within it by ratio.
    expect(c.pairsWithinThroughput).toBe(2)
    expect(c.pairsWithinRatio).toBe(3)
  })

  it('counts a difference of exactly the limit as within it, and a faster large run too', () => {
    const c = compareAccountPairs(
      [
        pair(run(0, 5000, 10_000, 400), run(1, 4000, 10_000, 500)),
        pair(run(0, 1000, 10_000, 400), run(1, 1500, 10_000, 300)),
      ],
      20,
    )
    expect(c.pairs.map((d) => d.throughputPercent)).toEqual([-20, 50])
    expect(c.pairsWithinThroughput).toBe(1)
  })

  it('has no CPU comparison when a run did not measure it', () => {
    const c = compareAccountPairs([pair(run(0, 4000, 10_000, null), run(9, 3600, 10_000, 440))], 20)
    expect(c.pairs[0]!.cpuPerTxPercent).toBeNull()
    expect(c.medianCpuPerTx).toBeNull()
    expect(c.cpuPerTxPercent).toBeNull()
    expect(c.throughputPercent).toBe(-10)
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
    expect(() =>
      compareAccountPairs([pair(run(5, 4000, 10_000, 400), run(5, 3600, 10_000, 440))], 20),
    ).toThrow(/does not hold more accounts/)
    expect(() => percentChange(0, 1)).toThrow(/against 0/)
  })
})
