/**
 * Goal: the p2p building blocks keep their bounds and rules: the frame queue drops oldest frames by
 * count and by bytes and counts the drops; the seen-set forgets its oldest entry; peer scores
 * recover with time, ban at the threshold, and the ban expires; gossip batches split by count and
 * bytes, carry the keys of the nodes they reached, and reject non-canonical frames; a tx/1 frame
 * reads as txs that reached no one.
 * Method: direct calls with a manual clock; expected values written out by hand.
 */
import { describe, expect, it } from 'vitest'
import { encodeCanonical } from '../../../src/codec/canonical.ts'
import { bytes, list } from '../../../src/codec/schema.ts'
import { BoundedSeenSet, FrameQueue } from '../../../src/p2p/bounded.ts'
import {
  PEER_SCORE_BAN_THRESHOLD,
  TX_BATCH_COUNT_MAX,
  TX_MESSAGE_BYTES_MAX,
  TX_REACHED_MAX,
} from '../../../src/p2p/limits.ts'
import { PeerScores } from '../../../src/p2p/peer-score.ts'
import {
  decodeTxBatchV1,
  decodeTxGossip,
  encodeTxBatches,
  TX_BATCH_SCHEMA,
} from '../../../src/p2p/tx-batch.ts'

describe('FrameQueue', () => {
  it('drops the oldest frames when full by count', () => {
    const q = new FrameQueue(3, 1000)
    for (let i = 0; i < 5; i++) q.push(Uint8Array.of(i))
    expect(q.length).toBe(3)
    expect(q.dropped).toBe(2)
    expect([q.shift()?.[0], q.shift()?.[0], q.shift()?.[0], q.shift()]).toEqual([
      2,
      3,
      4,
      undefined,
    ])
    expect(q.bytes).toBe(0)
  })

  it('drops the oldest frames when full by bytes', () => {
    const q = new FrameQueue(100, 10)
    q.push(new Uint8Array(4).fill(1))
    q.push(new Uint8Array(4).fill(2))
    expect(q.push(new Uint8Array(6).fill(3))).toBe(1)
    expect(q.bytes).toBe(10)
    expect(q.shift()?.[0]).toBe(2)
    expect(() => q.push(new Uint8Array(11))).toThrow(/frame of 11/)
  })
})

describe('BoundedSeenSet', () => {
  it('remembers at most its capacity, forgetting the oldest', () => {
    const s = new BoundedSeenSet(2)
    expect([s.add('a'), s.add('b'), s.add('a'), s.add('c')]).toEqual([true, true, false, true])
    expect([s.has('a'), s.has('b'), s.has('c'), s.size]).toEqual([false, true, true, 2])
  })
})

describe('PeerScores', () => {
  it('recovers 10 points per minute, bans at the threshold, and the ban expires', () => {
    let now = 1_000_000
    const scores = new PeerScores(() => now, 60_000)
    expect(scores.penalize('p', 60)).toEqual({ score: -60, banned: false })
    now += 60_000
    expect(scores.score('p')).toBe(-50)
    expect(scores.penalize('p', 49)).toEqual({ score: -99, banned: false })
    expect(scores.penalize('p', 1)).toEqual({ score: -100, banned: true })
    expect(PEER_SCORE_BAN_THRESHOLD).toBe(-100)
    expect(scores.isBanned('p')).toBe(true)
    expect(scores.penalize('p', 5).banned).toBe(false) // already banned: no second ban event
    expect(scores.bannedCount()).toBe(1)
    now += 60_000
    expect(scores.isBanned('p')).toBe(false)
    expect(scores.score('p')).toBe(0)
    expect(scores.isBanned('other')).toBe(false)
  })
})

describe('tx gossip batches', () => {
  const key = (i: number): Uint8Array => new Uint8Array(33).fill(i)

  it('splits by count and by bytes, carries the reached keys and round-trips', () => {
    const small = Array.from({ length: TX_BATCH_COUNT_MAX + 1 }, (_, i) => Uint8Array.of(i & 255))
    const reached = [key(2), key(3)]
    const frames = encodeTxBatches(small, reached)
    expect(frames.length).toBe(2)
    const decoded = frames.map((f) => decodeTxGossip(f))
    expect(decoded.map((d) => (d.ok ? d.value.txs.length : -1))).toEqual([TX_BATCH_COUNT_MAX, 1])
    for (const d of decoded) expect(d.ok && d.value.reached).toEqual(reached)
    expect(decoded[1]!.ok && decoded[1]!.value.txs).toEqual([Uint8Array.of(0)])
    // With the most reached keys a frame still stays within the byte limit.
    const most = Array.from({ length: TX_REACHED_MAX }, (_, i) => key(i))
    const big = Array.from({ length: 200 }, () => new Uint8Array(8_000).fill(7))
    const bigFrames = encodeTxBatches(big, most)
    for (const [i, f] of bigFrames.entries()) {
      expect(f.length, `frame ${i}`).toBeLessThanOrEqual(TX_MESSAGE_BYTES_MAX)
      expect(decodeTxGossip(f).ok, `frame ${i} decodes`).toBe(true)
    }
    expect(bigFrames.length).toBe(2)
    expect(encodeTxBatches([], reached)).toEqual([])
    expect(() => encodeTxBatches(small, [...most, key(0)])).toThrow(/reached keys/)
    expect(() => encodeTxBatches(small, [new Uint8Array(32)])).toThrow(/reached key of 32/)
  })

  it('refuses malformed frames; reads a tx/1 frame as the txs with no reached keys', () => {
    expect(decodeTxGossip(Uint8Array.of(0xc1)).ok).toBe(false)
    // A tx/1 frame (a bare list) is not a tx/2 frame, and a reached key must have 33 bytes.
    const v1 = encodeCanonical(TX_BATCH_SCHEMA, [Uint8Array.of(1), Uint8Array.of(2)])
    expect(decodeTxGossip(v1).ok).toBe(false)
    const shortKey = encodeCanonical(list(bytes(32), 1), [new Uint8Array(32)])
    const bad = Uint8Array.of(0x92, ...shortKey, 0x90)
    expect(decodeTxGossip(bad).ok).toBe(false)
    expect(decodeTxBatchV1(v1)).toEqual({
      ok: true,
      value: { reached: [], txs: [Uint8Array.of(1), Uint8Array.of(2)] },
    })
    expect(decodeTxBatchV1(Uint8Array.of(0x90))).toEqual({
      ok: true,
      value: { reached: [], txs: [] },
    })
    expect(decodeTxBatchV1(Uint8Array.of(0xc1)).ok).toBe(false)
  })
})
