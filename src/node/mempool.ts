/**
 * The mempool: signed txs that passed the door checks (canonical encoding, chain, expiry window,
 * low-S, signature verified once through the injected `Verifier`), bounded by count and bytes,
 * handed to the proposer round-robin across signers. Outside the pure core because it awaits the
 * verifier. Spec: SPEC.md sections 3 and 6; docs/protocol/p2p.md#mempool.
 *
 * Rules (normative in docs/protocol/p2p.md#mempool):
 * - Order: `take` visits signers round-robin, each signer's txs in arrival order (FIFO), skipping
 *   expired txs; a tx that does not fit the remaining bytes ends that signer's turn for this take.
 * - Eviction when full: the signer holding the most txs (ties: most bytes, then greatest key hex)
 *   loses its tx closest to expiry, unless the newcomer is that signer or would become as heavy,
 *   in which case the newcomer is refused with MEMPOOL_FULL. So one submitter cannot starve others.
 *   The newcomer is admitted with all the evictions it needs, or refused with the pool unchanged.
 */
import type { Precheck, PrecheckCode } from './mempool-precheck.ts'
import type { CodecError, CodecErrorCode } from '../codec/canonical.ts'
import {
  decodeSignedTx,
  validateTxStatic,
  type SignedTx,
  type TxStaticErrorCode,
} from '../codec/tx.ts'
import { isLowS, isValidPublicKey } from '../crypto/secp256k1.ts'
import { txVerifyJob } from '../crypto/tx-signature.ts'
import type { Verifier, VerifyJob } from '../crypto/verifier.ts'
import { assert } from '../util/assert.ts'
import { equalBytes, toHex } from '../util/bytes.ts'
import { err, ok, type Result } from '../util/result.ts'

/** Most txs in the pool. */
export const MEMPOOL_TX_COUNT_MAX = 50_000
/** Most signed-tx bytes in the pool. */
export const MEMPOOL_BYTES_MAX = 64 * 1024 * 1024
/**
 * Most adds under way at once: queued for the verifier, at it, or being checked after it (further
 * adds are refused with MEMPOOL_FULL).
 */
export const MEMPOOL_PENDING_MAX = 20_000
/** Most signatures sent to the verifier in one `verifyBatch` call (one worker chunk). */
export const MEMPOOL_VERIFY_BATCH_MAX = 256
/**
 * Default for `MempoolConfig.verifyWindow`: most signatures of adds at the verifier at once. The
 * rest wait in the mempool's queue, where a block's pre-check can still move them ahead
 * (`verification`). Decision: two batches per verifier worker (one being verified, one waiting),
 * so a worker does not idle between batches and a block's signatures wait behind at most a
 * window's worth; 1,024 for the default 2-worker pool (the node sizes it to its pool). Before the
 * window every add went to the verifier at once; under a flood a proposal's txs waited behind up
 * to MEMPOOL_PENDING_MAX verifications, longer than the round-0 timer (ADR 0077).
 */
export const MEMPOOL_VERIFY_WINDOW_DEFAULT = 1_024
/** Remembered (txId, signature) pairs that verified, so a re-submission is not verified again. */
export const MEMPOOL_VERIFIED_CACHE_MAX = 100_000

/** Why `add` refused a tx. */
export type MempoolErrorCode =
  | CodecErrorCode
  | TxStaticErrorCode
  | 'TX_BAD_PUBLIC_KEY'
  | 'TX_HIGH_S'
  | 'TX_BAD_SIGNATURE'
  | 'TX_DUPLICATE'
  | 'MEMPOOL_FULL'
  | PrecheckCode

/** A refusal of `add`. */
export interface MempoolError {
  readonly code: MempoolErrorCode
  readonly message: string
}

/** What an add comes to: the admitted tx's id, or why it was refused. */
type AddResult = Result<{ txId: Uint8Array }, MempoolError>

/** A pooled, verified tx. */
export interface PooledTx {
  readonly txId: Uint8Array
  /** The decoded tx (decoded once at the door; proposals reuse it). */
  readonly signed: SignedTx
  readonly signedBytes: Uint8Array
  readonly signerPublicKey: Uint8Array
  readonly expiresAtHeight: number
}

