/**
 * Goal: the sync responder serves bounded, size-limited, contiguous answers with its head height;
 * the `BlockSyncer` catches a fresh engine up from honest peers in height order, rotates peers,
 * polls only while behind (no busy loop: nothing happens until the manual clock advances), stops
 * when caught up, and penalises peers that send garbage, too many, non-contiguous, mismatching,
 * withheld or engine-refused blocks while still catching up from an honest peer. A claimed head
 * whose request fails is dropped without a penalty; a block of unknown outcome costs nothing.
 * Method: a chain of 12 blocks committed by four real-key engines; peers are `buildSyncHandler`
 * over an in-memory source (and once over a MemoryKvStore ledger), wired straight to the syncer's `request`, or lying wrappers around it;
 * time is a manual timer queue; the receiver is a real engine fed `certifiedBlock` events.
 */
import { describe, expect, it } from 'vitest'
import { BLOCK_SCHEMA } from '../../../src/core/block.ts'
import { encodeCanonical } from '../../../src/codec/canonical.ts'
import {
  BlockSyncer,
  SYNC_PENALTY_INVALID,
  SYNC_PENALTY_MALFORMED,
  SYNC_PENALTY_REJECTED,
  buildSyncHandler,
  checkSyncResponse,
  syncSourceOfLedger,
  type SyncTimers,
} from '../../../src/node/sync.ts'
import { SYNC_RESPONSE_BYTES_MAX } from '../../../src/p2p/limits.ts'
import {
  decodeSyncRequest,
  decodeSyncResponse,
  encodeSyncRequest,
  encodeSyncResponse,
  SYNC_ENTRY_SCHEMA,
  type SyncEntry,
} from '../../../src/p2p/sync-messages.ts'
import { toHex, utf8 } from '../../../src/util/bytes.ts'
import { MemoryKvStore } from '../../../src/ledger/kv-memory.ts'
import { Ledger } from '../../../src/ledger/ledger.ts'
import {
  hashChainStateRootStandIn,
  TEST_GENESIS_HASH,
  TestChain,
} from '../../support/ledger-fixtures.ts'
import { err, ok } from '../../../src/util/result.ts'
import {
  catchUpEngine,
  engineChain,
  memorySource,
  type CertifiedChain,
} from '../../support/certified-chain.ts'
import { testKey } from '../../support/fixtures.ts'

const chain: CertifiedChain = engineChain(12)
const peerA = testKey('sync-peer-a').publicKey
const peerB = testKey('sync-peer-b').publicKey
const POLL_MS = 1_000

/** A manual clock: timers fire only when the test advances time. */
class ManualTimers implements SyncTimers {
  now = 0
  private readonly queue: { at: number; callback: () => void; live: boolean }[] = []
  setTimer(delayMs: number, callback: () => void): () => void {
    const timer = { at: this.now + delayMs, callback, live: true }
    this.queue.push(timer)
    return () => {
      timer.live = false
    }
  }
  pending(): number {
    return this.queue.filter((t) => t.live).length
  }
  advance(ms: number): void {
    this.now += ms
    for (const t of this.queue.splice(0)) {
      if (t.live && t.at <= this.now) t.callback()
      else if (t.live) this.queue.push(t)
    }
  }
}

/** A peer's sync service; `null` stands for a transport timeout. */
type Serve = (from: Uint8Array, bytes: Uint8Array) => Promise<Uint8Array | null>

/** A syncer in front of a fresh engine (validator 3 at genesis) with the given peers. */
function setup(servers: Map<string, Serve>, order: readonly Uint8Array[] = [peerA, peerB]) {
  const receiver = catchUpEngine(chain, 3)
  const timers = new ManualTimers()
  const penalties: { peer: string; reason: string; points: number }[] = []
  const asked: string[] = []
  const me = testKey('sync-me').publicKey
  const syncer = new BlockSyncer(
    {
      request: async (peer, bytes) => {
        asked.push(toHex(peer))
        const answer = await servers.get(toHex(peer))!(me, bytes)
        return answer ? ok(answer) : err({ code: 'P2P_TIMEOUT', message: 'no response' })
      },
      peers: () => order,
      localHeight: () => receiver.engine.currentHeight - 1,
      deliver: (entry) => receiver.deliver(entry),
      penalize: (peer, reason, points) => penalties.push({ peer: toHex(peer), reason, points }),
      timers,
    },
    { blocksPerRequest: 5, pollIntervalMs: POLL_MS },
  )
  return { receiver, timers, penalties, asked, syncer }
}

