/**
 * The libp2p transport: TCP + noise + yamux, identity = the validator's secp256k1 key, a gater that
 * admits only allowed public keys, persistent ordered streams for consensus and tx gossip,
 * request/response for sync, peer penalties and bans, and an own redial loop.
 * It moves bytes and reports events; it never imports ledger, api or consensus (STYLE.md section 1).
 * Spec: SPEC.md section 8; docs/protocol/p2p.md.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { privateKeyFromRaw, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import {
  KEEP_ALIVE,
  type Connection,
  type ConnectionGater,
  type Libp2p,
  type PeerId,
  type Stream,
} from '@libp2p/interface'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import type { CodecError } from '../codec/canonical.ts'
import { sha256Plain } from '../codec/hash.ts'
import { assert } from '../util/assert.ts'
import { toHex } from '../util/bytes.ts'
import { err, ok, type Result } from '../util/result.ts'
import { BoundedSeenSet } from './bounded.ts'
import { OutboundChannel } from './channel.ts'
import {
  CONSENSUS_MESSAGE_BYTES_MAX,
  CONSENSUS_QUEUE_BYTES_MAX,
  CONSENSUS_QUEUE_FRAMES_MAX,
  PEER_COUNT_MAX,
  PENALTY_GARBAGE,
  PENALTY_OVERSIZE,
  PENALTY_REASON_COUNT_MAX,
  PROTOCOL_CONSENSUS,
  PROTOCOL_SYNC,
  PROTOCOL_TX,
  PROTOCOL_TX_V1,
  REDIAL_INTERVAL_MS_DEFAULT,
  SYNC_INBOUND_STREAMS_MAX,
  SYNC_REQUEST_BYTES_MAX,
  SYNC_RESPONSE_BYTES_MAX,
  SYNC_TIMEOUT_MS_DEFAULT,
  TX_FRAMES_IN_DELIVERY_MAX,
  TX_MESSAGE_BYTES_MAX,
  TX_QUEUE_BYTES_MAX,
  TX_QUEUE_FRAMES_MAX,
  TX_SEEN_SET_SIZE_MAX,
} from './limits.ts'
import { PeerScores } from './peer-score.ts'
import { decodeTxBatchV1, decodeTxGossip, encodeTxBatches, type TxGossip } from './tx-batch.ts'
import type {
  KnownPeer,
  P2pConfig,
  P2pHandlers,
  P2pRequestError,
  P2pSendError,
  P2pStats,
  PeerInfo,
} from './types.ts'

/** An admitted peer. */
interface PeerEntry {
  readonly publicKey: Uint8Array
  readonly peerId: PeerId
  readonly consensus: OutboundChannel
  readonly tx: OutboundChannel
}

/** How a failed frame read is classified. */
type ReadFault = 'oversize' | 'garbage' | 'closed'

/** The public API of a running p2p node. */
export interface P2pNode {
  /** Own 33-byte public key. */
  readonly publicKey: Uint8Array
  /** Own libp2p peer id (`16Uiu2…`). */
  readonly peerId: string
  /** Listen addresses, with the actual ports. */
  multiaddrs(): string[]
  /** Queues a consensus frame for one peer (delivered in order over its persistent stream). */
  send(peer: Uint8Array, bytes: Uint8Array): Result<void, P2pSendError>
  /**
   * Queues a consensus frame for every connected admitted peer; returns how many.
   * @throws {AssertionError} if the frame exceeds CONSENSUS_MESSAGE_BYTES_MAX (the node's own bug).
   */
  broadcast(bytes: Uint8Array): number
  /** Gossips locally accepted signed txs to every connected peer; returns the frames per peer. */
  publishTxs(txs: readonly Uint8Array[]): number
  /** Sends a sync request and awaits the response (at most `timeoutMs`). */
  request(
    peer: Uint8Array,
    bytes: Uint8Array,
    timeoutMs?: number,
  ): Promise<Result<Uint8Array, P2pRequestError>>
  /** Adds (or re-addresses) a peer to dial and keep connected; it must also be allowed. */
  addKnownPeer(peer: KnownPeer): Promise<void>
  /** Replaces the admitted keys; connections of removed peers are closed. */
  setAllowedPeers(publicKeys: readonly Uint8Array[]): Promise<void>
  /** Lowers a peer's score; at the threshold the peer is disconnected and banned. */
  penalize(peer: Uint8Array, reason: string, points: number): void
  /** True when an admitted peer has an open connection. */
  isConnected(peer: Uint8Array): boolean
  /** Admitted peers and their state, sorted by public key hex. */
  peers(): PeerInfo[]
  /** A snapshot of the counters. */
  stats(): P2pStats
  /** Stops the redial loop and libp2p. */
  stop(): Promise<void>
}

