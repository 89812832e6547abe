/**
 * Goal: the libsecp256k1 verifier (inline and the worker-thread pool) gives the same answers as
 * noble, in job order, for valid, invalid, high-S, out-of-range and garbage jobs, with 1 and 2
 * workers; so does the check of consensus signatures. After a worker dies (an error, or an exit
 * without one), every batch in flight and every later one fails with VERIFY_WORKER_FAILED instead of
 * waiting forever, and `close()` settles the batches in flight; answers that arrive for a batch
 * already failed are dropped (no uncaught exception).
 * Method: a fixed mix of jobs from fixed keys; compare the verifiers' results with noble's
 * verifyDigest, which is the pure core's rule. A worker is made to throw by a message the pool never
 * sends (a stand-in for any uncaught error: out of memory, a WebAssembly trap outside the try), or
 * is terminated from outside (an exit without error); each wait is bounded, so a batch that never
 * settles fails the test instead of hanging it.
 */
import type { Worker } from 'node:worker_threads'
import { afterAll, describe, expect, it } from 'vitest'
import { hashTagged } from '../../../src/codec/hash.ts'
import { CURVE_ORDER, signDigest, toHighS, verifyDigest } from '../../../src/crypto/secp256k1.ts'
import type { VerifyJob } from '../../../src/crypto/verifier.ts'
import { nobleVerifier } from '../../../src/crypto/verifier.ts'
import { voteDigest } from '../../../src/consensus/messages.ts'
import {
  inlineFastVerifier,
  verifyConsensusDigest,
  VerifierPool,
} from '../../../src/node/verifier.ts'
import { fromHex, utf8 } from '../../../src/util/bytes.ts'
import { testKey } from '../../support/fixtures.ts'

const scalar = (n: bigint): Uint8Array => fromHex(n.toString(16).padStart(64, '0'))

/** `signature` with r (or s) replaced by `value`. */
function withPart(signature: Uint8Array, part: 'r' | 's', value: bigint): Uint8Array {
  const out = Uint8Array.from(signature)
  out.set(scalar(value), part === 'r' ? 0 : 32)
  return out
}

// A compressed key whose x has no point on the curve (x = 5: 5³ + 7 = 132 is not a square mod p).
const NOT_ON_CURVE = Uint8Array.of(2, ...scalar(5n))

function jobs(count: number): VerifyJob[] {
  const out: VerifyJob[] = []
  for (let i = 0; i < count; i++) {
    const key = testKey(`pool-${i % 7}`)
    const digest = hashTagged('tx', utf8(`message ${i}`))
    const good = signDigest(digest, key.secretKey)
    const uncompressed = Uint8Array.of(4, ...key.publicKey.subarray(1), ...new Uint8Array(32))
    const variants: VerifyJob[] = [
      { publicKey: key.publicKey, digest, signature: good },
      { publicKey: key.publicKey, digest, signature: toHighS(good) },
      { publicKey: testKey('other').publicKey, digest, signature: good },
      { publicKey: new Uint8Array(33).fill(7), digest, signature: good },
      { publicKey: key.publicKey, digest, signature: new Uint8Array(64) },
      { publicKey: NOT_ON_CURVE, digest, signature: good },
      { publicKey: uncompressed, digest, signature: good },
      { publicKey: key.publicKey.subarray(0, 32), digest, signature: good },
      { publicKey: key.publicKey, digest, signature: good.subarray(0, 63) },
      { publicKey: key.publicKey, digest, signature: withPart(good, 'r', 0n) },
      { publicKey: key.publicKey, digest, signature: withPart(good, 's', 0n) },
      { publicKey: key.publicKey, digest, signature: withPart(good, 'r', CURVE_ORDER) },
      { publicKey: key.publicKey, digest, signature: withPart(good, 'r', CURVE_ORDER + 1n) },
      { publicKey: key.publicKey, digest, signature: withPart(good, 'r', (1n << 256n) - 1n) },
      { publicKey: key.publicKey, digest, signature: withPart(good, 's', CURVE_ORDER) },
      { publicKey: key.publicKey, digest: hashTagged('tx', utf8(`other ${i}`)), signature: good },
    ]
    out.push(variants[i % variants.length]!)
  }
  return out
}

