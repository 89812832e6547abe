/**
 * The server of `npm run bench:bound` (`bench/bound.ts`, never alone): the node's HTTP API
 * (`buildApi`, the same fastify app, hooks, limits and `POST /v1/txs/batch` route) in front of only
 * what every node must do with a submitted tx before anything else: decode it (canonical check and
 * tx id, `decodeSignedTx`), check it without state (`validateTxStatic`, low-S) and verify its
 * signature once on the node's `VerifierPool`. There is no mempool, consensus, execution, state
 * tree or ledger behind it: a tx is answered as admitted as soon as its signature verifies. The
 * rate at which it admits txs is therefore an upper bound on what a node built on this stack can
 * commit on this machine. Issue #9.
 *
 * Verify jobs are gathered per turn of the event loop and sent as one batch (the pool splits it
 * over its workers), as the mempool does; a bounded window keeps the workers fed without holding
 * more than `VERIFY_WINDOW` txs under way.
 *
 * argv[2]: verifier workers; argv[3]: chain id; argv[4]: how long each decoded tx is kept alive
 * after it arrived, in ms (0 by default; a pool holds its txs for a block interval or more, and
 * this shows what that live set costs the collector). Prints `listening at <url>` when it serves;
 * exports `pointsnode_thread_cpu_seconds_total` on `/metrics` like a node, so the bench splits its
 * CPU the same way.
 */
import '../src/polyfills.ts'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { buildApi } from '../src/api/build-api.ts'
import type { SubmitTx } from '../src/api/tx-batch.ts'
import type { SignedTx } from '../src/codec/tx.ts'
import type { VerifyJob } from '../src/crypto/verifier.ts'
import { threadCpuCounter } from '../src/node/metrics.ts'
import { currentThreadId, readThreadCpu } from '../src/node/thread-cpu.ts'
import { VerifierPool } from '../src/node/verifier.ts'
import { err, ok } from '../src/util/result.ts'
import { BOUND_HEIGHT, boundDoor } from './bound-door.ts'

/**
 * Verify jobs under way at most: as many as a node takes before it refuses submissions as busy
 * (SUBMIT_QUEUE_WINDOWS × its verify window of 1,024 with two workers), all of them at the pool,
 * so the workers are never short of work (a node keeps 1,024 at its pool and the rest queued).
 */
const VERIFY_WINDOW = 4096
/** Jobs per batch sent to the pool, which splits them into messages of WORKER_CHUNK_JOBS_MAX. */
const VERIFY_BATCH_MAX = 1024

type Admission = Awaited<ReturnType<SubmitTx>>

interface Waiting {
  readonly job: VerifyJob
  readonly txId: Uint8Array
  readonly resolve: (result: Admission) => void
}

const workers = Number(process.argv[2])
const chainId = process.argv[3] ?? ''
/** Each decoded tx is kept alive this long after it arrived, as a pool keeps it (0: not kept). */
const holdMs = Number(process.argv[4] ?? 0)
/** Decoded txs kept for `holdMs`, oldest first, with their arrival times. */
const held: { readonly at: number; readonly tx: SignedTx }[] = []

/** Keeps `tx` for `holdMs`; lets go of the ones kept longer, a thousand or more at a time. */
function hold(tx: SignedTx): void {
  if (holdMs <= 0) return
  const now = performance.now()
  held.push({ at: now, tx })
  let old = 0
  while (old < held.length && held[old]!.at < now - holdMs) old++
  if (old >= 1000) held.splice(0, old)
}

const pool = new VerifierPool(workers)
const waiting: Waiting[] = []
let underWay = 0
let flushQueued = false

function flush(): void {
  flushQueued = false
  while (waiting.length > 0 && underWay < VERIFY_WINDOW) {
    const batch = waiting.splice(0, Math.min(VERIFY_BATCH_MAX, VERIFY_WINDOW - underWay))
    underWay += batch.length
    pool.verifyBatch(batch.map((w) => w.job)).then(
      (results) => {
        underWay -= batch.length
        batch.forEach((w, i) => {
          w.resolve(
            results[i] === true
              ? ok({ txId: w.txId })
              : err({ code: 'TX_BAD_SIGNATURE', message: 'signature does not verify' }),
          )
        })
        flush()
      },
      (error: unknown) => {
        console.error(error)
        process.exit(1)
      },
    )
  }
}

const submitTx: SubmitTx = (bytes) => {
  const passed = boundDoor(bytes, chainId, BOUND_HEIGHT)
  if (!passed.ok) return Promise.resolve(err(passed.error))
  const { signed, job } = passed.value
  hold(signed)
  return new Promise((resolve) => {
    waiting.push({ job, txId: signed.txId, resolve })
    if (!flushQueued) {
      flushQueued = true
      queueMicrotask(flush)
    }
  })
}

const mainTid = currentThreadId()
const metrics = new Registry()
collectDefaultMetrics({ register: metrics })
threadCpuCounter(metrics, {
  threadCpu: () => (mainTid === null ? null : readThreadCpu(mainTid, pool.threadIds())),
})
const app = await buildApi({
  chainId,
  metrics,
  submitTx,
  // The bench's client sends from one address; the node's own limit is per client address.
  rateLimit: { max: 1_000_000, timeWindowMs: 60_000 },
  health: () => ({
    height: BOUND_HEIGHT,
    inSync: true,
    chainId,
    peers: 0,
    blockHash: '',
    stateRoot: '',
    mempoolTxs: underWay + waiting.length,
  }),
})
const url = await app.listen({ host: '127.0.0.1', port: 0 })
console.log(`listening at ${url}`)
process.once('SIGINT', () => {
  void app.close().then(() => pool.close())
})
