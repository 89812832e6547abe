/**
 * Shared parts of the cluster benchmarks (`bench/cluster.ts`, `bench/soak.ts`, `bench/loadgen.ts`):
 * deterministic funded accounts, a testnet whose genesis funds them, real `bin/pointsnode start`
 * processes in their own process groups (always killed), `/proc` CPU and RSS sampling, and reading
 * a stopped node's ledger to learn at which height each tx committed. Issue #9.
 *
 * Everything binds or connects to loopback only. Node processes listen on 127.0.0.1; the load
 * generator's client sockets use other 127/8 source addresses (see `sourceAddress`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request, Agent } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keyPairOf, type KeyPair } from '../src/client/keys.ts'
import { decodeSignedTx } from '../src/codec/tx.ts'
import { isValidSecretKey } from '../src/crypto/secp256k1.ts'
import { openLevelKvStore } from '../src/ledger/kv-level.ts'
import { Ledger } from '../src/ledger/ledger.ts'
import { loadGenesis, saveGenesis } from '../src/node/genesis-file.ts'
import { buildTree } from '../src/state/tree.ts'
import { toHex } from '../src/util/bytes.ts'
import { until } from '../test/support/cluster.ts'
import { metricSample } from '../test/support/metrics.ts'

/** The launcher of the real CLI. */
export const BIN = new URL('../bin/pointsnode', import.meta.url).pathname
/** Chain id of every bench testnet. */
export const BENCH_CHAIN_ID = 'pointsnode-bench'
/** Universal points each funded account starts with (transfers move 1 unit). */
export const FUNDED_AMOUNT = 1_000_000_000n

/** The `i`-th funded account of `seed`: its secret key is sha256("pointsnode-bench/seed/i[/k]"). */
export function benchAccount(seed: number, i: number): KeyPair {
  for (let k = 0; ; k++) {
    const label = `pointsnode-bench/${seed}/${i}` + (k === 0 ? '' : `/${k}`)
    const secret = new Uint8Array(createHash('sha256').update(label).digest())
    if (isValidSecretKey(secret)) return keyPairOf(secret)
  }
}

/** `count` funded accounts of `seed`. */
export function benchAccounts(seed: number, count: number): KeyPair[] {
  return Array.from({ length: count }, (_, i) => benchAccount(seed, i))
}

/** What `/health` reports (the fields the bench reads). */
export interface Health {
  readonly height: number
  readonly peers: number
  readonly mempoolTxs: number
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 8 })

/** GET a JSON document over loopback (optionally from a given source address). */
export function getJson<T>(url: string, agent: Agent = keepAlive, timeoutMs = 5_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        if (res.statusCode !== 200) reject(new Error(`${url}: ${res.statusCode} ${text}`))
        else resolve(JSON.parse(text) as T)
      })
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`${url}: timeout`)))
    req.on('error', reject)
    req.end()
  })
}

/**
 * The client source address for the `count`-th request of load-generator run `run`. The node's API
 * limits requests per client address (600 per minute, not configurable yet), so the load generator
 * spreads its requests over many loopback source addresses, at most `perAddress` requests each: as if
 * many clients submitted. 127.<run>.<hi>.<lo>; the whole 127/8 block is loopback on Linux.
 */
export function sourceAddress(run: number, count: number, perAddress: number): string {
  const index = Math.floor(count / perAddress)
  return `127.${1 + (run % 250)}.${Math.floor(index / 250) % 250}.${(index % 250) + 1}`
}

/** A testnet on disk: validator homes whose genesis funds the bench accounts. */
export interface BenchTestnet {
  readonly dir: string
  readonly homes: readonly string[]
}

/**
 * The `i`-th extra funded address of `seed`: sha256("pointsnode-bench-extra/seed/i")[0..20]. Extra
 * accounts only hold a balance (state size for issue #9 acceptance 5); nobody signs for them.
 */
export function extraAddress(seed: number, i: number): Uint8Array {
  const digest = createHash('sha256').update(`pointsnode-bench-extra/${seed}/${i}`).digest()
  return new Uint8Array(digest.subarray(0, 20))
}

/**
 * Creates `validators` homes with the real CLI, then re-writes their genesis to fund `accounts`
 * and `extra` more addresses (`extraAddress`).
 */
