/**
 * Signed transfer txs for mempool tests: fixed keys, a salt per index, a chosen expiry height.
 */
import { signTx } from '../../src/crypto/tx-signature.ts'
import type { Verifier } from '../../src/crypto/verifier.ts'
import type { Tx } from '../../src/core/tx.ts'
import { Mempool, type MempoolConfig } from '../../src/node/mempool.ts'
import { sampleTx, testKey, type TestKey } from './fixtures.ts'

/** The chain id of the sample txs. */
export const TEST_CHAIN_ID = 'pointsnode-test'

/** A signed sample transfer by `signer`, distinct per `index`, valid until `expiresAtHeight`. */
export function signedTransfer(
  signer: TestKey,
  index: number,
  expiresAtHeight: number,
  overrides: Partial<Tx> = {},
): { signedBytes: Uint8Array; txId: Uint8Array; signature: Uint8Array } {
  const salt = Uint8Array.of(index >> 24, (index >> 16) & 255, (index >> 8) & 255, index & 255)
  const tx = { ...sampleTx('points.transfer', signer), salt, expiresAtHeight, ...overrides } as Tx
  const signed = signTx(tx, signer.secretKey)
  return { signedBytes: signed.signedBytes, txId: signed.txId, signature: signed.signature }
}

/** Fixed signer keys `mempool-0`, `mempool-1`, ... */
export function signers(count: number): TestKey[] {
  return Array.from({ length: count }, (_, i) => testKey(`mempool-${i}`))
}

/** `base` wrapped to record the size of every `verifyBatch` call (the verifier itself is real). */
export function countingVerifier(base: Verifier): Verifier & { calls: number[] } {
  const calls: number[] = []
  return {
    calls,
    verifyBatch: (jobs) => {
      calls.push(jobs.length)
      return base.verifyBatch(jobs)
    },
  }
}

/** One `verifyBatch` call held by a `gatedVerifier` until the test releases it. */
export interface HeldBatch {
  /** Hex digests of the call's jobs in order: a tx's signature digest is its tx id. */
  readonly txIds: readonly string[]
  /** Lets the call verify and answer. */
  release(): void
}

/**
 * `base` wrapped so that every `verifyBatch` call waits until the test releases it: the test sees
 * which signatures are at the verifier at once and in which order they were sent.
 */
export function gatedVerifier(base: Verifier): Verifier & { held: HeldBatch[] } {
  const held: HeldBatch[] = []
  return {
    held,
    verifyBatch: async (jobs) => {
      await new Promise<void>((release) => {
        held.push({ txIds: jobs.map((job) => Buffer.from(job.digest).toString('hex')), release })
      })
      return base.verifyBatch(jobs)
    },
  }
}

/**
 * A mempool of the sample chain whose verifier is `gatedVerifier(base)`; `heldCalls(n)` polls (with
 * a deadline) until `n` verifier calls are waiting or were released.
 */
export function gatedMempool(base: Verifier, config: Partial<MempoolConfig> = {}) {
  const verifier = gatedVerifier(base)
  const mempool = new Mempool({
    chainId: TEST_CHAIN_ID,
    verifier,
    isCommitted: () => false,
    ...config,
  })
  const heldCalls = async (count: number, deadlineMs = 5_000): Promise<void> => {
    const end = Date.now() + deadlineMs
    while (verifier.held.length !== count) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${count} verifier calls`)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }
  return { mempool, verifier, heldCalls }
}
