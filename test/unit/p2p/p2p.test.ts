/**
 * Goal: the libp2p transport delivers consensus frames in order over persistent streams, broadcasts,
 * gossips txs once, answers sync requests (with timeout and unknown-peer errors), admits only allowed
 * keys, penalises and bans peers sending oversize or garbage frames while it keeps serving others,
 * disconnects peers removed from the allow-list, and redials a peer that restarts on the same port.
 * Method: real libp2p nodes (TCP + noise + yamux) on 127.0.0.1 ephemeral ports, plus raw libp2p
 * nodes that speak the wire protocol directly to misbehave. Every node is stopped in afterEach;
 * waits poll with deadlines.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeCanonical } from '../../../src/codec/canonical.ts'
import {
  CONSENSUS_MESSAGE_BYTES_MAX,
  CONSENSUS_QUEUE_FRAMES_MAX,
  PROTOCOL_CONSENSUS,
  PROTOCOL_TX,
  PROTOCOL_TX_V1,
  TX_FRAMES_IN_DELIVERY_MAX,
} from '../../../src/p2p/limits.ts'
import { startP2p, type P2pNode } from '../../../src/p2p/node.ts'
import { TX_BATCH_SCHEMA } from '../../../src/p2p/tx-batch.ts'
import type { KnownPeer, P2pConfig, P2pHandlers } from '../../../src/p2p/types.ts'
import { fromUtf8, utf8 } from '../../../src/util/bytes.ts'
import { testKey, type TestKey } from '../../support/fixtures.ts'

const running: { stop: () => void | Promise<void> }[] = []

afterEach(async () => {
  await Promise.all(
    running.splice(0).map(async (n) => {
      await n.stop()
    }),
  )
})

async function waitFor(cond: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** A promise the test resolves when it chooses (`open`), for handlers that must wait. */
function manualGate(): { wait: Promise<void>; open: () => void } {
  let open: () => void = () => undefined
  const wait = new Promise<void>((resolve) => {
    open = resolve
  })
  return { wait, open }
}

async function start(
  key: TestKey,
  allowed: readonly TestKey[],
  extra: Partial<P2pConfig> = {},
): Promise<P2pNode> {
  const node = await startP2p({
    secretKey: key.secretKey,
    allowedPublicKeys: allowed.map((k) => k.publicKey),
    redialIntervalMs: 150,
    ...extra,
  })
  running.push(node)
  return node
}

function knownPeer(key: TestKey, node: P2pNode): KnownPeer {
  return { publicKey: key.publicKey, multiaddr: node.multiaddrs()[0]! }
}

async function rawNode(key: TestKey): Promise<Libp2p> {
  const node = await createLibp2p({
    privateKey: privateKeyFromRaw(key.secretKey),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), ping: ping() },
  })
  running.push(node)
  return node
}

const [ka, kb, kc, kd] = ['a', 'b', 'c', 'd'].map((l) => testKey(`p2p-${l}`)) as [
  TestKey,
  TestKey,
  TestKey,
  TestKey,
]

