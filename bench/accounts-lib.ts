/**
 * The comparison of `npm run bench:accounts` (issue #9 acceptance 5): what one `bench:cluster` run
 * reports to it (`--json`), and the pairs of runs with 1 k and with 1 M funded accounts compared
 * three ways: committed tx/s, committed tx/s ÷ the run's own verify rate, and node 0's CPU per tx.
 *
 * On a shared host one run's throughput moves by tens of per cent with the host (the eighteenth
 * session's pairs ranged from −21 % to +10 %), so the bench alternates the order of each pair
 * (ABBA) and reports the ratio to each run's own ceiling beside the raw rate, as the other items
 * of the issue do.
 */
import { median } from './harness.ts'

/** What `bench:cluster -- --json FILE` writes: the best step of one run and its ceiling. */
export interface ClusterRunSummary {
  readonly validators: number
  readonly accounts: number
  /** Funded addresses beyond `accounts` that never send (`--extra-accounts`). */
  readonly extraAccounts: number
  /** 2-worker verify rate before and after the run (/s); the higher is the ceiling. */
  readonly verifyBefore: number
  readonly verifyAfter: number
  /** The best measured step's committed tx/s (the warm-up step left out). */
  readonly committedPerSecond: number
  /** `committedPerSecond` ÷ the ceiling of the issue (2-worker rate, ÷ validators when several). */
  readonly ratio: number
  /** Node 0's CPU per committed tx in that step (µs, all its threads); null when not measured. */
  readonly cpuPerTxMicros: number | null
  readonly p99Ms: number
  readonly round0Percent: number
}

/** The state-size the bench compares: `extraAccounts` of 0 (small) against more (large). */
export interface AccountsPair {
  readonly small: ClusterRunSummary
  readonly large: ClusterRunSummary
  /** True when the large run came first (every other pair: ABBA). */
  readonly largeFirst: boolean
}

/** One pair's differences, large against small, in per cent (negative: the large run was slower). */
export interface PairDifference {
  readonly throughputPercent: number
  readonly ratioPercent: number
  /** Positive: the large run spent more CPU per tx; null when either run lacks it. */
  readonly cpuPerTxPercent: number | null
}

/** The comparison over all pairs. */
export interface AccountsComparison {
  readonly pairs: readonly PairDifference[]
  /** The median of each run set, small then large. */
  readonly medianThroughput: readonly [number, number]
  readonly medianRatio: readonly [number, number]
  readonly medianCpuPerTx: readonly [number, number] | null
  /** The medians' differences, large against small, in per cent. */
  readonly throughputPercent: number
  readonly ratioPercent: number
  readonly cpuPerTxPercent: number | null
  /** Pairs whose throughput differs by at most `limitPercent`, and by ratio to the ceiling. */
  readonly pairsWithinThroughput: number
  readonly pairsWithinRatio: number
}

/** `(large − small) ÷ small` in per cent. */
export function percentChange(small: number, large: number): number {
  if (!(small > 0)) throw new Error(`cannot compare against ${small}`)
  return ((large - small) / small) * 100
}

/** Whether the runs of each pair come in the order ABBA: pair i runs the large state first when odd. */
export function largeFirstInPair(index: number): boolean {
  return index % 2 === 1
}

/**
 * Compares the pairs. Throws on no pairs, or on a pair whose runs differ in anything but the
 * state's size (validators, accounts that send), or whose "large" run is not larger.
 */
export function compareAccountPairs(
  pairs: readonly AccountsPair[],
  limitPercent: number,
): AccountsComparison {
  if (pairs.length === 0) throw new Error('no pairs to compare')
  for (const { small, large } of pairs) {
    if (small.validators !== large.validators || small.accounts !== large.accounts) {
      throw new Error('a pair differs in more than the funded accounts')
    }
    if (!(large.extraAccounts > small.extraAccounts)) {
      throw new Error('the large run of a pair does not hold more accounts')
    }
  }
  const differences = pairs.map(({ small, large }): PairDifference => {
    const cpu =
      small.cpuPerTxMicros === null || large.cpuPerTxMicros === null
        ? null
        : percentChange(small.cpuPerTxMicros, large.cpuPerTxMicros)
    return {
      throughputPercent: percentChange(small.committedPerSecond, large.committedPerSecond),
      ratioPercent: percentChange(small.ratio, large.ratio),
      cpuPerTxPercent: cpu,
    }
  })
  const both = <T>(pick: (r: ClusterRunSummary) => T): [T[], T[]] => [
    pairs.map((p) => pick(p.small)),
    pairs.map((p) => pick(p.large)),
  ]
  const [smallRate, largeRate] = both((r) => r.committedPerSecond)
  const [smallRatio, largeRatio] = both((r) => r.ratio)
  const [smallCpu, largeCpu] = both((r) => r.cpuPerTxMicros)
  const cpuKnown = [...smallCpu, ...largeCpu].every((c) => c !== null)
  const medianCpuPerTx: [number, number] | null = cpuKnown
    ? [median(smallCpu as number[]), median(largeCpu as number[])]
    : null
  const medianThroughput: [number, number] = [median(smallRate), median(largeRate)]
  const medianRatio: [number, number] = [median(smallRatio), median(largeRatio)]
  const within = (percents: readonly number[]): number =>
    percents.filter((p) => Math.abs(p) <= limitPercent).length
  return {
    pairs: differences,
    medianThroughput,
    medianRatio,
    medianCpuPerTx,
    throughputPercent: percentChange(...medianThroughput),
    ratioPercent: percentChange(...medianRatio),
    cpuPerTxPercent: medianCpuPerTx === null ? null : percentChange(...medianCpuPerTx),
    pairsWithinThroughput: within(differences.map((d) => d.throughputPercent)),
    pairsWithinRatio: within(differences.map((d) => d.ratioPercent)),
  }
}
