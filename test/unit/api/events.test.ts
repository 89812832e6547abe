/**
 * Goal: the event streams deliver every committed block (and an account's txs) exactly once and in
 * order across backfill, live delivery and reconnection; they refuse bad cursors, too many
 * subscribers and too many from one client address with coded errors; a subscriber that stops
 * reading is dropped with a final event while the server's buffer for it stays bounded.
 * Method: buildApi with an EventHub over an in-memory BlockEventSource that the test commits to,
 * listening on 127.0.0.1:0 (inject cannot stream), read with a small node:http SSE client (another
 * client address is a connection from 127.0.0.2). Expected heights and ids are written out by the
 * test, not computed by the code under test.
 */
import type { FastifyInstance } from 'fastify'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { buildApi, type ApiDeps } from '../../../src/api/build-api.ts'
import {
  EventHub,
  type BlockEventSource,
  type BlockSummary,
  type EventLimits,
} from '../../../src/api/events.ts'
import { openSse, type SseEvent, type SseStream } from '../../support/sse-client.ts'

const ALICE = 'a1'.repeat(20)
const BOB = 'b0'.repeat(20)

/** In-memory chain: block h has h % 3 txs; tx i of block h concerns ALICE when i is even. */
class FakeChain implements BlockEventSource {
  height: number
  readonly #listeners = new Set<(height: number) => void>()

  constructor(height: number) {
    this.height = height
  }

  head(): number {
    return this.height
  }

  block(height: number): Promise<BlockSummary | undefined> {
    if (height < 1 || height > this.height) return Promise.resolve(undefined)
    const txCount = height % 3
    const txs = Array.from({ length: txCount }, (_, index) => ({
      txId: `${height}`.padStart(8, '0') + `${index}`.padStart(56, '0'),
      index,
      kind: 'points.transfer',
      addresses: index % 2 === 0 ? [ALICE, BOB] : [BOB],
    }))
    const blockHash = `${height}`.padStart(64, 'f')
    return Promise.resolve({
      height,
      blockHash,
      txCount,
      time: `${1_700_000_000_000 + height}`,
      txs,
    })
  }