function emptyStats(): P2pStats {
  return {
    peersAllowed: 0,
    peersConnected: 0,
    peersBanned: 0,
    consensusQueued: 0,
    consensusSent: 0,
    consensusReceived: 0,
    consensusDropped: 0,
    writeFailures: 0,
    txFramesSent: 0,
    txFramesDropped: 0,
    txReceived: 0,
    txDuplicates: 0,
    txForwarded: 0,
    syncRequestsSent: 0,
    syncRequestsServed: 0,
    syncTimeouts: 0,
    syncFailures: 0,
    framesOversize: 0,
    framesGarbage: 0,
    penalties: 0,
    penaltiesByReason: {},
    bans: 0,
    gaterDenied: 0,
    redials: 0,
    dialFailures: 0,
    handlerErrors: 0,
  }
}

/** The libp2p peer id string of a 33-byte compressed secp256k1 public key. */
export function peerIdOfPublicKey(publicKey: Uint8Array): string {
  return peerIdFromPublicKey(publicKeyFromRaw(publicKey)).toString()
}

/** Longest unsigned-varint length prefix of any frame (a u32 length needs at most 5 bytes). */
const LENGTH_PREFIX_BYTES_MAX = 5

/**
 * Options of `lpStream` for frames of up to `bytesMax` bytes. The byte stream under `lpStream`
 * buffers at most 4 MiB by default (`@libp2p/utils`), less than a consensus frame or a sync
 * response may be: its buffer must hold a whole frame plus its length prefix.
 */
function lpOptions(bytesMax: number): { maxDataLength: number; maxBufferSize: number } {
  return { maxDataLength: bytesMax, maxBufferSize: bytesMax + LENGTH_PREFIX_BYTES_MAX }
}

function classifyReadError(error: unknown): ReadFault {
  const name = error instanceof Error ? error.name : ''
  if (name === 'InvalidDataLengthError') return 'oversize'
  if (name === 'InvalidMessageLengthError' || name === 'InvalidDataLengthLengthError') {
    return 'garbage'
  }
  return 'closed'
}

class P2pNodeImpl implements P2pNode {
  readonly publicKey: Uint8Array
  readonly peerId: string
  private libp2p: Libp2p | undefined
  private readonly peersById = new Map<string, PeerEntry>()
  // The same entries keyed by public key hex: deriving a peer id per send costs a point
  // decompression and a base58 encoding.
  private readonly peersByKey = new Map<string, PeerEntry>()
  private readonly known = new Map<string, KnownPeer>()
  private readonly scores: PeerScores
  private readonly seen = new BoundedSeenSet(TX_SEEN_SET_SIZE_MAX)
  private readonly counters = emptyStats()
  private readonly handlers: P2pHandlers
  private readonly syncTimeoutMs: number
  private readonly redialIntervalMs: number
  private redialTimer: ReturnType<typeof setInterval> | undefined
  private readonly dialing = new Set<string>()
  private stopped = false
  private readonly config: P2pConfig

