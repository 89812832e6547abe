/**
 * `npm run bench:cluster`: the issue #9 cluster benchmark in one command with a fixed seed.
 *
 * 1. Measures this machine's verify rate with the node's own verifier (`VerifierPool`, 1 and 2
 *    workers) in the same run, before the nodes start and again after they stop; the higher of the
 *    two is the ceiling every validator shares.
 * 2. Creates a testnet (`bin/pointsnode testnet`) whose genesis funds `--accounts` deterministic
 *    accounts, and starts one real `bin/pointsnode start` process per validator on 127.0.0.1.
 * 3. Runs the load generator (`bench/loadgen.ts`, its own process): pre-signed UNI transfers over
 *    HTTP at max rate, then at half of the measured maximum, then at each `--offered` rate.
 * 4. Stops the nodes, reads node 0's ledger (tx → height) and joins it with the submit times and the
 *    times node 0 first reported each height: committed tx/s, submit→commit p50/p95/p99, round-0
 *    share, CPU per process (/proc utime+stime over the submission window) and RSS; node 0's CPU
 *    per committed tx by thread (event loop, verifier workers, the rest) from its /metrics, and
 *    what its door did with the txs (admitted, refused by code, refused busy, cache hits).
 * 5. Prints the tables and the ratios of issue #9: committed tx/s ÷ (2-worker verify rate ÷ 4) for
 *    4 validators, committed tx/s ÷ 2-worker verify rate for `--dev` (one validator).
 *
 * Flags: --validators N (4) | --dev (1 validator) | --txs N (max-rate step, 4000) | --accounts N
 * (1000) | --seed N (1) | --duration S (per offered step, 10) | --offered r1,r2,... (sweep; writes
 * docs/bench/cluster-<n>v.csv and .svg) | --concurrency N (requests in flight, 256) | --batch N (txs
 * per request, 1: one tx per `POST /v1/txs/raw`; 2..1024: msgpack batches to `/v1/txs/batch`, the
 * offered rates still in tx/s) | --via raw|client (raw: msgpack over node:http, the default; client:
 * through the light client, `LightClient.submit` (hex JSON) / `submitBatch` (msgpack)) | --profile (node 0 under --cpu-prof, top self-time functions of the load window
 * printed) | --workers N (verifier workers per node; 2 with --dev, else 1) | --extra-accounts N (0:
 * more funded addresses in the genesis that never send) | --proposal-txs N (consensus.proposalTxsMax;
 * 5000 with --dev, else 2000) | --warmup N (0: a max-rate step of N txs before the measured one,
 * reported as its own row, so that V8 has compiled the hot paths) | --bound (after the nodes stop,
 * the intake bound of `bench:bound` with as many servers as validators and `--txs` txs, printed
 * beside the ratio: bound ÷ ceiling and committed ÷ bound) | --no-half | --keep (keep the homes and
 * node logs) | --json FILE (also write the run's summary there, `ClusterRunSummary` of
 * bench/accounts-lib.ts: what `npm run bench:accounts` compares). Every process it starts is killed
 * on the way out.
 * Environment: BENCH_NODE_OPTIONS (the validators' NODE_OPTIONS), BENCH_NODE_FLAGS (node flags that
 * NODE_OPTIONS refuses, such as --trace-gc; a validator's stdout and stderr go to its home's
 * node.log), BENCH_LOADGEN_FLAGS (the same for the load generator's process, --cpu-prof say).
 */
import '../src/polyfills.ts'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { API_TX_BATCH_MAX } from '../src/api/tx-batch.ts'
import { flag, numberFlag, readCommits, removeDir } from './cluster-lib.ts'
import {
  analyseStep,
  measureVerifyRates,
  type VerifyRates,
  runStep,
  startBenchCluster,
  stopBenchCluster,
  type BenchCluster,
  type StepRun,
  type StepStats,
} from './cluster-run.ts'
import type { ClusterRunSummary } from './accounts-lib.ts'
import { runBoundStep, signBoundLoad, type BoundStep } from './bound-lib.ts'
import { cell, fmt, machineLine } from './harness.ts'
import {
  printAdmissions,
  printConsensusTimings,
  summariseProfileDir,
  sweepSvg,
  writeCsv,
  type ProfileSummary,
} from './report.ts'