function expectCaughtUp(applied: readonly SyncEntry[], height: number): void {
  expect(applied).toHaveLength(height)
  for (let i = 0; i < height; i++) {
    expect(applied[i]!.block.header.height, `applied block ${i}`).toBe(i + 1)
    expect(applied[i], `applied block ${i}`).toEqual(chain.entries[i])
  }
}

const honest = buildSyncHandler(memorySource(chain))

async function response(serve: Serve, fromHeight: number, countMax: number) {
  const bytes = await serve(peerA, encodeSyncRequest({ version: 1, fromHeight, countMax }))
  if (!bytes) throw new Error('no response')
  const decoded = decodeSyncResponse(bytes)
  if (!decoded.ok) throw new Error(decoded.error.message)
  return decoded.value
}

describe('sync responder', () => {
  it('serves at most the asked count from fromHeight, its head height, nothing past its head', async () => {
    const r = await response(honest, 3, 5)
    expect(r.headHeight).toBe(12)
    expect(r.entries.map((e) => e.block.header.height)).toEqual([3, 4, 5, 6, 7])
    expect(r.entries[0]).toEqual(chain.entries[2])
    expect((await response(honest, 10, 64)).entries.map((e) => e.block.header.height)).toEqual([
      10, 11, 12,
    ])
    expect(await response(honest, 13, 64)).toEqual({ version: 1, headHeight: 12, entries: [] })
    const capped = buildSyncHandler(memorySource(chain), { blocksPerResponseMax: 2 })
    expect((await response(capped, 1, 64)).entries).toHaveLength(2)
    const partial = buildSyncHandler(memorySource(chain, 4))
    expect(await response(partial, 3, 64)).toMatchObject({ headHeight: 4 })
    expect((await response(partial, 3, 64)).entries).toHaveLength(2)
  })

  it('answers a malformed request with an empty response and reports it', async () => {
    const seen: string[] = []
    const serve = buildSyncHandler(memorySource(chain), {
      onMalformedRequest: (_from, error) => seen.push(error.code),
    })
    const bytes = await serve(peerA, utf8('not a request'))
    expect(decodeSyncResponse(bytes)).toEqual({
      ok: true,
      value: { version: 1, headHeight: 12, entries: [] },
    })
    expect(seen).toEqual(['SYNC_MALFORMED'])
  })

  it('stops adding blocks before the response would exceed SYNC_RESPONSE_BYTES_MAX', async () => {
    // Five blocks of 150 txs of 8,288 bytes (≈ 1.24 MB each): three fit into 4.25 MiB, four do not.
    const tx = new Uint8Array(8_288).fill(7)
    const big = chain.entries.slice(0, 5).map((e) => ({
      block: { ...e.block, txs: Array.from({ length: 150 }, () => tx) },
      certificate: e.certificate,
    }))
    expect(encodeCanonical(BLOCK_SCHEMA, big[0]!.block).length).toBeGreaterThan(1_240_000)
    const serve = buildSyncHandler({ head: () => 5, load: (h) => big[h - 1] })
    const bytes = await serve(peerA, encodeSyncRequest({ version: 1, fromHeight: 1, countMax: 64 }))
    expect(bytes.length).toBeLessThanOrEqual(SYNC_RESPONSE_BYTES_MAX)
    const decoded = decodeSyncResponse(bytes)
    expect(decoded.ok && decoded.value.entries.length).toBe(3)
  })
})

describe('ledger source', () => {
  it('serves blocks and certificates committed to a MemoryKvStore ledger', async () => {
    const ledger = await Ledger.open(new MemoryKvStore(), {
      computeStateRoot: hashChainStateRootStandIn,
    })
    await ledger.initGenesis({
      genesisHash: TEST_GENESIS_HASH,
      writeSet: [],
      stateRoot: hashChainStateRootStandIn([]),
    })
    const testChain = new TestChain('sync')
    const commits = []
    for (let h = 1; h <= 6; h++) {
      const commit = testChain.next(2)
      commits.push(commit)
      await ledger.commitBlock(commit)
    }
    const serve = buildSyncHandler(syncSourceOfLedger(ledger))
    const r = await response(serve, 2, 3)
    expect(r.headHeight).toBe(6)
    // Compared by canonical bytes (the fixture's byte strings may be Buffers).
    const wire = (e: SyncEntry) => toHex(encodeCanonical(SYNC_ENTRY_SCHEMA, e))
    expect(r.entries.map(wire)).toEqual(
      commits.slice(1, 4).map((c) => wire({ block: c.block, certificate: c.certificate })),
    )
    expect(checkSyncResponse(2, 3, r).ok).toBe(true)
    expect(await response(serve, 7, 3)).toEqual({ version: 1, headHeight: 6, entries: [] })
    await ledger.close()
  })
})

