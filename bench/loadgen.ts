/**
 * The cluster benchmark's load generator, run as its own process by `bench/cluster.ts` and
 * `bench/soak.ts` (never alone): signs `count` UNI transfers between the bench's funded accounts with
 * the client tx builder (`signedTx`), submits them as raw bytes (`POST /v1/txs/raw`, keep-alive) round-
 * robin to the validators at a fixed offered rate (or as fast as `concurrency` allows when the rate is
 * 0), follows node 0's block stream (`GET /v1/events/blocks`) to time when each height is committed
 * there (its `/health` polls every 50 ms are the fallback), and waits for the mempools to drain. It
 * writes every tx's id, submit time and HTTP status plus the height times to `outFile`; the
 * orchestrator maps txs to heights from node 0's ledger after the run. Issue #9.
 *
 * With `batch` > 1, each request carries up to `batch` txs as a canonical msgpack list to
 * `POST /v1/txs/batch`: the offered rate stays in txs per second (a batch is due when its first tx
 * is), `concurrency` bounds requests in flight, every tx of a batch gets the batch's send and
 * response times, and each tx's status comes from its own result (202 when admitted, else the
 * status the API's table gives its error code; the request's status when the whole batch failed).
 *
 * With `via: 'client'` the same txs go through the light client an enterprise embeds
 * (`LightClient.submit`: hex JSON to `POST /v1/txs`; `submitBatch`: the msgpack list to
 * `/v1/txs/batch`; every acknowledged tx id checked against the tx sent), over the same
 * connections.
 *
 * A tx refused with 503 (the node is busy verifying, `MEMPOOL_BUSY`, or full) is sent again as a
 * client honouring `Retry-After` would: after 0.5 to 1.5 times the answer's `Retry-After` (1 s when
 * it has none, as for a tx refused inside a batch answer; the node sends 1 s), with jitter from a
 * generator seeded by the run, so that the refused requests of one burst do not all come back at
 * once. Its latency and response time still count from its first submission, and one still
 * refused when submission ends keeps the 503.
 *
 * Protocol with the parent: argv[2] is the JSON `LoadConfig`; stdout lines `SIGNED <ms>`,
 * `READY`, `START <epoch ms>`, `END <epoch ms>` mark the phases. After `READY` nothing is sent
 * until the parent writes a line `GO` to stdin, so that its samples of the window's start (the
 * nodes' /proc and node 0's /metrics) are taken before the first tx, not behind the flood.
 */