interface Entry extends PooledTx {
  readonly id: string
  readonly signer: string
}

/** Dependencies and bounds of a mempool. */
export interface MempoolConfig {
  readonly chainId: string
  readonly verifier: Verifier
  /**
   * True when the tx `txId`, valid until `expiresAtHeight`, is committed (the node asks the replay
   * index of its committed state). Asked once per add, as it begins; the blocks that commit while
   * the add is under way are seen in `onCommitted`, which must name every committed tx.
   */
  readonly isCommitted: (txId: Uint8Array, expiresAtHeight: number) => boolean | Promise<boolean>
  /** Decodes a signed tx (default `decodeSignedTx`; the node passes its decoded-tx cache). */
  readonly decode?: (signedBytes: Uint8Array) => Result<SignedTx, CodecError>
  /** Optional state check at the door (`mempool-precheck.ts`); runs before the signature check. */
  readonly precheck?: Precheck
  readonly txCountMax?: number
  readonly bytesMax?: number
  /** Most signatures of adds at the verifier at once (default MEMPOOL_VERIFY_WINDOW_DEFAULT). */
  readonly verifyWindow?: number
  /** Most adds under way at once (default MEMPOOL_PENDING_MAX). */
  readonly pendingMax?: number
}

/** Counters for metrics. */
export interface MempoolStats {
  /** Gauge: pooled txs. */
  count: number
  /** Gauge: pooled bytes. */
  bytes: number
  /** Gauge: adds waiting for verification. */
  pending: number
  added: number
  rejected: Partial<Record<MempoolErrorCode, number>>
  evicted: number
  committed: number
  expired: number
  verifyBatches: number
  verifiedSignatures: number
  verifiedCacheHits: number
}

interface SignerQueue {
  readonly entries: Set<Entry>
  bytes: number
}

/** A signer's share of the pool: its txs and their signed bytes. */
interface SignerLoad {
  readonly count: number
  readonly bytes: number
}

interface PendingAdd {
  readonly entry: Entry
  readonly job: VerifyJob
  readonly under: Verifying
  readonly resolve: (result: AddResult) => void
  readonly reject: (error: unknown) => void
}

/** A signature check under way: the signature it checks, and its outcome. */
interface Verifying {
  readonly signature: Uint8Array
  /** The add's outcome. */
  readonly checked: Promise<AddResult>
  /** Whether it verified: made only when a block check asks (`verification`), not per add. */
  verdict: Promise<boolean> | null
}

const fail = (code: MempoolErrorCode, message: string): Result<never, MempoolError> =>
  err({ code, message })

/** The mempool; one per node, used from the node's main thread. */
export class Mempool {
  private readonly byId = new Map<string, Entry>()
  // Per signer, its entries in arrival order (Set keeps insertion order and deletes in O(1)).
  private readonly bySigner = new Map<string, SignerQueue>()
  private readonly inFlight = new Set<string>()
  // Adds under way whose tx a block committed meanwhile (`onCommitted`): refused as duplicates.
  private readonly committedDuringAdd = new Set<string>()
  // Signature checks under way, by tx id (one at a time per id: `inFlight`); a block's pre-check
  // waits for the one of its exact (txId, signature) pair.
  private readonly verifying = new Map<string, Verifying>()
  // Verified (txId, signature) pairs by tx id, oldest first; a commit forgets its txs' entries
  // (a committed tx is refused as a replay before its signature matters), so the cache holds about
  // the txs not yet committed, not the last MEMPOOL_VERIFIED_CACHE_MAX of the stream.
  // The value is the signature that verified, kept by reference (the pooled tx holds it anyway).
  private readonly verified = new Map<string, Uint8Array>()
  // Adds waiting for the verifier, in arrival order, by tx id; `urgent` ones a block's pre-check
  // asked for go first, past the window. `sentJobs` counts the signatures at the verifier now.
  private readonly pending = new Map<string, PendingAdd>()
  private urgent: PendingAdd[] = []
  private sentJobs = 0
  // Holds on the queue (`holdQueue`): while any is held, only urgent adds go to the verifier.
  private holds = 0
  private flushScheduled = false
  private urgentScheduled = false
  private bytesPooled = 0
  private heightNow = 0
  private cursor = 0
  private readonly config: MempoolConfig
  private readonly countMax: number
  private readonly bytesMax: number
  /** Most signatures of adds at the verifier at once (`MempoolConfig.verifyWindow`). */
  readonly verifyWindow: number
  private readonly pendingMax: number
  private readonly counters: MempoolStats = {
    count: 0,
    bytes: 0,
    pending: 0,
    added: 0,
    rejected: {},
    evicted: 0,
    committed: 0,
    expired: 0,
    verifyBatches: 0,
    verifiedSignatures: 0,
    verifiedCacheHits: 0,
  }

