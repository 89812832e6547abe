/**
 * `npm run bench:soak`: memory over a long run (issue #9, acceptance 4). Starts the funded 4-validator
 * testnet of `bench:cluster`, measures the maximum rate with a short max-rate step (or takes
 * `--rate R`), then offers half of it for a warm-up and then ten measured minutes, sampling every
 * validator's RSS and anonymous RSS from /proc every 10 s. Prints the samples and, per validator,
 * the spread after the warm-up as ±% around the mean ((max − min) / 2 / mean), the same counted
 * from minute 1 (this bench's measure until the seventeenth session), plus committed tx/s and
 * latency. Every minute it also reads each validator's memory by kind (`memoryKindsOf`: V8 heap,
 * malloc, other anonymous, mapped files) and prints how each kind moved after the warm-up, so a
 * drift in the RSS can be told apart: the live heap, glibc's arenas, or file pages the kernel may
 * drop.
 *
 * The warm-up is the time the node's bounded caches take to fill at the soak's rate (`warmupFor`):
 * until they are full a validator's memory grows by design, and a slow soak fills them slowly (at
 * 144 tx/s the gossip seen-set takes almost four minutes).
 * `BENCH_NODE_OPTIONS` (environment) becomes the validators' `NODE_OPTIONS`, e.g.
 * `BENCH_NODE_OPTIONS=--max-old-space-size=512` (docs/operations.md, Memory).
 *
 * Flags: --minutes N (total, default: the warm-up + 10) | --warmup-minutes N (excluded from the
 * spread; default `warmupFor(rate)`) | --rate R (skip the max-rate probe) | --validators N (4) |
 * --accounts N (1000) | --seed N (1) | --keep. Every process it starts is killed on the way out.
 */
import '../src/polyfills.ts'
import { BLOCK_INTERVAL_MS_DEFAULT } from '../src/node/config.ts'
import { EVENT_CACHE_BLOCKS_MAX, EVENT_CACHE_TXS_MAX } from '../src/node/event-source.ts'
import { TX_SEEN_SET_SIZE_MAX } from '../src/p2p/limits.ts'
import {
  flag,
  memoryKindsOf,
  numberFlag,
  readCommits,
  removeDir,
  type MemoryKinds,
} from './cluster-lib.ts'
import {
  analyseStep,
  runStep,
  startBenchCluster,
  stopBenchCluster,
  type BenchCluster,
} from './cluster-run.ts'
import { fmt, machineLine } from './harness.ts'
import { printAdmissions, printConsensusTimings } from './report.ts'

const args = process.argv.slice(2)
const num = (name: string, fallback: number): number => numberFlag(args, name, fallback, true)
const validators = num('validators', 4)
const accounts = num('accounts', 1000)
const seed = num('seed', 1)
const fixedRate = flag(args, 'rate')
/** Given on the command line, or null: then they follow from the soak's rate. */
const givenMinutes = flag(args, 'minutes') === undefined ? null : num('minutes', 0)
const givenWarmup = flag(args, 'warmup-minutes') === undefined ? null : num('warmup-minutes', 0)
const SAMPLE_MS = 10_000
/** Interval of the memory-by-kind samples (each reads every validator's smaps and /metrics). */
const KINDS_SAMPLE_MS = 60_000
/** Minutes measured after the warm-up (the issue's "10-minute run"). */
const MEASURED_MINUTES = 10
/** The spread's start in the benches before the seventeenth session, printed for comparison. */
const EARLY_WARMUP_MINUTES = 1
/** Extra time after the slowest cache is full, for V8's heap to settle at its working size. */
const WARMUP_MARGIN = 1.25

/**
 * Minutes until the node's bounded caches are full at `rate` tx/s, with a margin, in half
 * minutes, at least one: the gossip seen-set (TX_SEEN_SET_SIZE_MAX txs) and the event streams'
 * cache (EVENT_CACHE_TXS_MAX txs, EVENT_CACHE_BLOCKS_MAX blocks at least BLOCK_INTERVAL_MS_DEFAULT
 * apart). The replay index holds a tx for its lifetime (the load generator's 120 heights), which
 * is shorter than the block cache's 256.
 */
function warmupFor(rate: number): number {
  const byTxs = Math.max(TX_SEEN_SET_SIZE_MAX, EVENT_CACHE_TXS_MAX) / rate
  const byBlocks = (EVENT_CACHE_BLOCKS_MAX * BLOCK_INTERVAL_MS_DEFAULT) / 1000
  const seconds = Math.max(byTxs, byBlocks) * WARMUP_MARGIN
  return Math.max(1, Math.ceil(seconds / 30) / 2)
}

