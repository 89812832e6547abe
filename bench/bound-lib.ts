/**
 * The parts of `npm run bench:bound` that its test uses too: starting a bound server
 * (`bench/bound-server.ts`) in its own process group, and posting a msgpack batch to it.
 */
import { spawn } from 'node:child_process'
import { request, type Agent } from 'node:http'
import { trackGroup, until } from './cluster-lib.ts'

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