  /** @throws {AssertionError} on non-positive bounds. */
  constructor(config: MempoolConfig) {
    this.config = config
    this.countMax = config.txCountMax ?? MEMPOOL_TX_COUNT_MAX
    this.bytesMax = config.bytesMax ?? MEMPOOL_BYTES_MAX
    assert(Number.isInteger(this.countMax) && this.countMax > 0, `txCountMax ${this.countMax}`)
    assert(Number.isInteger(this.bytesMax) && this.bytesMax > 0, `bytesMax ${this.bytesMax}`)
    this.verifyWindow = config.verifyWindow ?? MEMPOOL_VERIFY_WINDOW_DEFAULT
    this.pendingMax = config.pendingMax ?? MEMPOOL_PENDING_MAX
    for (const [name, value] of [
      ['verifyWindow', this.verifyWindow],
      ['pendingMax', this.pendingMax],
    ] as const) {
      assert(Number.isInteger(value) && value > 0, `${name} ${value}`)
    }
  }

  /** Number of pooled txs. */
  get size(): number {
    return this.byId.size
  }

  /** Pooled bytes. */
  get bytes(): number {
    return this.bytesPooled
  }

  /** Adds under way: queued for the verifier, at it, or being checked after it. */
  get underWay(): number {
    return this.inFlight.size
  }

  /** True when `txId` is pooled (and therefore verified). */
  has(txId: Uint8Array): boolean {
    return this.byId.has(toHex(txId))
  }

  /** The pooled tx with `txId`, if any. */
  get(txId: Uint8Array): PooledTx | undefined {
    return this.byId.get(toHex(txId))
  }

  /** True when this exact (txId, signature) pair verified recently: block checks may skip it. */
  isVerified(txId: Uint8Array, signature: Uint8Array): boolean {
    return this.verifiedWith(toHex(txId), signature)
  }

  /** True when the tx with hex id `id` verified with exactly `signature`. */
  private verifiedWith(id: string, signature: Uint8Array): boolean {
    const verified = this.verified.get(id)
    return verified !== undefined && equalBytes(verified, signature)
  }

  /**
   * Remembers that this (txId, signature) pair verified elsewhere (a block's txs, on the pool).
   * The signature is kept by reference: pass one that owns its bytes (a decoded tx's), not a view
   * into a larger frame.
   */
  markVerified(txId: Uint8Array, signature: Uint8Array): void {
    this.remember(toHex(txId), signature)
  }

  /**
   * The signature check of this exact (txId, signature) pair that an add is waiting for, if any:
   * resolves true when it verified (and `isVerified` then holds). An add still queued for the
   * verifier is moved ahead of the queue and past the window: a block is waiting for it.
   */
  verification(txId: Uint8Array, signature: Uint8Array): Promise<boolean> | undefined {
    const id = toHex(txId)
    const under = this.verifying.get(id)
    if (under === undefined || !equalBytes(under.signature, signature)) return undefined
    const queued = this.pending.get(id)
    if (queued?.under === under) this.expedite(queued)
    under.verdict ??= under.checked.then(
      (r) => r.ok,
      () => false,
    )
    return under.verdict
  }

