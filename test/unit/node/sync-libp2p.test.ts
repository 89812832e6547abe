/**
 * Goal: block sync works end to end over the real transport: node B, a fresh engine at genesis,
 * catches up all blocks that node A serves on `/pointsnode/sync/1`, its engine verifying each
 * certificate; a third node C that answers with garbage is penalised through the p2p layer's
 * `penalize` and does not stop the catch-up.
 * Method: three `startP2p` nodes on 127.0.0.1 with ephemeral ports; A serves `buildSyncHandler`
 * over an in-memory source of 20 blocks committed by four real-key engines; B runs a
 * `BlockSyncer` with real timers feeding a fresh engine. Waits poll with deadlines; every node is
 * stopped in afterEach.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  BlockSyncer,
  REAL_SYNC_TIMERS,
  SYNC_PENALTY_MALFORMED,
  buildSyncHandler,
} from '../../../src/node/sync.ts'
import { startP2p, type P2pNode } from '../../../src/p2p/node.ts'
import { equalBytes, toHex, utf8 } from '../../../src/util/bytes.ts'
import {
  catchUpEngine,
  engineChain,
  memorySource,
  syntheticChain,
} from '../../support/certified-chain.ts'
import { SIGNED_TX_BYTES_MAX } from '../../../src/core/limits.ts'
import type { SyncEntry } from '../../../src/p2p/sync-messages.ts'
import { testKey } from '../../support/fixtures.ts'

const running: P2pNode[] = []
const syncers: BlockSyncer[] = []

afterEach(async () => {
  for (const s of syncers.splice(0)) s.stop()
  await Promise.all(running.splice(0).map((n) => n.stop()))
})

async function waitFor(cond: () => boolean, what: string, deadlineMs = 15_000): Promise<void> {
  const end = Date.now() + deadlineMs
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const [ka, kb, kc] = ['a', 'b', 'c'].map((l) => testKey(`sync-net-${l}`)) as [
  ReturnType<typeof testKey>,
  ReturnType<typeof testKey>,
  ReturnType<typeof testKey>,
]
const all = [ka, kb, kc].map((k) => k.publicKey)

describe('sync over libp2p', () => {
  it('a fresh node catches up every block from a peer and penalises a garbage peer', async () => {
    const chain = engineChain(20)
    const a = await startP2p({
      secretKey: ka.secretKey,
      allowedPublicKeys: all,
      handlers: { onSyncRequest: buildSyncHandler(memorySource(chain)) },
    })
    running.push(a)
    const c = await startP2p({
      secretKey: kc.secretKey,
      allowedPublicKeys: all,
      handlers: { onSyncRequest: () => Promise.resolve(utf8('garbage')) },
    })
    running.push(c)
    const b = await startP2p({
      secretKey: kb.secretKey,
      allowedPublicKeys: all,
      redialIntervalMs: 150,
      knownPeers: [
        { publicKey: ka.publicKey, multiaddr: a.multiaddrs()[0]! },
        { publicKey: kc.publicKey, multiaddr: c.multiaddrs()[0]! },
      ],
    })
    running.push(b)
    await waitFor(() => b.isConnected(ka.publicKey) && b.isConnected(kc.publicKey), 'B to A, C')

    const receiver = catchUpEngine(chain, 3)
    const syncer = new BlockSyncer(
      {
        request: (peer, bytes) => b.request(peer, bytes, 5_000),
        peers: () =>
          b
            .peers()
            .filter((p) => p.connected && !p.banned)
            .map((p) => p.publicKey),
        localHeight: () => receiver.engine.currentHeight - 1,
        deliver: (entry) => receiver.deliver(entry),
        penalize: (peer, reason, points) => {
          b.penalize(peer, reason, points)
        },
        timers: REAL_SYNC_TIMERS,
      },
      { blocksPerRequest: 8, pollIntervalMs: 100 },
    )
    syncers.push(syncer)
    // Both peers claim height 20 (as a consensus message would); C is asked too, and lies.
    syncer.onPeerAhead(kc.publicKey, 20)
    syncer.onPeerAhead(ka.publicKey, 20)
    syncer.start()
    await waitFor(() => receiver.applied.length === 20, '20 blocks applied at B')
    for (let i = 0; i < 20; i++) {
      const want = chain.entries[i]!
      const got = receiver.applied[i]!
      expect(got.block.header.height, `block ${i + 1}`).toBe(i + 1)
      expect(
        equalBytes(got.certificate.blockHash, want.certificate.blockHash),
        `hash ${i + 1}`,
      ).toBe(true)
    }
    expect(receiver.engine.currentHeight).toBe(21)
    await syncer.settled()
    expect(syncer.isBehind()).toBe(false)
    expect(a.stats().syncRequestsServed).toBeGreaterThanOrEqual(3) // ceil(20 / 8)
    const cInfo = b.peers().find((p) => toHex(p.publicKey) === toHex(kc.publicKey))!
    expect(cInfo.score).toBeLessThanOrEqual(-SYNC_PENALTY_MALFORMED + 1) // recovers 10 points a minute
    expect(b.stats().penaltiesByReason).toEqual({ 'sync-malformed': 1 })
  })

  it('carries a response above 4 MiB (the libp2p default read buffer) within the frame limit', async () => {
    // 3 blocks of 170 txs of SIGNED_TX_BYTES_MAX (8,288) bytes: ≈ 1.41 MB each, ≈ 4.23 MB together,
    // above 4,194,304 and below SYNC_RESPONSE_BYTES_MAX (4,456,448): one response carries all three.
    const chain = syntheticChain(3, 170, SIGNED_TX_BYTES_MAX)
    const a = await startP2p({
      secretKey: ka.secretKey,
      allowedPublicKeys: all,
      handlers: {
        onSyncRequest: buildSyncHandler({ head: () => 3, load: (h) => chain[h - 1] }),
      },
    })
    running.push(a)
    const b = await startP2p({
      secretKey: kb.secretKey,
      allowedPublicKeys: all,
      redialIntervalMs: 150,
      knownPeers: [{ publicKey: ka.publicKey, multiaddr: a.multiaddrs()[0]! }],
    })
    running.push(b)
    await waitFor(() => b.isConnected(ka.publicKey), 'B to A')
    const got: SyncEntry[] = []
    const syncer = new BlockSyncer({
      request: (peer, bytes) => b.request(peer, bytes, 10_000),
      peers: () => [ka.publicKey],
      localHeight: () => got.length,
      deliver: (entry) => got.push(entry) > 0,
      penalize: () => {
        throw new Error('no penalty expected')
      },
      timers: REAL_SYNC_TIMERS,
    })
    syncers.push(syncer)
    syncer.start()
    await waitFor(() => got.length === 3, '3 large blocks at B')
    expect(syncer.stats()).toMatchObject({ requests: 1, requestFailures: 0, blocksDelivered: 3 })
    expect(got.map((e) => e.block.txs.length)).toEqual([170, 170, 170])
  })
})