  onCommitted(listener: (height: number) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  listenerCount(): number {
    return this.#listeners.size
  }

  commit(count = 1): void {
    for (let i = 0; i < count; i++) {
      this.height++
      for (const listener of this.#listeners) listener(this.height)
    }
  }
}

interface Served {
  readonly app: FastifyInstance
  readonly hub: EventHub
  readonly chain: FakeChain
  readonly url: string
}

const open: { app: FastifyInstance; streams: SseStream[] }[] = []
afterEach(async () => {
  for (const { app, streams } of open.splice(0)) {
    for (const stream of streams) stream.close()
    await app.close()
  }
})

async function serve(height: number, limits: Partial<EventLimits> = {}): Promise<Served> {
  const chain = new FakeChain(height)
  const hub = new EventHub(chain, limits)
  const deps: ApiDeps = {
    chainId: 'pointsnode-test',
    metrics: new Registry(),
    health: () => ({
      height: chain.height,
      inSync: true,
      chainId: 'pointsnode-test',
      peers: 0,
      blockHash: '00',
      stateRoot: '00',
      mempoolTxs: 0,
    }),
    submitTx: () => Promise.reject(new Error('not used')),
    events: hub,
  }
  const app = await buildApi(deps)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  open.push({ app, streams: [] })
  return { app, hub, chain, url: `http://127.0.0.1:${port}` }
}

async function subscribe(
  served: Served,
  path: string,
  headers: Record<string, string> = {},
): Promise<SseStream> {
  const stream = await openSse(served.url + path, headers)
  open.find((o) => o.app === served.app)?.streams.push(stream)
  return stream
}

/**
 * A block stream opened from another loopback address (`localAddress`: the server sees it as
 * another client); only its status is read.
 */
async function streamFrom(
  served: Served,
  localAddress: string,
): Promise<{ status: number; close: () => void }> {
  const { request } = await import('node:http')
  return new Promise((resolve, reject) => {
    const req = request(
      `${served.url}/v1/events/blocks`,
      { localAddress, headers: { accept: 'text/event-stream' } },
      (res) => {
        res.resume()
        resolve({ status: res.statusCode ?? 0, close: () => req.destroy() })
      },
    )
    req.on('error', reject)
    req.end()
  })
}

const blocks = (events: SseEvent[]): SseEvent[] => events.filter((e) => e.event === 'block')
const heightsOf = (events: SseEvent[]): number[] =>
  blocks(events)
    .map((e) => JSON.parse(e.data) as { height: number })
    .map((b) => b.height)
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('GET /v1/events/blocks', () => {
  it('backfills from `from`, then streams live blocks with id = height', async () => {
    const served = await serve(5)
    const stream = await subscribe(served, '/v1/events/blocks?from=2')
    expect(stream.status).toBe(200)
    expect(stream.headers['content-type']).toContain('text/event-stream')
    await stream.waitFor('backfill to 5', (e) => blocks(e).length >= 4)
    served.chain.commit(3)
    await stream.waitFor('live to 8', (e) => blocks(e).length >= 7)
    expect(heightsOf(stream.events)).toEqual([2, 3, 4, 5, 6, 7, 8])
    expect(blocks(stream.events).map((e) => e.id)).toEqual(['2', '3', '4', '5', '6', '7', '8'])
    expect(JSON.parse(stream.events[0]!.data)).toEqual({
      height: 2,
      blockHash: '2'.padStart(64, 'f'),
      txCount: 2,
      time: '1700000000002',
    })
  })

  it('without `from` starts after the head', async () => {
    const served = await serve(10)
    const stream = await subscribe(served, '/v1/events/blocks')
    await until(() => served.hub.stats().subscribers === 1)
    served.chain.commit(2)
    await stream.waitFor('two live blocks', (e) => blocks(e).length >= 2)
    expect(heightsOf(stream.events)).toEqual([11, 12])
  })

  it('has no gap and no duplicate when blocks commit during the backfill', async () => {
    const served = await serve(300)
    const stream = await subscribe(served, '/v1/events/blocks?from=1')
    // Commit while the subscriber is still catching up, in small steps on the event loop.
    for (let i = 0; i < 100; i++) {
      served.chain.commit()
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    await stream.waitFor('all 400 blocks', (e) => blocks(e).length >= 400)
    expect(heightsOf(stream.events)).toEqual(range(1, 400))
  })

  it('resumes after Last-Event-ID with no gap and no duplicate', async () => {
    const served = await serve(3)
    const first = await subscribe(served, '/v1/events/blocks?from=1')
    await first.waitFor('three blocks', (e) => blocks(e).length >= 3)
    first.close()
    await until(() => served.hub.stats().subscribers === 0)
    served.chain.commit(4) // Committed while disconnected.
    const lastId = blocks(first.events).at(-1)!.id!
    expect(lastId).toBe('3')
    // An EventSource reconnects with the same URL (here `from=1`) plus Last-Event-ID: the header wins.
    const second = await subscribe(served, '/v1/events/blocks?from=1', { 'last-event-id': lastId })
    await second.waitFor('blocks 4..7', (e) => blocks(e).length >= 4)
    served.chain.commit()
    await second.waitFor('block 8', (e) => blocks(e).length >= 5)
    expect([...heightsOf(first.events), ...heightsOf(second.events)]).toEqual(range(1, 8))
  })

  const bad: [string, Record<string, string>][] = [
    ['/v1/events/blocks?from=abc', {}],
    ['/v1/events/blocks?from=-1', {}],
    ['/v1/events/blocks?from=99999999999', {}],
    ['/v1/events/blocks?from=4294967296', {}],
    ['/v1/events/blocks?other=1', {}],
    ['/v1/events/blocks', { 'last-event-id': 'x' }],
    ['/v1/events/blocks', { 'last-event-id': '4294967296' }],
    ['/v1/events/accounts/zz', {}],
    [`/v1/events/accounts/${ALICE.toUpperCase()}`, {}],
    [`/v1/events/accounts/${ALICE}00`, {}],
  ]
  for (const [path, headers] of bad) {
    it(`refuses ${path} ${JSON.stringify(headers)} with a coded 400`, async () => {
      const served = await serve(1)
      const stream = await subscribe(served, path, headers)
      await stream.waitFor('the error body to end', () => stream.ended())
      expect(stream.status, path).toBe(400)
      const body = JSON.parse(stream.body()) as { error: { code: string } }
      expect(body.error.code, path).toBe('API_BAD_REQUEST')
      expect(served.hub.stats().subscribers).toBe(0)
    })
  }

  it('serves no HEAD stream (it would hold a subscriber slot without a body)', async () => {
    const served = await serve(1)
    const res = await served.app.inject({ method: 'HEAD', url: '/v1/events/blocks' })
    expect(res.statusCode).toBe(404)
    expect(served.hub.stats().subscribers).toBe(0)
  })

  it('refuses subscribers beyond the maximum with 503 API_SUBSCRIBERS_FULL', async () => {
    const served = await serve(1, { subscribersMax: 2 })
    await subscribe(served, '/v1/events/blocks')
    await subscribe(served, '/v1/events/blocks')
    const third = await subscribe(served, '/v1/events/blocks')
    await third.waitFor('the error body', () => third.ended())
    expect(third.status).toBe(503)
    expect((JSON.parse(third.body()) as { error: { code: string } }).error.code).toBe(
      'API_SUBSCRIBERS_FULL',
    )
    expect(served.hub.stats().subscribers).toBe(2)
  })

  it('refuses a client beyond its own bound with 429 API_SUBSCRIBERS_PER_CLIENT', async () => {
    const served = await serve(1, { subscribersPerClientMax: 2 })
    const first = await subscribe(served, '/v1/events/blocks')
    await subscribe(served, `/v1/events/accounts/${ALICE}`)
    const third = await subscribe(served, '/v1/events/blocks')
    await third.waitFor('the error body', () => third.ended())
    expect(third.status).toBe(429)
    expect((JSON.parse(third.body()) as { error: { code: string } }).error.code).toBe(
      'API_SUBSCRIBERS_PER_CLIENT',
    )
    // Not a busy node: waiting does not help, closing one of its own streams does.
    expect(third.headers['retry-after']).toBeUndefined()
    expect(served.hub.stats().subscribers).toBe(2)
    // Another address still gets in (the node has room), and a closed stream frees its slot.
    const other = await streamFrom(served, '127.0.0.2')
    try {
      expect(other.status).toBe(200)
      await until(() => served.hub.stats().subscribers === 3)
      first.close()
      await until(() => served.hub.stats().subscribers === 2)
      const again = await subscribe(served, '/v1/events/blocks')
      expect(again.status).toBe(200)
      await until(() => served.hub.stats().subscribers === 3)
    } finally {
      other.close()
    }
  })

  it('sends heartbeats and unsubscribes from commits when the last subscriber leaves', async () => {
    const served = await serve(1, { heartbeatMs: 20 })
    const stream = await subscribe(served, '/v1/events/blocks')
    await until(() => served.chain.listenerCount() === 1)
    // Heartbeats are comment lines, which the client skips: observe them on the raw socket instead.
    let raw = ''
    const { request } = await import('node:http')
    await new Promise<void>((resolve, reject) => {
      const req = request(served.url + '/v1/events/blocks', (res) => {
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          raw += chunk
          if (raw.includes(': heartbeat')) {
            req.destroy()
            resolve()
          }
        })
      })
      req.on('error', reject)
      req.end()
    })
    expect(raw).toContain(': heartbeat\n\n')
    stream.close()
    await until(() => served.hub.stats().subscribers === 0)
    expect(served.chain.listenerCount()).toBe(0)
  })

  it('drops a subscriber that stops reading, with a final event, keeping its buffer bounded', async () => {
    const bufferBytesMax = 16 * 1024
    const served = await serve(200_000, { bufferBytesMax, stallMs: 1000 })
    const stream = await subscribe(served, '/v1/events/blocks?from=1')
    stream.pause()
    await until(() => served.hub.stats().dropped === 1, 30_000)
    stream.resume()
    await stream.waitFor('the final event', (e) => e.at(-1)?.event === 'end')
    const last = stream.events.at(-1)!
    const final = JSON.parse(last.data) as { reason: string; next: number }
    expect(final.reason).toBe('slow')
    // Every block before `next` arrived, in order; the stream stopped far before the head.
    expect(heightsOf(stream.events)).toEqual(range(1, final.next - 1))
    expect(final.next).toBeLessThan(200_000)
    // The server never held more than the bound plus one event for this subscriber.
    expect(served.hub.stats().bufferedBytesPeak).toBeLessThanOrEqual(bufferBytesMax + 512)
    await until(() => served.hub.stats().subscribers === 0)
  })
})

describe('shutdown', () => {
  it('ends open streams with a final event so that closing the API does not hang', async () => {
    const served = await serve(2)
    const stream = await subscribe(served, '/v1/events/blocks?from=1')
    await stream.waitFor('two blocks', (e) => blocks(e).length >= 2)
    await served.app.close()
    await stream.waitFor('the final event', (e) => e.at(-1)?.event === 'end')
    expect(JSON.parse(stream.events.at(-1)!.data)).toMatchObject({ reason: 'shutdown', next: 3 })
    expect(served.hub.stats().subscribers).toBe(0)
  })
})

describe('GET /v1/events/accounts/:address', () => {
  it("streams the account's txs with id height-index and resumes mid-block", async () => {
    const served = await serve(0)
    const stream = await subscribe(served, `/v1/events/accounts/${ALICE}?from=1`)
    await until(() => served.hub.stats().subscribers === 1)
    served.chain.commit(5) // Blocks 1..5 have 1,2,0,1,2 txs; ALICE is in the even indexes.
    await stream.waitFor('four txs', (e) => e.length >= 4)
    expect(stream.events.map((e) => e.id)).toEqual(['1-0', '2-0', '4-0', '5-0'])
    expect(JSON.parse(stream.events[1]!.data)).toEqual({
      height: 2,
      index: 0,
      txId: '2'.padStart(8, '0') + '0'.padStart(56, '0'),
      kind: 'points.transfer',
    })
    stream.close()
    // Resuming after tx 0 of block 5 goes on with tx 1 of block 5 (for BOB, who is in every tx).
    const bob = await subscribe(served, `/v1/events/accounts/${BOB}`, { 'last-event-id': '5-0' })
    await until(() => served.hub.stats().subscribers === 1)
    served.chain.commit(1) // Block 6: no txs; block 7: one tx (index 0, BOB).
    served.chain.commit(1)
    await bob.waitFor('two txs', (e) => e.length >= 2)
    expect(bob.events.map((e) => e.id)).toEqual(['5-1', '7-0'])
  })
})

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
