/**
 * The cluster benchmark's steps, shared by `bench/cluster.ts` and `bench/soak.ts`: the machine's
 * verify rate with the node's own `VerifierPool`, starting a funded testnet of real processes, one
 * load-generator run in its own process with CPU sampled from /proc at its start and end, and the
 * analysis that joins submit times, node 0's ledger (tx → height) and the height times. Issue #9.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { signedTx } from '../src/client/tx-builder.ts'
import { txVerifyJob } from '../src/crypto/tx-signature.ts'
import type { VerifyJob } from '../src/crypto/verifier.ts'
import { VerifierPool } from '../src/node/verifier.ts'
import {
  BENCH_CHAIN_ID,
  benchAccounts,
  createBenchTestnet,
  killGroup,
  bucketQuantiles,
  cpuSplitOf,
  percentile,
  procSample,
  removeDir,
  scrapeMetrics,
  startNode,
  stopNode,
  trackGroup,
  waitClusterReady,
  type BenchTestnet,
  type BucketQuantiles,
  type CommitMap,
  type CpuSplit,
  type NodeProc,
  type ProcSample,
} from './cluster-lib.ts'
import type { LoadConfig, LoadResult } from './loadgen.ts'
import { histogramOf, labelledSamples, metricSample } from '../test/support/metrics.ts'

/** Longest time the load generator may take to pre-sign before its submission window starts. */
const SIGN_TIMEOUT_MS = 90_000
const LOADGEN = new URL('./loadgen.ts', import.meta.url).pathname

/** Verify rates (signatures per second) of the node's verifier pool. */
export interface VerifyRates {
  readonly one: number
  readonly two: number
}

/** Measures `VerifierPool` with 1 and 2 workers on `count` signed transfers (best of `rounds`). */
export async function measureVerifyRates(
  seed: number,
  count: number,
  rounds = 2,
): Promise<VerifyRates> {
  const keys = benchAccounts(seed + 1_000_000, 256)
  const jobs: VerifyJob[] = []
  for (let i = 0; i < count; i++) {
    const from = keys[i % keys.length]!
    const tx = signedTx(
      from,
      'points.transfer',
      { pointType: 'UNI', to: keys[(i + 1) % keys.length]!.address, amount: 1n },
      { chainId: BENCH_CHAIN_ID, expiresAtHeight: 1000, salt: Uint8Array.of(i & 255, i >> 8) },
    )
    jobs.push(txVerifyJob(tx))
  }
  const rate = async (size: number): Promise<number> => {
    const pool = new VerifierPool(size)
    try {
      await pool.verifyBatch(jobs.slice(0, 1000))
      let best = 0
      for (let r = 0; r < rounds; r++) {
        const start = performance.now()
        const results = await pool.verifyBatch(jobs)
        const seconds = (performance.now() - start) / 1000
        if (!results.every((ok) => ok)) throw new Error('a bench signature did not verify')
        best = Math.max(best, count / seconds)
      }
      return best
    } finally {
      await pool.close()
    }
  }
  return { one: await rate(1), two: await rate(2) }
}

/** A started bench cluster. */
export interface BenchCluster {
  readonly testnet: BenchTestnet
  readonly nodes: NodeProc[]
}

/** Creates the funded testnet and starts its validators (validator `profileIndex` with --cpu-prof). */
export async function startBenchCluster(
  validators: number,
  seed: number,
  accountCount: number,
  profileDir: string | null,
  extraAccounts = 0,
): Promise<BenchCluster> {
  const accounts = benchAccounts(seed, accountCount)
  const testnet = createBenchTestnet(validators, accounts, extraAccounts, seed)
  const nodes: NodeProc[] = []
  const cluster = { testnet, nodes }
  // Started together; each one is recorded as soon as it runs, so a failure still stops the others.
  const started = await Promise.allSettled(
    testnet.homes.map(async (home, i) => {
      const node = await startNode(home, i === 0 ? profileDir : null)
      nodes.push(node)
      return node
    }),
  )
  try {
    const failed = started.find((s) => s.status === 'rejected')
    if (failed) throw failed.reason
    nodes.sort((a, b) => testnet.homes.indexOf(a.home) - testnet.homes.indexOf(b.home))
    await waitClusterReady(nodes)
    return cluster
  } catch (error) {
    // The caller never sees this cluster: stop and remove it here.
    await stopBenchCluster(cluster)
    removeDir(testnet.dir)
    throw error
  }
}