import '../src/polyfills.ts'
import { writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { httpStatusOf } from '../src/api/errors.ts'
import { API_TX_BATCH_MAX, API_TX_BATCH_SCHEMA } from '../src/api/tx-batch.ts'
import type { ClientError } from '../src/client/errors.ts'
import { retryAfterMsOf, type FetchLike } from '../src/client/http.ts'
import { LightClient } from '../src/client/light-client.ts'
import { signedTx } from '../src/client/tx-builder.ts'
import type { KeyPair } from '../src/client/keys.ts'
import type { SignedTx } from '../src/codec/tx.ts'
import { encodeCanonical } from '../src/codec/canonical.ts'
import { toHex } from '../src/util/bytes.ts'
import { openSse } from '../test/support/sse-client.ts'
import { benchAccounts, getJson, sourceAddress, until, type Health } from './cluster-lib.ts'

/** What the parent asks for. */
export interface LoadConfig {
  readonly urls: readonly string[]
  readonly chainId: string
  readonly seed: number
  readonly accounts: number
  readonly count: number
  /** Offered txs per second; 0 = as fast as `concurrency` allows. */
  readonly rate: number
  /** Requests in flight at most. */
  readonly concurrency: number
  /** Txs per request: 1 posts each to `/v1/txs/raw`, more post msgpack batches to `/v1/txs/batch`. */
  readonly batch: number
  /**
   * How txs reach the nodes: `raw` posts msgpack bytes with node:http (above); `client` submits
   * through the light client an enterprise embeds (`LightClient.submit` to `POST /v1/txs`, or
   * `submitBatch` to `POST /v1/txs/batch`), which checks every acknowledged tx id against the tx
   * it sent.
   */
  readonly via: 'raw' | 'client'
  /** Distinct per load-generator run: selects the source addresses and the tx salts. */
  readonly run: number
  readonly outFile: string
  /** Sign in chunks just ahead of submission (long runs) instead of all up front. */
  readonly signAhead: boolean
  /** Longest wait for the mempools to drain after the last submission. */
  readonly drainMs: number
  /** Submission stops after this long even if txs are left (they count as not submitted). */
  readonly submitMs: number
}

/** What the load generator writes to `outFile`. */
export interface LoadResult {
  /** [txId hex, submit time (epoch ms), HTTP status (0: connection error, -1: no answer), response time (ms)]. */
  readonly txs: [string, number, number, number][]
  /**
   * [height, first time node 0 reported it (epoch ms)]: its block event, or a `/health` poll if that
   * came first. The lowest is the height of the first poll, committed before the run.
   */
  readonly heights: [number, number][]
  /** [height, first `/health` poll that showed it (epoch ms)], to compare with the stream. */
  readonly polled: [number, number][]
  readonly startMs: number
  readonly endSubmitMs: number
  readonly endMs: number
  readonly statusCounts: Record<string, number>
  /** Submissions of txs a node refused with 503 and the generator sent again. */
  readonly retried: number
  readonly firstErrors: string[]
}

const now = (): number => performance.timeOrigin + performance.now()
const REQUESTS_PER_ADDRESS = 500
const SIGN_CHUNK_SECONDS = 5
/** The wait for a 503 without `Retry-After`, in ms (the node's own is 1 s); a retry waits 0.5 to 1.5 times it. */
const RETRY_AFTER_MS = 1_000
/** Tx lifetime in heights when everything is signed up front (a step may queue for a while). */
const EXPIRY_HEIGHTS = 1000
/**
 * Tx lifetime when signing just ahead of submission (long runs): a wallet's short TTL. It also
 * bounds the replay index each committed tx adds to the state until it expires (lifetime × rate
 * entries), so a soak reaches its steady state after about this many heights.
 */
const EXPIRY_HEIGHTS_SIGN_AHEAD = 120

const config = JSON.parse(process.argv[2] ?? '{}') as LoadConfig
const accounts = benchAccounts(config.seed, config.accounts)
if (!Number.isInteger(config.batch) || config.batch < 1 || config.batch > API_TX_BATCH_MAX) {
  throw new Error(`batch must be an integer in 1..${API_TX_BATCH_MAX}, got ${config.batch}`)
}
// The parent's JSON is not checked by the type: an unknown mode must not fall back silently.
if (!['raw', 'client'].includes(config.via)) {
  throw new Error(`via must be raw or client, got ${JSON.stringify(config.via)}`)
}

function salt(i: number): Uint8Array {
  const out = new Uint8Array(8)
  const view = new DataView(out.buffer)
  view.setUint16(0, config.run)
  view.setUint32(2, i)
  return out
}

function sign(i: number, expiresAtHeight: number): { id: string; tx: SignedTx } {
  const from: KeyPair = accounts[i % accounts.length]!
  const to = accounts[(i + 1) % accounts.length]!
  const tx = signedTx(
    from,
    'points.transfer',
    { pointType: 'UNI', to: to.address, amount: 1n },
    { chainId: config.chainId, expiresAtHeight, salt: salt(i) },
  )
  return { id: toHex(tx.txId), tx }
}

const node0 = config.urls[0]!
let pollCount = 0
const heights = new Map<number, number>()
let latestHealth: Health | null = null

async function pollOnce(url: string, timeoutMs = 5_000): Promise<Health> {
  // Polls use the top source addresses of this run's block (far from the submission addresses).
  const address = `127.${1 + (config.run % 250)}.251.${1 + (Math.floor(pollCount++ / 400) % 250)}`
  const agent = new Agent({ keepAlive: false, localAddress: address })
  try {
    return await getJson<Health>(`${url}/health`, agent, timeoutMs)
  } finally {
    agent.destroy()
  }
}

const polled = new Map<number, number>()

function seen(height: number, at: number): void {
  if (!heights.has(height)) heights.set(height, at)
}

/** Records what a poll of node 0 showed. */
function polledHealth(health: Health): void {
  const at = now()
  latestHealth = health
  if (!polled.has(health.height)) polled.set(health.height, at)
  seen(health.height, at)
}

let polling = true
async function pollHeights(): Promise<void> {
  while (polling) {
    const health = await pollOnce(node0).catch(() => null)
    if (health) polledHealth(health)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * Follows node 0's block stream: each `block` event's height (its `id`) is committed when the event
 * arrives. Returns the stop function.
 */
async function followBlocks(): Promise<() => void> {
  const stream = await openSse(`${node0}/v1/events/blocks`, {}, (event) => {
    if (event.event === 'block' && event.id !== undefined) seen(Number(event.id), now())
  }).catch(() => null)
  // Without the stream (refused, or broken later) the polls time the heights.
  return () => stream?.close()
}

/** A request's outcome: one HTTP status per tx (see the header), and the node's `Retry-After`. */
interface Answer {
  readonly statuses: readonly number[]
  /** The answer's `Retry-After` in ms, when it had one (a busy or full node's 503). */
  readonly retryAfterMs?: number
}

interface Submitter {
  /** Submits tx `i` alone. Status 0: connection error or an answer that is not the contract's. */
  submit(i: number, tx: SignedTx): Promise<Answer>
  /** Submits batch `b` in one request. */
  submitBatch(b: number, txs: readonly SignedTx[]): Promise<Answer>
  close(): void
  readonly errors: string[]
}

/**
 * A batch answer's per-tx `[status, result JSON]`: 202 for an admitted tx, else the status of its
 * error code (0: not a result); null when the answer is not `count` results.
 */
function itemStatuses(body: string, count: number): [number, string][] | null {
  let results: unknown
  try {
    results = (JSON.parse(body) as { results?: unknown }).results
  } catch {
    return null
  }
  if (!Array.isArray(results) || results.length !== count) return null
  return results.map((r: { txId?: unknown; error?: { code?: unknown } }) => {
    if (typeof r.txId === 'string') return [202, '']
    const code = r.error?.code
    return [typeof code === 'string' ? httpStatusOf(code) : 0, JSON.stringify(r)]
  })
}

/**
 * Keep-alive agents over the run's loopback source addresses (REQUESTS_PER_ADDRESS requests each,
 * so that every address stays under the node's per-client rate limit), and the first errors seen.
 */
function connections() {
  let count = 0
  const agents = new Map<string, Agent>()
  const retired: Agent[] = []
  const agentFor = (node: number): Agent => {
    const address = sourceAddress(config.run, count++, REQUESTS_PER_ADDRESS)
    const key = `${node}|${address}`
    let agent = agents.get(key)
    if (!agent) {
      for (const [k, old] of agents) {
        if (k.startsWith(`${node}|`)) {
          agents.delete(k)
          retired.push(old)
        }
      }
      while (retired.length > 64) retired.shift()?.destroy()
      agent = new Agent({ keepAlive: true, maxSockets: 64, localAddress: address })
      agents.set(key, agent)
    }
    return agent
  }
  const errors: string[] = []
  return {
    agentFor,
    errors,
    note: (error: string): void => {
      if (errors.length < 5) errors.push(error)
    },
    close: (): void => {
      for (const agent of [...agents.values(), ...retired]) agent.destroy()
    },
  }
}

/** One answer, read whole: status (0 on a connection error), body and `Retry-After`. */
interface Reply {
  readonly status: number
  readonly body: string
  readonly retryAfter: string | null
}

/** One request with node:http through `agent`; rejects on a connection error. */
function httpRequest(
  url: string,
  agent: Agent,
  method: string,
  headers: Record<string, string | number>,
  body?: string | Uint8Array,
  signal?: AbortSignal,
): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    const req = request(url, { method, agent, headers, ...(signal ? { signal } : {}) })
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const retryAfter = res.headers['retry-after']
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
        })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** Posts msgpack bytes: `/v1/txs/raw` for one tx, `/v1/txs/batch` for a batch. */
function rawSubmitter(): Submitter {
  const conn = connections()
  const post = async (node: number, path: string, bytes: Uint8Array): Promise<Reply> => {
    const headers = { 'content-type': 'application/msgpack', 'content-length': bytes.length }
    try {
      return await httpRequest(
        `${config.urls[node]!}${path}`,
        conn.agentFor(node),
        'POST',
        headers,
        bytes,
      )
    } catch (error) {
      conn.note(String(error))
      return { status: 0, body: '', retryAfter: null }
    }
  }
  const answer = (statuses: readonly number[], reply: Reply): Answer => {
    const retryAfterMs = retryAfterMsOf(reply.retryAfter)
    return retryAfterMs === undefined ? { statuses } : { statuses, retryAfterMs }
  }
  return {
    async submit(i, tx) {
      const reply = await post(i % config.urls.length, '/v1/txs/raw', tx.signedBytes)
      if (reply.status !== 202 && reply.status !== 0) conn.note(`${reply.status} ${reply.body}`)
      return answer([reply.status], reply)
    },
    async submitBatch(b, txs) {
      const frame = encodeCanonical(
        API_TX_BATCH_SCHEMA,
        txs.map((t) => t.signedBytes),
      )
      const reply = await post(b % config.urls.length, '/v1/txs/batch', frame)
      const { status, body } = reply
      const items = status === 200 ? itemStatuses(body, txs.length) : null
      if (status !== 200 && status !== 0) conn.note(`${status} ${body}`)
      if (status === 200 && items === null) conn.note(`200 but not ${txs.length} results: ${body}`)
      for (const [k, [itemStatus, text]] of (items ?? []).entries()) {
        if (itemStatus !== 202) conn.note(`batch ${b} tx ${k}: ${itemStatus} ${text}`)
      }
      const statuses =
        items?.map(([itemStatus]) => itemStatus) ?? txs.map(() => (status === 200 ? 0 : status))
      return answer(statuses, reply)
    },
    close: conn.close,
    errors: conn.errors,
  }
}

/**
 * Submits through the light client (`LightClient.submit` and `submitBatch`), one client per node
 * whose `fetch` is node:http over the run's source addresses. A tx's status is 202 when the client
 * returned its id, the status of the node's code for a tx the node refused, and for a failed
 * request the client error's HTTP status (0 when it has none: a connection error, or an answer the
 * client refused, such as an acknowledged id that is not the tx's).
 */
function clientSubmitter(): Submitter {
  const conn = connections()
  const clients = config.urls.map((baseUrl, node) => {
    const fetch: FetchLike = async (url, init = {}) => {
      const { body, method = 'GET', headers = {}, signal } = init
      const length = body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }
      const reply = await httpRequest(
        url,
        conn.agentFor(node),
        method,
        { ...headers, ...length },
        body,
        signal,
      )
      return {
        status: reply.status,
        ok: reply.status >= 200 && reply.status < 300,
        headers: {
          get: (name) => (name.toLowerCase() === 'retry-after' ? reply.retryAfter : null),
        },
        text: () => Promise.resolve(reply.body),
      }
    }
    return new LightClient({ baseUrl, chainId: config.chainId, fetch })
  })
  const failed = (error: ClientError, count: number): Answer => {
    conn.note(`${error.code} ${error.status ?? ''} ${error.nodeCode ?? ''} ${error.message}`)
    const statuses = new Array<number>(count).fill(error.status ?? 0)
    return error.retryAfterMs === undefined
      ? { statuses }
      : { statuses, retryAfterMs: error.retryAfterMs }
  }
  return {
    async submit(i, tx) {
      const result = await clients[i % clients.length]!.submit(tx)
      return result.ok ? { statuses: [202] } : failed(result.error, 1)
    },
    async submitBatch(b, txs) {
      const result = await clients[b % clients.length]!.submitBatch(txs)
      if (!result.ok) return failed(result.error, txs.length)
      const statuses = result.value.map((item, k) => {
        if (item.ok) return 202
        conn.note(`batch ${b} tx ${k}: ${item.error.code} ${item.error.message}`)
        return httpStatusOf(item.error.code)
      })
      return { statuses }
    },
    close: conn.close,
    errors: conn.errors,
  }
}