export function createBenchTestnet(
  validators: number,
  accounts: readonly KeyPair[],
  extra = 0,
  seed = 0,
): BenchTestnet {
  const dir = mkdtempSync(join(tmpdir(), 'pointsnode-bench-'))
  const args = [BIN, 'testnet', '--validators', String(validators), '--out', dir]
  const result = spawnSync(process.execPath, [...args, '--chain-id', BENCH_CHAIN_ID], {
    encoding: 'utf8',
  })
  if (result.status !== 0) throw new Error(`pointsnode testnet failed: ${result.stderr}`)
  const homes = Array.from({ length: validators }, (_, i) => join(dir, `node${i}`))
  const base = loadGenesis(homes[0]!)
  const genesis = {
    ...base,
    balances: [
      ...accounts.map((a) => a.address),
      ...Array.from({ length: extra }, (_, i) => extraAddress(seed, i)),
    ].map((account) => ({ account, pointType: 'UNI', amount: FUNDED_AMOUNT })),
  }
  for (const home of homes) saveGenesis(home, genesis)
  return { dir, homes }
}

/** One running `pointsnode start` process. */
export interface NodeProc {
  readonly home: string
  readonly child: ChildProcess
  readonly apiUrl: string
  readonly profileDir: string | null
  stderr: string
}

/** Every process group this process started; killed on exit whatever happens. */
const groups = new Set<number>()

/** Kills the process group of `pid` with `signal` (ignores groups that are gone). */
export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // Already gone.
  }
  if (signal === 'SIGKILL') groups.delete(pid)
}

/** Registers a started process group for the exit-time kill. */
export function trackGroup(pid: number): void {
  groups.add(pid)
}

process.on('exit', () => {
  for (const pid of groups) killGroup(pid)
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const pid of groups) killGroup(pid)
    process.exit(130)
  })
}

/** Starts `pointsnode start --home home` in its own process group; resolves when its API listens. */
export async function startNode(home: string, profileDir: string | null): Promise<NodeProc> {
  const profile = profileDir === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]
  // Node flags that NODE_OPTIONS refuses (--trace-gc, say); their output goes to node.log.
  const extra = (process.env['BENCH_NODE_FLAGS'] ?? '').split(' ').filter((f) => f !== '')
  const flags = [...extra, ...profile]
  const child = spawn(process.execPath, [...flags, BIN, 'start', '--home', home], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: {
      ...process.env,
      POINTSNODE_LOG_LEVEL: process.env['BENCH_NODE_LOG_LEVEL'] ?? 'warn',
      // The nodes' own NODE_OPTIONS (a heap cap, say), without capping the bench processes.
      NODE_OPTIONS: process.env['BENCH_NODE_OPTIONS'] ?? process.env['NODE_OPTIONS'] ?? '',
    },
  })
  assertPid(child)
  trackGroup(child.pid)
  let stdout = ''
  const proc = { home, child, apiUrl: '', profileDir, stderr: '' }
  const log = createWriteStream(join(home, 'node.log'))
  child.stderr.on('data', (chunk: Buffer) => {
    proc.stderr = (proc.stderr + chunk.toString()).slice(-8_000)
    log.write(chunk)
  })
  child.once('exit', () => log.end())
  child.stdout.on('data', (chunk: Buffer) => {
    stdout = (stdout + chunk.toString()).slice(-8_000)
    log.write(chunk)
  })
  const apiUrl = await until(
    `API of ${home}`,
    () => {
      if (child.exitCode !== null) throw new Error(`node exited ${child.exitCode}: ${proc.stderr}`)
      return Promise.resolve(/listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1])
    },
    // A genesis of 1 M funded accounts takes a while to load and root.
    300_000,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}; stderr: ${proc.stderr}`)
  })
  return { ...proc, apiUrl, child }
}

function assertPid(child: ChildProcess): asserts child is ChildProcess & { pid: number } {
  if (child.pid === undefined) throw new Error('spawn failed')
}

/** Waits until every node has `peers - 1` peers and height ≥ 1. */
export async function waitClusterReady(nodes: readonly NodeProc[]): Promise<void> {
  await until(
    'every node connected and committing',
    async () => {
      const hs = await Promise.all(nodes.map((n) => getJson<Health>(`${n.apiUrl}/health`)))
      return hs.every((h) => h.height >= 2 && h.peers >= nodes.length - 1) ? true : undefined
    },
    60_000,
    250,
  )
}

/**
 * Stops a node: SIGINT (so a CPU profile is written), then SIGKILL of its group after `graceMs`.
 */
export async function stopNode(node: NodeProc, graceMs: number): Promise<void> {
  const { child } = node
  const pid = child.pid
  if (pid === undefined) return
  if (child.exitCode === null && child.signalCode === null) {
    const ended = new Promise((resolve) => child.once('exit', resolve))
    killGroup(pid, 'SIGINT')
    await Promise.race([ended, new Promise((r) => setTimeout(r, graceMs))])
  }
  killGroup(pid, 'SIGKILL')
}

/** CPU time (user + system, ms) and RSS (bytes) of a process from /proc. */
export interface ProcSample {
  readonly cpuMs: number
  readonly rssBytes: number
  /**
   * Anonymous resident memory (`RssAnon` of /proc/<pid>/status): the heap and native allocations,
   * without file pages mapped into the process (LevelDB's table files, the executable).
   */
  readonly rssAnonBytes: number
}

function rssAnonBytesOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /^RssAnon:\s+(\d+) kB$/m.exec(status)
  return match === null ? 0 : Number(match[1]) * 1024
}

const TICK_MS = 10 // USER_HZ is 100 on Linux.

/** Reads /proc/<pid>/stat; null when the process is gone. */
export function procSample(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // After "pid (comm) ": state is field 3, utime 14, stime 15, rss 24 (1-based in proc(5)).
    const utime = Number(fields[14 - 3])
    const stime = Number(fields[15 - 3])
    const rssPages = Number(fields[24 - 3])
    const rssAnonBytes = rssAnonBytesOf(pid)
    return { cpuMs: (utime + stime) * TICK_MS, rssBytes: rssPages * 4096, rssAnonBytes }
  } catch {
    return null
  }
}

/**
 * CPU seconds of one node from its `/metrics`: the whole process, its event-loop thread and its
 * verifier workers (src/node/thread-cpu.ts). Only increases are meaningful: prom-client counts the
 * process from the node's start, /proc each thread from the thread's start.
 */
export interface CpuSplit {
  readonly process: number
  readonly main: number
  readonly verifier: number
}

/** The text of `apiUrl`'s /metrics; null when the node does not answer within 5 s. */
export async function scrapeMetrics(apiUrl: string): Promise<string | null> {
  try {
    const res = await fetch(`${apiUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })
    return await res.text()
  } catch {
    return null
  }
}