/** Stops every node (SIGINT, so profiles and the ledger close cleanly; SIGKILL after the grace). */
export async function stopBenchCluster(cluster: BenchCluster): Promise<void> {
  await Promise.all(cluster.nodes.map((n) => stopNode(n, 15_000)))
}

/** One load-generator run and the /proc samples around its submission window. */
export interface StepRun {
  readonly label: string
  readonly offered: number
  readonly result: LoadResult
  readonly signMs: number
  readonly cpuBefore: (ProcSample | null)[]
  readonly cpuAfter: (ProcSample | null)[]
  /** Node 0's /metrics text at the window's start and end (null: it did not answer). */
  readonly metricsBefore: string | null
  readonly metricsAfter: string | null
  /** Wall time between the two samples. */
  readonly wallMs: number
  /** RSS per validator sampled every `rssEveryMs` during the run (soak). */
  readonly rssSeries: number[][]
  /** Anonymous RSS per validator, sampled with `rssSeries`. */
  readonly rssAnonSeries: number[][]
}

/** Options of one load-generator run. */
export interface StepOptions {
  readonly label: string
  readonly rate: number
  readonly count: number
  readonly run: number
  readonly seed: number
  readonly accounts: number
  readonly concurrency: number
  /** Txs per request (1, the default: one tx per `POST /v1/txs/raw`; more: `/v1/txs/batch`). */
  readonly batch?: number
  /** `raw` (the default): msgpack over node:http; `client`: through the light client. */
  readonly via?: LoadConfig['via']
  readonly signAhead: boolean
  readonly timeoutMs: number
  /** Submission window: the generator stops submitting after it. */
  readonly submitMs: number
  readonly rssEveryMs?: number
}