const PROBE_TXS = 3000

/** Minimum, maximum and spread (± % around the mean) of a series; NaN spread when it is empty. */
function spreadOf(values: readonly number[]): { min: number; max: number; percent: number } {
  // Loops, not Math.min(...values): a long soak has more samples than call arguments allow.
  const min = values.reduce((a, b) => Math.min(a, b), Infinity)
  const max = values.reduce((a, b) => Math.max(a, b), 0)
  const mean = values.reduce((a, b) => a + b, 0) / values.length
  return { min, max, percent: values.length === 0 ? NaN : (100 * (max - min)) / 2 / mean }
}

async function probeRate(cluster: BenchCluster): Promise<number> {
  const probe = await runStep(cluster, {
    label: 'probe',
    rate: 0,
    count: PROBE_TXS,
    run: 1,
    seed,
    accounts,
    concurrency: 256,
    signAhead: false,
    timeoutMs: 90_000,
    submitMs: 20_000,
  })
  const accepted = probe.result.txs.filter((t) => t[2] === 202).length
  return accepted / ((probe.result.endMs - probe.result.startMs) / 1000)
}

function printSeries(title: string, series: readonly number[][], perSample: number): void {
  console.log(`\n### ${title} per validator (MiB), every ${perSample / 1000} s\n`)
  console.log(`| t (s) | ${series[0]?.map((_, i) => `n${i}`).join(' | ') ?? ''} |`)
  console.log(`|---|${'---:|'.repeat(series[0]?.length ?? 0)}`)
  series.forEach((row, i) => {
    const cells = row.map((b) => (b / 2 ** 20).toFixed(0))
    console.log(`| ${(i * perSample) / 1000} | ${cells.join(' | ')} |`)
  })
}

function printSpread(title: string, series: readonly number[][], warmupMinutes: number): void {
  const skip = Math.round((warmupMinutes * 60_000) / SAMPLE_MS)
  const steady = series.length > skip + 1 ? series.slice(skip) : series
  console.log(`\n### ${title} spread (after the first ${warmupMinutes} min)\n`)
  console.log('| validator | min MiB | max MiB | spread ±% |')
  console.log('|---|---:|---:|---:|')
  for (let v = 0; v < (series[0]?.length ?? 0); v++) {
    const { min, max, percent } = spreadOf(steady.map((row) => row[v]!).filter((b) => b > 0))
    const mib = (b: number): string => (b / 2 ** 20).toFixed(0)
    console.log(`| n${v} | ${mib(min)} | ${mib(max)} | ${percent.toFixed(1)} |`)
  }
}

/**
 * RSS as `/proc` counts it, and its anonymous part (heap and native allocations, without the file
 * pages of LevelDB's tables and the executable that the kernel maps into the process).
 */
function report(
  rss: readonly number[][],
  anon: readonly number[][],
  perSample: number,
  warmupMinutes: number,
): void {
  printSeries('RSS', rss, perSample)
  printSeries('Anonymous RSS', anon, perSample)
  printSpread('RSS', rss, warmupMinutes)
  printSpread('Anonymous RSS', anon, warmupMinutes)
  if (warmupMinutes === EARLY_WARMUP_MINUTES) return
  console.log(
    `\nThe same counted from minute ${EARLY_WARMUP_MINUTES} (until the seventeenth session the only spread):`,
  )
  printSpread('RSS', rss, EARLY_WARMUP_MINUTES)
}

/**
 * Samples every validator's memory by kind each KINDS_SAMPLE_MS from now on; `stop` ends it and
 * returns the rows (one per sample, one cell per validator, null where a read failed).
 */
function sampleKinds(cluster: BenchCluster): { stop: () => Promise<(MemoryKinds | null)[][]> } {
  const rows: Promise<(MemoryKinds | null)[]>[] = []
  const sample = (): void => {
    rows.push(Promise.all(cluster.nodes.map((n) => memoryKindsOf(n.child.pid ?? 0, n.apiUrl))))
  }
  sample()
  const timer = setInterval(sample, KINDS_SAMPLE_MS)
  return {
    stop: () => {
      clearInterval(timer)
      return Promise.all(rows)
    },
  }
}

/**
 * Where the RSS went: per validator, each kind in the first sample after the warm-up and in the
 * last sample, and the change per minute between them; then every sample (heap / malloc / other /
 * file, MiB).
 */