/** A node's CPU split from its /metrics text; null when a series is missing (not Linux). */
export function cpuSplitOf(text: string | null): CpuSplit | null {
  if (text === null) return null
  const thread = (name: string): number =>
    metricSample(text, `pointsnode_thread_cpu_seconds_total{thread="${name}"}`)
  const split = {
    process: metricSample(text, 'process_cpu_seconds_total'),
    main: thread('main'),
    verifier: thread('verifier'),
  }
  return Object.values(split).every(Number.isFinite) ? split : null
}

/** What a histogram observed between two scrapes: count, and the bucket bounds of p50, p99, max. */
export interface BucketQuantiles {
  readonly count: number
  /** Upper bounds in seconds of the buckets holding the 50th and 99th percentile and the largest. */
  readonly p50: number
  readonly p99: number
  readonly max: number
}

/** `BucketQuantiles` of the observations made between `before` and `after` (`histogramOf`). */
export function bucketQuantiles(
  before: ReadonlyMap<number, number>,
  after: ReadonlyMap<number, number>,
): BucketQuantiles {
  const bounds = [...after.keys()].sort((a, b) => a - b)
  const cumulative = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0))
  const count = cumulative[cumulative.length - 1] ?? 0
  const boundOf = (rank: number): number => bounds[cumulative.findIndex((c) => c >= rank)] ?? NaN
  if (count <= 0) return { count: 0, p50: NaN, p99: NaN, max: NaN }
  return {
    count,
    p50: boundOf(Math.ceil(count * 0.5)),
    p99: boundOf(Math.ceil(count * 0.99)),
    max: boundOf(count),
  }
}

/**
 * Resident memory of one process by kind (bytes), from /proc/<pid>/smaps and the node's /metrics:
 * - `v8Heap`: the main isolate's committed heap (`nodejs_heap_size_total_bytes`);
 * - `malloc`: glibc's heaps, the main one (`[heap]`) and the per-thread arenas (anonymous mappings
 *   that start on a 64 MiB boundary and are at most 64 MiB long, glibc's HEAP_MAX_SIZE on 64-bit);
 * - `otherAnon`: the rest of the anonymous memory (V8's heaps, the workers' isolates, stacks, large
 *   allocations that malloc maps on their own), minus `v8Heap`;
 * - `file`: pages of mapped files (the executable, LevelDB's tables); the kernel can drop them.
 */
