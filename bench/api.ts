/**
 * `npm run bench:api`: HTTP API throughput of a real node on 127.0.0.1, in one run with its baseline.
 * - a balance query (`GET /v1/accounts/:address/balances` over funded accounts, rotating the address)
 *   when the node serves it; otherwise a fallback read route, named in the output;
 * - the trivial route `GET /health` as the baseline; the ratio balance/health is the figure of merit
 *   (goal ≥ 0.6: a balance read costs at most ~1.7× the framework's own per-request work).
 * The node is one validator in this process (LevelDB, consensus with 500 ms blocks, rate limit raised);
 * the load comes from a worker thread (its own event loop) running a fixed number of keep-alive
 * connections in a closed loop for a fixed duration per route.
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
const DURATION_MS = 5_000
const BALANCE_ROUTE = '/v1/accounts/{address}/balances'
const FALLBACK_ROUTE = '/metrics'

/** The load loop, run in a worker: CONCURRENCY keep-alive connections, each a closed request loop. */
const CLIENT_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const http = require('node:http')
const { base, paths, concurrency, warmupMs, durationMs } = workerData
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
  const start = Date.now()
  const measureFrom = start + warmupMs
  const end = measureFrom + durationMs
  let ok = 0, bad = 0, next = 0
  async function loop() {
    for (;;) {
      const now = Date.now()
      if (now >= end) return
      const status = await get(paths[next++ % paths.length])
      if (now < measureFrom) continue
      if (status === 200) ok++
      else bad++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop))
  agent.destroy()
  parentPort.postMessage({ ok, bad, seconds: durationMs / 1000 })
}
run().catch((error) => { parentPort.postMessage({ error: String(error) }) })
`

interface LoadResult {
  readonly ok: number
  readonly bad: number
  readonly seconds: number
  readonly error?: string
}

function load(base: string, paths: readonly string[]): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(CLIENT_SOURCE, {
      eval: true,
      workerData: {
        base,
        paths,
        concurrency: CONCURRENCY,
        warmupMs: WARMUP_MS,
        durationMs: DURATION_MS,
      },
    })
    worker.once('message', (result: LoadResult) => {
      void worker.terminate()
      if (result.error !== undefined) reject(new Error(result.error))
      else resolve(result)
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
    const read = await load(node.apiUrl, readPaths)
    const trivial = await load(node.apiUrl, ['/health'])
    const readRate = read.ok / read.seconds
    const trivialRate = trivial.ok / trivial.seconds
    console.log(machineLine())
    console.log(
      `one validator in process, ${CONCURRENCY} keep-alive connections from a worker thread, ` +
        `${WARMUP_MS / 1000} s warm-up + ${DURATION_MS / 1000} s per route`,
    )
    printTable('API throughput', [
      [`${readName} req/s`, fmt(readRate)],
      ['GET /health req/s (baseline)', fmt(trivialRate)],
      ['ratio read / health (goal ≥ 0.6)', (readRate / trivialRate).toFixed(2)],
      ['non-200 answers (read, health)', `${read.bad}, ${trivial.bad}`],
      ['committed height during the run', String(node.height)],
    ])
  } finally {
    await node.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
