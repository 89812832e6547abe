/**
 * Server-sent events: committed blocks (`GET /v1/events/blocks`) and one account's committed txs
 * (`GET /v1/events/accounts/:address`). Spec: SPEC §9; docs/api.md.
 *
 * Every subscriber has a cursor (the next height to send) and pulls blocks in height order from a
 * `BlockEventSource` (the ledger): backfill and live delivery are one loop, so the switch from one to
 * the other can neither skip nor repeat a block. A commit only wakes the loop; nothing is queued per
 * subscriber except the socket's own write buffer, which is bounded: a subscriber whose buffer stays
 * above `bufferBytesMax` for `stallMs` is dropped with a final `dropped` event. The number of
 * subscribers is bounded, in all and per client address (idle streams are never dropped, so
 * without the second bound one address could hold every slot), and idle streams get a comment
 * line every `heartbeatMs`.
 */
import type { ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { HEIGHT_MAX } from '../core/limits.ts'
import { assert } from '../util/assert.ts'
import { ERROR_BODY_SCHEMA, errorBody, httpStatusOf } from './errors.ts'

/** One committed tx as the account stream reports it. */
export interface TxSummary {
  readonly txId: string
  /** Position of the tx in its block. */
  readonly index: number
  readonly kind: string
  /** Hex addresses the tx concerns: its signer first, then receivers, acceptors, enterprises. */
  readonly addresses: readonly string[]
}

/** One committed block as the streams need it. */
export interface BlockSummary {
  readonly height: number
  readonly blockHash: string
  readonly txCount: number
  /** Header time, UNIX milliseconds as a decimal string. */
  readonly time: string
  readonly txs: readonly TxSummary[]
}

/** Where the streams read committed blocks (implemented by the node over its ledger). */
export interface BlockEventSource {
  /** The committed height. */
  head(): number
  /** The committed block at `height`, or undefined when there is none (height 0 or above the head). */
  block(height: number): Promise<BlockSummary | undefined>
  /** Calls `listener` after every commit with the new height; returns the unsubscribe function. */
  onCommitted(listener: (height: number) => void): () => void
}

/** Bounds of the event streams. */
export interface EventLimits {
  /** Most concurrent subscribers (both streams together). */
  readonly subscribersMax: number
  /** Most concurrent subscribers from one client address (both streams together). */
  readonly subscribersPerClientMax: number
  /** Most bytes waiting in one subscriber's write buffer before its loop waits for a drain. */
  readonly bufferBytesMax: number
  /** How long a subscriber may stay above `bufferBytesMax` before it is dropped. */
  readonly stallMs: number
  /** Interval of the heartbeat comment on every stream. */
  readonly heartbeatMs: number
}

/** Default bounds. */
export const EVENT_LIMITS_DEFAULT: EventLimits = {
  subscribersMax: 256,
  // A browser tab holds one or two streams; a few tabs or services behind one address fit.
  subscribersPerClientMax: 8,
  bufferBytesMax: 64 * 1024,
  stallMs: 10_000,
  heartbeatMs: 15_000,
}

/** Counters of the event hub (for metrics and tests). */
export interface EventStats {
  readonly subscribers: number
  readonly dropped: number
  /** Largest write buffer seen on any subscriber, in bytes. */
  readonly bufferedBytesPeak: number
}

/** Why a subscriber may not join: the code (its status from the one table) and a message. */
export interface SubscriberRefusal {
  readonly code: 'API_SUBSCRIBERS_FULL' | 'API_SUBSCRIBERS_PER_CLIENT'
  readonly message: string
}

/** What a subscriber receives: every block, or one account's txs. */
type Filter = { readonly kind: 'blocks' } | { readonly kind: 'account'; readonly address: string }

/** A subscriber's position: the next height, and at that height the first tx index still to send. */
interface Cursor {
  height: number
  index: number
}

/** Subscribers, their loops and the bounds. One per API instance. */
export class EventHub {
  readonly #source: BlockEventSource
  readonly #limits: EventLimits
  readonly #subscribers = new Set<Subscriber>()
  // Open subscribers per client address; an address leaves the map with its last subscriber.
  readonly #byClient = new Map<string, number>()
  #unsubscribe: (() => void) | null = null
  #heartbeat: ReturnType<typeof setInterval> | null = null
  #dropped = 0
  #bufferedPeak = 0

  constructor(source: BlockEventSource, limits: Partial<EventLimits> = {}) {
    this.#source = source
    this.#limits = { ...EVENT_LIMITS_DEFAULT, ...limits }
    const { subscribersMax, subscribersPerClientMax } = this.#limits
    assert(Number.isInteger(subscribersMax) && subscribersMax >= 1, `${subscribersMax} subscribers`)
    assert(
      Number.isInteger(subscribersPerClientMax) && subscribersPerClientMax >= 1,
      `${subscribersPerClientMax} subscribers per client`,
    )
  }

  /** Current counters. */
  stats(): EventStats {
    return {
      subscribers: this.#subscribers.size,
      dropped: this.#dropped,
      bufferedBytesPeak: this.#bufferedPeak,
    }
  }

  /** Why another subscriber from `client` (its address) may not join now, or null if it may. */
  refusalOf(client: string): SubscriberRefusal | null {
    const held = this.#byClient.get(client) ?? 0
    const perClient = this.#limits.subscribersPerClientMax
    if (held >= perClient) {
      const message = `${held} event streams open from ${client}: at most ${perClient} per client`
      return { code: 'API_SUBSCRIBERS_PER_CLIENT', message }
    }
    if (this.#subscribers.size >= this.#limits.subscribersMax) {
      return { code: 'API_SUBSCRIBERS_FULL', message: 'too many event subscribers' }
    }
    return null
  }

  /** The committed height. */
  head(): number {
    return this.#source.head()
  }

  /**
   * Starts streaming to `res` (headers already written) from `cursor`, for `client` (its address),
   * which `refusalOf` let in.
   * @throws {AssertionError} if the subscriber is over a bound.
   */
  subscribe(res: ServerResponse, filter: Filter, cursor: Cursor, client: string): void {
    assert(this.refusalOf(client) === null, `subscriber from ${client} over the bounds`)
    const subscriber = new Subscriber(this, res, filter, cursor)
    this.#subscribers.add(subscriber)
    this.#byClient.set(client, (this.#byClient.get(client) ?? 0) + 1)
    if (this.#subscribers.size === 1) this.#start()
    res.on('close', () => {
      subscriber.close()
      this.#subscribers.delete(subscriber)
      const held = this.#byClient.get(client) ?? 0
      assert(held >= 1, `closing a subscriber of ${client}, which holds none`)
      if (held === 1) this.#byClient.delete(client)
      else this.#byClient.set(client, held - 1)
      if (this.#subscribers.size === 0) this.#stop()
    })
    void subscriber.run()
  }

  /** Ends every stream (on API close: open streams would keep the server from closing). */
  closeAll(): void {
    for (const subscriber of this.#subscribers) subscriber.end()
  }

  /** @internal */ get limits(): EventLimits {
    return this.#limits
  }

  /** @internal */ get source(): BlockEventSource {
    return this.#source
  }

  /** @internal */ noteBuffered(bytes: number): void {
    if (bytes > this.#bufferedPeak) this.#bufferedPeak = bytes
  }

  /** @internal */ noteDropped(): void {
    this.#dropped++
  }

  #start(): void {
    this.#unsubscribe = this.#source.onCommitted(() => {
      for (const subscriber of this.#subscribers) subscriber.wake()
    })
    this.#heartbeat = setInterval(() => {
      for (const subscriber of this.#subscribers) subscriber.heartbeat()
    }, this.#limits.heartbeatMs)
    this.#heartbeat.unref()
  }

  #stop(): void {
    this.#unsubscribe?.()
    this.#unsubscribe = null
    if (this.#heartbeat) clearInterval(this.#heartbeat)
    this.#heartbeat = null
  }
}

/** Formats one server-sent event. */
export function formatEvent(id: string, event: string, data: unknown): string {
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}

class Subscriber {
  readonly #hub: EventHub
  readonly #res: ServerResponse
  readonly #filter: Filter
  readonly #cursor: Cursor
  #closed = false
  #wake: (() => void) | null = null

  constructor(hub: EventHub, res: ServerResponse, filter: Filter, cursor: Cursor) {
    this.#hub = hub
    this.#res = res
    this.#filter = filter
    this.#cursor = { ...cursor }
  }

  wake(): void {
    const wake = this.#wake
    this.#wake = null
    wake?.()
  }

  close(): void {
    this.#closed = true
    this.wake()
  }

  end(): void {
    this.#finish('shutdown', 'the node is shutting down')
  }

  // A method, not the field: the field changes while the loop awaits, which narrowing cannot see.
  #isClosed(): boolean {
    return this.#closed
  }

  heartbeat(): void {
    if (this.#closed || this.#res.writableLength > this.#hub.limits.bufferBytesMax) return
    this.#res.write(': heartbeat\n\n')
  }

  async run(): Promise<void> {
    const source = this.#hub.source
    while (!this.#closed) {
      if (this.#cursor.height > source.head()) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve
          // A commit between the head check and here must not be missed.
          if (this.#cursor.height <= source.head() || this.#closed) this.wake()
        })
        continue
      }
      const block = await source.block(this.#cursor.height)
      if (this.#isClosed()) return
      if (!block) {
        this.#finish('unavailable', `block ${this.#cursor.height} is not available`)
        return
      }
      this.#send(block)
      if (this.#res.writableLength > this.#hub.limits.bufferBytesMax && !(await this.#drained())) {
        this.#hub.noteDropped()
        this.#finish('slow', 'the subscriber did not read its stream in time')
        return
      }
    }
  }

  #send(block: BlockSummary): void {
    const { height } = block
    if (this.#filter.kind === 'blocks') {
      const data = {
        height,
        blockHash: block.blockHash,
        txCount: block.txCount,
        time: block.time,
      }
      this.#res.write(formatEvent(String(height), 'block', data))
    } else {
      const address = this.#filter.address
      for (const tx of block.txs) {
        if (tx.index < this.#cursor.index || !tx.addresses.includes(address)) continue
        const data = { height, index: tx.index, txId: tx.txId, kind: tx.kind }
        this.#res.write(formatEvent(`${height}-${tx.index}`, 'tx', data))
      }
    }
    this.#hub.noteBuffered(this.#res.writableLength)
    this.#cursor.height = height + 1
    this.#cursor.index = 0
  }

  /** Waits until the write buffer drains; false when it stays full for `stallMs` or closes. */
  #drained(): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (drained: boolean): void => {
        clearTimeout(timer)
        this.#res.off('drain', onDrain)
        this.#res.off('close', onClose)
        resolve(drained)
      }
      const onDrain = (): void => {
        done(true)
      }
      const onClose = (): void => {
        done(false)
      }
      const timer = setTimeout(() => {
        done(false)
      }, this.#hub.limits.stallMs)
      this.#res.on('drain', onDrain)
      this.#res.on('close', onClose)
    })
  }

  #finish(reason: string, message: string): void {
    if (this.#closed) return
    const next = `${this.#cursor.height}`
    this.#res.end(formatEvent(next, 'end', { reason, message, next: this.#cursor.height }))
    // A subscriber that does not read cannot receive the final event: release the socket anyway.
    setTimeout(() => this.#res.destroy(), this.#hub.limits.stallMs).unref()
    this.close()
  }
}

const LAST_EVENT_ID = /^(\d{1,10})(?:-(\d{1,4}))?$/

/** The cursor a request asks for: after `Last-Event-ID`, else at `from`, else after the head. */
function cursorOf(
  request: FastifyRequest,
  head: number,
): { ok: true; cursor: Cursor } | { ok: false; message: string } {
  const lastId = request.headers['last-event-id']
  if (typeof lastId === 'string') {
    const match = LAST_EVENT_ID.exec(lastId)
    const height = Number(match?.[1] ?? NaN)
    if (!match || height > HEIGHT_MAX) return { ok: false, message: `bad Last-Event-ID ${lastId}` }
    // `H` (a block event) resumes at H + 1; `H-i` (a tx event) resumes after tx i of block H.
    if (match[2] === undefined) return { ok: true, cursor: { height: height + 1, index: 0 } }
    return { ok: true, cursor: { height, index: Number(match[2]) + 1 } }
  }
  const { from } = request.query as { from?: string }
  if (from === undefined) return { ok: true, cursor: { height: head + 1, index: 0 } }
  const height = Number(from)
  if (height > HEIGHT_MAX) return { ok: false, message: `from ${from} exceeds ${HEIGHT_MAX}` }
  return { ok: true, cursor: { height: Math.max(1, height), index: 0 } }
}

const QUERY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: {
      type: 'string',
      pattern: '^[0-9]{1,10}$',
      description: 'first height to send (default: the next block)',
    },
  },
} as const

