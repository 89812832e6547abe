/**
 * The consensus driver: feeds events to the pure engine one at a time and runs its effects in order
 * with real I/O. A `persist` effect is awaited (fsync) before any later effect runs, so no vote that
 * depends on it leaves the node first (STYLE §2). Timeouts use real timers tagged by the engine.
 * It reports how long its writes, commits and events took (`DriverTimings`) for the metrics.
 */
import type { ChainApp, ChainExecution } from '../chain/app.ts'
import { encodeConsensusMessage } from '../consensus/messages.ts'
import type { Consensus } from '../consensus/consensus.ts'
import type { ConsensusEvent, Effect } from '../consensus/types.ts'
import type { Block, CommitCertificate } from '../core/block.ts'
import { assert } from '../util/assert.ts'
import type { WalStore } from './wal-store.ts'

/** Queued consensus events before new ones are dropped (a flood cannot exhaust memory). */
export const DRIVER_QUEUE_MAX = 10_000

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
  readonly #queue: ConsensusEvent[] = []
  readonly #timers = new Set<ReturnType<typeof setTimeout>>()
  #draining: Promise<void> | null = null
  #stopped = false
  /** `performance.now()` at this node's last commit (NaN before the first). */
  #lastCommitAt = Number.NaN
  dropped = 0
  /** Rounds entered above round 0 since start (a metric). */
  roundChanges = 0

  constructor(engine: Consensus, app: ChainApp, wal: WalStore, io: DriverIo) {
    this.#engine = engine
    this.#app = app
    this.#wal = wal
    this.#io = io
  }

  /** Queues an event; events are handled in arrival order, one at a time. */
  enqueue(event: ConsensusEvent): void {
    if (this.#stopped) return
    if (this.#queue.length >= DRIVER_QUEUE_MAX) {
      this.dropped++
      return
    }
    this.#queue.push(event)
    this.#draining ??= this.#drain()
  }

  async #drain(): Promise<void> {
    // Yield once so that `enqueue` has stored this promise before `finally` clears it.
    await Promise.resolve()
    try {
      for (let event = this.#queue.shift(); event && !this.#stopped; event = this.#queue.shift()) {
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
          // an event to continue with (it also re-offers pooled txs to the next proposer).
          this.enqueue({ type: 'txsAvailable', now: 0n })
          break
        }
      }
    }
  }

  #schedule(height: number, round: number, step: 'propose' | 'round', delayMs: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      this.enqueue({ type: 'timeout', height, round, step, now: 0n })
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
