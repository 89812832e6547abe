/**
 * One persistent outbound stream to one peer for one protocol, fed by a bounded frame queue.
 * A single writer loop drains the queue in order, so frames arrive in the order they were queued.
 * The stream opens lazily, only while a connection to the peer exists; when it fails, the frame in
 * flight is dropped (counted) and the next pump opens a new stream. Spec: docs/protocol/p2p.md#streams.
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import { FrameQueue } from './bounded.ts'
import { STREAM_OPEN_TIMEOUT_MS } from './limits.ts'

/** Counters of one channel. */
export interface ChannelCounters {
  sent: number
  writeFailures: number
}

/** A persistent, ordered, bounded outbound stream. */
export class OutboundChannel {
  readonly queue: FrameQueue
  readonly counters: ChannelCounters = { sent: 0, writeFailures: 0 }
  private stream: Stream | undefined
  private lp: LengthPrefixedStream<Stream> | undefined
  private pumping = false
  private closed = false
  private readonly libp2p: Libp2p
  /** The remote peer. */
  readonly peer: PeerId
  /** The protocol id of the stream. */
  readonly protocol: string

  constructor(libp2p: Libp2p, peer: PeerId, protocol: string, framesMax: number, bytesMax: number) {
    this.libp2p = libp2p
    this.peer = peer
    this.protocol = protocol
    this.queue = new FrameQueue(framesMax, bytesMax)
  }

  /** Queues `frame` and starts the writer if idle. Returns frames dropped to make room. */
  enqueue(frame: Uint8Array): number {
    const dropped = this.queue.push(frame)
    this.pump()
    return dropped
  }

  /** Starts the writer loop unless it is running, closed or has nothing to send. */
  pump(): void {
    if (this.pumping || this.closed || this.queue.length === 0) return
    this.pumping = true
    void this.drain().finally(() => {
      this.pumping = false
    })
  }

  /** Drops the current stream (e.g. after a disconnect); queued frames stay. */
  reset(): void {
    const stream = this.stream
    this.stream = undefined
    this.lp = undefined
    if (stream && stream.status === 'open') stream.abort(new Error('channel reset'))
  }

  /** Stops the channel for good and discards its queue. */
  close(): void {
    this.closed = true
    this.queue.clear()
    this.reset()
  }

  private async drain(): Promise<void> {
    while (!this.closed && this.queue.length > 0) {
      const lp = await this.open()
      if (!lp) return
      const frame = this.queue.shift()
      if (!frame) return
      try {
        await lp.write(frame)
        this.counters.sent++
      } catch {
        // The stream died under us (peer gone, reset): the frame is lost; consensus tolerates
        // loss. The next pump (new message, reconnect or redial tick) opens a fresh stream.
        this.counters.writeFailures++
        this.reset()
        return
      }
    }
  }

  private async open(): Promise<LengthPrefixedStream<Stream> | undefined> {
    if (this.lp && this.stream?.status === 'open') return this.lp
    this.reset()
    // Only open over an existing connection: dialling is the redial loop's job, so a dead peer
    // costs one failed dial per interval instead of one per message.
    if (this.libp2p.getConnections(this.peer).length === 0) return undefined
    try {
      const stream = await this.libp2p.dialProtocol(this.peer, this.protocol, {
        signal: AbortSignal.timeout(STREAM_OPEN_TIMEOUT_MS),
      })
      if (this.closed) {
        stream.abort(new Error('channel closed'))
        return undefined
      }
      stream.addEventListener('close', () => {
        if (this.stream === stream) {
          this.stream = undefined
          this.lp = undefined
        }
      })
      this.stream = stream
      this.lp = lpStream(stream)
      return this.lp
    } catch {
      // Protocol negotiation failed or the connection closed meanwhile: retry on the next pump.
      return undefined
    }
  }
}
