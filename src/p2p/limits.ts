/**
 * Named limits of the p2p layer: frame sizes, queue lengths, peer counts, timers and penalties.
 * They are local policy (not consensus rules) but every node of a chain should use the same frame
 * limits, or a larger block on one node would be refused by another. Spec: docs/protocol/p2p.md#limits.
 */
/** Protocol id of the persistent consensus stream (one per peer and direction). */
export const PROTOCOL_CONSENSUS = '/pointsnode/consensus/1'
/** Protocol id of the persistent tx gossip stream (frames name the nodes they reached). */
export const PROTOCOL_TX = '/pointsnode/tx/2'
/** Protocol id of the earlier tx gossip stream (the txs alone), still read from older nodes. */
export const PROTOCOL_TX_V1 = '/pointsnode/tx/1'
/** Protocol id of sync request/response (one stream per request). */
export const PROTOCOL_SYNC = '/pointsnode/sync/1'

/** Largest consensus frame (a proposal carries a block of up to 4 MiB, plus its envelope). */
export const CONSENSUS_MESSAGE_BYTES_MAX = 4 * 1024 * 1024 + 64 * 1024
/** Most signed txs in one gossip batch. */
export const TX_BATCH_COUNT_MAX = 256
/** Largest tx gossip frame; senders split batches so that each frame stays below it. */
export const TX_MESSAGE_BYTES_MAX = 1024 * 1024
/** Largest sync request frame. */
export const SYNC_REQUEST_BYTES_MAX = 64 * 1024
/** Largest sync response frame: a 4 MiB block with its certificate and margin. */
export const SYNC_RESPONSE_BYTES_MAX = 4 * 1024 * 1024 + 256 * 1024
/** The largest frame of any protocol (used to size buffers and for the docs). */
export const MESSAGE_BYTES_MAX = Math.max(
  CONSENSUS_MESSAGE_BYTES_MAX,
  TX_MESSAGE_BYTES_MAX,
  SYNC_RESPONSE_BYTES_MAX,
)

/** Most allowed peers (validators plus observers). */
export const PEER_COUNT_MAX = 128
/**
 * Most keys in a gossip frame's `reached` list: the sender and every peer it may have (the allowed
 * keys, of which the sender's own may be one, so one more than PEER_COUNT_MAX + 1).
 */
export const TX_REACHED_MAX = PEER_COUNT_MAX + 2
/** Consensus frames queued per peer before the oldest is dropped. */
export const CONSENSUS_QUEUE_FRAMES_MAX = 1024
/** Tx gossip frames queued per peer before the oldest is dropped. */
export const TX_QUEUE_FRAMES_MAX = 256
/**
 * Tx gossip frames of one inbound stream whose handler is still running (the mempool verifying
 * their txs) before the stream's next frame is read. Decision: 16. Reading one frame at a time
 * and awaiting its verification throttled each peer's gossip to one frame per verification round
 * trip; under load the sender's queue filled and dropped frames, and their txs reached the other
 * validators only inside proposals, unverified (docs/BENCHMARKS.md, "Cluster", thirteenth session).
 * The mempool's pending bound, not this one, bounds the txs held.
 */
export const TX_FRAMES_IN_DELIVERY_MAX = 16
/** Entries of the tx gossip seen-set (hashes of signed-tx bytes), oldest evicted first. */
export const TX_SEEN_SET_SIZE_MAX = 32_768
/** Concurrent inbound sync requests per connection. */
export const SYNC_INBOUND_STREAMS_MAX = 4
/** Default sync request timeout. */
export const SYNC_TIMEOUT_MS_DEFAULT = 5_000
/** How often the node dials known peers it is not connected to. */
export const REDIAL_INTERVAL_MS_DEFAULT = 2_000

/** Score at or below which a peer is disconnected and banned. Scores start at 0. */
export const PEER_SCORE_BAN_THRESHOLD = -100
/** How long a banned peer is denied by the gater. */
export const PEER_BAN_MS_DEFAULT = 60_000
/** Points a peer's negative score recovers per minute of good behaviour. */
export const PEER_SCORE_RECOVERY_PER_MINUTE = 10
/** Penalty for a frame above the protocol's size limit. */
export const PENALTY_OVERSIZE = 60
/** Penalty for a frame that cannot be parsed (bad length prefix, undecodable gossip batch). */
export const PENALTY_GARBAGE = 30

/** Bytes queued per peer on the consensus stream before the oldest frames are dropped. */
export const CONSENSUS_QUEUE_BYTES_MAX = 16 * 1024 * 1024
/** Bytes queued per peer on the tx gossip stream before the oldest frames are dropped. */
export const TX_QUEUE_BYTES_MAX = 8 * 1024 * 1024
/** Time allowed to open a stream to a connected peer. */
export const STREAM_OPEN_TIMEOUT_MS = 5_000
/** Distinct penalty reasons counted in the stats (further reasons count as "other"). */
export const PENALTY_REASON_COUNT_MAX = 64