const args = process.argv.slice(2)
const num = (name: string, fallback: number): number => numberFlag(args, name, fallback)
const dev = flag(args, 'dev') !== undefined
const validators = dev ? 1 : num('validators', 4)
const seed = num('seed', 1)
const accounts = num('accounts', 1000)
/** Funded addresses that only hold a balance: state size (issue #9 acceptance 5). */
const extraAccounts = num('extra-accounts', 0)
const maxTxs = num('txs', 4000)
/** Txs of a max-rate step run before the measured one and reported apart (0: none). */
const warmup = num('warmup', 0)
/** The warm-up step's label: its row is printed, and left out of the ratios. */
const WARMUP_LABEL = 'warm-up'
/** Also measure the intake bound (`npm run bench:bound`) in this run, against the same ceiling. */
const withBound = flag(args, 'bound') !== undefined
/** The bound step's requests in flight per server and warm-up batches (`bench:bound`'s defaults). */
const BOUND_CONCURRENCY = 32
const BOUND_WARMUP_BATCHES = 20
const duration = num('duration', 10)
const concurrency = num('concurrency', 256)
const batch = numberFlag(args, 'batch', 1, true)
if (!Number.isInteger(batch) || batch > API_TX_BATCH_MAX) {
  throw new Error(`--batch must be an integer in 1..${API_TX_BATCH_MAX}`)
}
/** How the load generator submits: `raw` msgpack over node:http, or through the light client. */
const viaFlag = flag(args, 'via') ?? 'raw'
if (viaFlag !== 'raw' && viaFlag !== 'client') throw new Error('--via must be raw or client')
const via: 'raw' | 'client' = viaFlag
const profile = flag(args, 'profile') !== undefined
/** Verifier workers per node: the host's 2 cores go to one validator, or are shared by four. */
const workers = num('workers', dev ? 2 : 1)
/** Most txs per proposal: a lone validator has the cores to check the protocol's largest blocks. */
const proposalTxs = num('proposal-txs', dev ? 5000 : 2000)
// The nodes inherit this environment (`verifier.workers`, `consensus.proposalTxsMax`).
process.env['POINTSNODE_VERIFIER_WORKERS'] = String(workers)
process.env['POINTSNODE_PROPOSAL_TXS_MAX'] = String(proposalTxs)
const half = flag(args, 'no-half') === undefined
/** Where to write the run's summary as JSON (`--json FILE`), or null. */
const jsonPath = flag(args, 'json') ?? null
const offered = (flag(args, 'offered') ?? '')
  .split(',')
  .filter((s) => s !== '')
  .map(Number)
/** Per step after signing: at most 30 s of submission and 20 s of drain; killed after 70 s. */
const STEP_TIMEOUT_MS = 70_000
const SUBMIT_MS = 30_000
const VERIFY_JOBS = 4000
const STEP_TXS_MAX = 40_000