const pools: VerifierPool[] = []
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()))
})

describe('verifier pool', () => {
  const input = jobs(640)
  const expected = input.map((j) => verifyDigest(j.signature, j.digest, j.publicKey))

  it('the fixture mixes valid and invalid jobs', () => {
    // One variant in 16 is valid.
    expect(expected.filter(Boolean).length).toBe(40)
  })

  for (const size of [1, 2]) {
    it(`agrees with noble with ${size} worker(s)`, async () => {
      const pool = new VerifierPool(size)
      pools.push(pool)
      expect(await pool.verifyBatch(input)).toEqual(expected)
      expect(await pool.verifyBatch([])).toEqual([])
    })
  }

  it('the inline libsecp256k1 and noble verifiers agree too', async () => {
    expect(await inlineFastVerifier.verifyBatch(input)).toEqual(expected)
    expect(await nobleVerifier.verifyBatch(input.slice(0, 50))).toEqual(expected.slice(0, 50))
  })

  it('refuses work after close', async () => {
    const pool = new VerifierPool(1)
    await pool.close()
    await expect(pool.verifyBatch(input.slice(0, 1))).rejects.toThrow(/closed/)
  })
})

describe('verifyConsensusDigest (libsecp256k1)', () => {
  it('gives noble’s answer on votes: valid, high-S, wrong key, garbage, short, copied digest', () => {
    let checked = 0
    for (let i = 0; i < 60; i++) {
      const key = testKey(`vote-${i % 4}`)
      const payload = {
        type: i % 2 === 0 ? ('prepare' as const) : ('commit' as const),
        chainId: 'pointsnode-test',
        height: i + 1,
        round: i % 3,
        blockHash: hashTagged('header', utf8(`block ${i}`)),
      }
      const digest = voteDigest(payload)
      const good = signDigest(digest, key.secretKey)
      const cases: [Uint8Array, Uint8Array, Uint8Array][] = [
        [good, digest, key.publicKey],
        [toHighS(good), digest, key.publicKey],
        [good, digest, testKey('someone else').publicKey],
        [new Uint8Array(64).fill(i + 1), digest, key.publicKey],
        [good, digest, new Uint8Array(33).fill(7)],
        [good.subarray(0, 63), digest, key.publicKey],
        // A copy of the digest (no memo of the message module knows it) verifies the same.
        [good, Uint8Array.from(digest), key.publicKey],
        [good, digest.subarray(0, 31), key.publicKey],
      ]
      for (const [signature, d, publicKey] of cases) {
        expect(verifyConsensusDigest(signature, d, publicKey), `vote ${i}`).toBe(
          verifyDigest(signature, d, publicKey),
        )
        checked++
      }
      expect(verifyConsensusDigest(good, digest, key.publicKey)).toBe(true)
    }
    expect(checked).toBe(480)
  })
})

/** The pool's `index`th worker thread (private: the pool never lets one go). */
function workerOf(pool: VerifierPool, index: number): Worker {
  return (pool as unknown as { workers: Worker[] }).workers[index]!
}

/** `promise`, or a rejection naming `what` after `ms`: a hung batch fails the test quickly. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${what}: not settled after ${ms} ms`))
      }, ms)
      timer.unref()
    }),
  ])
}

/** Resolves once `worker` has answered `count` requests (after the pool's own listener ran). */
function answered(worker: Worker, count: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0
    const listener = (message: object): void => {
      if ('id' in message && ++seen === count) {
        worker.off('message', listener)
        resolve()
      }
    }
    worker.on('message', listener)
  })
}

