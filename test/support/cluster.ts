/**
 * Multi-process test support: creates a testnet with the real CLI, starts real `bin/pointsnode start`
 * processes on 127.0.0.1, reads their API URLs, and always kills them and removes their homes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const BIN = new URL('../../bin/pointsnode', import.meta.url).pathname

/** One running node process. */
export interface NodeProcess {
  readonly home: string
  child: ChildProcess | null
  apiUrl: string
  stderr: string
}

/** A local consortium of real processes. */
export interface Cluster {
  readonly dir: string
  /** Validators `node0..`. */
  readonly nodes: NodeProcess[]
  /** Observer nodes `observer0..` (not started by createCluster). */
  readonly observers: NodeProcess[]
  readonly operatorKeyPath: string
}

/** Polls `check` every `everyMs` until it returns a value or the deadline passes. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/** Extra `pointsnode testnet` options of a cluster. */
export interface ClusterOptions {
  /** Observer homes (`observer0..`), admitted by every validator. */
  readonly observers?: number
  /** Genesis balances of UNI: `<addressHex>:<amount>`. */
  readonly fund?: readonly string[]
}

function nodeProcess(home: string): NodeProcess {
  return { home, child: null, apiUrl: '', stderr: '' }
}

/** Creates homes for `count` validators (and observers) with the real CLI. */
export function createCluster(count: number, options: ClusterOptions = {}): Cluster {
  const dir = mkdtempSync(join(tmpdir(), 'pointsnode-cluster-'))
  const args = ['testnet', '--validators', String(count), '--out', dir, '--chain-id', 'e2e-chain']
  args.push('--observers', String(options.observers ?? 0))
  for (const entry of options.fund ?? []) args.push('--fund', entry)
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`testnet failed: ${result.stderr}`)
  const nodes = Array.from({ length: count }, (_, i) => nodeProcess(join(dir, `node${i}`)))
  const observers = Array.from({ length: options.observers ?? 0 }, (_, i) =>
    nodeProcess(join(dir, `observer${i}`)),
  )
  return { dir, nodes, observers, operatorKeyPath: join(dir, 'operator-key.json') }
}

/** Starts (or restarts) one node process and waits for its API URL. */
export async function startNode(node: NodeProcess): Promise<void> {
  const child = spawn(process.execPath, [BIN, 'start', '--home', node.home], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Load loops from one loopback address would hit the default 600 requests/minute.
    env: { ...process.env, POINTSNODE_API_RATE_LIMIT: '1000000' },
  })
  node.child = child
  node.stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    node.stderr = (node.stderr + chunk.toString()).slice(-20_000)
  })
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  node.apiUrl = await until(
    `API URL of ${node.home}`,
    () => {
      if (child.exitCode !== null) throw new Error(`node exited ${child.exitCode}: ${node.stderr}`)
      return Promise.resolve(/listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1])
      // Generous: on a loaded 2-core machine four processes compiling TypeScript start slowly.
    },
    180_000,
  )
}

/** How long a node may take to stop after SIGINT or SIGTERM before the test fails. */
const STOP_GRACE_MS = 60_000

/**
 * Kills one node (`SIGKILL` by default) and waits for the process to end. A node that has not
 * ended `STOP_GRACE_MS` after a graceful signal is killed and the call fails, with its stderr.
 */
export async function killNode(
  node: NodeProcess,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<void> {
  const child = node.child
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const ended = new Promise<true>((resolve) => {
    child.once('exit', () => {
      resolve(true)
    })
  })
  child.kill(signal)
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<false>((resolve) => {
    if (signal !== 'SIGKILL') {
      timer = setTimeout(() => {
        resolve(false)
      }, STOP_GRACE_MS)
    }
  })
  const stopped = await Promise.race([ended, late])
  clearTimeout(timer)
  if (!stopped) {
    child.kill('SIGKILL')
    await ended
  }
  node.child = null
  if (!stopped) {
    const tail = node.stderr.slice(-4_000)
    throw new Error(`${node.home} did not stop within ${STOP_GRACE_MS} ms of ${signal}:\n${tail}`)
  }
}

/** Kills every node and removes the cluster's folder. */
export async function destroyCluster(cluster: Cluster): Promise<void> {
  await Promise.all([...cluster.nodes, ...cluster.observers].map((n) => killNode(n)))
  rmSync(cluster.dir, { recursive: true, force: true })
}

/** How long `getJson` waits for one answer before it gives up on that attempt. */
const GET_TIMEOUT_MS = 15_000

/**
 * GET a JSON document. A failed connection is retried twice: on a loaded machine the server may
 * close an idle keep-alive socket just as the client reuses it ("other side closed").
 */
export async function getJson<T>(url: string): Promise<T> {
  let res: Response | undefined
  for (let attempt = 0; !res; attempt++) {
    try {
      // A deadline, so that a node that accepts but never answers fails the poll instead of
      // holding it for undici's five-minute header timeout.
      res = await fetch(url, { signal: AbortSignal.timeout(GET_TIMEOUT_MS) })
    } catch (error) {
      if (attempt >= 2) throw error
    }
  }
  if (!res.ok) throw new Error(`${url}: ${res.status}`)
  return (await res.json()) as T
}

/** What /health reports. */
export interface Health {
  height: number
  stateRoot: string
  blockHash: string
  peers: number
  mempoolTxs: number
}

/**
 * Polls every node's /health until all of them have reported a state for one common height ≥
 * `minHeight` (nodes commit at slightly different instants, so one poll rarely lines up); returns
 * each node's report at that height.
 */
export async function reportsAtCommonHeight(
  urls: readonly string[],
  minHeight: number,
  timeoutMs = 60_000,
): Promise<Health[]> {
  const seen = urls.map(() => new Map<number, Health>())
  return until(
    `a common height ≥ ${minHeight} on every node`,
    async () => {
      const hs = await Promise.all(urls.map((u) => getJson<Health>(`${u}/health`)))
      hs.forEach((h, i) => seen[i]!.set(h.height, h))
      for (const [height, first] of seen[0]!) {
        if (height < minHeight) continue
        const all = seen.map((m) => m.get(height))
        if (all.every((h) => h !== undefined)) return all.length > 0 ? all : [first]
      }
      return undefined
    },
    timeoutMs,
  )
}
