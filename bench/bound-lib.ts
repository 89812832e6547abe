/**
 * The intake bound of issue #9 (docs/BENCHMARKS.md, Cluster, sixteenth session), shared by
 * `npm run bench:bound` (`bench/bound.ts`), `npm run bench:cluster -- --bound` and the bound
 * server's test: signing the load, starting bound servers (`bench/bound-server.ts`) in their own
 * process groups, posting msgpack batches, and the measured HTTP step.
 */
import { spawn } from 'node:child_process'
import { Agent, request } from 'node:http'
import { API_TX_BATCH_SCHEMA } from '../src/api/tx-batch.ts'
import { signedTx } from '../src/client/tx-builder.ts'
import { encodeCanonical } from '../src/codec/canonical.ts'
import {
  BENCH_CHAIN_ID,
  benchAccounts,
  cpuSplitOf,
  killGroup,
  procSample,
  scrapeMetrics,
  trackGroup,
  until,
  type CpuSplit,
  type ProcSample,
} from './cluster-lib.ts'

/** Expiry of the bound's txs: valid at the servers' BOUND_HEIGHT. */
const EXPIRES_AT_HEIGHT = 1000

const SERVER = new URL('./bound-server.ts', import.meta.url).pathname

/** A started bound server. */
export interface BoundServer {
  readonly pid: number
  readonly url: string
}

/**
 * Starts one bound server with `workers` verifier workers for `chainId`, keeping each decoded tx
 * alive for `holdMs`, in its own process group (killed when this process exits; `killGroup(pid)`
 * stops it sooner); resolves when it listens.
 */
export async function startBoundServer(
  workers: number,
  chainId: string,
  holdMs = 0,
): Promise<BoundServer> {
  const argv = ['--import', 'tsx', SERVER, String(workers), chainId, String(holdMs)]
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  const pid = child.pid
  if (pid === undefined) throw new Error('bound server spawn failed')
  trackGroup(pid)
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => (out = (out + chunk.toString()).slice(-4000)))
  child.stderr.on('data', (chunk: Buffer) => (out = (out + chunk.toString()).slice(-4000)))
  const url = await until(
    'bound server listening',
    () => {
      if (child.exitCode !== null) throw new Error(`bound server exited: ${out}`)
      return Promise.resolve(/listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1])
    },
    60_000,
    50,
  )
  return { pid, url }
}

/** One result of a batch: the admitted tx's id, or why it was refused. */
export interface BatchItem {
  readonly txId?: string
  readonly error?: { readonly code: string; readonly message: string }
}