function node0Health(): Promise<Health> {
  // A busy node may answer slowly (its event loop is blocked while it checks a big block).
  return until('node 0 height', () => pollOnce(node0, 10_000), 60_000, 200)
}

async function currentHeight(): Promise<number> {
  return (await node0Health()).height
}

/**
 * Txs signed between two yields to the event loop while signing ahead. A chunk of a soak (five
 * seconds of txs, 1,500 at 300 tx/s) takes about 0.4 s to sign; signed in one go, it held up the
 * submissions (which then went out in a burst) and the height polls (which then timed the blocks
 * of that spell late).
 */
const SIGN_SLICE = 50

async function signChunk(from: number, to: number, out: { id: string; tx: SignedTx }[]) {
  const expires =
    (await currentHeight()) + (config.signAhead ? EXPIRY_HEIGHTS_SIGN_AHEAD : EXPIRY_HEIGHTS)
  for (let i = from; i < to; i++) {
    out[i] = sign(i, expires)
    if (config.signAhead && (i - from) % SIGN_SLICE === SIGN_SLICE - 1) {
      await new Promise((r) => setImmediate(r))
    }
  }
}

/** Resolves when the parent writes a line `GO` to stdin (see the module header). */
function parentSaysGo(): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = ''
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString()
      if (!buffered.split('\n').includes('GO')) return
      process.stdin.off('data', onData)
      process.stdin.off('end', onEnd)
      process.stdin.destroy()
      resolve()
    }
    const onEnd = (): void => {
      reject(new Error('stdin closed before GO'))
    }
    process.stdin.on('data', onData)
    process.stdin.once('end', onEnd)
  })
}