describe('response checks', () => {
  it('accepts an honest response and codes each structural fault', async () => {
    const good = await response(honest, 1, 5)
    expect(checkSyncResponse(1, 5, good).ok).toBe(true)
    const e = good.entries
    const code = (fromHeight: number, countMax: number, entries: SyncEntry[], head = 12) => {
      const checked = checkSyncResponse(fromHeight, countMax, {
        version: 1,
        headHeight: head,
        entries,
      })
      return checked.ok ? 'ok' : checked.error.code
    }
    expect(code(1, 4, e)).toBe('SYNC_TOO_MANY_BLOCKS')
    expect(code(2, 5, e)).toBe('SYNC_NOT_CONTIGUOUS')
    expect(code(1, 5, [e[0]!, e[2]!])).toBe('SYNC_NOT_CONTIGUOUS')
    const otherParent = { ...e[1]!.block.header, parentHash: new Uint8Array(32) }
    expect(code(1, 5, [e[0]!, { ...e[1]!, block: { ...e[1]!.block, header: otherParent } }])).toBe(
      'SYNC_NOT_CONTIGUOUS',
    )
    expect(code(1, 5, [{ ...e[0]!, certificate: e[1]!.certificate }])).toBe(
      'SYNC_CERTIFICATE_MISMATCH',
    )
    const wrongHash = { ...e[0]!.certificate, blockHash: new Uint8Array(32).fill(1) }
    expect(code(1, 5, [{ ...e[0]!, certificate: wrongHash }])).toBe('SYNC_CERTIFICATE_MISMATCH')
    expect(code(1, 5, e, 4)).toBe('SYNC_HEAD_INCONSISTENT')
    expect(code(1, 5, [], 3)).toBe('SYNC_WITHHELD')
    expect(code(4, 5, [], 3)).toBe('ok')
  })
})