/** Stops worker `index`: it throws (an 'error', then an 'exit'), or is terminated (an 'exit'). */
function stopWorker(pool: VerifierPool, index: number, how: 'error' | 'exit'): Promise<unknown> {
  const worker = workerOf(pool, index)
  const exited = new Promise((resolve) => worker.once('exit', resolve))
  if (how === 'error') worker.postMessage({ id: -1, buffer: null, count: 1 })
  else void worker.terminate()
  return exited
}

describe('verifier pool after a worker fails', () => {
  const key = testKey('crash')
  const digest = hashTagged('tx', utf8('crash'))
  const good: VerifyJob = {
    publicKey: key.publicKey,
    digest,
    signature: signDigest(digest, key.secretKey),
  }
  // Four chunks of WORKER_CHUNK_JOBS_MAX: two for each of two workers, some ms of work each.
  const heavy: VerifyJob[] = Array.from({ length: 1024 }, () => good)
  const failed = { code: 'VERIFY_WORKER_FAILED' }

  for (const size of [1, 2]) {
    for (const how of ['error', 'exit'] as const) {
      it(`${size} worker(s), worker 0's ${how}: the batch in flight and every later one fail`, async () => {
        const pool = new VerifierPool(size)
        pools.push(pool)
        expect(await pool.verifyBatch([good, good])).toEqual([true, true])
        // Worker 1 is still busy with its two chunks when worker 0 dies: its answers come after the
        // pool failed their batch, and are dropped.
        const healthyAnswered = size === 2 ? answered(workerOf(pool, 1), 2) : Promise.resolve()
        const exited = stopWorker(pool, 0, how)
        const inFlight = pool.verifyBatch(heavy)
        await expect(within(inFlight, 5000, 'batch in flight')).rejects.toMatchObject(failed)
        await within(exited, 5000, 'worker exit')
        for (let i = 0; i < 4; i++) {
          const later = within(pool.verifyBatch([good]), 5000, `later batch ${i}`)
          await expect(later, `later batch ${i}`).rejects.toMatchObject(failed)
        }
        await within(healthyAnswered, 5000, 'answers of the healthy worker')
      })
    }
  }

  it('tells its failure listener once, when a worker dies, and never for close()', async () => {
    const failures: unknown[] = []
    const pool = new VerifierPool(2)
    pools.push(pool)
    pool.onFailure((error) => failures.push(error))
    await within(stopWorker(pool, 0, 'exit'), 5000, 'worker exit')
    await within(stopWorker(pool, 1, 'exit'), 5000, 'second worker exit')
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatchObject(failed)
    // A listener that comes after the failure is told at once.
    const late = new VerifierPool(1)
    await within(stopWorker(late, 0, 'exit'), 5000, 'worker exit')
    const told: unknown[] = []
    late.onFailure((error) => told.push(error))
    expect(told).toHaveLength(1)
    await late.close()
    const closed = new VerifierPool(1)
    const none: unknown[] = []
    closed.onFailure((error) => none.push(error))
    await closed.close()
    expect(none).toEqual([])
  })

  it('close() settles the batches in flight, and answers after it are dropped', async () => {
    const pool = new VerifierPool(1)
    expect(await pool.verifyBatch([good])).toEqual([true])
    const lateAnswer = answered(workerOf(pool, 0), 1)
    const inFlight = [pool.verifyBatch([good]), pool.verifyBatch(heavy)]
    // Block this thread while the worker answers the one-job batch: the answer waits here and
    // arrives after close() failed its batch.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200)
    const closing = pool.close()
    for (const [i, batch] of inFlight.entries()) {
      await expect(within(batch, 5000, `batch ${i}`), `batch ${i}`).rejects.toMatchObject({
        code: 'VERIFY_POOL_CLOSED',
      })
    }
    await within(lateAnswer, 5000, 'the answer queued before close')
    await within(closing, 5000, 'close')
  })
})
