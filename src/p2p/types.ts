/**
 * Public types of the p2p layer: configuration, handlers, errors and counters.
 * Spec: docs/protocol/p2p.md.
 */

/** A peer the node dials: its 33-byte compressed secp256k1 key and a multiaddr string. */
export interface KnownPeer {
  readonly publicKey: Uint8Array
  readonly multiaddr: string
}

/** Callbacks through which the p2p layer reports inbound traffic to the node. */
export interface P2pHandlers {
  /** A consensus frame from an admitted peer, in the order the peer sent it. */
  readonly onConsensusMessage?: (from: Uint8Array, bytes: Uint8Array) => void | Promise<void>
  /**
   * New (not yet seen) signed-tx byte strings from a peer. Returns, per tx, whether it is valid and
   * should be forwarded to the other peers. Without this handler nothing is forwarded.
   */
  readonly onTxs?: (
    from: Uint8Array,
    txs: readonly Uint8Array[],
  ) => readonly boolean[] | Promise<readonly boolean[]>
  /** Answers a sync request; the response must not exceed SYNC_RESPONSE_BYTES_MAX. */
  readonly onSyncRequest?: (from: Uint8Array, bytes: Uint8Array) => Promise<Uint8Array>
}

/** Configuration of `startP2p`. */
export interface P2pConfig {
  /** The validator's 32-byte secp256k1 secret key: the libp2p identity. */
  readonly secretKey: Uint8Array
  /** Listen multiaddrs; default `/ip4/127.0.0.1/tcp/0` (ephemeral loopback port). */
  readonly listen?: readonly string[]
  /** Peers to dial and keep connected (must also be allowed to be dialled). */
  readonly knownPeers?: readonly KnownPeer[]
  /** Public keys admitted by the gater (validators and observers); the own key is ignored. */
  readonly allowedPublicKeys: readonly Uint8Array[]
  readonly handlers?: P2pHandlers
  /** Interval of the own redial loop; default REDIAL_INTERVAL_MS_DEFAULT. */
  readonly redialIntervalMs?: number
  /** Ban period; default PEER_BAN_MS_DEFAULT. */
  readonly banMs?: number
  /** Default sync request timeout; default SYNC_TIMEOUT_MS_DEFAULT. */
  readonly syncTimeoutMs?: number
  /** Clock for scores and bans, in ms; default `Date.now`. */
  readonly now?: () => number
}

/** Why `send` refused a frame. */
export interface P2pSendError {
  readonly code: 'P2P_UNKNOWN_PEER' | 'P2P_MESSAGE_TOO_LARGE'
  readonly message: string
}

/** Why a sync request failed. */
export interface P2pRequestError {
  readonly code:
    | 'P2P_UNKNOWN_PEER'
    | 'P2P_MESSAGE_TOO_LARGE'
    | 'P2P_TIMEOUT'
    | 'P2P_UNAVAILABLE'
    | 'P2P_BAD_RESPONSE'
  readonly message: string
}

/** Counters for metrics; all monotonic except the gauges marked as such. */
export interface P2pStats {
  /** Gauge: peers admitted by the gater. */
  peersAllowed: number
  /** Gauge: admitted peers with an open connection. */
  peersConnected: number
  /** Gauge: peers currently banned. */
  peersBanned: number
  consensusQueued: number
  consensusSent: number
  consensusReceived: number
  /** Consensus frames dropped because a peer's queue was full. */
  consensusDropped: number
  /** Frames lost because the stream failed while writing them (consensus and tx). */
  writeFailures: number
  txFramesSent: number
  txFramesDropped: number
  txReceived: number
  txDuplicates: number
  txForwarded: number
  syncRequestsSent: number
  syncRequestsServed: number
  syncTimeouts: number
  syncFailures: number
  framesOversize: number
  framesGarbage: number
  penalties: number
  penaltiesByReason: Record<string, number>
  bans: number
  gaterDenied: number
  redials: number
  dialFailures: number
  handlerErrors: number
}

/** What the node knows about one peer. */
export interface PeerInfo {
  readonly publicKey: Uint8Array
  readonly peerId: string
  readonly connected: boolean
  readonly score: number
  readonly banned: boolean
  readonly consensusQueued: number
}