describe('BlockSyncer', () => {
  it('catches up from two honest peers in order, rotating, then stops (no timer left)', async () => {
    const s = setup(
      new Map([
        [toHex(peerA), honest],
        [toHex(peerB), honest],
      ]),
    )
    // Heads heard before start (e.g. consensus messages) are remembered; start() asks at once.
    s.syncer.onPeerAhead(peerA, 12)
    s.syncer.onPeerAhead(peerB, 12)
    expect(s.asked).toEqual([])
    s.syncer.start()
    await s.syncer.settled()
    expectCaughtUp(s.receiver.applied, 12)
    // 12 blocks at 5 per request: ceil(12 / 5) = 3 requests, alternating between the peers.
    expect(s.syncer.stats()).toMatchObject({ requests: 3, blocksDelivered: 12, badResponses: 0 })
    expect(s.asked).toEqual([toHex(peerA), toHex(peerB), toHex(peerA)])
    expect(s.timers.pending()).toBe(0)
    expect(s.penalties).toEqual([])
    expect(s.syncer.isBehind()).toBe(false)
  })

  it('learns the head from the start probe alone (no consensus traffic needed)', async () => {
    const s = setup(new Map([[toHex(peerA), honest]]), [peerA])
    s.syncer.start()
    await s.syncer.settled()
    expectCaughtUp(s.receiver.applied, 12)
    expect(s.syncer.targetHeight()).toBe(12)
  })

  it('polls only while behind and only when the clock advances; stop() cancels the poll', async () => {
    let up = false
    const flaky: Serve = (from, bytes) => (up ? honest(from, bytes) : Promise.resolve(null))
    const s = setup(new Map([[toHex(peerA), flaky]]), [peerA])
    // The start probe asks the peer of unknown head until it answers: a failed request leaves
    // its head unknown (a claimed head would be dropped: see the next test).
    s.syncer.start()
    await s.syncer.settled()
    expect(s.asked).toHaveLength(1)
    expect(s.syncer.stats().requestFailures).toBe(1)
    expect(s.penalties, 'a timeout is no fault').toEqual([])
    expect(s.timers.pending()).toBe(1)
    await Promise.resolve()
    expect(s.asked, 'no request without the clock advancing').toHaveLength(1)
    s.timers.advance(POLL_MS)
    await s.syncer.settled()
    expect(s.asked).toHaveLength(2)
    expect(s.timers.pending(), 'still behind: the next poll is due').toBe(1)
    up = true
    s.timers.advance(POLL_MS - 1)
    await s.syncer.settled()
    expect(s.asked).toHaveLength(2)
    s.timers.advance(1)
    await s.syncer.settled()
    expectCaughtUp(s.receiver.applied, 12)
    expect(s.syncer.stats().polls).toBe(2)
    expect(s.timers.pending()).toBe(0)
    s.syncer.onPeerAhead(peerA, 20)
    s.syncer.stop()
    await s.syncer.settled()
    expect(s.timers.pending()).toBe(0)
  })

  it('forgets a claimed head whose request fails, without a penalty, and probes the peer again', async () => {
    let up = false
    const silent: Serve = (from, bytes) => (up ? honest(from, bytes) : Promise.resolve(null))
    const s = setup(new Map([[toHex(peerA), silent]]), [peerA])
    s.syncer.start()
    s.syncer.onPeerAhead(peerA, 12) // claimed while the start probe is in flight
    await s.syncer.settled()
    expect(s.syncer.stats().requestFailures).toBe(1)
    // The claim is not believed any more: the node does not report that it is behind.
    expect(s.syncer.isBehind()).toBe(false)
    expect(s.syncer.knownHead(peerA), 'unknown again').toBe(-1)
    expect(s.penalties, 'a failed request is no fault').toEqual([])
    // But the peer is probed again, once per poll, while it does not answer.
    for (let poll = 0; poll < 3; poll++) {
      s.timers.advance(POLL_MS)
      await s.syncer.settled()
    }
    expect(s.asked.length, 'one probe per poll').toBe(4)
    expect(s.syncer.isBehind()).toBe(false)
    // It answers: its response states its head and the node catches up.
    up = true
    s.timers.advance(POLL_MS)
    await s.syncer.settled()
    expectCaughtUp(s.receiver.applied, 12)
    expect(s.penalties).toEqual([])
    expect(s.timers.pending(), 'caught up: no poll left').toBe(0)
  })

  it('keeps syncing from a peer that never claims a head after one of its requests timed out', async () => {
    // The peer answered once (head 12), then one request timed out. It signs no consensus message
    // this node can check (an observer; or validators outside every set the node knows yet), so
    // only its own next response can restate its head.
    let calls = 0
    const onceSilent: Serve = (from, bytes) =>
      ++calls === 2 ? Promise.resolve(null) : honest(from, bytes)
    const s = setup(new Map([[toHex(peerA), onceSilent]]), [peerA])
    s.syncer.start()
    await s.syncer.settled()
    expect(s.receiver.applied.length, 'the first response was applied').toBe(5)
    expect(s.syncer.stats().requestFailures).toBe(1)
    s.timers.advance(POLL_MS)
    await s.syncer.settled()
    expectCaughtUp(s.receiver.applied, 12)
    expect(s.penalties).toEqual([])
  })

  it('neither penalises nor counts a block whose outcome is unknown, and asks again later', async () => {
    let stopping = true
    const s = setup(new Map([[toHex(peerA), honest]]), [peerA])
    const syncer = new BlockSyncer(
      {
        request: async (_peer, bytes) => ok(await honest(peerA, bytes)),
        peers: () => [peerA],
        localHeight: () => s.receiver.engine.currentHeight - 1,
        // The driver stopped before it handled the block: no outcome.
        deliver: (entry) => (stopping ? null : s.receiver.deliver(entry)),
        penalize: (peer, reason, points) => s.penalties.push({ peer: toHex(peer), reason, points }),
        timers: s.timers,
      },
      { blocksPerRequest: 5, pollIntervalMs: POLL_MS },
    )
    syncer.onPeerAhead(peerA, 12)
    syncer.start()
    await syncer.settled()
    expect(s.penalties).toEqual([])
    expect(syncer.stats()).toMatchObject({ requests: 1, blocksDelivered: 0, blocksRejected: 0 })
    expect(syncer.isBehind(), 'the claim stands').toBe(true)
    stopping = false
    s.timers.advance(POLL_MS)
    await syncer.settled()
    expectCaughtUp(s.receiver.applied, 12)
    expect(s.penalties).toEqual([])
  })

  it('skips blocks the node committed meanwhile and reports a throwing deliver through onError', async () => {
    // Live consensus commits blocks 1..3 while the first request is in flight.
    const holder: { node?: ReturnType<typeof setup> } = {}
    const racing: Serve = async (from, bytes) => {
      const answer = await honest(from, bytes)
      const receiver = holder.node!.receiver
      if (receiver.applied.length === 0) {
        for (const entry of chain.entries.slice(0, 3)) receiver.deliver(entry)
      }
      return answer
    }
    const r = setup(new Map([[toHex(peerA), racing]]), [peerA])
    holder.node = r
    r.syncer.onPeerAhead(peerA, 12)
    r.syncer.start()
    await r.syncer.settled()
    expectCaughtUp(r.receiver.applied, 12)
    expect(r.syncer.stats()).toMatchObject({ blocksDelivered: 9, blocksRejected: 0 })
    expect(r.penalties).toEqual([])

    const errors: unknown[] = []
    const failing = new BlockSyncer(
      {
        request: async (_peer, bytes) => ok(await honest(peerA, bytes)),
        peers: () => [peerA],
        localHeight: () => 0,
        deliver: () => {
          throw new Error('disk full')
        },
        penalize: () => undefined,
        timers: new ManualTimers(),
        onError: (error) => errors.push(error),
      },
      { pollIntervalMs: POLL_MS },
    )
    failing.onPeerAhead(peerA, 12)
    failing.start()
    await failing.settled()
    expect(errors.map((e) => (e instanceof Error ? e.message : e))).toEqual(['disk full'])
    failing.onPeerAhead(peerA, 13)
    await failing.settled()
    expect(errors, 'stopped after the error').toHaveLength(1)
  })

  /** Liars answer the first request; the honest peer B is asked after one poll. */
  const decodeOrThrow = async (from: Uint8Array, bytes: Uint8Array) => {
    const request = decodeSyncRequest(bytes)
    if (!request.ok) throw new Error('bad request in test')
    const answer = await honest(from, bytes)
    const decoded = decodeSyncResponse(answer)
    if (!decoded.ok) throw new Error('bad honest response')
    return { request: request.value, response: decoded.value }
  }
  const rewrite =
    (edit: (entries: SyncEntry[]) => SyncEntry[], head = 12): Serve =>
    async (from, bytes) => {
      const { response: r } = await decodeOrThrow(from, bytes)
      return encodeSyncResponse({ ...r, headHeight: head, entries: edit(r.entries) })
    }
  const liars: [string, Serve, string, number][] = [
    ['garbage', () => Promise.resolve(utf8('garbage')), 'sync-malformed', SYNC_PENALTY_MALFORMED],
    [
      'too many blocks',
      async (from, bytes) => {
        const { request } = await decodeOrThrow(from, bytes)
        const more = encodeSyncRequest({ ...request, countMax: request.countMax + 1 })
        return honest(from, more)
      },
      'sync-too-many-blocks',
      SYNC_PENALTY_INVALID,
    ],
    [
      'a skipped block',
      rewrite((e) => [e[0]!, ...e.slice(2)]),
      'sync-not-contiguous',
      SYNC_PENALTY_INVALID,
    ],
    [
      'a certificate of another block',
      rewrite((e) => e.map((x, i) => ({ ...x, certificate: e[(i + 1) % e.length]!.certificate }))),
      'sync-certificate-mismatch',
      SYNC_PENALTY_INVALID,
    ],
    [
      'a head below its blocks',
      rewrite((e) => e, 1),
      'sync-head-inconsistent',
      SYNC_PENALTY_INVALID,
    ],
    ['withheld blocks', rewrite(() => []), 'sync-withheld', SYNC_PENALTY_INVALID],
    [
      'certificates with too few seals (refused by the engine)',
      rewrite((e) =>
        e.map((x) => ({
          ...x,
          certificate: { ...x.certificate, signatures: x.certificate.signatures.slice(0, 2) },
        })),
      ),
      'sync-block-rejected',
      SYNC_PENALTY_REJECTED,
    ],
  ]

  it.each(liars)(
    'penalises a peer sending %s and catches up from the honest one',
    async (_n, liar, reason, points) => {
      const s = setup(
        new Map([
          [toHex(peerA), liar],
          [toHex(peerB), honest],
        ]),
      )
      s.syncer.onPeerAhead(peerA, 12)
      s.syncer.onPeerAhead(peerB, 12)
      s.syncer.start()
      await s.syncer.settled()
      expect(s.asked).toEqual([toHex(peerA)])
      expect(s.penalties).toEqual([{ peer: toHex(peerA), reason, points }])
      expect(s.receiver.applied).toEqual([])
      expect(s.timers.pending()).toBe(1)
      s.timers.advance(POLL_MS)
      await s.syncer.settled()
      expectCaughtUp(s.receiver.applied, 12)
      expect(s.penalties).toHaveLength(1)
      expect(
        s.asked.slice(1).every((k) => k === toHex(peerB)),
        'only B after the lie',
      ).toBe(true)
    },
  )
})