function printSteps(stats: readonly StepStats[]): void {
  console.log('\n### Load steps\n')
  const nodeCols = Array.from({ length: validators }, (_, i) => `CPU n${i} %`)
  console.log(
    `| step | offered tx/s | submitted tx/s | accepted | committed (+ after window) | committed tx/s | p50 ms | p95 ms | p99 ms | accept p50/p99 ms | heights | round 0 % | txs/block | ${nodeCols.join(' | ')} | CPU loadgen % | RSS n0 MiB |`,
  )
  console.log(`|---|${'---:|'.repeat(15 + validators)}`)
  for (const s of stats) {
    const cpu = s.cpuPercent.map((c) => cell(c))
    console.log(
      `| ${s.label} | ${s.offered === 0 ? 'max' : fmt(s.offered)} | ${fmt(s.submitted)} | ${s.accepted} | ${s.committedTxs} (+${s.committedLate}) | ${fmt(s.committedPerSecond)} | ${cell(s.p50)} | ${cell(s.p95)} | ${cell(s.p99)} | ${cell(s.acceptP50)}/${cell(s.acceptP99)} | ${s.heights} | ${cell(s.round0Percent)} | ${cell(s.txsPerBlock)} | ${cpu.join(' | ')} | ${cell(s.rssMiB[0] ?? NaN)} |`,
    )
  }
  for (const s of stats) {
    if (s.retried > 0) {
      console.log(`\n${s.label}: ${s.retried} submissions refused with 503 were sent again`)
    }
    const bad = Object.entries(s.statusCounts).filter(([k]) => k !== '202')
    if (bad.length > 0) {
      console.log(`\n${s.label}: HTTP statuses ${JSON.stringify(s.statusCounts)}`)
      for (const e of s.firstErrors) console.log(`  ${e.slice(0, 200)}`)
    }
  }
}

/**
 * Node 0's CPU per committed tx by thread, from its `/metrics` (src/node/thread-cpu.ts), beside what
 * 0.8 of the ceiling allows: every validator verifies every tx, and has 2 ÷ validators cores, so
 * each may spend 2 cores ÷ (0.8 × 2-worker verify rate) per tx on all its threads together.
 */
function printCpuPerTx(stats: readonly StepStats[], verifyTwo: number): void {
  const rows = stats.filter((s) => s.cpuPerTx !== null)
  if (rows.length === 0) return
  const budget = 2e6 / (0.8 * verifyTwo)
  console.log('\n### CPU of validator 0 per committed tx (µs; its threads, from /proc)\n')
  console.log(
    `| step | event loop | verifier workers | other threads (GC, compiler, LevelDB) | total | total at 0.8 of the ceiling |`,
  )
  console.log(`|---|---:|---:|---:|---:|---:|`)
  for (const s of rows) {
    const c = s.cpuPerTx!
    const total = c.main + c.verifier + c.other
    console.log(
      `| ${s.label} | ${cell(c.main)} | ${cell(c.verifier)} | ${cell(c.other)} | ${cell(total)} | ${cell(budget)} |`,
    )
  }
}

function printProfiles(summaries: readonly ProfileSummary[]): void {
  for (const [i, s] of summaries.slice(0, 2).entries()) {
    const busy = s.totalMs - s.idleMs
    console.log(
      `\n### Profile of validator 0, ${i === 0 ? 'busiest thread' : 'second thread'} (${fmt(busy)} ms busy of ${fmt(s.totalMs)} ms)\n`,
    )
    console.log('| function (self time) | ms | % of busy |')
    console.log('|---|---:|---:|')
    for (const row of s.top)
      console.log(`| \`${row.name}\` | ${fmt(row.ms)} | ${row.percent.toFixed(1)} |`)
    if (s.topInclusive.length === 0) continue
    console.log('\n| src/ function (inclusive time) | ms | % of busy |')
    console.log('|---|---:|---:|')
    for (const row of s.topInclusive)
      console.log(`| \`${row.name}\` | ${fmt(row.ms)} | ${row.percent.toFixed(1)} |`)
  }
}

