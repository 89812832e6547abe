/**
 * `npm run bench:accounts`: issue #9 acceptance 5 in one command. Throughput with 1 M funded
 * accounts in the state against 1 k, one validator (`--dev`), in pairs of `bench:cluster` runs
 * whose order alternates (1 k then 1 M, 1 M then 1 k, ...: ABBA), so that a host that slows or
 * speeds up during the bench weighs on both sides.
 *
 * Each run is `npm run bench:cluster -- --dev --txs N --batch B --no-half --json FILE` in its own
 * process (its tables are printed as it runs), with `--extra-accounts E` on the large side: E more
 * funded addresses in the genesis that never send. Then it prints every run, and every pair's
 * difference and the medians by each measure of bench/accounts-lib.ts: committed tx/s, tx/s ÷ the
 * 2-worker verify rate measured around the run (the issue's ceiling), tx/s ÷ the verify rate
 * during the run (two cores ÷ node 0's verifier CPU per tx: the host's speed while the run went
 * on), and node 0's CPU per tx. The runs table also shows the cores node 0 kept busy (tx/s × CPU
 * per tx).
 *
 * Flags: --pairs N (3) | --txs N (40000) | --batch N (200) | --extra-accounts E (999000: 1 M with
 * the 1,000 sending accounts) | --seed N (1) | --limit P (20: the acceptance's per cent).
 * The exit code is 1 when a run fails; the comparison itself is printed, not judged by the code.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  compareAccountPairs,
  largeFirstInPair,
  type AccountsPair,
  type ClusterRunSummary,
  type MeasureComparison,
} from './accounts-lib.ts'
import { flag, numberFlag, removeDir } from './cluster-lib.ts'
import { cell, fmt, machineLine } from './harness.ts'

const args = process.argv.slice(2)
const count = (name: string, fallback: number): number => {
  const n = numberFlag(args, name, fallback, true)
  if (!Number.isInteger(n)) throw new Error(`--${name} must be an integer`)
  return n
}
const pairCount = count('pairs', 3)
const txs = count('txs', 40_000)
const batch = count('batch', 200)
const extraAccounts = count('extra-accounts', 999_000)
const seed = numberFlag(args, 'seed', 1)
const limitPercent = numberFlag(args, 'limit', 20)
if (flag(args, 'accounts') !== undefined) throw new Error('--accounts is fixed at 1000 here')

const CLUSTER = new URL('./cluster.ts', import.meta.url).pathname
/** A run is a cluster bench of one max-rate step: a few minutes at most, then it is stopped. */
const RUN_TIMEOUT_MS = 15 * 60_000

function runCluster(dir: string, index: number, extra: number): ClusterRunSummary {
  const json = join(dir, `run-${index}.json`)
  const runArgs = ['--dev', '--txs', String(txs), '--batch', String(batch), '--no-half']
  runArgs.push('--seed', String(seed), '--json', json, '--extra-accounts', String(extra))
  console.log(`\n=== run ${index + 1}: npm run bench:cluster -- ${runArgs.join(' ')}\n`)
  const result = spawnSync(process.execPath, ['--import', 'tsx', CLUSTER, ...runArgs], {
    stdio: 'inherit',
    timeout: RUN_TIMEOUT_MS,
    killSignal: 'SIGINT',
  })
  if (result.status !== 0) {
    throw new Error(`run ${index + 1} failed (${result.signal ?? `exit ${result.status}`})`)
  }
  return JSON.parse(readFileSync(json, 'utf8')) as ClusterRunSummary
}

function signed(n: number | null): string {
  return n === null ? '-' : `${n >= 0 ? '+' : ''}${n.toFixed(1)} %`
}

/** The cores node 0 kept busy: committed tx/s × its CPU per tx. */
function cores(r: ClusterRunSummary): string {
  return r.cpuPerTxMicros === null
    ? '-'
    : ((r.committedPerSecond * r.cpuPerTxMicros) / 1e6).toFixed(2)
}

