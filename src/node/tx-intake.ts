/**
 * How txs enter a running node, batched per turn of the event loop:
 * - `Submitter`: a tx admitted over HTTP is gossiped and offered to consensus; the admissions of one
 *   turn go out as one gossip call (frames of up to TX_BATCH_COUNT_MAX txs) and one `txsAvailable`
 *   event, instead of a frame and an engine event per tx (a burst of submissions used to overflow the
 *   peers' bounded frame queues, which drop their oldest frame). Flushes are at least
 *   SUBMIT_FLUSH_INTERVAL_MS apart: after an idle spell a tx goes out at the next turn, and under a
 *   stream of one-tx requests the admissions of an interval share one frame per peer.
 *   While the mempool has `queueMax` adds under way, a submission is refused at once with
 *   `MEMPOOL_BUSY` (HTTP 503, retry later) instead of joining a queue that takes seconds to verify:
 *   gossip from the peers and the txs of blocks keep the verifier (ADR 0078).
 * - `preverifyBlockTxs`: before an authenticated proposal or certified block reaches the engine
 *   (the node decides which: `PreverifyGate` in consensus-frames.ts), the signatures its txs carry
 *   that this node has not verified yet are verified on the worker pool in one batch and
 *   remembered in the mempool's verified cache, so the block check (`ChainApp`, pure, synchronous)
 *   finds them verified instead of verifying each with noble on the main thread. Bad signatures
 *   are not remembered: the work is only for blocks whose signer or certificate was checked.
 * - `gossipIntake`: txs gossiped by a peer go to the mempool; the ones it admits are handed back to
 *   the p2p layer to forward to the peers the frame did not reach (none in a full mesh).
 * Spec: SPEC.md section 6 (verify once per node); docs/protocol/p2p.md#mempool.
 */
import type { CodecError } from '../codec/canonical.ts'
import { decodeSignedTx, type SignedTx } from '../codec/tx.ts'
import type { ConsensusEvent } from '../consensus/types.ts'
import type { Block } from '../core/block.ts'
import { txVerifyJob } from '../crypto/tx-signature.ts'
import type { Verifier } from '../crypto/verifier.ts'
import { assert } from '../util/assert.ts'
import { err, ok, type Result } from '../util/result.ts'
import type { Mempool } from './mempool.ts'

/** What the submitter does with the outside world. */
export interface SubmitterIo {
  /** The height of the next block (txs are checked against it). */
  nextHeight(): number
  /** Gossips admitted txs to the peers (called once per turn with that turn's txs). */
  publish(txs: readonly Uint8Array[]): void
  /** Tells consensus that txs are waiting (called once per turn with admissions). */
  txsAvailable(): void
}

/** A submission's answer. */
export type SubmitResult = Result<{ txId: Uint8Array }, { code: string; message: string }>

/**
 * Least time between two flushes of the Submitter, in ms.
 *
 * Decision: 20 ms. Each flush sends one gossip frame per peer, and each frame costs its sender and
 * every receiver a fixed amount (a yamux frame, a noise seal or open, a socket write, a verifier
 * message) whatever its size. With one tx per HTTP request, flushing every turn sent a frame per tx:
 * four validators on two cores then spent about 400 µs of event loop per tx (docs/BENCHMARKS.md,
 * "Cluster", eighth session). 20 ms is small next to a block interval, so it adds little latency,
 * and a tx after an idle spell still leaves at the next turn.
 */
export const SUBMIT_FLUSH_INTERVAL_MS = 20

/**
 * The Submitter's bound on the mempool's adds under way, in verification windows: the node refuses
 * submissions at `SUBMIT_QUEUE_WINDOWS × verifyWindow` adds (2,048 with one verifier worker, 4,096
 * with two: about half a second of the workers' time on this machine).
 *
 * Decision: 4. A submission then waits at most about that long for its verification, and the
 * queue is never empty while submitters keep sending. Without a door bound the queue grew to the
 * mempool's 20,000 adds when a burst arrived; four validators on two cores spent tens of seconds
 * verifying it while their rounds failed (docs/BENCHMARKS.md, "Cluster", thirteenth session).
 */
export const SUBMIT_QUEUE_WINDOWS = 4

/** Admits txs to the mempool and passes the admissions on in batches (see the module header). */
export class Submitter {
  readonly #mempool: Mempool
  readonly #io: SubmitterIo
  readonly #intervalMs: number
  readonly #queueMax: number
  #outbox: Uint8Array[] = []
  #lastFlush = Number.NEGATIVE_INFINITY
  #busyRequests = 0
  #busyTxs = 0

  /**
   * `queueMax`: adds under way in the mempool from which submissions are refused (`MEMPOOL_BUSY`);
   * by default SUBMIT_QUEUE_WINDOWS of the mempool's verification windows.
   * @throws {AssertionError} on a negative interval or a queue bound below 1.
   */
  constructor(
    mempool: Mempool,
    io: SubmitterIo,
    intervalMs = SUBMIT_FLUSH_INTERVAL_MS,
    queueMax = SUBMIT_QUEUE_WINDOWS * mempool.verifyWindow,
  ) {
    assert(Number.isFinite(intervalMs) && intervalMs >= 0, `flush interval ${intervalMs}`)
    assert(Number.isInteger(queueMax) && queueMax >= 1, `queue bound ${queueMax}`)
    this.#mempool = mempool
    this.#io = io
    this.#intervalMs = intervalMs
    this.#queueMax = queueMax
  }

