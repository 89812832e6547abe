/**
 * The consensus driver: feeds events to the pure engine one at a time and runs its effects in order
 * with real I/O. A `persist` effect is awaited (fsync) before any later effect runs, so no vote that
 * depends on it leaves the node first (STYLE §2). Timeouts use real timers tagged by the engine.
 * It reports how long its writes, commits and events took (`DriverTimings`) for the metrics.
 *
 * Events are handled in arrival order from one queue. Only peer frames count against its bounds
 * (`DRIVER_QUEUE_MAX` frames, `DRIVER_QUEUE_BYTES_MAX` bytes, and per sender a quarter of each)
 * and are dropped beyond them; the node's own events (timers, `txsAvailable`, `start`, blocks the
 * syncer fetched) are never dropped. They stay bounded by coalescing: a timer or `txsAvailable`
 * that is already queued keeps its place and the new one is not queued again. A block the syncer
 * fetched is reported back with the engine's outcome (`handleSyncedBlock`).
 * Spec: docs/protocol/consensus.md#driver; ADR 0084, ADR 0094.
 */
import type { ChainApp, ChainExecution } from '../chain/app.ts'
import { encodeConsensusMessage } from '../consensus/messages.ts'
import type { Consensus } from '../consensus/consensus.ts'
import type { ConsensusEvent, Effect } from '../consensus/types.ts'
import type { Block, CommitCertificate } from '../core/block.ts'
import { assert } from '../util/assert.ts'
import { toHex } from '../util/bytes.ts'
import type { WalStore } from './wal-store.ts'

/** Queued peer frames before new ones are dropped (a flood cannot exhaust memory). */
export const DRIVER_QUEUE_MAX = 10_000
/**
 * Bytes of queued peer frames (their wire size) before new ones are dropped. A frame may be up to
 * about 4 MiB (a proposal's block), so the frame count alone would let 10,000 frames hold 40 GiB.
 */
export const DRIVER_QUEUE_BYTES_MAX = 64 * 1024 * 1024
/**
 * The share of either bound the frames of one sender may fill: 2,500 frames and 16 MiB, more
 * than a validator sends while the driver waits on a commit (three frames of the largest size
 * fit), so one peer cannot crowd out the others' frames.
 */
export const DRIVER_QUEUE_PEER_FRAMES_MAX = DRIVER_QUEUE_MAX / 4
export const DRIVER_QUEUE_PEER_BYTES_MAX = DRIVER_QUEUE_BYTES_MAX / 4

/**
 * Where an event comes from: a peer's frame (`peer`: dropped beyond the queue's bounds) or the
 * node itself (`local`: timers, `txsAvailable`, `start`, synced blocks; never dropped).
 */
export type EventOrigin = 'peer' | 'local'

/** The sender and wire size of a peer frame, for the queue's byte bound and per-peer share. */
export interface FrameSource {
  /** The sender's public key. */
  readonly peer: Uint8Array
  /** The frame's size on the wire. */
  readonly bytes: number
}

/**
 * What the engine made of a block the syncer fetched: `applied` when, after the event and all
 * its effects (the commit included), the engine decides a later height than the block's;
 * `refused` when not; `stopped` when the driver stopped before it handled the block.
 */
export type SyncedBlockOutcome = 'applied' | 'refused' | 'stopped'

type CertifiedBlockEvent = Extract<ConsensusEvent, { type: 'certifiedBlock' }>

/** The origin of an event by its type: only messages and certified blocks come from peers. */
function originOf(event: ConsensusEvent): EventOrigin {
  switch (event.type) {
    case 'proposal':
    case 'vote':
    case 'roundChange':
    case 'certifiedBlock':
      return 'peer'
    case 'timeout':
    case 'txsAvailable':
    case 'start':
      return 'local'
  }
}

/**
 * The key under which a queued local event absorbs an equal one: a timer is identified by its
 * (height, round, step) and fires once, and one queued `txsAvailable` is enough (the driver asks
 * the pool when it hands the event over). `null`: never coalesced.
 */