  constructor(config: P2pConfig) {
    this.config = config
    assert(config.secretKey.length === 32, `secret key of ${config.secretKey.length} bytes`)
    const key = privateKeyFromRaw(config.secretKey)
    this.publicKey = key.publicKey.raw
    assert(this.publicKey.length === 33, 'libp2p secp256k1 public keys are 33 bytes')
    this.peerId = peerIdOfPublicKey(this.publicKey)
    this.scores = new PeerScores(config.now ?? Date.now, config.banMs)
    this.handlers = config.handlers ?? {}
    this.syncTimeoutMs = config.syncTimeoutMs ?? SYNC_TIMEOUT_MS_DEFAULT
    this.redialIntervalMs = config.redialIntervalMs ?? REDIAL_INTERVAL_MS_DEFAULT
    assert(this.syncTimeoutMs > 0 && this.redialIntervalMs > 0, 'timers must be positive')
    for (const peer of config.knownPeers ?? []) {
      this.known.set(peerIdOfPublicKey(peer.publicKey), peer)
    }
  }

  private get node(): Libp2p {
    assert(this.libp2p, 'p2p node is not started')
    return this.libp2p
  }

  private gater(): ConnectionGater {
    const deny = (peer: PeerId): boolean => {
      const id = peer.toString()
      const denied = !this.peersById.has(id) || this.scores.isBanned(id)
      if (denied) this.counters.gaterDenied++
      return denied
    }
    return {
      denyDialPeer: deny,
      denyInboundEncryptedConnection: deny,
      denyOutboundEncryptedConnection: deny,
    }
  }