  /**
   * Checks and pools a signed tx for inclusion at `height` (the height of the next block).
   * Concurrent adds share one `verifyBatch` call.
   * @throws {NodeError} when the verifier fails (environmental).
   */
  add(signedBytes: Uint8Array, height: number): Promise<AddResult> {
    // Promise chains rather than async functions: an add waits up to seconds for the verifier,
    // and each suspended async frame (a generator, the contexts and closures of its awaits) was
    // kept that long; with five frames per add (here, in the Submitter and in the batch route)
    // they were about one in eight of the objects a loaded validator held (docs/BENCHMARKS.md,
    // "Cluster", fifteenth session).
    let admitted: AddResult | Promise<AddResult>
    try {
      admitted = this.admit(signedBytes, height)
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)))
    }
    return admitted instanceof Promise
      ? admitted.then(this.counted)
      : Promise.resolve(this.counted(admitted))
  }

  private readonly counted = (result: AddResult): AddResult => {
    if (result.ok) this.counters.added++
    else {
      const code = result.error.code
      this.counters.rejected[code] = (this.counters.rejected[code] ?? 0) + 1
    }
    return result
  }

  /** The door checks (synchronous), then the checks under way while `inFlight` holds the tx. */
  private admit(signedBytes: Uint8Array, height: number): AddResult | Promise<AddResult> {
    assert(Number.isInteger(height) && height >= 0, `height ${height}`)
    const decoded = (this.config.decode ?? decodeSignedTx)(signedBytes)
    if (!decoded.ok) return fail(decoded.error.code, decoded.error.message)
    const signed = decoded.value
    const valid = validateTxStatic(signed.tx, this.config.chainId, height)
    if (!valid.ok) return fail(valid.error.code, valid.error.message)
    if (!isLowS(signed.signature)) return fail('TX_HIGH_S', 'signature s is above n/2')
    const refused = this.config.precheck?.(signed, height) ?? null
    if (refused) return fail(refused.code, refused.message)
    const id = toHex(signed.txId)
    if (this.byId.has(id)) return fail('TX_DUPLICATE', 'already pooled')
    if (this.inFlight.has(id)) return fail('TX_DUPLICATE', 'already being added')
    if (this.underWay >= this.pendingMax) {
      return fail('MEMPOOL_FULL', `${this.pendingMax} txs are waiting for verification`)
    }
    const entry: Entry = {
      id,
      signer: toHex(signed.tx.signerPublicKey),
      txId: signed.txId,
      signed,
      signedBytes: signed.signedBytes,
      signerPublicKey: signed.tx.signerPublicKey,
      expiresAtHeight: signed.tx.expiresAtHeight,
    }
    // Marked before anything is awaited, so a concurrent copy is a duplicate and is verified once;
    // unmarked however the add ends.
    this.inFlight.add(id)
    let checked: AddResult | Promise<AddResult>
    try {
      checked = this.checkCommitted(entry, txVerifyJob(signed))
    } catch (error) {
      this.addEnded(id)
      throw error
    }
    if (!(checked instanceof Promise)) {
      this.addEnded(id)
      return checked
    }
    return checked.then(
      (result) => {
        this.addEnded(id)
        return result
      },
      (error: unknown) => {
        this.addEnded(id)
        throw error
      },
    )
  }

  private addEnded(id: string): void {
    this.inFlight.delete(id)
    this.committedDuringAdd.delete(id)
  }

  private checkCommitted(entry: Entry, job: VerifyJob): AddResult | Promise<AddResult> {
    // The committed state answers for the blocks before this add began (it is in `inFlight`); a
    // block that commits while it is under way names its txs in `onCommitted`, which marks this one
    // in `committedDuringAdd` (so the state is asked once per add, not again after verifying).
    const committed = this.config.isCommitted(entry.txId, entry.expiresAtHeight)
    if (committed === true) return fail('TX_DUPLICATE', 'already committed')
    if (committed === false) return this.checkSignature(entry, job)
    return committed.then((yes) =>
      yes ? fail('TX_DUPLICATE', 'already committed') : this.checkSignature(entry, job),
    )
  }

  private checkSignature(entry: Entry, job: VerifyJob): AddResult | Promise<AddResult> {
    if (this.verifiedWith(entry.id, entry.signed.signature)) {
      this.counters.verifiedCacheHits++
      return this.insertChecked(entry)
    }
    return this.verify(entry, job).then((good) => (good.ok ? this.insertChecked(entry) : good))
  }

  /** The checks after the signature (committed or expired meanwhile), then the insertion. */
  private insertChecked(entry: Entry): AddResult {
    if (this.committedDuringAdd.has(entry.id)) return fail('TX_DUPLICATE', 'already committed')
    if (entry.expiresAtHeight < this.heightNow) {
      return fail('TX_EXPIRED', `expired at ${entry.expiresAtHeight} < ${this.heightNow}`)
    }
    return this.insert(entry)
  }

  private verify(entry: Entry, job: VerifyJob): Promise<AddResult> {
    let resolve!: PendingAdd['resolve']
    let reject!: PendingAdd['reject']
    const checked = new Promise<AddResult>((res, rej) => {
      resolve = res
      reject = rej
    })
    const under: Verifying = { signature: entry.signed.signature, checked, verdict: null }
    this.pending.set(entry.id, { entry, job, under, resolve, reject })
    this.verifying.set(entry.id, under)
    if (!this.flushScheduled) {
      // Collect the adds of this turn of the event loop into batches.
      this.flushScheduled = true
      setImmediate(() => {
        this.flushScheduled = false
        this.flush()
      })
    }
    return checked
  }

  /** Takes `p` out of the queue; it goes to the verifier with the turn's other urgent adds. */
  private expedite(p: PendingAdd): void {
    this.pending.delete(p.entry.id)
    this.urgent.push(p)
    if (this.urgentScheduled) return
    // After the caller's loop over its block, so the block's queued adds go out as one batch.
    this.urgentScheduled = true
    queueMicrotask(() => {
      this.urgentScheduled = false
      const batch = this.urgent
      this.urgent = []
      this.send(batch)
    })
  }

  /** Ends the signature check of `p`: it is no longer under way (its outcome is remembered). */
  private settled(p: PendingAdd): void {
    if (this.verifying.get(p.entry.id) === p.under) this.verifying.delete(p.entry.id)
  }

  /**
   * Keeps queued adds from the verifier until the returned function is called (urgent ones still
   * go): a block's pre-check holds the queue while its own signatures are verified, so they do not
   * share the workers with the flood behind them.
   */
  holdQueue(): () => void {
    this.holds++
    let released = false
    return () => {
      if (released) return
      released = true
      this.holds--
      this.flush()
    }
  }

  /** Sends queued adds to the verifier, in arrival order, while the window has room. */
  private flush(): void {
    while (this.holds === 0 && this.pending.size > 0 && this.sentJobs < this.verifyWindow) {
      const room = Math.min(MEMPOOL_VERIFY_BATCH_MAX, this.verifyWindow - this.sentJobs)
      const batch: PendingAdd[] = []
      for (const p of this.pending.values()) {
        this.pending.delete(p.entry.id)
        if (batch.push(p) === room) break
      }
      this.send(batch)
    }
  }

  private send(batch: readonly PendingAdd[]): void {
    if (batch.length === 0) return
    this.counters.verifyBatches++
    this.counters.verifiedSignatures += batch.length
    this.sentJobs += batch.length
    this.config.verifier.verifyBatch(batch.map((p) => p.job)).then(
      (results) => {
        this.sentJobs -= batch.length
        assert(results.length === batch.length, `${results.length} results for ${batch.length}`)
        batch.forEach((p, i) => {
          this.settled(p)
          if (results[i] === true) {
            this.remember(p.entry.id, p.entry.signed.signature)
            p.resolve(ok({ txId: p.entry.txId }))
          } else if (!isValidPublicKey(p.entry.signerPublicKey)) {
            p.resolve(fail('TX_BAD_PUBLIC_KEY', 'signer key is not a curve point'))
          } else {
            p.resolve(fail('TX_BAD_SIGNATURE', 'signature does not verify'))
          }
        })
        this.flush()
      },
      (error: unknown) => {
        this.sentJobs -= batch.length
        for (const p of batch) {
          this.settled(p)
          p.reject(error)
        }
        this.flush()
      },
    )
  }

  private remember(id: string, signature: Uint8Array): void {
    if (this.verified.size >= MEMPOOL_VERIFIED_CACHE_MAX && !this.verified.has(id)) {
      const oldest = this.verified.keys().next().value
      if (oldest !== undefined) this.verified.delete(oldest)
    }
    this.verified.set(id, signature)
  }

  private insert(entry: Entry): AddResult {
    if (this.byId.has(entry.id)) return fail('TX_DUPLICATE', 'already pooled')
    const size = entry.signedBytes.length
    const victims = this.evictionPlan(entry)
    if (!victims) {
      const message = `pool holds ${this.byId.size} txs / ${this.bytesPooled} bytes`
      return fail('MEMPOOL_FULL', message)
    }
    for (const victim of victims) {
      this.remove(victim)
      this.counters.evicted++
    }
    this.byId.set(entry.id, entry)
    let queue = this.bySigner.get(entry.signer)
    if (!queue) {
      queue = { entries: new Set(), bytes: 0 }
      this.bySigner.set(entry.signer, queue)
    }
    queue.entries.add(entry)
    queue.bytes += size
    this.bytesPooled += size
    assert(this.byId.size <= this.countMax, `pool count ${this.byId.size}`)
    assert(this.bytesPooled <= this.bytesMax, `pool bytes ${this.bytesPooled}`)
    return ok({ txId: entry.txId })
  }

  // Every eviction that the newcomer needs, chosen by the rule of the module header step by step on
  // the pool as the earlier steps leave it (per-signer counts and bytes after them, in `left`),
  // before anything is evicted: null when a step refuses the newcomer, which then changes nothing.
  // Spec: docs/protocol/p2p.md#mempool.
  private evictionPlan(entry: Entry): Entry[] | null {
    const size = entry.signedBytes.length
    const victims: Entry[] = []
    const chosen = new Set<Entry>()
    const left = new Map<string, SignerLoad>()
    let count = this.byId.size
    let bytes = this.bytesPooled
    while (count + 1 > this.countMax || bytes + size > this.bytesMax) {
      // Bounded: every turn plans one more of the pooled txs.
      assert(victims.length < this.byId.size, `planned ${victims.length} evictions`)
      const victim = this.evictionVictim(entry.signer, left, chosen)
      if (!victim) return null
      const load = this.loadOf(victim.signer, left)
      left.set(victim.signer, {
        count: load.count - 1,
        bytes: load.bytes - victim.signedBytes.length,
      })
      victims.push(victim)
      chosen.add(victim)
      count--
      bytes -= victim.signedBytes.length
    }
    assert(count + 1 <= this.countMax && bytes + size <= this.bytesMax, 'plan leaves no room')
    return victims
  }

  /** A signer's count and bytes after the evictions planned so far (`left`). */
  private loadOf(signer: string, left: ReadonlyMap<string, SignerLoad>): SignerLoad {
    const planned = left.get(signer)
    if (planned) return planned
    const queue = this.bySigner.get(signer)
    return { count: queue?.entries.size ?? 0, bytes: queue?.bytes ?? 0 }
  }

  // The rule of the module header, on the pool after the planned evictions (`left`, `chosen`):
  // evict from the heaviest signer unless the newcomer is (or would become) the heaviest.
  private evictionVictim(
    newSigner: string,
    left: ReadonlyMap<string, SignerLoad>,
    chosen: ReadonlySet<Entry>,
  ): Entry | undefined {
    let heaviest: string | undefined
    let heaviestCount = 0
    let heaviestBytes = 0
    for (const signer of this.bySigner.keys()) {
      const { count, bytes } = this.loadOf(signer, left)
      // A signer whose every tx is planned out holds nothing (the pool drops its empty queue).
      if (count === 0) continue
      const better =
        count > heaviestCount ||
        (count === heaviestCount && bytes > heaviestBytes) ||
        (count === heaviestCount && bytes === heaviestBytes && signer > (heaviest ?? ''))
      if (better) {
        heaviest = signer
        heaviestCount = count
        heaviestBytes = bytes
      }
    }
    if (heaviest === undefined || heaviest === newSigner) return undefined
    const newCount = this.loadOf(newSigner, left).count + 1
    if (newCount >= heaviestCount) return undefined
    let victim: Entry | undefined
    for (const e of this.bySigner.get(heaviest)?.entries ?? []) {
      if (chosen.has(e)) continue
      if (!victim || e.expiresAtHeight < victim.expiresAtHeight) victim = e
    }
    assert(victim !== undefined, `signer ${heaviest} holds ${heaviestCount} txs, none left`)
    return victim
  }

  private remove(entry: Entry): void {
    const deleted = this.byId.delete(entry.id)
    assert(deleted, `removing ${entry.id} that is not pooled`)
    const queue = this.bySigner.get(entry.signer)
    assert(queue !== undefined, `no queue for signer ${entry.signer}`)
    assert(queue.entries.delete(entry), `signer queue lacks ${entry.id}`)
    queue.bytes -= entry.signedBytes.length
    if (queue.entries.size === 0) this.bySigner.delete(entry.signer)
    this.bytesPooled -= entry.signedBytes.length
    assert(this.bytesPooled >= 0, 'negative pool bytes')
  }

  /**
   * Up to `countMax` txs of at most `bytesMax` signed bytes in total, valid at `height`: signers
   * round-robin (starting one signer later on each call), each signer FIFO. Txs stay pooled until
   * `onCommitted`; the result never holds a tx twice.
   */
  take(countMax: number, bytesMax: number, height: number): PooledTx[] {
    assert(countMax >= 0 && bytesMax >= 0, `take(${countMax}, ${bytesMax})`)
    const signers = [...this.bySigner.values()]
    if (signers.length === 0 || countMax === 0) return []
    const start = this.cursor++ % signers.length
    const turns = signers
      .slice(start)
      .concat(signers.slice(0, start))
      .map((queue) => queue.entries.values())
    const out: PooledTx[] = []
    let bytes = 0
    while (turns.length > 0 && out.length < countMax) {
      for (let i = 0; i < turns.length && out.length < countMax;) {
        const next = this.nextValid(turns[i]!, height)
        if (!next || bytes + next.signedBytes.length > bytesMax) {
          turns.splice(i, 1)
          continue
        }
        out.push(next)
        bytes += next.signedBytes.length
        i++
      }
    }
    assert(out.length <= countMax && bytes <= bytesMax, 'take exceeded its bounds')
    return out
  }

  private nextValid(queue: Iterator<Entry>, height: number): Entry | undefined {
    for (;;) {
      const step = queue.next()
      if (step.done === true) return undefined
      if (step.value.expiresAtHeight >= height) return step.value
    }
  }

  /**
   * Removes the committed txs and every tx no longer valid at `nextHeight` (the height of the next
   * block). Later adds are checked against at least this height.
   */
  onCommitted(txIds: readonly Uint8Array[], nextHeight: number): void {
    assert(nextHeight >= this.heightNow, `height went back: ${nextHeight} < ${this.heightNow}`)
    this.heightNow = nextHeight
    for (const txId of txIds) {
      const id = toHex(txId)
      if (this.inFlight.has(id)) this.committedDuringAdd.add(id)
      this.verified.delete(id)
      const entry = this.byId.get(id)
      if (!entry) continue
      this.remove(entry)
      this.counters.committed++
    }
    for (const entry of [...this.byId.values()]) {
      if (entry.expiresAtHeight >= nextHeight) continue
      this.remove(entry)
      this.counters.expired++
    }
  }

  /** A snapshot of the counters. */
  stats(): MempoolStats {
    return {
      ...this.counters,
      rejected: { ...this.counters.rejected },
      count: this.byId.size,
      bytes: this.bytesPooled,
      pending: this.underWay,
    }
  }
}
