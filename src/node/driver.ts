/**
 * The consensus driver: feeds events to the pure engine one at a time and runs its effects in order
 * with real I/O. A `persist` effect is awaited (fsync) before any later effect runs, so no vote that
 * depends on it leaves the node first (STYLE §2). Timeouts use real timers tagged by the engine.
 * It reports how long its writes, commits and events took (`DriverTimings`) for the metrics.
 *
 * Events are handled in arrival order from one queue. Only peer frames count against its bound
 * (`DRIVER_QUEUE_MAX`) and are dropped beyond it; the node's own events (timers, `txsAvailable`,
 * `start`, blocks the syncer fetched) are never dropped. They stay bounded by coalescing: a timer
 * or `txsAvailable` that is already queued keeps its place and the new one is not queued again.
 * Spec: docs/protocol/consensus.md#driver; ADR 0084.
 */
import type { ChainApp, ChainExecution } from '../chain/app.ts'
import { encodeConsensusMessage } from '../consensus/messages.ts'
import type { Consensus } from '../consensus/consensus.ts'
import type { ConsensusEvent, Effect } from '../consensus/types.ts'
import type { Block, CommitCertificate } from '../core/block.ts'
import { assert } from '../util/assert.ts'
import type { WalStore } from './wal-store.ts'

/** Queued peer frames before new ones are dropped (a flood cannot exhaust memory). */
export const DRIVER_QUEUE_MAX = 10_000

/**
 * Where an event comes from: a peer's frame (`peer`: dropped when `DRIVER_QUEUE_MAX` peer frames
 * are queued) or the node itself (`local`: timers, `txsAvailable`, `start`, synced blocks; never
 * dropped).
 */
export type EventOrigin = 'peer' | 'local'

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
  /** Peer frames in `#queue`, and the coalescing keys of the local events in it. */
  #peerQueued = 0
  readonly #localQueued = new Set<string>()
  readonly #timers = new Set<ReturnType<typeof setTimeout>>()
  #draining: Promise<void> | null = null
  #stopped = false
  /** `performance.now()` at this node's last commit (NaN before the first). */
  #lastCommitAt = Number.NaN
  /** Peer frames dropped because `DRIVER_QUEUE_MAX` of them were queued. */
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
   * (and counted in `dropped`) when `DRIVER_QUEUE_MAX` peer frames are queued. A local event is
   * never dropped; a timer or `txsAvailable` equal to one still queued is absorbed by it.
   * @param origin where the event comes from; by default peers for messages and certified
   *   blocks, the node for the rest. The syncer's certified blocks are `local`.
   */
  enqueue(event: ConsensusEvent, origin: EventOrigin = originOf(event)): void {
    if (this.#stopped) return
    const key = origin === 'local' ? coalesceKey(event) : null
    if (origin === 'peer') {
      if (this.#peerQueued >= DRIVER_QUEUE_MAX) {
        this.dropped++
        return
      }
      this.#peerQueued++
    } else if (key !== null) {
      if (this.#localQueued.has(key)) return
      this.#localQueued.add(key)
    }
    this.#queue.push({ event, origin, key })
    this.#draining ??= this.#drain()
  }

  /** Takes the next event off the queue and updates the counts. */
  #next(): ConsensusEvent | undefined {
    const queued = this.#queue.shift()
    if (!queued) return undefined
    if (queued.origin === 'peer') this.#peerQueued--
    if (queued.key !== null) this.#localQueued.delete(queued.key)
    assert(this.#peerQueued >= 0 && this.#peerQueued <= this.#queue.length, 'peer frames counted')
    return queued.event
  }

  async #drain(): Promise<void> {
    // Yield once so that `enqueue` has stored this promise before `finally` clears it.
    await Promise.resolve()
    try {
      for (let event = this.#next(); event && !this.#stopped; event = this.#next()) {
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
    } catch (error) {
      this.#stopped = true
      this.#io.fail(error)
    } finally {
      this.#draining = null
    }
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