/** Runs the load generator as a child process against `cluster`; CPU of nodes and loadgen. */
export async function runStep(cluster: BenchCluster, options: StepOptions): Promise<StepRun> {
  const outDir = join(cluster.testnet.dir, 'runs')
  mkdirSync(outDir, { recursive: true })
  const config: LoadConfig = {
    urls: cluster.nodes.map((n) => n.apiUrl),
    chainId: BENCH_CHAIN_ID,
    seed: options.seed,
    accounts: options.accounts,
    count: options.count,
    rate: options.rate,
    concurrency: options.concurrency,
    batch: options.batch ?? 1,
    via: options.via ?? 'raw',
    run: options.run,
    outFile: join(outDir, `run-${options.run}.json`),
    signAhead: options.signAhead,
    drainMs: 20_000,
    submitMs: options.submitMs,
  }
  // Node flags for the load generator alone (`--cpu-prof`, say, which NODE_OPTIONS refuses).
  const flags = (process.env['BENCH_LOADGEN_FLAGS'] ?? '').split(' ').filter((f) => f !== '')
  const argv = [...flags, '--import', 'tsx', LOADGEN, JSON.stringify(config)]
  const child = spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'pipe'], detached: true })
  const pid = child.pid
  if (pid === undefined) throw new Error('loadgen spawn failed')
  trackGroup(pid)
  // A load generator that died before `GO` closes its stdin; its exit code reports why.
  child.stdin.on('error', () => undefined)
  const pids = (): number[] => [...cluster.nodes.map((n) => n.child.pid ?? 0), pid]
  let cpuBefore: (ProcSample | null)[] = []
  let cpuAfter: (ProcSample | null)[] = []
  const node0 = cluster.nodes[0]!.apiUrl
  let metricsBefore: Promise<string | null> = Promise.resolve(null)
  let metricsAfter: Promise<string | null> = Promise.resolve(null)
  let t0 = 0
  let t1 = 0
  let signMs = 0
  let stderr = ''
  const rssSeries: number[][] = []
  const rssAnonSeries: number[][] = []
  const rss: { timer: NodeJS.Timeout | null } = { timer: null }
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)))
  let buffered = ''
  child.stdout.on('data', (c: Buffer) => {
    buffered += c.toString()
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl)
      buffered = buffered.slice(nl + 1)
      if (line.startsWith('SIGNED ')) {
        signMs = Number(line.slice(7))
        // Signing time is not part of the budget: the submission window starts now.
        clearTimeout(timer)
        timer = setTimeout(() => {
          killGroup(pid)
        }, options.timeoutMs)
      }
      if (line === 'READY') {
        // The window's start is sampled before the first tx leaves (the load generator waits).
        cpuBefore = pids().map(procSample)
        t0 = performance.now()
        metricsBefore = scrapeMetrics(node0)
        void metricsBefore.then(() => child.stdin.write('GO\n'))
      }
      if (line.startsWith('START ')) {
        if (options.rssEveryMs !== undefined) {
          const sample = (): void => {
            const samples = cluster.nodes.map((n) => procSample(n.child.pid ?? 0))
            rssSeries.push(samples.map((p) => p?.rssBytes ?? 0))
            rssAnonSeries.push(samples.map((p) => p?.rssAnonBytes ?? 0))
          }
          sample()
          rss.timer = setInterval(sample, options.rssEveryMs)
        }
      }
      if (line.startsWith('END ')) {
        cpuAfter = pids().map(procSample)
        metricsAfter = scrapeMetrics(node0)
        t1 = performance.now()
        if (rss.timer) clearInterval(rss.timer)
      }
    }
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  let timer = setTimeout(() => {
    killGroup(pid)
  }, options.timeoutMs + SIGN_TIMEOUT_MS)
  const code = await exited
  clearTimeout(timer)
  if (rss.timer) clearInterval(rss.timer)
  killGroup(pid)
  if (code !== 0) throw new Error(`loadgen ${options.label} exited ${code}: ${stderr}`)
  const result = JSON.parse(readFileSync(config.outFile, 'utf8')) as LoadResult
  const offered = options.rate
  return {
    label: options.label,
    offered,
    result,
    signMs,
    cpuBefore,
    cpuAfter,
    metricsBefore: await metricsBefore,
    metricsAfter: await metricsAfter,
    wallMs: t1 - t0,
    rssSeries,
    rssAnonSeries,
  }
}

/** What one step measured. */
export interface StepStats {
  readonly label: string
  readonly offered: number
  /** Submissions per second actually achieved. */
  readonly submitted: number
  readonly accepted: number
  readonly committedTxs: number
  /** Txs in node 0's ledger but committed after the run's window (no commit time). */
  readonly committedLate: number
  readonly committedPerSecond: number
  readonly p50: number
  readonly p95: number
  readonly p99: number
  /** HTTP submit → 202 response, p50 and p99 (ms); with batches, the batch's response time. */
  readonly acceptP50: number
  readonly acceptP99: number
  readonly heights: number
  readonly round0Percent: number
  readonly txsPerBlock: number
  /** CPU of each validator then the load generator, in % of one core over the window. */
  readonly cpuPercent: number[]
  /** Node 0's CPU per committed tx (µs) by thread over the window; null when not measured. */
  readonly cpuPerTx: CpuPerTx | null
  /** Node 0's consensus timings over the window (its histograms); null when not measured. */
  readonly timings: ConsensusTimings | null
  /** Node 0's admission counters over the window; null when not measured. */
  readonly admissions: Admissions | null
  readonly rssMiB: number[]
  readonly statusCounts: Record<string, number>
  /** Submissions of txs refused with 503 that the load generator sent again. */
  readonly retried: number
  readonly firstErrors: string[]
  readonly signMs: number
}

/**
 * When node 0 was first seen at or above each height, from the load generator's block stream and
 * polls; undefined for a height never reached, and for the first poll's height and those below it,
 * which were committed before the run began (their time is unknown, not the first poll's).
 */