const STREAM_RESPONSES = {
  200: {
    description:
      'text/event-stream of `block` events (id: height) or `tx` events (id: height-index)',
    type: 'string',
  },
  400: ERROR_BODY_SCHEMA,
  429: ERROR_BODY_SCHEMA,
  503: ERROR_BODY_SCHEMA,
} as const

function startStream(
  hub: EventHub,
  filter: Filter,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply | undefined {
  // By the connection's address, as the request rate limit counts (`request.ip`).
  const client = request.ip
  const refused = hub.refusalOf(client)
  if (refused) {
    // A full node may have room soon; a client at its own bound must close one of its streams.
    if (refused.code === 'API_SUBSCRIBERS_FULL') void reply.header('retry-after', '5')
    return reply.code(httpStatusOf(refused.code)).send(errorBody(refused.code, refused.message))
  }
  const cursor = cursorOf(request, hub.head())
  if (!cursor.ok) return reply.code(400).send(errorBody('API_BAD_REQUEST', cursor.message))
  reply.hijack()
  const res = reply.raw
  res.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  })
  res.write(': pointsnode events\nretry: 1000\n\n')
  hub.subscribe(res, filter, cursor.cursor, client)
  return undefined
}

/** Registers the event routes on `app` (call from `buildApi`); ends open streams on close. */
export function registerEventRoutes(app: FastifyInstance, hub: EventHub): void {
  app.addHook('preClose', (done) => {
    hub.closeAll()
    done()
  })
  app.get(
    '/v1/events/blocks',
    {
      // A HEAD request would otherwise start a stream whose body is never sent.
      exposeHeadRoute: false,
      schema: {
        description: 'Server-sent events: every committed block in height order.',
        querystring: QUERY_SCHEMA,
        response: STREAM_RESPONSES,
      },
    },
    (request, reply) => startStream(hub, { kind: 'blocks' }, request, reply),
  )
  app.get(
    '/v1/events/accounts/:address',
    {
      exposeHeadRoute: false,
      schema: {
        description: "Server-sent events: an account's committed txs in chain order.",
        params: {
          type: 'object',
          required: ['address'],
          properties: { address: { type: 'string', pattern: '^[0-9a-f]{40}$' } },
        },
        querystring: QUERY_SCHEMA,
        response: STREAM_RESPONSES,
      },
    },
    (request, reply) => {
      const { address } = request.params as { address: string }
      return startStream(hub, { kind: 'account', address }, request, reply)
    },
  )
}
