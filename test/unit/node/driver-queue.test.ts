/**
 * Goal: the consensus driver's queue bounds peer frames only. While an event awaits the disk (a
 * WAL fsync, a block commit), a peer that sends more than DRIVER_QUEUE_MAX frames gets the excess
 * dropped and counted, but the node's own round timer and its after-commit txsAvailable still
 * reach the engine, in arrival order; so do the blocks the syncer fetched. Local events are
 * bounded by coalescing: one queued txsAvailable, one queued timer per (height, round, step).
 * Peer frames are bounded in bytes too (DRIVER_QUEUE_BYTES_MAX), and one sender fills at most its
 * share of either bound. A block the syncer fetched is answered with the engine's outcome once
 * the driver handled it, however long the queue ahead of it took (no deadline).
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
import {
  ConsensusDriver,
  DRIVER_QUEUE_BYTES_MAX,
  DRIVER_QUEUE_MAX,
  DRIVER_QUEUE_PEER_FRAMES_MAX,
} from '../../../src/node/driver.ts'
import type { WalStore } from '../../../src/node/wal-store.ts'
import { CONSENSUS_MESSAGE_BYTES_MAX } from '../../../src/p2p/limits.ts'

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
      const effects = script(seen.length - 1)
      // Deciding moves the engine to the next height, as the real one does.
      if (effects.some((e) => e.type === 'commitBlock')) this.currentHeight++
      return effects
    },
  }
  const wal = { append: () => disk.wait, pruneBelow: async () => {} } as unknown as WalStore
  const app = { commit: () => ({ blockHash: new Uint8Array(32) }) } as unknown as ChainApp
  const driver = new ConsensusDriver(engine as unknown as Consensus, app, wal, {
    broadcast: () => {},
    send: () => {},
    commit: () => disk.wait,
    poolFull: () => poolFull,
    fail: (e) => {
      throw e
    },
  })
  return { driver, seen, disk, engine }
}

/** A sender's public key (the driver only keys its share by it). */
const peerKey = (i: number): Uint8Array => new Uint8Array(33).fill(i)

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

  it('bounds queued peer frames in bytes and each sender to its share', async () => {
    const { driver, seen, disk } = driverOf((n) =>
      n === 0 ? [{ type: 'persist', record: {} as WalRecord }] : [],
    )
    driver.enqueue({ type: 'start', now: 0n })
    await waitFor('the start event', () => seen.length >= 1) // its WAL append awaits the disk
    const large = { bytes: CONSENSUS_MESSAGE_BYTES_MAX } // the largest frame
    // One sender: its share of the bytes holds three frames of the largest size, not four.
    for (let i = 0; i < 4; i++) driver.enqueue(peerVote, 'peer', { ...large, peer: peerKey(1) })
    expect(driver.dropped, "beyond the first sender's byte share").toBe(1)
    // Small frames of one sender: its share of the frame count.
    for (let i = 0; i < DRIVER_QUEUE_PEER_FRAMES_MAX + 5; i++) {
      driver.enqueue(peerVote, 'peer', { peer: peerKey(2), bytes: 200 })
    }
    expect(driver.dropped, "beyond the second sender's frame share").toBe(6)
    // Other senders still get in, until the queue's byte bound.
    const used = 3 * large.bytes + DRIVER_QUEUE_PEER_FRAMES_MAX * 200
    const fit = Math.floor((DRIVER_QUEUE_BYTES_MAX - used) / large.bytes)
    expect(fit, 'the other senders fit more than one share').toBeGreaterThan(4)
    for (let i = 0; i < fit + 1; i++) {
      driver.enqueue(peerVote, 'peer', { ...large, peer: peerKey(10 + (i % 8)) })
    }
    expect(driver.dropped, 'beyond the byte bound of the queue').toBe(7)
    // The node's own events are never dropped.
    driver.enqueue({ type: 'timeout', height: 5, round: 0, step: 'round', now: 0n })
    disk.open()
    const queued = 1 + 3 + DRIVER_QUEUE_PEER_FRAMES_MAX + fit + 1
    await waitFor('every queued event', () => seen.length >= queued)
    // Taken off the queue, frames free their bytes and their sender's share.
    driver.enqueue(peerVote, 'peer', { ...large, peer: peerKey(1) })
    await waitFor('a frame after the queue drained', () => seen.length >= queued + 1)
    await driver.stop()
    expect(driver.dropped).toBe(7)
    expect(seen.at(-2)?.type).toBe('timeout')
  })

  it("answers a synced block with the engine's outcome once handled, however long the queue took", async () => {
    const certificate = {} as CommitCertificate
    const synced = (height: number) => ({
      type: 'certifiedBlock' as const,
      block: { header: { height } } as Block,
      certificate,
      now: 0n,
    })
    // Event 1 (the synced block of height 5) decides; event 2 (another of height 7) does not.
    const { driver, seen, disk, engine } = driverOf((n) =>
      n === 1 ? [{ type: 'commitBlock', block, certificate, validatorUpdates: [] }] : [],
    )
    const record = {} as WalRecord
    driver.enqueue({ type: 'start', now: 0n })
    await waitFor('the start event', () => seen.length >= 1)
    const applied = driver.handleSyncedBlock(synced(5))
    for (let i = 0; i < 100; i++) driver.enqueue(peerVote)
    const refused = driver.handleSyncedBlock(synced(7))
    let settled = false
    void applied.then(() => (settled = true))
    // The commit waits on the disk far longer than a poll would have: no answer yet.
    await sleep(300)
    expect(settled, 'no answer before the engine handled the block').toBe(false)
    disk.open()
    expect(await applied).toBe('applied')
    expect(engine.currentHeight).toBe(6)
    expect(await refused).toBe('refused')
    await driver.stop()
    // A block still queued when the driver stops has no outcome.
    const other = driverOf(() => [{ type: 'persist', record }])
    other.driver.enqueue({ type: 'start', now: 0n })
    await waitFor('the start event', () => other.seen.length >= 1)
    const pending = other.driver.handleSyncedBlock(synced(5))
    const stopped = other.driver.stop() // waits for the event in progress
    other.disk.open()
    await stopped
    expect(await pending).toBe('stopped')
    expect(other.seen, 'the synced block was not handed over').toHaveLength(1)
    expect(await other.driver.handleSyncedBlock(synced(5))).toBe('stopped')
  })
})
