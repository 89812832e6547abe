/**
 * Fast secp256k1 verification on node:crypto, inline or on a pool of worker threads, behind the
 * pure core's `Verifier` interface. Spec: SPEC.md section 6; docs/adr/0001-codec-and-signatures.md.
 *
 * node:crypto verifies ECDSA about 8x faster than pure JS, but it hashes its input itself and
 * accepts high-S signatures. So jobs carry the preimage (`tag ‖ message`) and the low-S rule is
 * checked here before OpenSSL sees the signature. Must not be imported by the pure core.
 */
import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto'
import { Worker } from 'node:worker_threads'
import { preimageOfDigest } from '../consensus/messages.ts'
import { isLowS, verifyDigest } from '../crypto/secp256k1.ts'
import type { Verifier, VerifyJob } from '../crypto/verifier.ts'
import { assert } from '../util/assert.ts'
import { NodeError } from '../util/errors.ts'

/** SPKI DER prefix of a 33-byte compressed secp256k1 public key. */
const SPKI33_PREFIX = Buffer.from('3036301006072a8648ce3d020106052b8104000a032200', 'hex')
/** Public keys whose imported KeyObject is kept (import costs ~40% of a verification). */
export const KEY_CACHE_SIZE_MAX = 65_536
/** Jobs per message to a worker: large enough to amortise the message, small enough to spread. */
export const WORKER_CHUNK_JOBS_MAX = 256
/** Verify jobs in flight across the pool before `verifyBatch` callers wait. */
export const VERIFY_QUEUE_JOBS_MAX = 200_000

/** A public-key cache with least-recently-inserted eviction (bounded). */
class KeyCache {
  private readonly keys = new Map<string, KeyObject>()