async function runSteps(cluster: BenchCluster): Promise<StepRun[]> {
  const runs: StepRun[] = []
  const common = {
    seed,
    accounts,
    concurrency,
    batch,
    via,
    signAhead: false,
    timeoutMs: STEP_TIMEOUT_MS,
    submitMs: SUBMIT_MS,
  }
  let run = 1
  if (warmup > 0) {
    // Same as the max step, before it: V8 compiles the hot paths (and the heap reaches its working
    // size) here instead of inside the measured window. Reported as its own row.
    runs.push(
      await runStep(cluster, {
        ...common,
        label: WARMUP_LABEL,
        rate: 0,
        count: warmup,
        run: run++,
      }),
    )
  }
  const max = await runStep(cluster, {
    ...common,
    label: 'max',
    rate: 0,
    count: maxTxs,
    run: run++,
  })
  runs.push(max)
  const rates = [...offered]
  if (half) {
    // Half of the max step's committed rate, from its own numbers (no ledger needed yet).
    const r = max.result
    const accepted = r.txs.filter((t) => t[2] === 202).length
    const seconds = (r.endMs - r.startMs) / 1000
    rates.unshift(Math.max(1, Math.round(accepted / seconds / 2)))
  }
  for (const [i, rate] of rates.entries()) {
    const count = Math.min(STEP_TXS_MAX, Math.round(rate * duration))
    const label = half && i === 0 ? 'half of max' : `offered ${rate}`
    try {
      runs.push(await runStep(cluster, { ...common, label, rate, count, run: run++ }))
    } catch (error) {
      // Report the steps that ran; a failed step is named in the output.
      console.log(`step ${label} failed: ${String(error).slice(0, 500)}`)
    }
  }
  return runs
}

function writeSweep(stats: readonly StepStats[]): void {
  const sweep = stats.filter((s) => s.offered > 0).sort((a, b) => a.offered - b.offered)
  if (offered.length === 0 || sweep.length === 0) return
  const dir = new URL('../docs/bench/', import.meta.url).pathname
  mkdirSync(dir, { recursive: true })
  const base = join(dir, `cluster-${validators}v`)
  writeCsv(
    `${base}.csv`,
    ['offered_tps', 'committed_tps', 'p50_ms', 'p95_ms', 'p99_ms', 'round0_pct', 'heights'],
    sweep.map((s) => [
      s.offered,
      s.committedPerSecond.toFixed(1),
      s.p50.toFixed(0),
      s.p95.toFixed(0),
      s.p99.toFixed(0),
      s.round0Percent.toFixed(0),
      s.heights,
    ]),
  )
  const title = `${validators} validator(s), ${accounts} accounts, seed ${seed}, ${new Date().toISOString().slice(0, 10)}`
  writeFileSync(
    `${base}.svg`,
    sweepSvg(
      sweep.map((s) => ({
        offered: s.offered,
        committed: s.committedPerSecond,
        p50: s.p50,
        p99: s.p99,
      })),
      title,
    ),
  )
  console.log(`\nwrote ${base}.csv and ${base}.svg`)
}

function printVerifyRates(when: string, rates: VerifyRates): void {
  console.log(
    `verify rate ${when} (VerifierPool, ${fmt(VERIFY_JOBS)} transfers, best of 2): 1 worker ${fmt(rates.one)}/s, 2 workers ${fmt(rates.two)}/s`,
  )
}

/**
 * The intake bound of `npm run bench:bound` between the nodes' stop and the second verify-rate
 * measurement, so that it shares the run's ceiling: as many bound servers as validators, with the
 * same verifier workers, `maxTxs` txs in batches of `--batch` (one server: 2 workers, as `--dev`).
 */
async function boundStep(): Promise<BoundStep> {
  const txs = signBoundLoad(seed, accounts, maxTxs)
  const step = await runBoundStep({
    servers: validators,
    workersPerServer: workers,
    txs,
    batch,
    concurrency: BOUND_CONCURRENCY,
    warmupBatches: BOUND_WARMUP_BATCHES,
    holdMs: 0,
  })
  console.log(`bound (the intake alone): ${fmt(step.txPerSecond)} tx/s`)
  return step
}