function coalesceKey(event: ConsensusEvent): string | null {
  if (event.type === 'txsAvailable') return 'txsAvailable'
  if (event.type === 'timeout') return `timeout/${event.height}/${event.round}/${event.step}`
  return null
}

interface Queued {
  readonly event: ConsensusEvent
  readonly origin: EventOrigin
  readonly key: string | null
  /** A peer frame's sender (hex) and size; null for local events and frames of unknown source. */
  readonly source: { readonly peer: string; readonly bytes: number } | null
  /** Receives the engine's outcome for a synced block (`handleSyncedBlock`). */
  readonly settle: ((outcome: SyncedBlockOutcome) => void) | null
}

/** Frames and bytes queued from one sender. */
interface PeerLoad {
  frames: number
  bytes: number
}

/**
 * Durations the driver measures, in seconds, for the node's metrics (src/node/metrics.ts). They
 * tell an operator where a slow height went: the disk (WAL appends, the block commit's fsync), the
 * work on each event, or the wait between blocks. Each is wall time as the driver waits for it, so
 * it includes any time the event loop spent on other work (HTTP, gossip) before resuming it.
 */
export interface DriverTimings {
  /** One consensus WAL record appended durably (a synced write). */
  walAppend(seconds: number): void
  /** One decided block applied, written to the ledger (synced) and its WAL records pruned. */
  blockCommit(seconds: number): void
  /** From this node's previous commit to this one (not reported for its first commit). */
  blockInterval(seconds: number): void
  /** One event: its preparation (signature checks), the engine's step and every effect. */
  event(type: ConsensusEvent['type'], seconds: number): void
}

/** What the driver does with the outside world. */
export interface DriverIo {
  broadcast(bytes: Uint8Array): void
  send(to: Uint8Array, bytes: Uint8Array): void
  /** Persists a decided block and its execution (ledger batch with fsync). */
  commit(block: Block, certificate: CommitCertificate, execution: ChainExecution): Promise<void>
  /** Reports a failure that must stop the node (disk, ledger). */
  fail(error: unknown): void
  /**
   * Optional work before an event reaches the engine (verifying a block's signatures off the main
   * thread). Events stay in arrival order: the next one waits until this one is prepared.
   */
  prepare?(event: ConsensusEvent): Promise<unknown>
  /**
   * True when the mempool holds a full proposal; asked when a `txsAvailable` event reaches the
   * engine, which then proposes without waiting out the block interval.
   */
  poolFull?(): boolean
  /** Where the driver reports its durations (none: not measured). */
  readonly timings?: DriverTimings
}

const secondsSince = (start: number): number => (performance.now() - start) / 1000

/** Runs one engine. */
export class ConsensusDriver {
  readonly #engine: Consensus
  readonly #app: ChainApp
  readonly #wal: WalStore
  readonly #io: DriverIo
  readonly #queue: Queued[] = []
  /** Peer frames in `#queue` and their bytes, per sender, and the local events' coalescing keys. */
  #peerQueued = 0
  #peerBytes = 0
  readonly #peerLoads = new Map<string, PeerLoad>()
  readonly #localQueued = new Set<string>()
  readonly #timers = new Set<ReturnType<typeof setTimeout>>()
  #draining: Promise<void> | null = null
  #stopped = false
  /** `performance.now()` at this node's last commit (NaN before the first). */
  #lastCommitAt = Number.NaN
  /** Peer frames dropped because a bound of the queue or the sender's share was reached. */
  dropped = 0
  /** Rounds entered above round 0 since start (a metric). */
  roundChanges = 0

  constructor(engine: Consensus, app: ChainApp, wal: WalStore, io: DriverIo) {
    this.#engine = engine
    this.#app = app
    this.#wal = wal
    this.#io = io
  }

