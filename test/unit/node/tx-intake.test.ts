/**
 * Goal: txs enter a node in batches: the HTTP admissions of one event-loop turn are gossiped in one
 * call and announced to consensus once, refused txs are neither; while the mempool has the bound
 * of adds under way, submissions are refused with MEMPOOL_BUSY before they are decoded; flushes
 * keep their minimum interval, so admissions that arrive one by one within it share one call,
 * while a tx after an idle spell leaves at the next turn; a proposal's or synced block's
 * unverified signatures are verified in one batch before the engine sees the block, already
 * verified ones (or ones an add is verifying right now) are not verified again, and a bad
 * signature is not marked verified; a block's adds still queued for the verifier go ahead of the
 * queue, and the queue waits while the block's signatures are verified; gossiped txs are added
 * and the admitted ones (only those) are answered true, to be forwarded.
 * Method: a real mempool and the real libsecp256k1 verifier (wrapped only to count calls or to hold
 * them), real signed txs from fixed keys; the expected batches are written out from the txs
 * submitted.
 */
import { describe, expect, it } from 'vitest'
import { buildSignedTx, decodeSignedTx } from '../../../src/codec/tx.ts'
import type { ConsensusEvent } from '../../../src/consensus/types.ts'
import type { Block } from '../../../src/core/block.ts'
import type { Verifier } from '../../../src/crypto/verifier.ts'
import { Mempool } from '../../../src/node/mempool.ts'
import {
  gossipIntake,
  preverifyBlockTxs,
  SUBMIT_FLUSH_INTERVAL_MS,
  Submitter,
} from '../../../src/node/tx-intake.ts'
import { inlineFastVerifier } from '../../../src/node/verifier.ts'
import { toHex } from '../../../src/util/bytes.ts'
import { until } from '../../support/cluster.ts'
import {
  countingVerifier,
  gatedMempool,
  signedTransfer,
  signers,
  TEST_CHAIN_ID,
} from '../../support/mempool-txs.ts'

const [ka, kb] = signers(2) as [
  ReturnType<typeof signers>[number],
  ReturnType<typeof signers>[number],
]

function mempoolWith(verifier: Verifier): Mempool {
  return new Mempool({ chainId: TEST_CHAIN_ID, verifier, isCommitted: () => false })
}