describe('p2p transport', () => {
  it('delivers consensus frames in order over one persistent stream and broadcasts to all', async () => {
    const gotB: string[] = []
    const gotC: string[] = []
    const b = await start(kb, [ka, kb, kc], {
      handlers: { onConsensusMessage: (_from, bytes) => void gotB.push(fromUtf8(bytes)) },
    })
    const c = await start(kc, [ka, kb, kc], {
      handlers: { onConsensusMessage: (_from, bytes) => void gotC.push(fromUtf8(bytes)) },
    })
    const a = await start(ka, [ka, kb, kc], {
      knownPeers: [knownPeer(kb, b), knownPeer(kc, c)],
    })
    await waitFor(() => a.isConnected(kb.publicKey) && a.isConnected(kc.publicKey), 'A to B and C')
    const count = 500
    for (let i = 0; i < count; i++) expect(a.send(kb.publicKey, utf8(`m${i}`)).ok).toBe(true)
    await waitFor(() => gotB.length === count, `${count} frames at B`)
    for (let i = 0; i < count; i++) expect(gotB[i], `frame ${i} at B`).toBe(`m${i}`)
    expect(a.broadcast(utf8('all'))).toBe(2)
    await waitFor(() => gotB.at(-1) === 'all' && gotC.at(-1) === 'all', 'broadcast at B and C')
    expect(gotC).toEqual(['all'])
    const stats = a.stats()
    expect(stats.consensusSent).toBe(count + 2)
    expect(stats.consensusDropped).toBe(0)
    expect(b.stats().consensusReceived).toBe(count + 1)
    expect(a.send(kd.publicKey, utf8('x'))).toMatchObject({
      ok: false,
      error: { code: 'P2P_UNKNOWN_PEER' },
    })
    const big = new Uint8Array(CONSENSUS_MESSAGE_BYTES_MAX + 1)
    expect(a.send(kb.publicKey, big)).toMatchObject({
      ok: false,
      error: { code: 'P2P_MESSAGE_TOO_LARGE' },
    })
  })

  it('gossips txs once: forwards only what the handler accepts, dedupes by hash', async () => {
    const atC: string[] = []
    const c = await start(kc, [kb, kc], {
      handlers: { onTxs: (_from, txs) => (atC.push(...txs.map(fromUtf8)), txs.map(() => true)) },
    })
    const b = await start(kb, [ka, kb, kc, kd], {
      knownPeers: [knownPeer(kc, c)],
      handlers: { onTxs: (_from, txs) => txs.map((tx) => fromUtf8(tx) !== 'bad') },
    })
    const a = await start(ka, [ka, kb], { knownPeers: [knownPeer(kb, b)] })
    await waitFor(() => a.isConnected(kb.publicKey) && b.isConnected(kc.publicKey), 'A-B-C line')
    expect(a.publishTxs([utf8('t1'), utf8('t2'), utf8('bad')])).toBe(1)
    expect(a.publishTxs([utf8('t1')])).toBe(0)
    await waitFor(() => atC.length === 2, 'two txs at C')
    expect(atC).toEqual(['t1', 't2'])
    expect(b.stats().txForwarded).toBe(2)
    // C has seen t1: publishing it again sends only t3.
    expect(c.publishTxs([utf8('t1'), utf8('t3')])).toBe(1)
    await waitFor(() => a.stats().txReceived === 1, 't3 forwarded by B to A')
    // D has not seen t1: B receives it a second time, counts a duplicate and forwards only t4.
    const d = await start(kd, [kb, kd], { knownPeers: [knownPeer(kb, b)] })
    await waitFor(() => d.isConnected(kb.publicKey), 'D to B')
    expect(d.publishTxs([utf8('t1'), utf8('t4')])).toBe(1)
    await waitFor(() => atC.length === 3, 't4 at C')
    expect(atC).toEqual(['t1', 't2', 't4'])
    expect(b.stats()).toMatchObject({ txReceived: 6, txDuplicates: 1, txForwarded: 4 })
    expect(c.stats().txDuplicates).toBe(0)
  })

  it('forwards txs only to the peers a frame did not reach: none in a full mesh', async () => {
    const got = new Map<string, string[]>()
    const accept = (name: string): P2pHandlers => ({
      onTxs: (_from, txs) => {
        got.set(name, [...(got.get(name) ?? []), ...txs.map(fromUtf8)])
        return txs.map(() => true)
      },
    })
    // A, B and C all connected to each other; D only to B.
    const all = [ka, kb, kc, kd]
    const d = await start(kd, all, { handlers: accept('d') })
    const c = await start(kc, all, { handlers: accept('c') })
    const b = await start(kb, all, {
      knownPeers: [knownPeer(kc, c), knownPeer(kd, d)],
      handlers: accept('b'),
    })
    const a = await start(ka, all, {
      knownPeers: [knownPeer(kb, b), knownPeer(kc, c)],
      handlers: accept('a'),
    })
    await waitFor(
      () =>
        a.isConnected(kb.publicKey) && a.isConnected(kc.publicKey) && b.isConnected(kc.publicKey),
      'A, B and C meshed',
    )
    await waitFor(() => b.isConnected(kd.publicKey), 'D to B')
    expect(d.isConnected(ka.publicKey) || d.isConnected(kc.publicKey), 'D sees only B').toBe(false)
    expect(a.publishTxs([utf8('t1'), utf8('t2')])).toBe(1)
    await waitFor(() => got.get('d')?.length === 2, 'both txs at D')
    // A sent to B and C itself: B forwards only to D, which A did not reach; C forwards nothing.
    expect(b.stats()).toMatchObject({ txReceived: 2, txDuplicates: 0, txForwarded: 2 })
    expect(c.stats()).toMatchObject({ txReceived: 2, txDuplicates: 0, txForwarded: 0 })
    expect(d.stats()).toMatchObject({ txReceived: 2, txDuplicates: 0, txForwarded: 0 })
    // D's tx: B's frame names A, B, C and D as reached, so neither A nor C forwards it again.
    expect(d.publishTxs([utf8('t3')])).toBe(1)
    await waitFor(() => got.get('a')?.length === 1 && got.get('c')?.length === 3, 't3 at A and C')
    expect(b.stats().txForwarded).toBe(3)
    expect(a.stats()).toMatchObject({ txReceived: 1, txDuplicates: 0, txForwarded: 0 })
    expect(c.stats()).toMatchObject({ txReceived: 3, txDuplicates: 0, txForwarded: 0 })
    expect(got.get('a')).toEqual(['t3'])
    expect(got.get('b')).toEqual(['t1', 't2', 't3'])
  })

  it('reads tx/1 frames of an older node and forwards their txs to every other peer', async () => {
    const atC: string[] = []
    const c = await start(kc, [ka, kb, kc], {
      handlers: { onTxs: (_from, txs) => (atC.push(...txs.map(fromUtf8)), txs.map(() => true)) },
    })
    const b = await start(kb, [ka, kb, kc], {
      knownPeers: [knownPeer(kc, c)],
      handlers: { onTxs: (_from, txs) => txs.map(() => true) },
    })
    await waitFor(() => b.isConnected(kc.publicKey), 'B to C')
    const old = await rawNode(ka)
    const stream = await old.dialProtocol(multiaddr(b.multiaddrs()[0]), PROTOCOL_TX_V1)
    await lpStream(stream).write(encodeCanonical(TX_BATCH_SCHEMA, [utf8('v1-a'), utf8('v1-b')]))
    await waitFor(() => atC.length === 2, 'the tx/1 txs forwarded to C')
    expect(atC).toEqual(['v1-a', 'v1-b'])
    expect(b.stats()).toMatchObject({ txReceived: 2, txForwarded: 2, framesGarbage: 0 })
  })

  it('hands tx frames on without awaiting earlier handlers, at most TX_FRAMES_IN_DELIVERY_MAX', async () => {
    const handled: string[] = []
    const consensus: string[] = []
    const { wait: gate, open } = manualGate()
    const b = await start(kb, [ka, kb], {
      handlers: {
        // Every handler waits for the gate, like adds waiting for their verification.
        onTxs: async (_from, txs) => {
          handled.push(...txs.map(fromUtf8))
          await gate
          return txs.map(() => false)
        },
        onConsensusMessage: (_from, bytes) => void consensus.push(fromUtf8(bytes)),
      },
    })
    const a = await start(ka, [ka, kb], { knownPeers: [knownPeer(kb, b)] })
    await waitFor(() => a.isConnected(kb.publicKey), 'A to B')
    const frames = TX_FRAMES_IN_DELIVERY_MAX + 4
    for (let i = 0; i < frames; i++) expect(a.publishTxs([utf8(`t${i}`)]), `frame ${i}`).toBe(1)
    await waitFor(() => handled.length === TX_FRAMES_IN_DELIVERY_MAX, 'a full set in delivery')
    // A consensus frame sent after them arrives on its own stream; the tx stream stays stopped.
    expect(a.send(kb.publicKey, utf8('later')).ok).toBe(true)
    await waitFor(() => consensus.length === 1, 'the consensus frame')
    expect(handled).toEqual(Array.from({ length: TX_FRAMES_IN_DELIVERY_MAX }, (_, i) => `t${i}`))
    expect(b.stats().txReceived).toBe(TX_FRAMES_IN_DELIVERY_MAX)
    open()
    await waitFor(() => handled.length === frames, 'the rest after the handlers finish')
    expect(handled).toEqual(Array.from({ length: frames }, (_, i) => `t${i}`))
    expect(a.stats().txFramesDropped).toBe(0)
  })

  it('publishes nothing and remembers nothing while no peer is connected', async () => {
    const atB: string[] = []
    const b = await start(kb, [ka, kb], {
      handlers: { onTxs: (_from, txs) => (atB.push(...txs.map(fromUtf8)), txs.map(() => false)) },
    })
    expect(b.publishTxs([utf8('early')]), 'alone: no frame').toBe(0)
    const a = await start(ka, [ka, kb], { knownPeers: [knownPeer(kb, b)] })
    await waitFor(() => a.isConnected(kb.publicKey), 'A to B')
    expect(a.publishTxs([utf8('early')])).toBe(1)
    await waitFor(() => atB.length === 1, 'the copy reaches B')
    expect(atB, 'B did not remember the tx it could not send').toEqual(['early'])
    expect(b.stats().txDuplicates).toBe(0)
  })

  it('answers sync requests; reports timeout, unknown peer and unavailable', async () => {
    const { wait: hang, open: release } = manualGate()
    const b = await start(kb, [ka, kb], {
      handlers: {
        onSyncRequest: async (from, bytes) => {
          if (fromUtf8(bytes) === 'slow') await hang
          return utf8(`re:${fromUtf8(bytes)}:${from.length}`)
        },
      },
    })
    const c = await start(kc, [ka, kc])
    const a = await start(ka, [ka, kb, kc], {
      knownPeers: [knownPeer(kb, b), knownPeer(kc, c)],
    })
    try {
      const reply = await a.request(kb.publicKey, utf8('hello'))
      expect(reply.ok && fromUtf8(reply.value)).toBe('re:hello:33')
      const startMs = Date.now()
      const slow = await a.request(kb.publicKey, utf8('slow'), 300)
      expect(slow).toMatchObject({ ok: false, error: { code: 'P2P_TIMEOUT' } })
      expect(Date.now() - startMs).toBeLessThan(3_000)
      expect(await a.request(kd.publicKey, utf8('x'))).toMatchObject({
        ok: false,
        error: { code: 'P2P_UNKNOWN_PEER' },
      })
      // C serves no sync: the stream is refused.
      const none = await a.request(kc.publicKey, utf8('x'), 2_000)
      expect(none).toMatchObject({ ok: false, error: { code: 'P2P_UNAVAILABLE' } })
      const after = await a.request(kb.publicKey, utf8('again'))
      expect(after.ok && fromUtf8(after.value)).toBe('re:again:33')
      expect(a.stats()).toMatchObject({ syncTimeouts: 1, syncRequestsSent: 4 })
      expect(b.stats().syncRequestsServed).toBe(2)
    } finally {
      release()
    }
  })

  it('refuses a key that is not allowed: no connection, its frames have no effect', async () => {
    const received: string[] = []
    const a = await start(ka, [ka, kb], {
      handlers: { onConsensusMessage: (_from, bytes) => void received.push(fromUtf8(bytes)) },
    })
    const d = await start(kd, [ka, kd], { knownPeers: [knownPeer(ka, a)] })
    await waitFor(() => a.stats().gaterDenied >= 2, 'A denies D twice')
    expect(d.send(ka.publicKey, utf8('queued')).ok).toBe(true)
    const raw = await rawNode(kd)
    try {
      // The dial may appear to succeed on D's side (A closes after the handshake, G10).
      const stream = await raw.dialProtocol(multiaddr(a.multiaddrs()[0]), PROTOCOL_CONSENSUS)
      await lpStream(stream).write(utf8('forged'))
      await stream.close()
    } catch {
      // Refused: expected.
    }
    const b = await start(kb, [ka, kb], { knownPeers: [knownPeer(ka, a)] })
    await waitFor(() => b.isConnected(ka.publicKey), 'B to A')
    expect(b.send(ka.publicKey, utf8('allowed')).ok).toBe(true)
    await waitFor(() => received.length > 0, 'frame from B')
    expect(received).toEqual(['allowed'])
    expect(a.stats().consensusReceived).toBe(1)
    expect(a.peers().map((p) => p.connected)).toEqual([true])
  })

  it('penalises oversize and garbage frames, bans the sender and keeps serving others', async () => {
    const fromB: string[] = []
    const a = await start(ka, [ka, kb, kc], {
      handlers: {
        onConsensusMessage: (from, bytes) => {
          if (from[1] === kb.publicKey[1]) fromB.push(fromUtf8(bytes))
        },
      },
    })
    const b = await start(kb, [ka, kb], { knownPeers: [knownPeer(ka, a)] })
    const evil = await rawNode(kc)
    const target = multiaddr(a.multiaddrs()[0])
    // Oversize: a length prefix announcing more than the consensus limit.
    const s1 = await evil.dialProtocol(target, PROTOCOL_CONSENSUS)
    s1.send(Uint8Array.of(0xff, 0xff, 0xff, 0x7f, 1, 2, 3))
    await waitFor(() => a.stats().framesOversize === 1, 'oversize frame counted')
    // Garbage: a well-framed tx gossip batch that is not a canonical batch.
    const s2 = await evil.dialProtocol(target, PROTOCOL_TX)
    await lpStream(s2).write(Uint8Array.of(0xc1, 0xc1))
    await waitFor(() => a.stats().framesGarbage === 1, 'garbage frame counted')
    expect(a.peers().find((p) => p.publicKey[1] === kc.publicKey[1])?.score).toBeLessThan(-89)
    // Garbage: a non-minimal 5-byte varint length prefix (longer than any valid prefix).
    const s3 = await evil.dialProtocol(target, PROTOCOL_CONSENSUS)
    s3.send(Uint8Array.of(0x81, 0x80, 0x80, 0x80, 0x00, 0x41))
    await waitFor(() => a.stats().bans === 1, 'sender banned')
    await waitFor(() => evil.getConnections().length === 0, 'banned sender disconnected')
    let refused = false
    try {
      const again = await evil.dialProtocol(target, PROTOCOL_CONSENSUS)
      await lpStream(again).write(utf8('still here'))
      await lpStream(again).read()
    } catch {
      refused = true
    }
    expect(refused).toBe(true)
    expect(a.stats().consensusReceived).toBe(0)
    await waitFor(() => b.isConnected(ka.publicKey), 'B connected to A')
    expect(b.send(ka.publicKey, utf8('fine')).ok).toBe(true)
    await waitFor(() => fromB.length === 1, 'B frame at A')
    expect(fromB).toEqual(['fine'])
    expect(a.stats().penaltiesByReason).toEqual({
      'frame-oversize': 1,
      'tx-batch-malformed': 1,
      'frame-garbage': 1,
    })
  })

  it('penalize() from the node bans at the threshold; the gater update disconnects a removed peer', async () => {
    const b = await start(kb, [ka, kb, kc])
    const c = await start(kc, [ka, kb, kc])
    const a = await start(ka, [ka, kb, kc], {
      knownPeers: [knownPeer(kb, b), knownPeer(kc, c)],
    })
    await waitFor(() => a.isConnected(kb.publicKey) && a.isConnected(kc.publicKey), 'A to B and C')
    a.penalize(kc.publicKey, 'bad-vote', 60)
    expect(a.isConnected(kc.publicKey)).toBe(true)
    a.penalize(kc.publicKey, 'bad-vote', 60)
    await waitFor(() => !a.isConnected(kc.publicKey), 'C disconnected after ban')
    expect(a.stats()).toMatchObject({ bans: 1, peersBanned: 1 })
    await a.setAllowedPeers([ka.publicKey, kc.publicKey])
    await waitFor(() => !a.isConnected(kb.publicKey) && !b.isConnected(ka.publicKey), 'B cut off')
    expect(a.send(kb.publicKey, utf8('x')).ok).toBe(false)
    const denied = a.stats().gaterDenied
    // B keeps A in its own allow-list and redials; A's gater refuses each attempt.
    await b.addKnownPeer(knownPeer(ka, a))
    const bRedials = b.stats().redials
    await waitFor(() => b.stats().redials >= bRedials + 2, 'B redials')
    expect(a.isConnected(kb.publicKey)).toBe(false)
    expect(a.stats().gaterDenied).toBeGreaterThan(denied)
  })

  it('redials a known peer that restarts on the same port and delivers the newest queued frames', async () => {
    const got: string[] = []
    const handlers = {
      onConsensusMessage: (_f: Uint8Array, bytes: Uint8Array) => void got.push(fromUtf8(bytes)),
    }
    let b = await start(kb, [ka, kb], { handlers })
    const address = b.multiaddrs()[0]!
    const a = await start(ka, [ka, kb], {
      knownPeers: [{ publicKey: kb.publicKey, multiaddr: address }],
    })
    await waitFor(() => a.isConnected(kb.publicKey), 'A to B')
    a.send(kb.publicKey, utf8('before'))
    await waitFor(() => got.length === 1, 'first frame')
    await b.stop()
    await waitFor(() => !a.isConnected(kb.publicKey), 'A sees B gone')
    // While B is down, A queues more than the queue holds: the oldest frames are dropped.
    const queued = CONSENSUS_QUEUE_FRAMES_MAX + 6
    for (let i = 0; i < queued; i++) expect(a.send(kb.publicKey, utf8(`q${i}`)).ok).toBe(true)
    expect(a.stats().consensusDropped).toBe(6)
    expect(a.peers()[0]?.consensusQueued).toBe(CONSENSUS_QUEUE_FRAMES_MAX)
    b = await start(kb, [ka, kb], { handlers, listen: [address] })
    expect(b.multiaddrs()[0]).toBe(address)
    await waitFor(() => a.isConnected(kb.publicKey), 'A redials B')
    await waitFor(
      () => got.length === 1 + CONSENSUS_QUEUE_FRAMES_MAX,
      'queued frames after restart',
    )
    for (let i = 0; i < CONSENSUS_QUEUE_FRAMES_MAX; i++) {
      expect(got[1 + i], `queued frame ${i}`).toBe(`q${i + 6}`)
    }
    expect(a.send(kb.publicKey, utf8('after')).ok).toBe(true)
    await waitFor(() => got.at(-1) === 'after', 'frame after restart')
    expect(a.stats().redials).toBeGreaterThan(0)
    expect(peerIdFromString(a.peerId).toString()).toBe(a.peerId)
  })
})