  get(publicKey: Uint8Array): KeyObject {
    const id = Buffer.from(publicKey).toString('hex')
    let key = this.keys.get(id)
    if (!key) {
      key = createPublicKey({
        key: Buffer.concat([SPKI33_PREFIX, publicKey]),
        format: 'der',
        type: 'spki',
      })
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

/** Verifies one job on this thread with node:crypto. Never throws on bad input. */
export function verifyJobNode(job: VerifyJob): boolean {
  if (job.publicKey.length !== 33 || !isLowS(job.signature)) return false
  try {
    const key = inlineKeys.get(job.publicKey)
    return cryptoVerify('sha256', job.preimage, { key, dsaEncoding: 'ieee-p1363' }, job.signature)
  } catch {
    // Not a point on the curve, or an unparsable key: the signature is invalid.
    return false
  }
}

/**
 * The consensus engine's signature check (`VerifyDigest`) on node:crypto, about 7x faster than noble:
 * votes, proposals, round changes and commit seals carry digests whose preimage the message module
 * kept (`preimageOfDigest`), and node:crypto verifies over that preimage. Any other digest is
 * checked by noble. Both accept exactly the valid low-S signatures (tested against each other).
 */
export function verifyConsensusDigest(
  signature: Uint8Array,
  digest: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  const preimage = preimageOfDigest(digest)
  if (!preimage) return verifyDigest(signature, digest, publicKey)
  if (signature.length !== 64 || digest.length !== 32) return false
  return verifyJobNode({ publicKey, digest, preimage, signature })
}

/** Verifies on the calling thread with node:crypto. */
export const inlineNodeVerifier: Verifier = {
  verifyBatch: (jobs) => Promise.resolve(jobs.map((job) => verifyJobNode(job))),
}

// The worker's source is plain JavaScript so that it runs without a TypeScript loader in any host
// (tsx, vitest, a compiled build). It repeats verifyJobNode's logic over a packed batch. Its first
// message is its Linux thread id (as thread-cpu.ts's currentThreadId reads it; null elsewhere), so
// that the node can report the verifiers' CPU time apart from the rest of the process.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createPublicKey, verify } = require('node:crypto')
let tid = null
try {
  const link = require('node:fs').readlinkSync('/proc/thread-self')
  const n = Number(link.slice(link.lastIndexOf('/') + 1))
  if (Number.isSafeInteger(n) && n > 0) tid = n
} catch {}
parentPort.postMessage({ tid })
const PREFIX = Buffer.from('${SPKI33_PREFIX.toString('hex')}', 'hex')
const HALF_N = ${(0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n >> 1n).toString()}n
const keys = new Map()
function keyOf(pub) {
  const id = pub.toString('hex')
  let k = keys.get(id)
  if (!k) {
    k = createPublicKey({ key: Buffer.concat([PREFIX, pub]), format: 'der', type: 'spki' })
    if (keys.size >= ${KEY_CACHE_SIZE_MAX}) keys.delete(keys.keys().next().value)
    keys.set(id, k)
  }
  return k
}
parentPort.on('message', ({ id, buffer, count }) => {
  const data = Buffer.from(buffer)
  const out = new Uint8Array(count)
  let at = 0
  for (let i = 0; i < count; i++) {
    const pub = data.subarray(at, at + 33); at += 33
    const sig = data.subarray(at, at + 64); at += 64
    const len = data.readUInt32BE(at); at += 4
    const pre = data.subarray(at, at + len); at += len
    const s = BigInt('0x' + sig.subarray(32).toString('hex'))
    if (s === 0n || s > HALF_N) continue
    try { out[i] = verify('sha256', pre, { key: keyOf(pub), dsaEncoding: 'ieee-p1363' }, sig) ? 1 : 0 } catch { out[i] = 0 }
  }
  parentPort.postMessage({ id, result: out }, [out.buffer])
})
`

function packJobs(jobs: readonly VerifyJob[]): ArrayBuffer {
  assert(jobs.length > 0, 'packing an empty batch')
  let size = 0
  for (const job of jobs) size += 33 + 64 + 4 + job.preimage.length
  const out = Buffer.alloc(size)
  let at = 0
  for (const job of jobs) {
    // A malformed key or signature is packed zero-filled: the worker then rejects it.
    if (job.publicKey.length === 33) out.set(job.publicKey, at)
    if (job.signature.length === 64) out.set(job.signature, at + 33)
    at += 97
    at = out.writeUInt32BE(job.preimage.length, at)
    out.set(job.preimage, at)
    at += job.preimage.length
  }
  assert(at === size, `packed ${at} of ${size} bytes`)
  return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength)
}

interface Pending {
  readonly resolve: (result: Uint8Array) => void
  readonly reject: (error: Error) => void
}

/** A worker's messages: its thread id once at start, then one answer per request. */
type WorkerMessage =
  { readonly tid: number | null } | { readonly id: number; readonly result: Uint8Array }

/** A pool of worker threads verifying with node:crypto. Call `close()` when done. */
export class VerifierPool implements Verifier {
  private readonly workers: Worker[] = []
  private readonly pending = new Map<number, Pending>()
  private nextId = 0
  private nextWorker = 0
  private closed = false
  private readonly tids: number[] = []

  /** Starts `size` workers (at least 1). */
  constructor(size: number) {
    assert(Number.isInteger(size) && size >= 1 && size <= 64, `pool size ${size}`)
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true })
      worker.on('message', (message: WorkerMessage) => {
        if ('tid' in message) {
          if (message.tid !== null) this.tids.push(message.tid)
          return
        }
        const entry = this.pending.get(message.id)
        assert(entry, `worker answered unknown request ${message.id}`)
        this.pending.delete(message.id)
        if (this.pending.size === 0) this.setRef(false)
        entry.resolve(message.result)
      })
      worker.on('error', (cause) => {
        this.failAll(new NodeError('VERIFY_WORKER_FAILED', 'verifier worker crashed', { cause }))
      })
      worker.unref()
      this.workers.push(worker)
    }
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

  /** Verifies `jobs` across the workers; results in job order. */
  async verifyBatch(jobs: readonly VerifyJob[]): Promise<boolean[]> {
    if (this.closed) throw new NodeError('VERIFY_POOL_CLOSED', 'verifier pool is closed')
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

  private send(jobs: readonly VerifyJob[]): Promise<Uint8Array> {
    if (this.pending.size === 0) this.setRef(true)
    const id = this.nextId++
    const worker = this.workers[this.nextWorker++ % this.workers.length]!
    const buffer = packJobs(jobs)
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      worker.postMessage({ id, buffer, count: jobs.length }, [buffer])
    })
  }

  private failAll(error: Error): void {
    for (const entry of this.pending.values()) entry.reject(error)
    this.pending.clear()
  }

  /** Stops the workers; pending batches fail. */
  async close(): Promise<void> {
    this.closed = true
    this.failAll(new NodeError('VERIFY_POOL_CLOSED', 'verifier pool closed'))
    await Promise.all(this.workers.map((w) => w.terminate()))
  }
}