/** `signedBytes` with its signature replaced (a forgery that does not verify). */
function resign(signedBytes: Uint8Array, signature: Uint8Array) {
  const decoded = decodeSignedTx(signedBytes)
  if (!decoded.ok) throw new Error('fixture does not decode')
  return buildSignedTx(decoded.value.tx, signature)
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('Submitter', () => {
  it("gossips one turn's admissions in one call and announces them once", async () => {
    const published: string[][] = []
    let announced = 0
    // Interval 0: every turn may flush, which isolates the per-turn batching.
    const submitter = new Submitter(
      mempoolWith(countingVerifier(inlineFastVerifier)),
      {
        nextHeight: () => 1,
        publish: (txs) => published.push(txs.map(toHex)),
        txsAvailable: () => announced++,
      },
      0,
    )
    const txs = [0, 1, 2].map((i) => signedTransfer(ka, i, 100))
    const bad = resign(signedTransfer(kb, 9, 100).signedBytes, new Uint8Array(64).fill(7))
    const results = await Promise.all([
      ...txs.map((t) => submitter.submit(t.signedBytes)),
      submitter.submit(bad.signedBytes),
    ])
    expect(results.map((r) => r.ok)).toEqual([true, true, true, false])
    await nextTurn()
    expect(published).toEqual([txs.map((t) => toHex(t.signedBytes))])
    expect(announced).toBe(1)
    // A later turn is a new batch; a refused duplicate adds nothing.
    const later = signedTransfer(kb, 3, 100)
    expect((await submitter.submit(later.signedBytes)).ok).toBe(true)
    expect((await submitter.submit(later.signedBytes)).ok).toBe(false)
    await nextTurn()
    expect(published).toEqual([txs.map((t) => toHex(t.signedBytes)), [toHex(later.signedBytes)]])
    expect(announced).toBe(2)
  })

  it('keeps flushes an interval apart: one-by-one admissions within it share one call', async () => {
    expect(SUBMIT_FLUSH_INTERVAL_MS).toBeGreaterThan(0)
    const intervalMs = 1_000
    const published: { at: number; txs: string[] }[] = []
    let announced = 0
    const submitter = new Submitter(
      mempoolWith(countingVerifier(inlineFastVerifier)),
      {
        nextHeight: () => 1,
        publish: (txs) => published.push({ at: performance.now(), txs: txs.map(toHex) }),
        txsAvailable: () => announced++,
      },
      intervalMs,
    )
    const [first, second, third] = [0, 1, 2].map((i) => signedTransfer(ka, 10 + i, 100)) as [
      ReturnType<typeof signedTransfer>,
      ReturnType<typeof signedTransfer>,
      ReturnType<typeof signedTransfer>,
    ]
    // After an idle spell the first admission leaves at the next turn.
    expect((await submitter.submit(first.signedBytes)).ok).toBe(true)
    await nextTurn()
    expect(published.map((p) => p.txs)).toEqual([[toHex(first.signedBytes)]])
    // Two more, each in its own turn, within the interval: they wait and leave together.
    expect((await submitter.submit(second.signedBytes)).ok).toBe(true)
    await nextTurn()
    expect((await submitter.submit(third.signedBytes)).ok).toBe(true)
    await nextTurn()
    expect(published).toHaveLength(1)
    await until('the second flush', () => Promise.resolve(published[1]), 5_000, 10)
    expect(published.map((p) => p.txs)).toEqual([
      [toHex(first.signedBytes)],
      [toHex(second.signedBytes), toHex(third.signedBytes)],
    ])
    // Timers may fire a millisecond early; the flushes are an interval apart.
    expect(published[1]!.at - published[0]!.at).toBeGreaterThanOrEqual(intervalMs - 2)
    expect(announced).toBe(2)
  })

  it('refuses submissions while queueMax adds are under way, without looking at them', async () => {
    const { mempool, verifier, heldCalls } = gatedMempool(inlineFastVerifier, { verifyWindow: 1 })
    const published: number[] = []
    const io = {
      nextHeight: () => 1,
      publish: (txs: readonly Uint8Array[]) => void published.push(txs.length),
      txsAvailable: () => undefined,
    }
    const submitter = new Submitter(mempool, io, 0, 2)
    const txs = [0, 1, 2].map((i) => signedTransfer(kb, 40 + i, 100))
    expect(submitter.busy()).toBeNull()
    const first = [submitter.submit(txs[0]!.signedBytes), submitter.submit(txs[1]!.signedBytes)]
    expect(mempool.underWay).toBe(2)
    const busy = { code: 'MEMPOOL_BUSY', message: 'verifying 2 txs; retry later' }
    expect(submitter.busy()).toEqual(busy)
    // Asking is not refusing: only refusals count (a request at the door, a tx at submit).
    expect(submitter.busyRefusals).toEqual({ requests: 0, txs: 0 })
    expect(submitter.requestBusy()).toEqual(busy)
    expect(await submitter.submit(txs[2]!.signedBytes)).toEqual({ ok: false, error: busy })
    expect(submitter.busyRefusals).toEqual({ requests: 1, txs: 1 })
    // Refused at the door: the mempool neither counted nor queued it.
    expect(mempool.underWay).toBe(2)
    expect(mempool.stats().rejected).toEqual({})
    await heldCalls(1)
    verifier.held[0]!.release()
    await heldCalls(2)
    verifier.held[1]!.release()
    for (const r of await Promise.all(first)) expect(r.ok).toBe(true)
    expect(submitter.busy()).toBeNull()
    expect(submitter.requestBusy()).toBeNull()
    const third = submitter.submit(txs[2]!.signedBytes)
    await heldCalls(3)
    verifier.held[2]!.release()
    expect((await third).ok).toBe(true)
    expect(mempool.size).toBe(3)
    expect(submitter.busyRefusals).toEqual({ requests: 1, txs: 1 })
    expect(() => new Submitter(mempool, io, 0, 0)).toThrow(/queue bound/)
  })

  it('refuses a negative or non-finite interval', () => {
    const io = { nextHeight: () => 1, publish: () => undefined, txsAvailable: () => undefined }
    const mempool = mempoolWith(inlineFastVerifier)
    expect(() => new Submitter(mempool, io, -1)).toThrow(/interval/)
    expect(() => new Submitter(mempool, io, Number.NaN)).toThrow(/interval/)
  })
})

function proposalOf(block: Block): ConsensusEvent {
  // Only the block is read by the preverifier; the rest of the message is not needed here.
  return { type: 'proposal', message: { block } as never, now: 0n }
}

function blockOf(txs: readonly Uint8Array[], height = 1): Block {
  return { header: { height } as Block['header'], txs: [...txs] }
}

describe('gossipIntake', () => {
  it('answers which gossiped txs it admitted (those are forwarded) and announces once', async () => {
    let announced = 0
    const heights: number[] = []
    const mempool = mempoolWith(inlineFastVerifier)
    const intake = gossipIntake(mempool, {
      nextHeight: () => (heights.push(7), 7),
      txsAvailable: () => announced++,
    })
    const good = [0, 1].map((i) => signedTransfer(ka, i, 100))
    const forged = resign(signedTransfer(kb, 2, 100).signedBytes, new Uint8Array(64).fill(7))
    const expired = signedTransfer(kb, 3, 6)
    const from = ka.publicKey
    const frame = [good[0]!, forged, good[1]!, expired].map((t) => t.signedBytes)
    expect(await intake(from, frame)).toEqual([true, false, true, false])
    expect(heights, 'the next height is read once per frame').toEqual([7])
    expect(announced).toBe(1)
    expect(mempool.stats().count).toBe(2)
    // The same txs again are duplicates: nothing to forward, nothing to announce.
    expect(await intake(from, [good[0]!.signedBytes, Uint8Array.of(1, 2)])).toEqual([false, false])
    expect(announced).toBe(1)
  })
})

describe('preverifyBlockTxs', () => {
  it("verifies a block's unverified signatures in one batch and marks the good ones", async () => {
    const verifier = countingVerifier(inlineFastVerifier)
    const mempool = mempoolWith(verifier)
    const pooled = signedTransfer(ka, 1, 100)
    expect((await mempool.add(pooled.signedBytes, 1)).ok).toBe(true)
    expect(verifier.calls).toEqual([1])
    const fresh = [2, 3, 4].map((i) => signedTransfer(kb, i, 100))
    const forged = signedTransfer(ka, 5, 100)
    const forgedBytes = resign(forged.signedBytes, fresh[0]!.signature)
    const block = blockOf([
      pooled.signedBytes,
      ...fresh.map((t) => t.signedBytes),
      forgedBytes.signedBytes,
    ])
    expect(await preverifyBlockTxs(proposalOf(block), mempool, verifier)).toBe(4)
    expect(verifier.calls).toEqual([1, 4])
    for (const t of [pooled, ...fresh]) expect(mempool.isVerified(t.txId, t.signature)).toBe(true)
    expect(mempool.isVerified(forgedBytes.txId, forgedBytes.signature)).toBe(false)
    // The same block again (a re-proposal, or the certified copy): only the bad one is retried.
    const certified: ConsensusEvent = {
      type: 'certifiedBlock',
      block,
      certificate: {} as never,
      now: 0n,
    }
    expect(await preverifyBlockTxs(certified, mempool, verifier)).toBe(1)
    expect(verifier.calls).toEqual([1, 4, 1])
    // The block a ROUND-CHANGE carries (the engine executes it on arrival) is checked the same way.
    const changed: ConsensusEvent = {
      type: 'roundChange',
      message: { preparedBlock: block } as never,
      now: 0n,
    }
    expect(await preverifyBlockTxs(changed, mempool, verifier)).toBe(1)
    expect(verifier.calls).toEqual([1, 4, 1, 1])
  })

  it('waits for a signature an add is verifying instead of verifying it again', async () => {
    // The verifier holds every call: the add is still verifying when the proposal comes.
    const { mempool, verifier, heldCalls } = gatedMempool(inlineFastVerifier)
    const [arriving, fresh] = [signedTransfer(ka, 7, 100), signedTransfer(kb, 8, 100)]
    const added = mempool.add(arriving.signedBytes, 1)
    await heldCalls(1)
    expect(verifier.held[0]!.txIds).toEqual([toHex(arriving.txId)])
    expect(mempool.verification(arriving.txId, arriving.signature)).toBeDefined()
    // Only the exact pair: the same tx id under another signature is not being checked.
    expect(mempool.verification(arriving.txId, fresh.signature)).toBeUndefined()
    const prepared = preverifyBlockTxs(
      proposalOf(blockOf([arriving.signedBytes, fresh.signedBytes])),
      mempool,
      verifier,
    )
    await heldCalls(2)
    expect(verifier.held[1]!.txIds).toEqual([toHex(fresh.txId)])
    for (const held of verifier.held) held.release()
    expect(await prepared).toBe(1)
    expect(await added).toMatchObject({ ok: true })
    for (const t of [arriving, fresh]) expect(mempool.isVerified(t.txId, t.signature)).toBe(true)
    expect(mempool.verification(arriving.txId, arriving.signature)).toBeUndefined()
  })

  it("moves a block's queued adds ahead and holds the rest of the queue until it is verified", async () => {
    const { mempool, verifier, heldCalls } = gatedMempool(inlineFastVerifier, { verifyWindow: 2 })
    const queued = Array.from({ length: 5 }, (_, i) => signedTransfer(ka, 20 + i, 100))
    const ids = queued.map((t) => toHex(t.txId))
    const adds = queued.map((t) => mempool.add(t.signedBytes, 1))
    await heldCalls(1)
    expect(verifier.held[0]!.txIds).toEqual(ids.slice(0, 2))
    // The block holds the fourth queued tx and one this node has not seen.
    const fresh = signedTransfer(kb, 30, 100)
    const prepared = preverifyBlockTxs(
      proposalOf(blockOf([queued[3]!.signedBytes, fresh.signedBytes])),
      mempool,
      verifier,
    )
    await heldCalls(3)
    expect(
      verifier.held
        .slice(1)
        .map((h) => h.txIds)
        .sort(),
    ).toEqual([[ids[3]], [toHex(fresh.txId)]].sort())
    // The first batch's room is not given to the queue while the block is being verified.
    verifier.held[0]!.release()
    expect((await adds[0]!).ok).toBe(true)
    expect(verifier.held.length).toBe(3)
    verifier.held[1]!.release()
    verifier.held[2]!.release()
    expect(await prepared).toBe(1)
    for (const t of [queued[3]!, fresh]) expect(mempool.isVerified(t.txId, t.signature)).toBe(true)
    await heldCalls(4)
    expect(verifier.held[3]!.txIds).toEqual([ids[2], ids[4]])
    verifier.held[3]!.release()
    for (const r of await Promise.all(adds)) expect(r.ok).toBe(true)
  })

  it('leaves alone a block at or below the committed height (the engine ignores it)', async () => {
    const verifier = countingVerifier(inlineFastVerifier)
    const mempool = mempoolWith(verifier)
    const txs = [1, 2].map((i) => signedTransfer(kb, i, 100))
    const late = proposalOf(
      blockOf(
        txs.map((t) => t.signedBytes),
        5,
      ),
    )
    expect(await preverifyBlockTxs(late, mempool, verifier, undefined, 5)).toBe(0)
    expect(verifier.calls).toEqual([])
    const next = proposalOf(
      blockOf(
        txs.map((t) => t.signedBytes),
        6,
      ),
    )
    expect(await preverifyBlockTxs(next, mempool, verifier, undefined, 5)).toBe(2)
    expect(verifier.calls).toEqual([2])
  })

  it('does nothing for events without a block or with an empty block', async () => {
    const verifier = countingVerifier(inlineFastVerifier)
    const mempool = mempoolWith(verifier)
    expect(await preverifyBlockTxs({ type: 'txsAvailable', now: 0n }, mempool, verifier)).toBe(0)
    expect(await preverifyBlockTxs(proposalOf(blockOf([])), mempool, verifier)).toBe(0)
    expect(verifier.calls).toEqual([])
  })
})