  /**
   * Checks and pools one signed tx; on success it is gossiped with the rest of its batch. (A
   * promise chain, not an async function: it is under way for as long as the verifier takes, see
   * `Mempool.add`.)
   */
  readonly submit = (bytes: Uint8Array): Promise<SubmitResult> => {
    const busy = this.busy()
    if (busy) {
      this.#busyTxs++
      return Promise.resolve(err(busy))
    }
    return this.#mempool.add(bytes, this.#io.nextHeight()).then((result) => {
      if (!result.ok) return err(result.error)
      if (this.#outbox.push(bytes) === 1) {
        const wait = this.#lastFlush + this.#intervalMs - performance.now()
        if (wait <= 0) setImmediate(this.#flush)
        else setTimeout(this.#flush, wait)
      }
      return ok(result.value)
    })
  }

  /** Why a submission would be refused now without being looked at (`MEMPOOL_BUSY`), or null. */
  readonly busy = (): { code: 'MEMPOOL_BUSY'; message: string } | null => {
    const underWay = this.#mempool.underWay
    if (underWay < this.#queueMax) return null
    return { code: 'MEMPOOL_BUSY', message: `verifying ${underWay} txs; retry later` }
  }

  /**
   * `busy()` for a whole request at the door (the batch route asks before reading the body); a
   * refusal is counted in `busyRefusals.requests`.
   */
  readonly requestBusy = (): { code: 'MEMPOOL_BUSY'; message: string } | null => {
    const busy = this.busy()
    if (busy) this.#busyRequests++
    return busy
  }

  /** Refusals with `MEMPOOL_BUSY` since start: whole requests at the door, and single txs. */
  get busyRefusals(): { readonly requests: number; readonly txs: number } {
    return { requests: this.#busyRequests, txs: this.#busyTxs }
  }

  readonly #flush = (): void => {
    const txs = this.#outbox
    this.#outbox = []
    this.#lastFlush = performance.now()
    this.#io.publish(txs)
    this.#io.txsAvailable()
  }
}

/** The block an event carries for execution, if any. */
function blockOf(event: ConsensusEvent): Block | null {
  if (event.type === 'proposal') return event.message.block
  if (event.type === 'certifiedBlock') return event.block
  if (event.type === 'roundChange') return event.message.preparedBlock
  return null
}

/**
 * The p2p layer's `onTxs` handler: adds a peer's gossiped txs to the mempool (checked against
 * the height `io.nextHeight()` gives; the Submitter's io serves), calls `io.txsAvailable` once
 * when any was admitted, and answers
 * per tx whether it was admitted. The p2p layer forwards exactly the admitted ones, and only to
 * peers the frame did not reach (docs/protocol/p2p.md, Tx gossip): a validator cut off from the
 * tx's origin still gets it by gossip (as a rule before the proposal that carries it), and a bad
 * or duplicate tx goes no further.
 */
export function gossipIntake(
  mempool: Mempool,
  io: Pick<SubmitterIo, 'nextHeight' | 'txsAvailable'>,
): (from: Uint8Array, txs: readonly Uint8Array[]) => Promise<boolean[]> {
  return async (_from, txs) => {
    const height = io.nextHeight()
    const results = await Promise.all(txs.map((bytes) => mempool.add(bytes, height)))
    if (results.some((r) => r.ok)) io.txsAvailable()
    return results.map((r) => r.ok)
  }
}

/**
 * Verifies on `verifier` the tx signatures of the event's block that `mempool` has not verified,
 * and marks the good ones verified (call it only for an authenticated block: up to
 * BLOCK_TX_COUNT_MAX verifications, and bad ones are not remembered); waits for the ones an add is verifying now instead of verifying
 * them twice. Bad or undecodable txs are left for the block check to refuse. A block at or below
 * `committedHeight` is left alone: the engine ignores it (a late proposal or copy of a block this
 * node already committed), so decoding and verifying its txs would only delay the events behind it.
 * Returns the number of signatures verified here.
 * @throws {NodeError} when the verifier fails (environmental).
 */
export async function preverifyBlockTxs(
  event: ConsensusEvent,
  mempool: Mempool,
  verifier: Verifier,
  decode: (bytes: Uint8Array) => Result<SignedTx, CodecError> = decodeSignedTx,
  committedHeight = -1,
): Promise<number> {
  const block = blockOf(event)
  if (!block || block.txs.length === 0 || block.header.height <= committedHeight) return 0
  const todo: SignedTx[] = []
  // Signatures an add is verifying right now are awaited, not verified a second time.
  const underWay: Promise<boolean>[] = []
  for (const bytes of block.txs) {
    const decoded = decode(bytes)
    if (!decoded.ok) continue
    const { txId, signature } = decoded.value
    if (mempool.isVerified(txId, signature)) continue
    const pending = mempool.verification(txId, signature)
    if (pending) underWay.push(pending)
    else todo.push(decoded.value)
  }
  if (todo.length === 0 && underWay.length === 0) return 0
  const release = mempool.holdQueue()
  let results: boolean[]
  try {
    ;[results] = await Promise.all([
      todo.length > 0 ? verifier.verifyBatch(todo.map(txVerifyJob)) : Promise.resolve([]),
      Promise.all(underWay),
    ])
  } finally {
    release()
  }
  todo.forEach((signed, i) => {
    if (results[i] === true) mempool.markVerified(signed.txId, signed.signature)
  })
  return todo.length
}
