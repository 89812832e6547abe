/**
 * Goal: the per-thread CPU readers give the right fields of a /proc stat line, refuse malformed
 * ones, and on Linux follow the thread that burns CPU and not the others: the test thread's time
 * grows while it spins and idle verifier workers' does not; the workers' grows when they verify.
 * Method: hand-written stat lines (proc(5) field numbers); on Linux, a spin loop on this thread and
 * a batch on a two-worker pool, read before and after (deadline polls, no sleeps).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { hashTagged } from '../../../src/codec/hash.ts'
import { signDigest } from '../../../src/crypto/secp256k1.ts'
import type { VerifyJob } from '../../../src/crypto/verifier.ts'
import {
  currentThreadId,
  readThreadCpu,
  statCpuTicks,
  threadCpuSeconds,
} from '../../../src/node/thread-cpu.ts'
import { VerifierPool } from '../../../src/node/verifier.ts'
import { utf8 } from '../../../src/util/bytes.ts'
import { until } from '../../support/cluster.ts'
import { testKey } from '../../support/fixtures.ts'

/** A stat line as proc(5) lays it out: pid, (comm), state, then fields 4.. in order. */
function statLine(comm: string, utime: string, stime: string): string {
  // Fields 4..13 (ppid … cmajflt), then utime (14), stime (15), then 16.. (cutime …).
  const before = ['1', '100', '100', '0', '-1', '4194560', '3000', '0', '12', '0']
  const after = ['0', '0', '20', '0', '9', '0', '12345', '1000000', '500']
  return `4321 (${comm}) R ${[...before, utime, stime, ...after].join(' ')}\n`
}

describe('statCpuTicks', () => {
  it('adds utime (field 14) and stime (field 15)', () => {
    expect(statCpuTicks(statLine('node', '250', '37'))).toBe(287)
    expect(statCpuTicks(statLine('node', '0', '0'))).toBe(0)
  })

  it('reads past a command name with spaces and parentheses', () => {
    expect(statCpuTicks(statLine('a) b (c', '7', '5'))).toBe(12)
  })

  it('refuses a line without a command, with too few fields or with non-numeric times', () => {
    expect(statCpuTicks('4321 node R 1 2 3')).toBeNull()
    expect(statCpuTicks('4321 (node) R 1 100 100 0')).toBeNull()
    expect(statCpuTicks(statLine('node', 'x', '37'))).toBeNull()
    expect(statCpuTicks(statLine('node', '250', '-1'))).toBeNull()
    expect(statCpuTicks(statLine('node', '2.5', '1'))).toBeNull()
  })

  it('reads nothing for a thread that does not exist', () => {
    expect(threadCpuSeconds(2 ** 31 - 1)).toBeNull()
  })
})

function spinUntil(done: () => boolean, limitMs: number): void {
  const end = performance.now() + limitMs
  let x = 0
  while (!done() && performance.now() < end) for (let i = 0; i < 100_000; i++) x = (x + i) | 0
  expect(x).not.toBeNaN()
}

function jobs(count: number): VerifyJob[] {
  const key = testKey('thread-cpu')
  return Array.from({ length: count }, (_, i) => {
    const message = utf8(`thread cpu ${i}`)
    const digest = hashTagged('tx', message)
    const signature = signDigest(digest, key.secretKey)
    return { publicKey: key.publicKey, digest, signature }
  })
}

describe.runIf(process.platform === 'linux')('thread CPU on Linux', () => {
  const pool = new VerifierPool(2)
  afterAll(() => pool.close())

  it('each worker reports its own thread id, distinct from the caller’s', async () => {
    const tids = await until('two worker thread ids', () =>
      Promise.resolve(pool.threadIds().length === 2 ? [...pool.threadIds()] : undefined),
    )
    const own = currentThreadId()
    expect(own).not.toBeNull()
    expect(new Set([...tids, own]).size).toBe(3)
    for (const tid of tids) expect(threadCpuSeconds(tid)).toBeGreaterThanOrEqual(0)
  })

  it('follows the thread that spins, not the idle workers', async () => {
    await until('worker ids', () => Promise.resolve(pool.threadIds().length === 2 || undefined))
    const own = currentThreadId()!
    const before = readThreadCpu(own, pool.threadIds())!
    // The same subtraction in the loop and in the check: the readings are whole ticks ÷ 100.
    const spun = (): number => (threadCpuSeconds(own) ?? 0) - before.main
    spinUntil(() => spun() >= 0.2, 20_000)
    const after = readThreadCpu(own, pool.threadIds())!
    expect(after.main - before.main).toBeGreaterThanOrEqual(0.2)
    // The workers only waited for messages meanwhile.
    expect(after.verifier - before.verifier).toBeLessThan(0.05)
  })

  it('counts the verification work under the workers', async () => {
    await until('worker ids', () => Promise.resolve(pool.threadIds().length === 2 || undefined))
    const own = currentThreadId()!
    const batch = jobs(300)
    const before = readThreadCpu(own, pool.threadIds())!
    let verified = 0
    // Verifying 300 signatures takes about 0.1 s of worker CPU; repeat until the workers show it.
    const after = await until(
      'worker CPU time',
      async () => {
        const results = await pool.verifyBatch(batch)
        verified += results.filter(Boolean).length
        const now = readThreadCpu(own, pool.threadIds())!
        return now.verifier - before.verifier >= 0.1 ? now : undefined
      },
      60_000,
      0,
    )
    expect(after.verifier - before.verifier).toBeGreaterThanOrEqual(0.1)
    expect(verified % 300).toBe(0)
    expect(verified).toBeGreaterThan(0)
  })
})