async function main(): Promise<void> {
  const started = performance.now()
  console.log(`machine: ${machineLine()}`)
  console.log(`command: npm run bench:cluster -- ${args.join(' ')}`)
  console.log(
    `validators ${validators}, accounts ${accounts} (+${extraAccounts} funded, never sending), seed ${seed}, max-rate txs ${maxTxs}, ${batch === 1 ? 'one tx per request' : `${batch} txs per request`}${via === 'client' ? ', through the light client' : ''}`,
  )
  const before = await measureVerifyRates(seed, VERIFY_JOBS)
  printVerifyRates('before the run', before)
  const profileDir = profile ? mkdtempSync(join(tmpdir(), 'pointsnode-prof-')) : null
  let cluster: BenchCluster | null = null
  try {
    cluster = await startBenchCluster(validators, seed, accounts, profileDir, extraAccounts)
    console.log(`cluster up: ${cluster.nodes.map((n) => n.apiUrl).join(' ')}`)
    const loadFromUs = Number(process.hrtime.bigint() / 1000n)
    const runs = await runSteps(cluster)
    await stopBenchCluster(cluster)
    const bound = withBound ? await boundStep() : null
    // Measured again with the nodes gone, and the higher of the two is the ceiling: a rate taken
    // while something else briefly held a core (the previous run's processes exiting, another
    // job) would otherwise flatter the ratio.
    const after = await measureVerifyRates(seed, VERIFY_JOBS)
    printVerifyRates('after the run', after)
    const verify = { one: Math.max(before.one, after.one), two: Math.max(before.two, after.two) }
    const commits = await readCommits(cluster.testnet.homes[0]!)
    const stats = runs.map((r) => analyseStep(r, commits))
    printSteps(stats)
    printCpuPerTx(stats, verify.two)
    printConsensusTimings(stats)
    printAdmissions(stats)
    // The warm-up step is shown, not scored.
    const bestStep = stats
      .filter((s) => s.label !== WARMUP_LABEL)
      .reduce((a, b) => (b.committedPerSecond > a.committedPerSecond ? b : a))
    const best = bestStep.committedPerSecond
    const ceiling = validators === 1 ? verify.two : verify.two / validators
    console.log('\n### Ratios (issue #9)\n')
    console.log('| measurement | value |')
    console.log('|---|---:|')
    console.log(
      `| verify rate, 1 worker /s (higher of before and after the run) | ${fmt(verify.one)} |`,
    )
    console.log(
      `| verify rate, 2 workers /s (higher of before and after the run) | ${fmt(verify.two)} |`,
    )
    console.log(`| best committed tx/s (${validators} validator(s)) | ${fmt(best)} |`)
    const what =
      validators === 1 ? '2-worker verify rate' : `(2-worker verify rate ÷ ${validators})`
    console.log(`| committed tx/s ÷ ${what} | ${(best / ceiling).toFixed(3)} |`)
    if (bound !== null) {
      const rate = bound.txPerSecond
      console.log(`| bound: the intake alone (\`--bound\`), tx/s | ${fmt(rate)} |`)
      console.log(`| bound ÷ ${what} | ${(rate / ceiling).toFixed(3)} |`)
      console.log(`| committed tx/s ÷ bound | ${(best / rate).toFixed(3)} |`)
    }
    writeSweep(stats)
    if (jsonPath !== null) {
      const c = bestStep.cpuPerTx
      const summary: ClusterRunSummary = {
        validators,
        accounts,
        extraAccounts,
        verifyBefore: before.two,
        verifyAfter: after.two,
        committedPerSecond: best,
        ratio: best / ceiling,
        cpuPerTxMicros: c === null ? null : c.main + c.verifier + c.other,
        verifierPerTxMicros: c === null ? null : c.verifier,
        p99Ms: bestStep.p99,
        round0Percent: bestStep.round0Percent,
      }
      writeFileSync(jsonPath, `${JSON.stringify(summary, null, 2)}\n`)
      console.log(`\nwrote ${jsonPath}`)
    }
    if (profileDir !== null)
      printProfiles(
        summariseProfileDir(profileDir, Number(process.env['BENCH_PROFILE_TOP'] ?? 15), loadFromUs),
      )
    console.log(`\ntotal bench time ${((performance.now() - started) / 1000).toFixed(0)} s`)
  } finally {
    if (cluster) {
      await stopBenchCluster(cluster)
      if (flag(args, 'keep') === undefined) removeDir(cluster.testnet.dir)
      else console.log(`kept ${cluster.testnet.dir} (node.log in every home)`)
    }
    if (profileDir !== null && flag(args, 'keep-profile') === undefined) removeDir(profileDir)
  }
}

await main()