function reportKinds(rows: readonly (MemoryKinds | null)[][], warmupMinutes: number): void {
  const mib = (b: number): string => (b / 2 ** 20).toFixed(0)
  const kinds = ['v8Heap', 'malloc', 'otherAnon', 'file'] as const
  const first = Math.min(Math.ceil(warmupMinutes * (60_000 / KINDS_SAMPLE_MS)), rows.length - 1)
  const last = rows.length - 1
  const minutes = ((last - first) * KINDS_SAMPLE_MS) / 60_000
  // The first kinds sample at or after the warm-up (samples are a minute apart).
  console.log(
    `\n### Memory by kind (MiB): minute ${(first * KINDS_SAMPLE_MS) / 60_000} → the last sample\n`,
  )
  console.log(
    'V8 heap: the main isolate, committed. malloc: glibc [heap] and arenas. other: the rest',
  )
  console.log(
    "of the anonymous RSS (workers' isolates, stacks, large mapped blocks). file: mapped files.",
  )
  console.log('\n| validator | V8 heap | malloc | other anonymous | file | MiB per minute (all) |')
  console.log('|---|---:|---:|---:|---:|---:|')
  for (let v = 0; v < (rows[0]?.length ?? 0); v++) {
    const a = rows[first]?.[v]
    const b = rows[last]?.[v]
    if (!a || !b || minutes <= 0) continue
    const cells = kinds.map((k) => `${mib(a[k])} → ${mib(b[k])}`)
    const total = (m: MemoryKinds): number => kinds.reduce((sum, k) => sum + m[k], 0)
    const perMinute = (total(b) - total(a)) / 2 ** 20 / minutes
    console.log(`| n${v} | ${cells.join(' | ')} | ${perMinute.toFixed(2)} |`)
  }
  console.log(
    `\n| minute | ${rows[0]?.map((_, v) => `n${v} heap/malloc/other/file`).join(' | ')} |`,
  )
  console.log(`|---|${'---|'.repeat(rows[0]?.length ?? 0)}`)
  rows.forEach((row, i) => {
    const cells = row.map((m) => (m ? kinds.map((k) => mib(m[k])).join('/') : '-'))
    console.log(`| ${(i * KINDS_SAMPLE_MS) / 60_000} | ${cells.join(' | ')} |`)
  })
}

async function main(): Promise<void> {
  console.log(`machine: ${machineLine()}`)
  console.log(`command: npm run bench:soak -- ${args.join(' ')}`)
  let cluster: BenchCluster | null = null
  try {
    cluster = await startBenchCluster(validators, seed, accounts, null)
    const max = fixedRate === undefined ? await probeRate(cluster) : Number(fixedRate) * 2
    const rate = Math.max(1, Math.round(max / 2))
    const warmupMinutes = givenWarmup ?? warmupFor(rate)
    const minutes = givenMinutes ?? warmupMinutes + MEASURED_MINUTES
    console.log(
      `max-rate probe ${fmt(max)} tx/s accepted; soak at ${rate} tx/s for ${minutes} min, ` +
        `the first ${warmupMinutes} min a warm-up${givenWarmup === null ? " (the node's bounded caches fill)" : ''}`,
    )
    const kinds = sampleKinds(cluster)
    const soak = await runStep(cluster, {
      label: `soak ${minutes} min`,
      rate,
      count: Math.round(rate * minutes * 60),
      run: 2,
      seed,
      accounts,
      concurrency: 256,
      signAhead: true,
      timeoutMs: minutes * 60_000 + 120_000,
      submitMs: minutes * 60_000,
      rssEveryMs: SAMPLE_MS,
    })
    const kindRows = await kinds.stop()
    await stopBenchCluster(cluster)
    const stats = analyseStep(soak, await readCommits(cluster.testnet.homes[0]!))
    report(soak.rssSeries, soak.rssAnonSeries, SAMPLE_MS, warmupMinutes)
    reportKinds(kindRows, warmupMinutes)
    console.log('\n### Load\n')
    console.log(
      '| offered tx/s | committed tx/s | p50 ms | p99 ms | round 0 % | CPU per validator % |',
    )
    console.log('|---:|---:|---:|---:|---:|---|')
    const cpu = stats.cpuPercent.slice(0, validators).map((c) => c.toFixed(0))
    console.log(
      `| ${rate} | ${fmt(stats.committedPerSecond)} | ${fmt(stats.p50)} | ${fmt(stats.p99)} | ${stats.round0Percent.toFixed(0)} | ${cpu.join(' / ')} |`,
    )
    printConsensusTimings([stats])
    printAdmissions([stats])
  } finally {
    if (cluster) {
      await stopBenchCluster(cluster)
      if (flag(args, 'keep') === undefined) removeDir(cluster.testnet.dir)
      else console.log(`kept ${cluster.testnet.dir}`)
    }
  }
}

await main()
