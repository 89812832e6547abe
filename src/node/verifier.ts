/**
 * Fast secp256k1 verification with libsecp256k1 (the `tiny-secp256k1` WebAssembly build), inline or
 * on a pool of worker threads, behind the pure core's `Verifier` interface. Spec: SPEC.md section 6;
 * docs/adr/0001-codec-and-signatures.md, docs/adr/0075-libsecp256k1-verifier.md.
 *
 * libsecp256k1 verifies about 1.5x faster than node:crypto (OpenSSL's generic curve code) and about
 * 12x faster than noble on this machine (`npm run bench:crypto`), and it checks the signature over the
 * 32-byte digest itself, so no preimage is carried. In strict mode it accepts exactly the low-S
 * signatures, the rule of docs/protocol/encoding.md; the low-S check is also made here first. Must
 * not be imported by the pure core.
 */
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import * as ecc from 'tiny-secp256k1'
import { isLowS } from '../crypto/secp256k1.ts'
import type { Verifier, VerifyJob } from '../crypto/verifier.ts'
import { assert } from '../util/assert.ts'
import { NodeError } from '../util/errors.ts'

/** Public keys kept in uncompressed form (saves the square root of each key's decompression). */
export const KEY_CACHE_SIZE_MAX = 65_536
/** Jobs per message to a worker: large enough to amortise the message, small enough to spread. */
export const WORKER_CHUNK_JOBS_MAX = 256
/** Verify jobs in flight across the pool before `verifyBatch` callers wait. */
export const VERIFY_QUEUE_JOBS_MAX = 200_000

/** Bytes of one packed job: compressed key, compact signature, digest. */
const JOB_BYTES = 33 + 64 + 32

/**
 * Compressed 33-byte keys to their 65-byte uncompressed form, which libsecp256k1 parses without a
 * square root (about 12 % of a verification). Bounded, least-recently-inserted out; a key that is
 * not a curve point is not kept.
 */
class KeyCache {
  private readonly keys = new Map<string, Uint8Array>()

  /** The uncompressed key, or null when `publicKey` is not a compressed curve point. */
  get(publicKey: Uint8Array): Uint8Array | null {
    const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, 33).toString('hex')
    let key = this.keys.get(id)
    if (!key) {
      try {
        key = ecc.pointCompress(publicKey, false)
      } catch {
        return null
      }
      if (this.keys.size >= KEY_CACHE_SIZE_MAX) {
        const oldest = this.keys.keys().next().value
        if (oldest !== undefined) this.keys.delete(oldest)
      }
      this.keys.set(id, key)
    }
    return key
  }
}

const inlineKeys = new KeyCache()

/** Verifies one job on this thread with libsecp256k1. Never throws on bad input. */
export function verifyJobFast(job: VerifyJob): boolean {
  const { publicKey, digest, signature } = job
  if (publicKey.length !== 33 || digest.length !== 32 || signature.length !== 64) return false
  if (publicKey[0] !== 2 && publicKey[0] !== 3) return false
  if (!isLowS(signature)) return false
  const key = inlineKeys.get(publicKey)
  if (key === null) return false
  try {
    return ecc.verify(digest, key, signature, true)
  } catch {
    // r or s out of range: the signature is invalid.
    return false
  }
}

/**
 * The consensus engine's signature check (`VerifyDigest`) on libsecp256k1, about 12x faster than
 * noble: votes, proposals, round changes and commit seals. Accepts exactly what noble's
 * `verifyDigest` accepts (tested against it).
 */
export function verifyConsensusDigest(
  signature: Uint8Array,
  digest: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  return verifyJobFast({ publicKey, digest, signature })
}

/** Verifies on the calling thread with libsecp256k1. */
export const inlineFastVerifier: Verifier = {
  verifyBatch: (jobs) => Promise.resolve(jobs.map((job) => verifyJobFast(job))),
}

// The CommonJS build of tiny-secp256k1, which the worker loads with `require` by absolute path.
const TINY_SECP256K1_CJS = createRequire(import.meta.url).resolve('tiny-secp256k1')