  /**
   * Queues an event; events are handled in arrival order, one at a time. A peer frame is dropped
   * (and counted in `dropped`) when `DRIVER_QUEUE_MAX` peer frames or `DRIVER_QUEUE_BYTES_MAX`
   * bytes of them are queued, or when its sender's frames fill their share of either. A local
   * event is never dropped; a timer or `txsAvailable` equal to one still queued is absorbed by it.
   * @param origin where the event comes from; by default peers for messages and certified
   *   blocks, the node for the rest. The syncer's certified blocks are `local`.
   * @param source a peer frame's sender and wire size (without it the frame counts no bytes and
   *   no sender's share).
   */
  enqueue(
    event: ConsensusEvent,
    origin: EventOrigin = originOf(event),
    source: FrameSource | null = null,
  ): void {
    if (this.#stopped) return
    const key = origin === 'local' ? coalesceKey(event) : null
    const from =
      origin === 'peer' && source ? { peer: toHex(source.peer), bytes: source.bytes } : null
    if (origin === 'peer') {
      if (!this.#admitFrame(from)) {
        this.dropped++
        return
      }
    } else if (key !== null) {
      if (this.#localQueued.has(key)) return
      this.#localQueued.add(key)
    }
    this.#push({ event, origin, key, source: from, settle: null })
  }

  /**
   * Queues a block the syncer fetched (a local event, never dropped) and resolves with the
   * engine's outcome once the driver has handled it and run every effect of that call: so the
   * syncer learns whether the block was applied however long the queue ahead of it takes.
   */
  handleSyncedBlock(event: CertifiedBlockEvent): Promise<SyncedBlockOutcome> {
    if (this.#stopped) return Promise.resolve('stopped')
    return new Promise((settle) => {
      this.#push({ event, origin: 'local', key: null, source: null, settle })
    })
  }

  #push(queued: Queued): void {
    this.#queue.push(queued)
    this.#draining ??= this.#drain()
  }

  /** Counts a peer frame in, unless it would pass a bound or its sender's share. */
  #admitFrame(source: Queued['source']): boolean {
    const bytes = source?.bytes ?? 0
    assert(Number.isInteger(bytes) && bytes >= 0, `frame of ${bytes} bytes`)
    if (this.#peerQueued >= DRIVER_QUEUE_MAX) return false
    if (this.#peerBytes + bytes > DRIVER_QUEUE_BYTES_MAX) return false
    const load = source ? this.#peerLoads.get(source.peer) : undefined
    if (load && load.frames >= DRIVER_QUEUE_PEER_FRAMES_MAX) return false
    if (load && load.bytes + bytes > DRIVER_QUEUE_PEER_BYTES_MAX) return false
    this.#peerQueued++
    this.#peerBytes += bytes
    if (source) {
      const next = load ?? { frames: 0, bytes: 0 }
      next.frames++
      next.bytes += bytes
      this.#peerLoads.set(source.peer, next)
    }
    return true
  }

  /** Takes the next event off the queue and updates the counts. */
  #next(): Queued | undefined {
    const queued = this.#queue.shift()
    if (!queued) return undefined
    if (queued.origin === 'peer') {
      this.#peerQueued--
      this.#peerBytes -= queued.source?.bytes ?? 0
      const load = queued.source ? this.#peerLoads.get(queued.source.peer) : undefined
      if (queued.source) assert(load !== undefined, "a queued frame counts in its sender's load")
      if (load && queued.source) {
        load.frames--
        load.bytes -= queued.source.bytes
        if (load.frames === 0) this.#peerLoads.delete(queued.source.peer)
      }
    }
    if (queued.key !== null) this.#localQueued.delete(queued.key)
    assert(this.#peerQueued >= 0 && this.#peerQueued <= this.#queue.length, 'peer frames counted')
    assert(this.#peerBytes >= 0 && this.#peerBytes <= DRIVER_QUEUE_BYTES_MAX, 'peer bytes counted')
    return queued
  }

  async #drain(): Promise<void> {
    // Yield once so that `enqueue` has stored this promise before `finally` clears it.
    await Promise.resolve()
    let queued: Queued | undefined
    try {
      for (queued = this.#next(); queued && !this.#stopped; queued = this.#next()) {
        await this.#handle(queued.event)
        queued.settle?.(this.#outcomeOf(queued.event))
      }
    } catch (error) {
      // A failure after stop() began (the node is already stopping, e.g. because the verifier
      // pool failed) is not a second reason to stop it.
      const stopping = this.#stopped
      this.#stopped = true
      if (!stopping) this.#io.fail(error)
    } finally {
      // An event taken but not handled (stopped, or failed) and every event still queued.
      queued?.settle?.('stopped')
      this.#settleQueued()
      this.#draining = null
    }
  }

  /** Prepares one event, hands it to the engine and runs its effects. */
  async #handle(event: ConsensusEvent): Promise<void> {
    const start = performance.now()
    if (this.#io.prepare) await this.#io.prepare(event)
    const { currentHeight: height, currentRound: round } = this.#engine
    const now = BigInt(Date.now())
    const effects = this.#engine.handle(
      event.type === 'txsAvailable'
        ? { ...event, now, full: this.#io.poolFull?.() === true }
        : { ...event, now },
    )
    if (this.#engine.currentHeight === height && this.#engine.currentRound > round)
      this.roundChanges += this.#engine.currentRound - round
    await this.#run(effects)
    this.#io.timings?.event(event.type, secondsSince(start))
  }

  /** A synced block was applied when the engine has moved past its height. */
  #outcomeOf(event: ConsensusEvent): SyncedBlockOutcome {
    assert(event.type === 'certifiedBlock', 'an outcome is reported for synced blocks only')
    return this.#engine.currentHeight > event.block.header.height ? 'applied' : 'refused'
  }

  /** Once stopped: the synced blocks still queued will not be handled. */
  #settleQueued(): void {
    if (!this.#stopped) return
    for (const queued of this.#queue) queued.settle?.('stopped')
  }

  async #run(effects: readonly Effect[]): Promise<void> {
    for (const effect of effects) {
      switch (effect.type) {
        case 'persist': {
          const start = performance.now()
          await this.#wal.append(effect.record)
          this.#io.timings?.walAppend(secondsSince(start))
          break
        }
        case 'broadcast':
          this.#io.broadcast(encodeConsensusMessage(effect.message))
          break
        case 'send':
          this.#io.send(effect.to, encodeConsensusMessage(effect.message))
          break
        case 'scheduleTimeout':
          this.#schedule(effect.height, effect.round, effect.step, effect.delayMs)
          break
        case 'commitBlock': {
          const start = performance.now()
          const execution = this.#app.commit(effect.block)
          assert(execution.blockHash.length === 32, 'committed block hash')
          await this.#io.commit(effect.block, effect.certificate, execution)
          await this.#wal.pruneBelow(effect.block.header.height + 1)
          const end = performance.now()
          this.#io.timings?.blockCommit((end - start) / 1000)
          if (!Number.isNaN(this.#lastCommitAt)) {
            this.#io.timings?.blockInterval((end - this.#lastCommitAt) / 1000)
          }
          this.#lastCommitAt = end
          // The engine decides at most one height per event and buffers later messages: give it
          // an event to continue with (it also re-offers pooled txs to the next proposer, which
          // does not propose in the call that decided). Local: never dropped.
          this.enqueue({ type: 'txsAvailable', now: 0n }, 'local')
          break
        }
      }
    }
  }

  #schedule(height: number, round: number, step: 'propose' | 'round', delayMs: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      this.enqueue({ type: 'timeout', height, round, step, now: 0n }, 'local')
    }, delayMs)
    this.#timers.add(timer)
  }

  /** Stops handling events and clears timers; waits for the event in progress to finish. */
  async stop(): Promise<void> {
    this.#stopped = true
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    await this.#draining
  }
}