  async start(): Promise<void> {
    this.libp2p = await createLibp2p({
      privateKey: privateKeyFromRaw(this.config.secretKey),
      addresses: { listen: [...(this.config.listen ?? ['/ip4/127.0.0.1/tcp/0'])] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: this.gater(),
      connectionManager: { maxConnections: PEER_COUNT_MAX * 2 },
      services: { identify: identify(), ping: ping() },
    })
    this.setPeers(this.config.allowedPublicKeys)
    await this.registerHandlers()
    this.libp2p.addEventListener('peer:connect', (event) => {
      const entry = this.peersById.get(event.detail.toString())
      entry?.consensus.pump()
      entry?.tx.pump()
    })
    await this.tagKnownPeers()
    this.redialTimer = setInterval(() => {
      this.redial()
    }, this.redialIntervalMs)
    this.redialTimer.unref()
    this.redial()
  }

  private async registerHandlers(): Promise<void> {
    const node = this.node
    await node.handle(
      PROTOCOL_CONSENSUS,
      (stream, connection) => this.readLoop(stream, connection, 'consensus'),
      { maxInboundStreams: 2 },
    )
    await node.handle(
      PROTOCOL_TX,
      (stream, connection) => this.readLoop(stream, connection, 'tx'),
      { maxInboundStreams: 2 },
    )
    await node.handle(
      PROTOCOL_TX_V1,
      (stream, connection) => this.readLoop(stream, connection, 'tx1'),
      { maxInboundStreams: 2 },
    )
    await node.handle(PROTOCOL_SYNC, (stream, connection) => this.serveSync(stream, connection), {
      maxInboundStreams: SYNC_INBOUND_STREAMS_MAX,
    })
  }

  private async tagKnownPeers(): Promise<void> {
    for (const [id, peer] of this.known) {
      const entry = this.peersById.get(id)
      if (!entry) continue
      await this.node.peerStore.merge(entry.peerId, {
        multiaddrs: [multiaddr(peer.multiaddr)],
        tags: { [KEEP_ALIVE]: { value: 1 } },
      })
    }
  }

  private setPeers(publicKeys: readonly Uint8Array[]): string[] {
    assert(publicKeys.length <= PEER_COUNT_MAX + 1, `${publicKeys.length} peers > PEER_COUNT_MAX`)
    const next = new Map<string, Uint8Array>()
    for (const key of publicKeys) {
      assert(key.length === 33, `allowed public key of ${key.length} bytes`)
      const id = peerIdOfPublicKey(key)
      if (id !== this.peerId) next.set(id, key)
    }
    const removed: string[] = []
    for (const [id, entry] of this.peersById) {
      if (next.has(id)) continue
      entry.consensus.close()
      entry.tx.close()
      this.peersById.delete(id)
      this.peersByKey.delete(toHex(entry.publicKey))
      removed.push(id)
    }
    for (const [id, key] of next) {
      if (this.peersById.has(id)) continue
      const peerId = peerIdFromPublicKey(publicKeyFromRaw(key))
      const consensus = new OutboundChannel(
        this.node,
        peerId,
        PROTOCOL_CONSENSUS,
        CONSENSUS_QUEUE_FRAMES_MAX,
        CONSENSUS_QUEUE_BYTES_MAX,
      )
      const tx = new OutboundChannel(
        this.node,
        peerId,
        PROTOCOL_TX,
        TX_QUEUE_FRAMES_MAX,
        TX_QUEUE_BYTES_MAX,
      )
      const entry = { publicKey: key, peerId, consensus, tx }
      this.peersById.set(id, entry)
      this.peersByKey.set(toHex(key), entry)
    }
    return removed
  }

  async addKnownPeer(peer: KnownPeer): Promise<void> {
    assert(peer.publicKey.length === 33, `known peer key of ${peer.publicKey.length} bytes`)
    this.known.set(peerIdOfPublicKey(peer.publicKey), peer)
    await this.tagKnownPeers()
    this.redial()
  }

  async setAllowedPeers(publicKeys: readonly Uint8Array[]): Promise<void> {
    this.setPeers(publicKeys)
    await this.tagKnownPeers()
    // Close every connection whose peer is no longer admitted (also inbound ones of unknown ids).
    const stale = new Map<string, PeerId>()
    for (const connection of this.node.getConnections()) {
      const id = connection.remotePeer.toString()
      if (!this.peersById.has(id)) stale.set(id, connection.remotePeer)
    }
    await Promise.all([...stale.values()].map((peer) => this.node.hangUp(peer)))
  }

  private admitted(peer: PeerId): PeerEntry | undefined {
    const id = peer.toString()
    if (this.scores.isBanned(id)) return undefined
    return this.peersById.get(id)
  }

  private async readLoop(
    stream: Stream,
    connection: Connection,
    kind: 'consensus' | 'tx' | 'tx1',
  ): Promise<void> {
    const bytesMax = kind === 'consensus' ? CONSENSUS_MESSAGE_BYTES_MAX : TX_MESSAGE_BYTES_MAX
    const lp = lpStream(stream, lpOptions(bytesMax))
    // Tx frames are handed on without waiting for the previous one's handler (bounded).
    const delivering = new Set<Promise<void>>()
    for (;;) {
      const entry = this.admitted(connection.remotePeer)
      if (!entry) {
        stream.abort(new Error('peer not admitted'))
        return
      }
      let frame: Uint8Array
      try {
        frame = (await lp.read()).slice()
      } catch (error) {
        this.onReadFault(entry, classifyReadError(error))
        stream.abort(new Error('read failed'))
        return
      }
      // The peer may have been banned or removed while the read was pending.
      if (!this.admitted(connection.remotePeer)) {
        stream.abort(new Error('peer not admitted'))
        return
      }
      if (kind === 'consensus') await this.deliverConsensus(entry, frame)
      else {
        // A delivery that throws (a bug) is counted like a throwing handler, not left unhandled.
        const decode = kind === 'tx' ? decodeTxGossip : decodeTxBatchV1
        const delivery = this.deliverTxs(entry, decode(frame))
          .catch(() => {
            this.counters.handlerErrors++
          })
          .finally(() => delivering.delete(delivery))
        delivering.add(delivery)
        if (delivering.size >= TX_FRAMES_IN_DELIVERY_MAX) await Promise.race(delivering)
      }
    }
  }

  private onReadFault(entry: PeerEntry, fault: ReadFault): void {
    if (fault === 'oversize') {
      this.counters.framesOversize++
      this.penalize(entry.publicKey, 'frame-oversize', PENALTY_OVERSIZE)
    } else if (fault === 'garbage') {
      this.counters.framesGarbage++
      this.penalize(entry.publicKey, 'frame-garbage', PENALTY_GARBAGE)
    }
  }

  private async deliverConsensus(entry: PeerEntry, frame: Uint8Array): Promise<void> {
    this.counters.consensusReceived++
    const handler = this.handlers.onConsensusMessage
    if (!handler) return
    try {
      await handler(entry.publicKey, frame)
    } catch {
      // A throwing handler is a bug in the node; it is counted (and visible in metrics) rather than
      // allowed to kill the stream of a peer that did nothing wrong.
      this.counters.handlerErrors++
    }
  }

  private async deliverTxs(entry: PeerEntry, gossip: Result<TxGossip, CodecError>): Promise<void> {
    if (!gossip.ok) {
      this.counters.framesGarbage++
      this.penalize(entry.publicKey, 'tx-batch-malformed', PENALTY_GARBAGE)
      return
    }
    const { reached, txs } = gossip.value
    const fresh: Uint8Array[] = []
    for (const tx of txs) {
      this.counters.txReceived++
      if (this.seen.add(toHex(sha256Plain(tx)))) fresh.push(tx)
      else this.counters.txDuplicates++
    }
    const handler = this.handlers.onTxs
    if (fresh.length === 0 || !handler) return
    let verdicts: readonly boolean[]
    try {
      verdicts = await handler(entry.publicKey, fresh)
    } catch {
      this.counters.handlerErrors++
      return
    }
    assert(verdicts.length === fresh.length, `onTxs returned ${verdicts.length} verdicts`)
    const forward = fresh.filter((_, i) => verdicts[i] === true)
    if (forward.length === 0) return
    // Only to the connected peers the frame did not reach: in a full mesh the origin sent the txs
    // to every peer itself, and nothing is forwarded. The forwarded frames name this node and each
    // admitted peer that already had the txs or gets them now.
    const already = new Set(reached.map(toHex))
    already.add(toHex(entry.publicKey))
    const targets: PeerEntry[] = []
    const nowReached = [this.publicKey]
    for (const [hex, peer] of this.peersByKey) {
      if (already.has(hex)) nowReached.push(peer.publicKey)
      else if (this.isConnectedId(peer.peerId)) {
        targets.push(peer)
        nowReached.push(peer.publicKey)
      }
    }
    if (targets.length === 0) return
    this.counters.txForwarded += forward.length
    this.sendTxFrames(encodeTxBatches(forward, nowReached), targets)
  }

  private connectedPeers(): PeerEntry[] {
    return [...this.peersById.values()].filter((peer) => this.isConnectedId(peer.peerId))
  }

  private sendTxFrames(frames: readonly Uint8Array[], targets: readonly PeerEntry[]): void {
    for (const peer of targets) {
      for (const frame of frames) this.counters.txFramesDropped += peer.tx.enqueue(frame)
    }
  }

  publishTxs(txs: readonly Uint8Array[]): number {
    // With no peer connected there is no one to send to and nothing worth remembering: a copy that
    // arrives later goes to the handler, whose mempool refuses it as a duplicate. A lone validator
    // so skips hashing and framing every tx it admits.
    const targets = this.connectedPeers()
    if (targets.length === 0) return 0
    const fresh = txs.filter((tx) => this.seen.add(toHex(sha256Plain(tx))))
    if (fresh.length === 0) return 0
    const reached = [this.publicKey, ...targets.map((peer) => peer.publicKey)]
    const frames = encodeTxBatches(fresh, reached)
    this.sendTxFrames(frames, targets)
    return frames.length
  }

  private async serveSync(stream: Stream, connection: Connection): Promise<void> {
    const entry = this.admitted(connection.remotePeer)
    const handler = this.handlers.onSyncRequest
    if (!entry || !handler) {
      stream.abort(new Error(entry ? 'sync not served' : 'peer not admitted'))
      return
    }
    const signal = AbortSignal.timeout(this.syncTimeoutMs)
    const lp = lpStream(stream, lpOptions(SYNC_REQUEST_BYTES_MAX))
    let request: Uint8Array
    try {
      request = (await lp.read({ signal })).slice()
    } catch (error) {
      this.onReadFault(entry, classifyReadError(error))
      stream.abort(new Error('sync request read failed'))
      return
    }
    let response: Uint8Array
    try {
      response = await handler(entry.publicKey, request)
    } catch {
      this.counters.handlerErrors++
      stream.abort(new Error('sync handler failed'))
      return
    }
    assert(response.length <= SYNC_RESPONSE_BYTES_MAX, `sync response of ${response.length} bytes`)
    try {
      await lp.write(response, { signal })
      await stream.close({ signal })
      this.counters.syncRequestsServed++
    } catch {
      // The requester went away or timed out: nothing to do.
      stream.abort(new Error('sync response write failed'))
    }
  }

  async request(
    peer: Uint8Array,
    bytes: Uint8Array,
    timeoutMs: number = this.syncTimeoutMs,
  ): Promise<Result<Uint8Array, P2pRequestError>> {
    const entry = this.entryOfKey(peer)
    if (!entry) return err({ code: 'P2P_UNKNOWN_PEER', message: 'peer is not admitted' })
    if (bytes.length > SYNC_REQUEST_BYTES_MAX) {
      const message = `request of ${bytes.length} bytes > ${SYNC_REQUEST_BYTES_MAX}`
      return err({ code: 'P2P_MESSAGE_TOO_LARGE', message })
    }
    this.counters.syncRequestsSent++
    const signal = AbortSignal.timeout(timeoutMs)
    let stream: Stream | undefined
    try {
      stream = await this.node.dialProtocol(entry.peerId, PROTOCOL_SYNC, { signal })
      const lp = lpStream(stream, lpOptions(SYNC_RESPONSE_BYTES_MAX))
      await lp.write(bytes, { signal })
      const response = (await lp.read({ signal })).slice()
      await stream.close({ signal })
      return ok(response)
    } catch (error) {
      stream?.abort(new Error('sync request failed'))
      return this.requestFailure(entry, error, signal.aborted, timeoutMs)
    }
  }

  private requestFailure(
    entry: PeerEntry,
    error: unknown,
    timedOut: boolean,
    timeoutMs: number,
  ): Result<Uint8Array, P2pRequestError> {
    if (timedOut) {
      this.counters.syncTimeouts++
      return err({ code: 'P2P_TIMEOUT', message: `no response within ${timeoutMs} ms` })
    }
    this.counters.syncFailures++
    const fault = classifyReadError(error)
    if (fault !== 'closed') {
      this.onReadFault(entry, fault)
      return err({ code: 'P2P_BAD_RESPONSE', message: `response ${fault}` })
    }
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    return err({ code: 'P2P_UNAVAILABLE', message })
  }

  private entryOfKey(publicKey: Uint8Array): PeerEntry | undefined {
    return this.peersByKey.get(toHex(publicKey))
  }

  private isConnectedId(peerId: PeerId): boolean {
    return this.node.getConnections(peerId).length > 0
  }

  send(peer: Uint8Array, bytes: Uint8Array): Result<void, P2pSendError> {
    const entry = this.entryOfKey(peer)
    if (!entry) return err({ code: 'P2P_UNKNOWN_PEER', message: 'peer is not admitted' })
    if (bytes.length > CONSENSUS_MESSAGE_BYTES_MAX) {
      const message = `frame of ${bytes.length} bytes > ${CONSENSUS_MESSAGE_BYTES_MAX}`
      return err({ code: 'P2P_MESSAGE_TOO_LARGE', message })
    }
    this.counters.consensusQueued++
    this.counters.consensusDropped += entry.consensus.enqueue(bytes)
    return ok(undefined)
  }

  broadcast(bytes: Uint8Array): number {
    assert(bytes.length <= CONSENSUS_MESSAGE_BYTES_MAX, `broadcast of ${bytes.length} bytes`)
    let count = 0
    for (const entry of this.peersById.values()) {
      if (!this.isConnectedId(entry.peerId)) continue
      this.counters.consensusQueued++
      this.counters.consensusDropped += entry.consensus.enqueue(bytes)
      count++
    }
    return count
  }

  penalize(peer: Uint8Array, reason: string, points: number): void {
    const entry = this.entryOfKey(peer)
    if (!entry) return
    this.counters.penalties++
    const reasons = this.counters.penaltiesByReason
    const key =
      reason in reasons || Object.keys(reasons).length < PENALTY_REASON_COUNT_MAX ? reason : 'other'
    reasons[key] = (reasons[key] ?? 0) + 1
    const outcome = this.scores.penalize(entry.peerId.toString(), points)
    if (!outcome.banned) return
    this.counters.bans++
    entry.consensus.reset()
    entry.tx.reset()
    void this.node.hangUp(entry.peerId).catch(() => {
      // Already disconnected: the gater keeps it out for the ban period.
    })
  }

  private redial(): void {
    if (this.stopped) return
    for (const [id, entry] of this.peersById) {
      if (!this.known.has(id) || this.dialing.has(id) || this.scores.isBanned(id)) continue
      if (this.isConnectedId(entry.peerId)) {
        entry.consensus.pump()
        entry.tx.pump()
        continue
      }
      this.counters.redials++
      this.dialing.add(id)
      this.node
        .dial(entry.peerId, { signal: AbortSignal.timeout(this.redialIntervalMs * 2) })
        .then(
          () => undefined,
          () => {
            this.counters.dialFailures++
          },
        )
        .finally(() => {
          this.dialing.delete(id)
        })
    }
  }

  isConnected(peer: Uint8Array): boolean {
    const entry = this.entryOfKey(peer)
    return entry !== undefined && this.isConnectedId(entry.peerId)
  }

  multiaddrs(): string[] {
    return this.node.getMultiaddrs().map((ma) => ma.toString())
  }

  peers(): PeerInfo[] {
    const out = [...this.peersById.values()].map((entry) => {
      const id = entry.peerId.toString()
      return {
        publicKey: entry.publicKey,
        peerId: id,
        connected: this.isConnectedId(entry.peerId),
        score: this.scores.score(id),
        banned: this.scores.isBanned(id),
        consensusQueued: entry.consensus.queue.length,
      }
    })
    return out.sort((a, b) => (toHex(a.publicKey) < toHex(b.publicKey) ? -1 : 1))
  }

  stats(): P2pStats {
    let sent = 0
    let txSent = 0
    let failures = 0
    let connected = 0
    for (const entry of this.peersById.values()) {
      sent += entry.consensus.counters.sent
      txSent += entry.tx.counters.sent
      failures += entry.consensus.counters.writeFailures + entry.tx.counters.writeFailures
      if (this.isConnectedId(entry.peerId)) connected++
    }
    return {
      ...this.counters,
      penaltiesByReason: { ...this.counters.penaltiesByReason },
      peersAllowed: this.peersById.size,
      peersConnected: connected,
      peersBanned: this.scores.bannedCount(),
      consensusSent: sent,
      txFramesSent: txSent,
      writeFailures: failures,
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.redialTimer) clearInterval(this.redialTimer)
    for (const entry of this.peersById.values()) {
      entry.consensus.close()
      entry.tx.close()
    }
    await this.libp2p?.stop()
  }
}

/**
 * Starts a p2p node: listens, admits the allowed keys, dials the known peers and keeps redialling.
 * @throws {AssertionError} on an invalid configuration (key sizes, peer count).
 */
export async function startP2p(config: P2pConfig): Promise<P2pNode> {
  const node = new P2pNodeImpl(config)
  try {
    await node.start()
  } catch (error) {
    await node.stop().catch(() => undefined)
    throw error
  }
  return node
}