/**
 * Submits every tx at its slot (`rate` > 0) or as fast as the concurrency allows; with batches, a
 * batch is sent at the slot of its first tx, so batches go out at `rate / batch` per second.
 */
async function run(): Promise<void> {
  const { count, rate, concurrency, batch } = config
  const signed: { id: string; tx: SignedTx }[] = new Array(count)
  const chunk = config.signAhead ? Math.max(1, rate * SIGN_CHUNK_SECONDS) : count
  const signStart = now()
  let signedUpTo = Math.min(count, chunk)
  await signChunk(0, signedUpTo, signed)
  console.log(`SIGNED ${Math.round(now() - signStart)}`)
  type TxRecord = [string, number, number, number]
  const records: (TxRecord | undefined)[] = new Array<TxRecord | undefined>(count)
  const sub = config.via === 'client' ? clientSubmitter() : rawSubmitter()
  // The first poll's height was committed before the run (no commit time: commitTimeOf); the
  // stream starts after it, so the lowest height recorded is always that one.
  polledHealth(await node0Health())
  const stopFollowing = await followBlocks()
  void pollHeights()
  console.log('READY')
  await parentSaysGo()
  const startMs = now()
  console.log(`START ${startMs}`)
  let next = 0
  let inFlight = 0
  let wake: (() => void) | null = null
  const done = (): void => {
    inFlight--
    wake?.()
  }
  const pause = (ms: number): Promise<void> =>
    new Promise<void>((r) => {
      wake = r
      setTimeout(r, Math.max(0, ms))
    }).then(() => {
      wake = null
    })
  let batches = 0
  // Txs refused with 503, each group with the time it is due again.
  const retries: { due: number; indexes: number[] }[] = []
  let retried = 0
  // xorshift32 seeded by the run: the retries' jitter is the same in every run with that seed.
  let jitterState = (0x9e3779b9 ^ (config.seed * 65_537 + config.run)) >>> 0 || 1
  /** The wait before a refused tx goes again: the node's `Retry-After` (1 s when it sent none), jittered. */
  const retryDelay = (retryAfterMs = RETRY_AFTER_MS): number => {
    jitterState ^= jitterState << 13
    jitterState ^= jitterState >>> 17
    jitterState ^= jitterState << 5
    jitterState >>>= 0
    return retryAfterMs * (0.5 + jitterState / 2 ** 32)
  }
  /** Sends txs `indexes` in one request; a tx's record keeps its first submission's time. */
  const send = (indexes: readonly number[]): void => {
    const at = now()
    inFlight++
    // Status -1 until the node answers (an answer may still be outstanding when the run ends).
    for (const i of indexes) records[i] ??= [signed[i]!.id, at, -1, NaN]
    const answer =
      batch === 1
        ? sub.submit(indexes[0]!, signed[indexes[0]!]!.tx)
        : sub.submitBatch(
            batches++,
            indexes.map((i) => signed[i]!.tx),
          )
    void answer.then(({ statuses, retryAfterMs }) => {
      const answered = now()
      const busy: number[] = []
      indexes.forEach((i, k) => {
        const status = statuses[k] ?? 0
        const first = records[i]![1]
        records[i] = [signed[i]!.id, first, status, answered - first]
        if (status === 503) busy.push(i)
      })
      if (busy.length > 0) {
        retries.push({ due: answered + retryDelay(retryAfterMs), indexes: busy })
      }
      done()
    })
  }
  // Signing ahead runs beside the submissions (it yields every SIGN_SLICE txs), one chunk at a time.
  let signing: Promise<void> | null = null
  while (now() - startMs < config.submitMs) {
    if (next >= count && retries.length === 0) {
      // Outstanding answers may still bring txs to send again.
      if (inFlight === 0) break
      await pause(50)
      continue
    }
    // Keep a rate's worth of txs signed beyond the next request; wait only when none is left.
    if (config.signAhead && signing === null && next + batch > signedUpTo - rate) {
      const to = Math.min(count, signedUpTo + chunk)
      if (to > signedUpTo) {
        signing = signChunk(signedUpTo, to, signed).then(() => {
          signedUpTo = to
          signing = null
        })
      }
    }
    const t = now()
    if (inFlight >= concurrency) {
      await pause(50)
      continue
    }
    // The earliest due retry goes first (a short scan: at most one group per request in flight).
    let soonest = -1
    for (let k = 0; k < retries.length; k++) {
      if (soonest < 0 || retries[k]!.due < retries[soonest]!.due) soonest = k
    }
    const retry = soonest < 0 ? undefined : retries[soonest]!
    if (retry !== undefined && retry.due <= t) {
      retries.splice(soonest, 1)
      retried += retry.indexes.length
      send(retry.indexes)
      continue
    }
    const retryWait = retry === undefined ? 50 : retry.due - t
    if (next >= count) {
      await pause(Math.min(50, retryWait))
      continue
    }
    if (signing !== null && next + batch > signedUpTo) {
      await signing
      continue
    }
    const due = rate > 0 ? startMs + (next * 1000) / rate : 0
    if (t < due) {
      await pause(Math.min(50, due - t, retryWait))
      continue
    }
    const first = next
    next = Math.min(count, first + batch)
    send(Array.from({ length: next - first }, (_, k) => first + k))
  }
  const submitEnd = now()
  // Outstanding submissions and the drain share one bounded window.
  while (inFlight > 0 && now() < submitEnd + config.drainMs) {
    await new Promise((r) => setTimeout(r, 5))
  }
  const endSubmitMs = now()
  await drain(submitEnd)
  polling = false
  stopFollowing()
  const endMs = now()
  console.log(`END ${endMs}`)
  sub.close()
  const statusCounts: Record<string, number> = {}
  const sent = records.filter((r): r is TxRecord => r !== undefined)
  for (const r of sent) statusCounts[String(r[2])] = (statusCounts[String(r[2])] ?? 0) + 1
  const result: LoadResult = {
    txs: sent,
    heights: [...heights.entries()],
    polled: [...polled.entries()],
    startMs,
    endSubmitMs,
    endMs,
    statusCounts,
    retried,
    firstErrors: sub.errors,
  }
  writeFileSync(config.outFile, JSON.stringify(result))
}

/** Waits until every node's mempool is empty and node 0 committed one more height (bounded). */
async function drain(since: number): Promise<void> {
  const deadline = since + config.drainMs
  while (now() < deadline) {
    const all = await Promise.all(config.urls.map((u) => pollOnce(u).catch(() => null)))
    if (all.every((h) => h !== null && h.mempoolTxs === 0)) {
      const target = (latestHealth?.height ?? 0) + 1
      while (now() < deadline && (latestHealth?.height ?? 0) < target) {
        await new Promise((r) => setTimeout(r, 20))
      }
      return
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}

await run()