function printRuns(pairs: readonly AccountsPair[]): void {
  console.log('\n### Runs, in the order they ran\n')
  console.log(
    '| pair | funded accounts | verify 2 workers /s (before / after) | committed tx/s | ÷ verify rate | node 0 µs per tx | of which verifiers | node 0 cores (tx/s × µs per tx) | p99 ms | round 0 % |',
  )
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const [i, pair] of pairs.entries()) {
    const order = pair.largeFirst ? [pair.large, pair.small] : [pair.small, pair.large]
    for (const r of order) {
      console.log(
        `| ${i + 1} | ${fmt(r.accounts + r.extraAccounts)} | ${fmt(r.verifyBefore)} / ${fmt(r.verifyAfter)} | ${fmt(r.committedPerSecond)} | ${r.ratio.toFixed(3)} | ${cell(r.cpuPerTxMicros)} | ${cell(r.verifierPerTxMicros)} | ${cores(r)} | ${cell(r.p99Ms)} | ${cell(r.round0Percent)} |`,
      )
    }
  }
}

/** Each measure's pair differences and medians, then how many pairs are within the limit. */
function printComparisons(
  pairs: readonly AccountsPair[],
  comparisons: readonly MeasureComparison[],
): void {
  const large = fmt(1000 + extraAccounts)
  console.log(`\n### Pairs: ${large} accounts against 1,000, in per cent\n`)
  const head = comparisons.map((c) => c.measure.label)
  console.log(`| pair | order | ${head.join(' | ')} |`)
  console.log(`|---|---|${'---:|'.repeat(head.length)}`)
  for (const [i, pair] of pairs.entries()) {
    const cells = comparisons.map((c) => signed(c.pairs[i] ?? null))
    console.log(
      `| ${i + 1} | ${pair.largeFirst ? 'large first' : 'small first'} | ${cells.join(' | ')} |`,
    )
  }
  console.log('\n### Medians (issue #9 acceptance 5)\n')
  console.log(
    `| measurement | 1,000 accounts | ${large} accounts | difference | pairs within ${limitPercent} % |`,
  )
  console.log('|---|---:|---:|---:|---:|')
  for (const c of comparisons) {
    const [small, big] = c.medians ?? [null, null]
    const value = (n: number | null): string =>
      n === null ? '-' : c.measure.digits === 0 ? fmt(n) : n.toFixed(c.measure.digits)
    console.log(
      `| ${c.measure.label} | ${value(small)} | ${value(big)} | ${signed(c.percent)} | ${c.pairsWithin} of ${pairs.length} |`,
    )
  }
}

function main(): void {
  const started = performance.now()
  console.log(`machine: ${machineLine()}`)
  console.log(`command: npm run bench:accounts -- ${args.join(' ')}`)
  console.log(
    `${pairCount} pairs (ABBA), one validator, ${fmt(txs)} txs in batches of ${batch}, 1,000 sending accounts, +0 against +${fmt(extraAccounts)} funded`,
  )
  const dir = mkdtempSync(join(tmpdir(), 'pointsnode-accounts-'))
  // On exit whatever happens, Ctrl-C included (cluster-lib's handler exits the process).
  process.on('exit', () => {
    removeDir(dir)
  })
  const pairs: AccountsPair[] = []
  for (let i = 0; i < pairCount; i++) {
    const largeFirst = largeFirstInPair(i)
    const first = runCluster(dir, 2 * i, largeFirst ? extraAccounts : 0)
    const second = runCluster(dir, 2 * i + 1, largeFirst ? 0 : extraAccounts)
    pairs.push(
      largeFirst
        ? { small: second, large: first, largeFirst }
        : { small: first, large: second, largeFirst },
    )
  }
  const comparisons = compareAccountPairs(pairs, limitPercent)
  printRuns(pairs)
  printComparisons(pairs, comparisons)
  console.log(`\ntotal bench time ${((performance.now() - started) / 1000).toFixed(0)} s`)
}

main()
