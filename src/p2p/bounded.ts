/**
 * Bounded containers of the p2p layer: a FIFO queue that drops its oldest entry when full (outbound
 * frames per peer) and a set that forgets its oldest entry when full (the tx gossip seen-set).
 * Spec: docs/protocol/p2p.md#queues.
 */
import { assert } from '../util/assert.ts'

/**
 * A FIFO queue of byte frames bounded by count and by total bytes; pushing onto a full queue drops
 * the oldest frames until the new one fits.
 */
export class FrameQueue {
  private items: Uint8Array[] = []
  private head = 0
  private bytesQueued = 0
  /** Frames dropped because the queue was full. */
  dropped = 0
  /** Most frames held. */
  readonly framesMax: number
  /** Most bytes held. */
  readonly bytesMax: number

  /**
   * @throws {AssertionError} if a bound is not a positive integer.
   */
  constructor(framesMax: number, bytesMax: number) {
    this.framesMax = framesMax
    this.bytesMax = bytesMax
    assert(Number.isInteger(framesMax) && framesMax > 0, `queue framesMax ${framesMax}`)
    assert(Number.isInteger(bytesMax) && bytesMax > 0, `queue bytesMax ${bytesMax}`)
  }

  /** Number of queued frames. */
  get length(): number {
    return this.items.length - this.head
  }

  /** Total bytes of the queued frames. */
  get bytes(): number {
    return this.bytesQueued
  }

  /**
   * Appends `frame`, dropping the oldest frames while a bound would be exceeded.
   * Returns how many frames were dropped.
   * @throws {AssertionError} if the frame alone exceeds the byte bound (a caller bug).
   */
  push(frame: Uint8Array): number {
    assert(frame.length <= this.bytesMax, `frame of ${frame.length} > ${this.bytesMax} bytes`)
    let droppedNow = 0
    while (
      this.length > 0 &&
      (this.length >= this.framesMax || this.bytesQueued + frame.length > this.bytesMax)
    ) {
      this.shift()
      droppedNow++
    }
    this.dropped += droppedNow
    this.items.push(frame)
    this.bytesQueued += frame.length
    assert(this.length <= this.framesMax, `queue holds ${this.length} > ${this.framesMax}`)
    assert(this.bytesQueued <= this.bytesMax, `queue holds ${this.bytesQueued} bytes`)
    return droppedNow
  }

  /** Removes and returns the oldest frame. */
  shift(): Uint8Array | undefined {
    if (this.length === 0) return undefined
    const frame = this.items[this.head]!
    this.head++
    this.bytesQueued -= frame.length
    // Reclaim the consumed prefix once it is half the array, so pushes stay amortised O(1).
    if (this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    assert(this.bytesQueued >= 0, 'negative queued bytes')
    return frame
  }

  /** Removes every frame (not counted as dropped). */
  clear(): void {
    this.items = []
    this.head = 0
    this.bytesQueued = 0
  }
}

/** A set of strings holding at most `capacity` entries; adding to a full set forgets the oldest. */
export class BoundedSeenSet {
  private readonly entries = new Set<string>()
  /** Most entries held. */
  readonly capacity: number

  /** @throws {AssertionError} if `capacity` is not a positive integer. */
  constructor(capacity: number) {
    this.capacity = capacity
    assert(Number.isInteger(capacity) && capacity > 0, `seen-set capacity ${capacity}`)
  }

  /** Number of remembered entries. */
  get size(): number {
    return this.entries.size
  }

  /** True when `key` is remembered. */
  has(key: string): boolean {
    return this.entries.has(key)
  }

  /** Remembers `key`; returns false when it was already remembered. */
  add(key: string): boolean {
    if (this.entries.has(key)) return false
    if (this.entries.size >= this.capacity) {
      // Set iteration order is insertion order: the first key is the oldest. Only the local
      // dedupe decision depends on it, never consensus data.
      const oldest = this.entries.values().next().value
      if (oldest !== undefined) this.entries.delete(oldest)
    }
    this.entries.add(key)
    assert(this.entries.size <= this.capacity, `seen-set holds ${this.entries.size}`)
    return true
  }
}