// The worker's source is plain JavaScript so that it runs without a TypeScript loader in any host
// (tsx, vitest, a compiled build). It repeats verifyJobFast's logic over a packed batch (the key
// cache included; zero-filled keys of malformed jobs fail the prefix check). Its first message is
// its Linux thread id (as thread-cpu.ts's currentThreadId reads it; null elsewhere), so that the
// node can report the verifiers' CPU time apart from the rest of the process.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const ecc = require(${JSON.stringify(TINY_SECP256K1_CJS)})
let tid = null
try {
  const link = require('node:fs').readlinkSync('/proc/thread-self')
  const n = Number(link.slice(link.lastIndexOf('/') + 1))
  if (Number.isSafeInteger(n) && n > 0) tid = n
} catch {}
parentPort.postMessage({ tid })
const keys = new Map()
function keyOf(pub) {
  const id = pub.toString('hex')
  let k = keys.get(id)
  if (k === undefined) {
    try { k = ecc.pointCompress(pub, false) } catch { return null }
    if (keys.size >= ${KEY_CACHE_SIZE_MAX}) keys.delete(keys.keys().next().value)
    keys.set(id, k)
  }
  return k
}
parentPort.on('message', ({ id, buffer, count }) => {
  const data = Buffer.from(buffer)
  const out = new Uint8Array(count)
  for (let i = 0, at = 0; i < count; i++, at += ${JOB_BYTES}) {
    const pub = data.subarray(at, at + 33)
    if (pub[0] !== 2 && pub[0] !== 3) continue
    const key = keyOf(pub)
    if (key === null) continue
    const sig = data.subarray(at + 33, at + 97)
    const digest = data.subarray(at + 97, at + ${JOB_BYTES})
    // Strict: high-S signatures are refused, as verifyJobFast's isLowS refuses them.
    try { out[i] = ecc.verify(digest, key, sig, true) ? 1 : 0 } catch { out[i] = 0 }
  }
  parentPort.postMessage({ id, result: out }, [out.buffer])
})
`

function packJobs(jobs: readonly VerifyJob[]): ArrayBuffer {
  assert(jobs.length > 0, 'packing an empty batch')
  const out = new Uint8Array(jobs.length * JOB_BYTES)
  let at = 0
  for (const job of jobs) {
    // The digest is always computed by this node; a malformed key or signature is packed
    // zero-filled, and the worker then rejects it (a zero key byte is no point prefix).
    assert(job.digest.length === 32, `digest of ${job.digest.length} bytes`)
    const wellFormed = job.publicKey.length === 33 && job.signature.length === 64
    if (wellFormed) {
      out.set(job.publicKey, at)
      out.set(job.signature, at + 33)
    }
    out.set(job.digest, at + 97)
    at += JOB_BYTES
  }
  return out.buffer
}

interface Pending {
  readonly resolve: (result: Uint8Array) => void
  readonly reject: (error: Error) => void
}

/** A worker's messages: its thread id once at start, then one answer per request. */
type WorkerMessage =
  { readonly tid: number | null } | { readonly id: number; readonly result: Uint8Array }

/**
 * A pool of worker threads verifying with libsecp256k1. Call `close()` when done.
 *
 * Fail-stop (docs/adr/0075-libsecp256k1-verifier.md, addendum): when a worker dies (an `error`, an
 * `exit` that `close()` did not cause, or an answer that cannot be read), the pool is failed: every
 * batch in flight, on any worker, and every later one rejects with `VERIFY_WORKER_FAILED`, so the
 * node stops instead of waiting forever for an answer that will never come.
 */
export class VerifierPool implements Verifier {
  private readonly workers: Worker[] = []
  /** The requests each worker owes an answer to, by request id (same index as `workers`). */
  private readonly pending: Map<number, Pending>[] = []
  private nextId = 0
  private nextWorker = 0
  private closed = false
  /** Set once a worker died; every batch from then on fails with it. */
  private failure: NodeError | null = null
  /** Told once, when the pool fails (not when it is closed). */
  private failureListener: ((error: NodeError) => void) | null = null
  private readonly tids: number[] = []

  /** Starts `size` workers (at least 1). */
  constructor(size: number) {
    assert(Number.isInteger(size) && size >= 1 && size <= 64, `pool size ${size}`)
    for (let i = 0; i < size; i++) this.start(i)
  }

  private start(index: number): void {
    const worker = new Worker(WORKER_SOURCE, { eval: true })
    const pending = new Map<number, Pending>()
    worker.on('message', (message: WorkerMessage) => {
      this.onMessage(pending, message)
    })
    worker.on('error', (cause) => {
      this.fail(
        new NodeError('VERIFY_WORKER_FAILED', `verifier worker ${index} crashed`, { cause }),
      )
    })
    worker.on('messageerror', (cause) => {
      const message = `verifier worker ${index} sent an unreadable answer`
      this.fail(new NodeError('VERIFY_WORKER_FAILED', message, { cause }))
    })
    worker.on('exit', (code) => {
      const message = `verifier worker ${index} exited with code ${code}`
      this.fail(new NodeError('VERIFY_WORKER_FAILED', message))
    })
    worker.unref()
    this.workers.push(worker)
    this.pending.push(pending)
  }

  private onMessage(pending: Map<number, Pending>, message: WorkerMessage): void {
    if ('tid' in message) {
      if (message.tid !== null) this.tids.push(message.tid)
      return
    }
    const entry = pending.get(message.id)
    if (!entry) {
      // Its batch was already failed, by close() or by the death of a worker: the answer is late.
      assert(this.closed || this.failure, `worker answered unknown request ${message.id}`)
      return
    }
    pending.delete(message.id)
    if (this.owed() === 0) this.setRef(false)
    entry.resolve(message.result)
  }

  /** Number of worker threads. */
  get size(): number {
    return this.workers.length
  }

  /**
   * Linux thread ids of the workers that have started and reported one (none off Linux), for
   * `readThreadCpu` (src/node/thread-cpu.ts).
   */
  threadIds(): readonly number[] {
    return this.tids
  }

  /**
   * Verifies `jobs` across the workers; results in job order.
   * @throws {NodeError} `VERIFY_POOL_CLOSED` once `close()` was called, `VERIFY_WORKER_FAILED` once
   * a worker died (also for a batch in flight then), `VERIFY_QUEUE_FULL` above
   * VERIFY_QUEUE_JOBS_MAX jobs.
   */
  async verifyBatch(jobs: readonly VerifyJob[]): Promise<boolean[]> {
    if (this.closed) throw new NodeError('VERIFY_POOL_CLOSED', 'verifier pool is closed')
    if (this.failure) throw this.failure
    if (jobs.length > VERIFY_QUEUE_JOBS_MAX) {
      throw new NodeError('VERIFY_QUEUE_FULL', `${jobs.length} jobs > ${VERIFY_QUEUE_JOBS_MAX}`)
    }
    const chunkSize = Math.min(
      WORKER_CHUNK_JOBS_MAX,
      Math.max(1, Math.ceil(jobs.length / this.workers.length)),
    )
    const parts: Promise<Uint8Array>[] = []
    for (let start = 0; start < jobs.length; start += chunkSize) {
      parts.push(this.send(jobs.slice(start, start + chunkSize)))
    }
    const results = await Promise.all(parts)
    const out: boolean[] = []
    for (const part of results) for (const bit of part) out.push(bit === 1)
    assert(out.length === jobs.length, `got ${out.length} results for ${jobs.length} jobs`)
    return out
  }

  // Workers keep the process alive only while they owe an answer, so an idle pool never blocks exit.
  private setRef(on: boolean): void {
    for (const worker of this.workers) {
      if (on) worker.ref()
      else worker.unref()
    }
  }

  /** Requests the workers owe an answer to. */
  private owed(): number {
    let count = 0
    for (const pending of this.pending) count += pending.size
    return count
  }

  private send(jobs: readonly VerifyJob[]): Promise<Uint8Array> {
    assert(!this.closed && !this.failure, 'sending to a closed or failed pool')
    if (this.owed() === 0) this.setRef(true)
    const id = this.nextId++
    const index = this.nextWorker++ % this.workers.length
    const worker = this.workers[index]!
    const pending = this.pending[index]!
    const buffer = packJobs(jobs)
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject })
      worker.postMessage({ id, buffer, count: jobs.length }, [buffer])
    })
  }

  /**
   * A worker died: the pool is failed for good (the first cause is kept). A request posted to it
   * before its death was seen is among the ones failed here. An exit that `close()` caused is no
   * failure: close() has failed the batches itself.
   */
  private fail(error: NodeError): void {
    if (this.closed) return
    const first = this.failure === null
    this.failure ??= error
    this.failAll(this.failure)
    if (first) this.failureListener?.(this.failure)
  }

  /**
   * Calls `listener` once when the pool fails (a worker died), so that the node can stop at once
   * rather than at the next block that needs a verification. Not called for `close()`.
   */
  onFailure(listener: (error: NodeError) => void): void {
    assert(this.failureListener === null, 'one failure listener')
    this.failureListener = listener
    if (this.failure !== null) listener(this.failure)
  }

  private failAll(error: Error): void {
    for (const pending of this.pending) {
      for (const entry of pending.values()) entry.reject(error)
      pending.clear()
    }
    this.setRef(false)
  }

  /** Stops the workers; every pending batch fails with `VERIFY_POOL_CLOSED`. */
  async close(): Promise<void> {
    this.closed = true
    this.failAll(new NodeError('VERIFY_POOL_CLOSED', 'verifier pool closed'))
    await Promise.all(this.workers.map((w) => w.terminate()))
  }
}
