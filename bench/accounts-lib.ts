/**
 * The comparison of `npm run bench:accounts` (issue #9 acceptance 5): what one `bench:cluster` run
 * reports to it (`--json`), and the pairs of runs with 1 k and with 1 M funded accounts compared
 * by each of `MEASURES`: committed tx/s, the same ÷ the verify rate measured around the run and ÷
 * the verify rate during the run, and node 0's CPU per tx.
 *
 * On a shared host one run's throughput moves by tens of per cent with the host (the eighteenth
 * session's pairs ranged from −21 % to +10 %), so the bench alternates the order of each pair
 * (ABBA) and reports, beside the raw rate, measures taken against this host's speed in the same
 * run, as the guide asks of every benchmark here.
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
  /** The share of it on the verifier workers (µs per tx); null when not measured. */
  readonly verifierPerTxMicros: number | null
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

/** One way to compare two runs: a number per run, or null when the run did not measure it. */
export interface Measure {
  readonly label: string
  /** Decimals to print its values with. */
  readonly digits: number
  readonly of: (run: ClusterRunSummary) => number | null
}

/**
 * The verify rate of two cores during the run (/s): with one validator every tx is verified once
 * on node 0's verifier workers (the bench's admission table shows it), so their CPU per tx is what
 * one verification cost on this host while the run went on. Null when not measured.
 */
export function verifyRateInRun(run: ClusterRunSummary): number | null {
  const micros = run.verifierPerTxMicros
  return micros === null || micros <= 0 ? null : 2e6 / micros
}

/**
 * The measures, throughput first. The verify rate measured before and after a run (the issue's
 * ceiling) often missed what the host did during the run; the rate during the run, from node 0's
 * own verifications, follows it (docs/BENCHMARKS.md, "Cluster", nineteenth session).
 */
export const MEASURES: readonly Measure[] = [
  { label: 'committed tx/s', digits: 0, of: (r) => r.committedPerSecond },
  {
    label: 'committed tx/s ÷ verify rate (before and after the run)',
    digits: 3,
    of: (r) => r.ratio,
  },
  {
    label: 'committed tx/s ÷ verify rate during the run (2 cores ÷ verifier CPU per tx)',
    digits: 3,
    of: (r) => {
      const rate = verifyRateInRun(r)
      return rate === null ? null : r.committedPerSecond / rate
    },
  },
  { label: 'node 0 CPU per tx, µs', digits: 0, of: (r) => r.cpuPerTxMicros },
]

/** One measure over all pairs: large against small, in per cent (negative: less with more keys). */
export interface MeasureComparison {
  readonly measure: Measure
  /** Each pair's difference; null for a pair where a run lacks the measure. */
  readonly pairs: readonly (number | null)[]
  /** The medians of the small and the large runs; null unless every run has the measure. */
  readonly medians: readonly [number, number] | null
  /** The medians' difference; null with them. */
  readonly percent: number | null
  /** Pairs whose difference is at most the limit either way. */
  readonly pairsWithin: number
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
 * Compares the pairs by every measure. Throws on no pairs, or on a pair whose runs differ in
 * anything but the state's size (validators, accounts that send), or whose "large" run is not
 * larger.
 */
export function compareAccountPairs(
  pairs: readonly AccountsPair[],
  limitPercent: number,
): MeasureComparison[] {
  if (pairs.length === 0) throw new Error('no pairs to compare')
  for (const { small, large } of pairs) {
    if (small.validators !== large.validators || small.accounts !== large.accounts) {
      throw new Error('a pair differs in more than the funded accounts')
    }
    if (!(large.extraAccounts > small.extraAccounts)) {
      throw new Error('the large run of a pair does not hold more accounts')
    }
  }
  return MEASURES.map((measure): MeasureComparison => {
    const small = pairs.map((p) => measure.of(p.small))
    const large = pairs.map((p) => measure.of(p.large))
    const differences = small.map((s, i) => {
      const l = large[i] ?? null
      return s === null || l === null ? null : percentChange(s, l)
    })
    const known = (xs: (number | null)[]): xs is number[] => xs.every((x) => x !== null)
    const medians: [number, number] | null =
      known(small) && known(large) ? [median(small), median(large)] : null
    return {
      measure,
      pairs: differences,
      medians,
      percent: medians === null ? null : percentChange(...medians),
      pairsWithin: differences.filter((d) => d !== null && Math.abs(d) <= limitPercent).length,
    }
  })
}
