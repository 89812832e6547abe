/**
 * `npm run bench:api`: HTTP API throughput of a real node on 127.0.0.1, in one run with its baseline.
 * - a balance query (`GET /v1/accounts/:address/balances` over funded accounts, rotating the address)
 *   when the node serves it; otherwise a fallback read route, named in the output;
 * - the trivial route `GET /health` as the baseline; the ratio balance/health is the figure of merit
 *   (goal ≥ 0.6: a balance read costs at most ~1.7× the framework's own per-request work).
 * The node is one validator in this process (LevelDB, consensus with 500 ms blocks, rate limit raised);
 * the load comes from a worker thread (its own event loop) running a fixed number of keep-alive
 * connections in a closed loop, alternating 1 s phases of the two routes (8 s each in total) so that
 * the shared machine's load drift affects both alike.
 */
import '../src/polyfills.ts'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { pino } from 'pino'
import { generateKeyPair } from '../src/client/keys.ts'
import { loadConfig } from '../src/node/config.ts'
import { loadGenesis } from '../src/node/genesis-file.ts'
import { loadNodeKey } from '../src/node/key-file.ts'
import { PointsNode } from '../src/node/node.ts'
import { createTestnet } from '../src/node/testnet.ts'
import { fmt, machineLine, printTable } from './harness.ts'

const ACCOUNTS = 200
const CONCURRENCY = 16
const WARMUP_MS = 1_000
/** Rounds of (read, health) phases: alternating spreads the machine's load drift over both. */
const ROUNDS = 8
const PHASE_MS = 1_000
const BALANCE_ROUTE = '/v1/accounts/{address}/balances'
const FALLBACK_ROUTE = '/metrics'

/** One timed phase of the load: its request paths (rotated) and whether it counts. */
interface Phase {
  readonly name: string
  readonly paths: readonly string[]
  readonly ms: number
}

/**
 * The load loop, run in a worker: CONCURRENCY keep-alive connections, each a closed request loop,
 * through the phases in order; a request counts for the phase it started in.
 */
const CLIENT_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const http = require('node:http')
const { base, phases, concurrency } = workerData
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency })
function get(path) {
  return new Promise((resolve, reject) => {
    const req = http.get(base + path, { agent }, (res) => {
      res.on('data', () => {})
      res.on('end', () => resolve(res.statusCode))
      res.on('error', reject)
    })
    req.on('error', reject)
  })
}
async function run() {
  const counts = {}
  for (const phase of phases) {
    counts[phase.name] ??= { ok: 0, bad: 0, ms: 0 }
    const count = counts[phase.name]
    const end = Date.now() + phase.ms
    let next = 0
    async function loop() {
      while (Date.now() < end) {
        const status = await get(phase.paths[next++ % phase.paths.length])
        if (status === 200) count.ok++
        else count.bad++
      }
    }
    const start = Date.now()
    await Promise.all(Array.from({ length: concurrency }, loop))
    count.ms += Date.now() - start
  }
  agent.destroy()
  parentPort.postMessage({ counts })
}
run().catch((error) => { parentPort.postMessage({ error: String(error) }) })
`

interface Count {
  readonly ok: number
  readonly bad: number
  /** Wall time of the phases, including the last in-flight requests. */
  readonly ms: number
}

function load(base: string, phases: readonly Phase[]): Promise<Record<string, Count>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(CLIENT_SOURCE, {
      eval: true,
      workerData: { base, phases, concurrency: CONCURRENCY },
    })
    worker.once('message', (result: { counts?: Record<string, Count>; error?: string }) => {
      void worker.terminate()
      if (result.counts) resolve(result.counts)
      else reject(new Error(result.error ?? 'load worker failed'))
    })
    worker.once('error', reject)
  })
}

async function startFundedNode(
  dir: string,
): Promise<{ node: PointsNode; addresses: readonly string[] }> {
  await createTestnet(dir, 1, 'pointsnode-bench', BigInt(Date.now()))
  const home = join(dir, 'node0')
  const config = loadConfig(home)
  if (!config.ok) throw new Error(config.error.message)
  const accounts = Array.from({ length: ACCOUNTS }, () => generateKeyPair())
  const genesis = loadGenesis(home)
  const funded = {
    ...genesis,
    balances: accounts.map((a, i) => ({
      account: a.address,
      pointType: genesis.universal.symbol,
      amount: BigInt(1000 + i),
    })),
  }
  const node = await PointsNode.start({
    config: config.value,
    genesis: funded,
    key: loadNodeKey(home),
    log: pino({ level: 'silent' }),
    apiRateLimit: { max: 1_000_000_000, timeWindowMs: 60_000 },
  })
  return { node, addresses: accounts.map((a) => a.addressHex) }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pointsnode-bench-api-'))
  const { node, addresses } = await startFundedNode(dir)
  try {
    const openapi = (await (await fetch(`${node.apiUrl}/openapi.json`)).json()) as {
      paths: Record<string, unknown>
    }
    const hasBalances = BALANCE_ROUTE in openapi.paths
    const readPaths = hasBalances
      ? addresses.map((a) => BALANCE_ROUTE.replace('{address}', a))
      : [FALLBACK_ROUTE]
    const readName = hasBalances
      ? `GET ${BALANCE_ROUTE} (${ACCOUNTS} funded accounts)`
      : `GET ${FALLBACK_ROUTE} (fallback: this build serves no ${BALANCE_ROUTE})`
    const phases: Phase[] = [
      { name: 'warmup-read', paths: readPaths, ms: WARMUP_MS },
      { name: 'warmup-health', paths: ['/health'], ms: WARMUP_MS },
    ]
    for (let i = 0; i < ROUNDS; i++) {
      phases.push({ name: 'read', paths: readPaths, ms: PHASE_MS })
      phases.push({ name: 'health', paths: ['/health'], ms: PHASE_MS })
    }
    const counts = await load(node.apiUrl, phases)
    const read = counts['read']!
    const health = counts['health']!
    const readRate = read.ok / (read.ms / 1000)
    const healthRate = health.ok / (health.ms / 1000)
    console.log(machineLine())
    console.log(
      `one validator in process (500 ms blocks), ${CONCURRENCY} keep-alive connections from a ` +
        `worker thread, ${ROUNDS} alternating rounds of ${PHASE_MS / 1000} s per route after warm-up`,
    )
    printTable('API throughput', [
      [`${readName} req/s`, fmt(readRate)],
      ['GET /health req/s (baseline)', fmt(healthRate)],
      ['ratio read / health (goal ≥ 0.6)', (readRate / healthRate).toFixed(2)],
      ['non-200 answers (read, health)', `${read.bad}, ${health.bad}`],
      ['committed height at the end', String(node.height)],
    ])
  } finally {
    await node.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