export interface MemoryKinds {
  readonly v8Heap: number
  readonly malloc: number
  readonly otherAnon: number
  readonly file: number
}

const ARENA_BYTES = 64 * 2 ** 20

/** `MemoryKinds` of the node `pid` serving `apiUrl`; null when it is gone (or not Linux). */
export async function memoryKindsOf(pid: number, apiUrl: string): Promise<MemoryKinds | null> {
  let smaps: string
  try {
    smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8')
  } catch {
    return null
  }
  const metrics = await scrapeMetrics(apiUrl)
  if (metrics === null) return null
  let malloc = 0
  let anon = 0
  let file = 0
  let kind: 'malloc' | 'anon' | 'file' = 'anon'
  const header = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/
  for (const line of smaps.split('\n')) {
    const mapping = header.exec(line)
    if (mapping) {
      const start = Number.parseInt(mapping[1]!, 16)
      const length = Number.parseInt(mapping[2]!, 16) - start
      const name = mapping[3]!
      const arena = name === '' && start % ARENA_BYTES === 0 && length <= ARENA_BYTES
      kind = name === '[heap]' || arena ? 'malloc' : name.startsWith('/') ? 'file' : 'anon'
    } else if (line.startsWith('Rss:')) {
      const bytes = Number.parseInt(line.slice(4), 10) * 1024
      if (kind === 'malloc') malloc += bytes
      else if (kind === 'file') file += bytes
      else anon += bytes
    }
  }
  const v8Heap = metricSample(metrics, 'nodejs_heap_size_total_bytes')
  if (!Number.isFinite(v8Heap)) return null
  return { v8Heap, malloc, otherAnon: anon - v8Heap, file }
}

/** Where each tx committed according to one node's ledger. */
export interface CommitMap {
  readonly heightOfTx: Map<string, number>
  /** Round of the certificate per height. */
  readonly roundOfHeight: Map<number, number>
  readonly txsOfHeight: Map<number, number>
  readonly head: number
}

/** Opens a stopped node's ledger and maps every committed txId (hex) to its height. */
export async function readCommits(home: string): Promise<CommitMap> {
  const kv = await openLevelKvStore(join(home, 'data', 'ledger'))
  const heightOfTx = new Map<string, number>()
  const roundOfHeight = new Map<number, number>()
  const txsOfHeight = new Map<number, number>()
  try {
    const ledger = await Ledger.open(kv, { computeStateRoot: (e) => buildTree(e).root() })
    const head = ledger.head?.height ?? 0
    for (let h = 1; h <= head; h++) {
      const stored = await ledger.loadBlock(h)
      if (!stored) continue
      roundOfHeight.set(h, stored.block.header.round)
      txsOfHeight.set(h, stored.block.txs.length)
      for (const bytes of stored.block.txs) {
        const decoded = decodeSignedTx(bytes)
        if (decoded.ok) heightOfTx.set(toHex(decoded.value.txId), h)
      }
    }
    return { heightOfTx, roundOfHeight, txsOfHeight, head }
  } finally {
    await kv.close()
  }
}

/** Removes a bench folder. */
export function removeDir(dir: string): void {
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true })
}

/** Percentile (nearest rank) of sorted values; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

/** Parses `--name value` style flags: numbers, lists and booleans. */
export function flag(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(`--${name}`)
  if (at < 0) return undefined
  const next = args[at + 1]
  return next === undefined || next.startsWith('--') ? 'true' : next
}

/**
 * A numeric `--name` flag (or `fallback`); `positive` refuses 0 as well as negative values.
 * @throws {Error} naming the flag when the value is not such a number.
 */
export function numberFlag(
  args: readonly string[],
  name: string,
  fallback: number,
  positive = false,
): number {
  const value = flag(args, name)
  const n = value === undefined ? fallback : Number(value)
  if (!Number.isFinite(n) || n < 0 || (positive && n === 0)) {
    throw new Error(`--${name} must be a ${positive ? 'positive ' : ''}number`)
  }
  return n
}

/** Polls until a value or the deadline (the e2e tests' helper). */
export { until }