function commitTimeOf(heights: readonly [number, number][]): (h: number) => number | undefined {
  // A height may be skipped between two polls: its commit time is the first poll at or above it.
  const sorted = [...heights].sort((a, b) => a[0] - b[0])
  const heightAtStart = sorted[0]?.[0] ?? Infinity
  const suffixMin = sorted.map((e) => e[1])
  for (let i = suffixMin.length - 2; i >= 0; i--) {
    suffixMin[i] = Math.min(suffixMin[i]!, suffixMin[i + 1]!)
  }
  return (h) => {
    if (h <= heightAtStart) return undefined
    let lo = 0
    let hi = sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (sorted[mid]![0] < h) lo = mid + 1
      else hi = mid
    }
    return lo < sorted.length ? suffixMin[lo] : undefined
  }
}

/** What node 0's consensus-timing histograms (src/node/metrics.ts) observed over a window. */
export interface ConsensusTimings {
  /** Synced WAL appends. */
  readonly walAppend: BucketQuantiles
  /** Block commits: apply, synced ledger write, WAL prune. */
  readonly blockCommit: BucketQuantiles
  /** Time from one commit to the next. */
  readonly blockInterval: BucketQuantiles
  /** Handling a proposal: its txs' signature checks, its execution, the WAL append, the vote. */
  readonly proposal: BucketQuantiles
}

/** Node 0's `ConsensusTimings` between two /metrics texts; null when either is missing. */
export function consensusTimings(
  before: string | null,
  after: string | null,
): ConsensusTimings | null {
  if (before === null || after === null) return null
  const of = (name: string, labels = ''): BucketQuantiles =>
    bucketQuantiles(histogramOf(before, name, labels), histogramOf(after, name, labels))
  return {
    walAppend: of('pointsnode_wal_append_seconds'),
    blockCommit: of('pointsnode_block_commit_seconds'),
    blockInterval: of('pointsnode_block_interval_seconds'),
    proposal: of('pointsnode_consensus_event_seconds', 'event="proposal"'),
  }
}

/** What node 0's door did with txs over a window (its admission counters, src/node/metrics.ts). */
export interface Admissions {
  /** Txs admitted to the mempool (HTTP and gossip). */
  readonly added: number
  /** Txs refused after being read, by code (MEMPOOL_FULL, TX_DUPLICATE, ...). */
  readonly rejected: ReadonlyMap<string, number>
  /** Refused with MEMPOOL_BUSY unread: whole requests at the door, and single txs. */
  readonly busyRequests: number
  readonly busyTxs: number
  /** Signatures verified on the pool, and adds that found theirs verified already. */
  readonly verified: number
  readonly verifiedCacheHits: number
  /** Signatures of proposed or synced blocks' txs verified apart (unseen at the door). */
  readonly blockVerified: number
  /** Decoded-tx cache lookups that found the tx decoded, and that decoded it. */
  readonly decodeHits: number
  readonly decodeMisses: number
}

/** Node 0's `Admissions` between two /metrics texts; null when either is missing or lacks them. */
export function admissionsOf(before: string | null, after: string | null): Admissions | null {
  if (before === null || after === null) return null
  const delta = (series: string): number =>
    metricSample(after, series) - metricSample(before, series)
  const added = delta('pointsnode_mempool_added_total')
  if (!Number.isFinite(added)) return null
  const rejectedBefore = labelledSamples(before, 'pointsnode_mempool_rejected_total')
  const rejected = new Map<string, number>()
  for (const [code, total] of labelledSamples(after, 'pointsnode_mempool_rejected_total')) {
    const n = total - (rejectedBefore.get(code) ?? 0)
    if (n > 0) rejected.set(code, n)
  }
  return {
    added,
    rejected,
    busyRequests: delta('pointsnode_submissions_busy_total{scope="request"}'),
    busyTxs: delta('pointsnode_submissions_busy_total{scope="tx"}'),
    verified: delta('pointsnode_signatures_verified_total'),
    verifiedCacheHits: delta('pointsnode_signature_cache_hits_total'),
    blockVerified: delta('pointsnode_block_signatures_verified_total'),
    decodeHits: delta('pointsnode_decoded_tx_cache_total{result="hit"}'),
    decodeMisses: delta('pointsnode_decoded_tx_cache_total{result="miss"}'),
  }
}