/** POSTs a msgpack batch frame to `url`'s `/v1/txs/batch`; rejects unless the answer is 200. */
export function postBatch(agent: Agent, url: string, frame: Uint8Array): Promise<BatchItem[]> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/txs/batch`, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/msgpack', 'content-length': frame.length },
    })
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString()
        if (res.statusCode !== 200) reject(new Error(`${res.statusCode}: ${body}`))
        else resolve((JSON.parse(body) as { results: BatchItem[] }).results)
      })
    })
    req.on('error', reject)
    req.end(frame)
  })
}

/**
 * Signs `count` UNI transfers between `accountCount` deterministic accounts of `seed` (account
 * i → i+1, distinct salts) with the client's tx builder, as the cluster bench's load generator
 * does; returns the signed bytes.
 */
export function signBoundLoad(seed: number, accountCount: number, count: number): Uint8Array[] {
  const accounts = benchAccounts(seed, accountCount)
  const out: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const salt = new Uint8Array(8)
    new DataView(salt.buffer).setUint32(4, i)
    const tx = signedTx(
      accounts[i % accountCount]!,
      'points.transfer',
      { pointType: 'UNI', to: accounts[(i + 1) % accountCount]!.address, amount: 1n },
      { chainId: BENCH_CHAIN_ID, expiresAtHeight: EXPIRES_AT_HEIGHT, salt },
    )
    out.push(tx.signedBytes)
  }
  return out
}

/** What the HTTP step runs. */
export interface BoundStepOptions {
  /** Bound servers, each verifying every tx (a validator each). */
  readonly servers: number
  readonly workersPerServer: number
  readonly txs: readonly Uint8Array[]
  /** Txs per request. */
  readonly batch: number
  /** Requests in flight per server. */
  readonly concurrency: number
  /** Batches sent to every server before the measured step. */
  readonly warmupBatches: number
  /** How long each server keeps a decoded tx alive (0: not kept). */
  readonly holdMs: number
}

/** What the HTTP step measured. */
export interface BoundStep {
  /** Txs ÷ (last answer − first send), every tx admitted by every server. */
  readonly txPerSecond: number
  /** CPU of each server, then of this process (the client): 100 = one core; null if unread. */
  readonly cpuPercent: (number | null)[]
  /** Server 0's CPU per tx, µs, by thread (as `bench:cluster` splits a node's); null if unread. */
  readonly server0PerTx: {
    readonly main: number
    readonly verifier: number
    readonly other: number
  } | null
}

/** Sends every frame to one server, `concurrency` in flight; resolves with the txs admitted. */
async function sendAll(
  agent: Agent,
  url: string,
  frames: readonly Uint8Array[],
  concurrency: number,
): Promise<number> {
  let next = 0
  let admitted = 0
  const lane = async (): Promise<void> => {
    while (next < frames.length) {
      const frame = frames[next++]!
      const results = await postBatch(agent, url, frame)
      admitted += results.filter((r) => typeof r.txId === 'string').length
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, frames.length) }, lane))
  return admitted
}

function percentOf(before: ProcSample | null, after: ProcSample | null, seconds: number) {
  return before && after ? ((after.cpuMs - before.cpuMs) / 1000 / seconds) * 100 : null
}

function perTxOf(before: CpuSplit | null, after: CpuSplit | null, count: number) {
  if (!before || !after) return null
  const us = (seconds: number): number => (seconds / count) * 1e6
  const main = us(after.main - before.main)
  const verifier = us(after.verifier - before.verifier)
  return { main, verifier, other: us(after.process - before.process) - main - verifier }
}

/**
 * The bound's HTTP step: starts the servers, sends the warm-up batches and then every batch to
 * every server, and stops the servers (also when the step fails).
 * @throws {Error} when a server does not admit every tx.
 */
export async function runBoundStep(options: BoundStepOptions): Promise<BoundStep> {
  const { txs, batch, concurrency } = options
  const frames: Uint8Array[] = []
  for (let i = 0; i < txs.length; i += batch) {
    frames.push(encodeCanonical(API_TX_BATCH_SCHEMA, txs.slice(i, i + batch)))
  }
  const list: BoundServer[] = []
  const agents: Agent[] = []
  try {
    for (let i = 0; i < options.servers; i++) {
      list.push(await startBoundServer(options.workersPerServer, BENCH_CHAIN_ID, options.holdMs))
      agents.push(new Agent({ keepAlive: true, maxSockets: concurrency }))
    }
    const send = (set: readonly Uint8Array[]): Promise<number[]> =>
      Promise.all(list.map((s, i) => sendAll(agents[i]!, s.url, set, concurrency)))
    await send(frames.slice(0, options.warmupBatches))
    const pids = [...list.map((s) => s.pid), process.pid]
    const splitBefore = cpuSplitOf(await scrapeMetrics(list[0]!.url))
    const before = pids.map(procSample)
    const start = performance.now()
    const admitted = await send(frames)
    const seconds = (performance.now() - start) / 1000
    const after = pids.map(procSample)
    const splitAfter = cpuSplitOf(await scrapeMetrics(list[0]!.url))
    admitted.forEach((n, i) => {
      if (n !== txs.length) throw new Error(`bound server ${i} admitted ${n} of ${txs.length}`)
    })
    return {
      txPerSecond: txs.length / seconds,
      cpuPercent: pids.map((_, i) => percentOf(before[i] ?? null, after[i] ?? null, seconds)),
      server0PerTx: perTxOf(splitBefore, splitAfter, txs.length),
    }
  } finally {
    for (const agent of agents) agent.destroy()
    for (const s of list) killGroup(s.pid)
  }
}
