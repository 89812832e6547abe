/**
 * Goal: the consensus driver's queue bounds peer frames only. While an event awaits the disk (a
 * WAL fsync, a block commit), a peer that sends more than DRIVER_QUEUE_MAX frames gets the excess
 * dropped and counted, but the node's own round timer and its after-commit txsAvailable still
 * reach the engine, in arrival order; so do the blocks the syncer fetched. Local events are
 * bounded by coalescing: one queued txsAvailable, one queued timer per (height, round, step).
 * Method: a scripted fake engine that records the events it is handed and returns fixed effects,
 * a WAL and a commit that wait on promises the test releases, and real (short) timers.
 */
import { describe, expect, it } from 'vitest'
import type { ChainApp } from '../../../src/chain/app.ts'
import type { Consensus } from '../../../src/consensus/consensus.ts'
import type { SignedVote } from '../../../src/consensus/messages.ts'
import type { ConsensusEvent, Effect } from '../../../src/consensus/types.ts'
import type { WalRecord } from '../../../src/consensus/wal.ts'
import type { Block, CommitCertificate } from '../../../src/core/block.ts'
import { ConsensusDriver, DRIVER_QUEUE_MAX } from '../../../src/node/driver.ts'
import type { WalStore } from '../../../src/node/wal-store.ts'

/** A gate the test opens: `wait` resolves once `open` is called. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void
  const wait = new Promise<void>((r) => (open = r))
  return { wait, open }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function waitFor(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; !check(); i++) {
    if (i > 2000) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

/** A peer's frame: the fake engine never looks inside. */
const peerVote: ConsensusEvent = { type: 'vote', vote: {} as SignedVote, now: 0n }
const block = { header: { height: 5 } } as Block

/**
 * A driver over a fake engine: `script(n)` gives the effects of the n-th event (0-based); the WAL
 * append and the block commit wait for `disk`.
 */
function driverOf(script: (n: number) => Effect[], poolFull = false) {
  const seen: ConsensusEvent[] = []
  const disk = gate()
  const engine = {
    currentHeight: 5,
    currentRound: 0,
    handle(event: ConsensusEvent): Effect[] {
      seen.push(event)
      return script(seen.length - 1)
    },
  } as unknown as Consensus
  const wal = { append: () => disk.wait, pruneBelow: async () => {} } as unknown as WalStore
  const app = { commit: () => ({ blockHash: new Uint8Array(32) }) } as unknown as ChainApp
  const driver = new ConsensusDriver(engine, app, wal, {
    broadcast: () => {},
    send: () => {},
    commit: () => disk.wait,
    poolFull: () => poolFull,
    fail: (e) => {
      throw e
    },
  })
  return { driver, seen, disk }
}

describe('driver queue', () => {
  it('drops peer frames beyond the bound but never its round timer or after-commit txsAvailable', async () => {
    const certificate = {} as CommitCertificate
    const { driver, seen, disk } = driverOf((n) =>
      n === 0
        ? [
            { type: 'scheduleTimeout', height: 5, round: 0, step: 'round', delayMs: 30 },
            { type: 'commitBlock', block, certificate, validatorUpdates: [] },
          ]
        : [],
    )
    driver.enqueue({ type: 'start', now: 0n })
    await waitFor('the start event', () => seen.length >= 1) // its commit now awaits the disk
    for (let i = 0; i < DRIVER_QUEUE_MAX + 2; i++) driver.enqueue(peerVote)
    expect(driver.dropped, 'peer frames beyond the bound').toBe(2)
    await sleep(60) // the round timer fires into the full queue
    driver.enqueue({ type: 'certifiedBlock', block, certificate, now: 0n }, 'local') // the syncer's
    driver.enqueue({ type: 'certifiedBlock', block, certificate, now: 0n }) // a peer's: dropped
    disk.open() // the commit ends: the driver queues txsAvailable behind everything else
    await waitFor('every queued event', () => seen.length >= DRIVER_QUEUE_MAX + 4)
    await driver.stop()
    expect(driver.dropped).toBe(3)
    expect(seen).toHaveLength(DRIVER_QUEUE_MAX + 4)
    expect(seen.slice(1, -3).every((e) => e.type === 'vote')).toBe(true)
    expect(seen.slice(-3).map((e) => e.type)).toEqual(['timeout', 'certifiedBlock', 'txsAvailable'])
    expect(seen[seen.length - 3]).toMatchObject({ height: 5, round: 0, step: 'round' })
  })

  it('keeps one queued txsAvailable and one queued timer per (height, round, step)', async () => {
    const record = {} as WalRecord
    const { driver, seen, disk } = driverOf(
      (n) => (n === 0 ? [{ type: 'persist', record }] : []),
      true,
    )
    driver.enqueue({ type: 'start', now: 0n })
    await waitFor('the start event', () => seen.length >= 1) // its WAL append awaits the disk
    const timeout = (round: number): ConsensusEvent => {
      return { type: 'timeout', height: 5, round, step: 'round', now: 0n }
    }
    driver.enqueue({ type: 'txsAvailable', now: 0n })
    driver.enqueue(timeout(0))
    driver.enqueue(peerVote)
    driver.enqueue({ type: 'txsAvailable', now: 0n })
    driver.enqueue(timeout(0))
    driver.enqueue(timeout(1))
    disk.open()
    await waitFor('the queued events', () => seen.length >= 5)
    // Taken off the queue, a txsAvailable no longer absorbs the next one.
    driver.enqueue({ type: 'txsAvailable', now: 0n })
    await waitFor('the last txsAvailable', () => seen.length >= 6)
    await driver.stop()
    const order = seen.map((e) => (e.type === 'timeout' ? `timeout@${e.round}` : e.type))
    expect(order).toEqual([
      'start',
      'txsAvailable',
      'timeout@0',
      'vote',
      'timeout@1',
      'txsAvailable',
    ])
    // The pool is asked when the event is handed over, so a coalesced signal is never stale.
    expect(seen[1]).toMatchObject({ type: 'txsAvailable', full: true })
    expect(driver.dropped).toBe(0)
  })
})