/** CPU microseconds per committed tx: event loop, verifier workers, the rest of the process. */
export interface CpuPerTx {
  readonly main: number
  readonly verifier: number
  /** V8's helper threads (GC, compiler), libuv's pool (LevelDB), anything else in the process. */
  readonly other: number
}

/** Splits node 0's CPU increase over a step by thread, per committed tx. */
export function cpuPerTx(
  before: CpuSplit | null,
  after: CpuSplit | null,
  committed: number,
): CpuPerTx | null {
  if (before === null || after === null || committed <= 0) return null
  const perTx = (seconds: number): number => (seconds * 1e6) / committed
  const main = after.main - before.main
  const verifier = after.verifier - before.verifier
  const total = after.process - before.process
  return { main: perTx(main), verifier: perTx(verifier), other: perTx(total - main - verifier) }
}

/** Joins one run with node 0's ledger. */
export function analyseStep(step: StepRun, commits: CommitMap): StepStats {
  const r = step.result
  const timeOf = commitTimeOf(r.heights)
  const latencies: number[] = []
  let lastCommit = r.startMs
  const heightsHit = new Set<number>()
  let accepted = 0
  let committedLate = 0
  for (const [id, at, status] of r.txs) {
    if (status === 202) accepted++
    const h = commits.heightOfTx.get(id)
    if (h === undefined) continue
    const when = timeOf(h)
    if (when === undefined) {
      committedLate++
      continue
    }
    heightsHit.add(h)
    latencies.push(when - at)
    lastCommit = Math.max(lastCommit, when)
  }
  latencies.sort((a, b) => a - b)
  const accepts = r.txs
    .filter((t) => t[2] >= 0)
    .map((t) => t[3])
    .sort((a, b) => a - b)
  const windowHeights = [...commits.roundOfHeight.keys()].filter((h) => {
    const at = timeOf(h)
    return at !== undefined && at >= r.startMs && at <= r.endMs
  })
  const round0 = windowHeights.filter((h) => commits.roundOfHeight.get(h) === 0).length
  const blockTxs = [...heightsHit].map((h) => commits.txsOfHeight.get(h) ?? 0)
  // A loop, not Math.max(...): a soak step holds more txs than a call's argument limit.
  const lastSubmit = r.txs.reduce((m, t) => Math.max(m, t[1]), -Infinity)
  const cpuPercent = step.cpuAfter.map((after, i) => {
    const before = step.cpuBefore[i]
    if (!after || !before || step.wallMs <= 0) return NaN
    return (100 * (after.cpuMs - before.cpuMs)) / step.wallMs
  })
  return {
    label: step.label,
    offered: step.offered,
    submitted: r.txs.length / Math.max(0.001, (lastSubmit - r.startMs) / 1000),
    accepted,
    committedTxs: latencies.length,
    committedLate,
    committedPerSecond: latencies.length / Math.max(0.001, (lastCommit - r.startMs) / 1000),
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    acceptP50: percentile(accepts, 50),
    acceptP99: percentile(accepts, 99),
    heights: windowHeights.length,
    round0Percent: windowHeights.length === 0 ? NaN : (100 * round0) / windowHeights.length,
    txsPerBlock: blockTxs.length === 0 ? 0 : blockTxs.reduce((a, b) => a + b, 0) / blockTxs.length,
    cpuPercent,
    cpuPerTx: cpuPerTx(
      cpuSplitOf(step.metricsBefore),
      cpuSplitOf(step.metricsAfter),
      latencies.length,
    ),
    timings: consensusTimings(step.metricsBefore, step.metricsAfter),
    admissions: admissionsOf(step.metricsBefore, step.metricsAfter),
    rssMiB: step.cpuAfter.map((s) => (s ? s.rssBytes / 2 ** 20 : NaN)),
    statusCounts: r.statusCounts,
    retried: r.retried,
    firstErrors: r.firstErrors,
    signMs: step.signMs,
  }
}
