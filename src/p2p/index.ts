/**
 * The p2p layer (`src/p2p/`): libp2p over TCP with noise and yamux; the node's identity is its
 * validator key; a gater admits only allowed keys; protocols `/pointsnode/consensus/1` (persistent
 * ordered stream per peer), `/pointsnode/tx/2` (gossip, deduped, forwarded once to the peers a
 * frame did not reach; `/pointsnode/tx/1` still read) and `/pointsnode/sync/1` (request/response).
 * Spec: SPEC.md section 8; docs/protocol/p2p.md.
 *
 * Public API: `startP2p(config) → P2pNode` (send, broadcast, publishTxs, request, addKnownPeer,
 * setAllowedPeers, penalize, isConnected, peers, stats, stop), the limits, the types and the sync
 * messages (`encodeSyncRequest`/`decodeSyncRequest`, `encodeSyncResponse`/`decodeSyncResponse`).
 *
 * Must not import: src/ledger, src/api, src/consensus, src/node. It moves bytes and reports events;
 * src/node wires it to the consensus engine, the mempool and the ledger.
 */
export * from './limits.ts'
export * from './sync-messages.ts'
export { startP2p, peerIdOfPublicKey, type P2pNode } from './node.ts'
export type {
  KnownPeer,
  P2pConfig,
  P2pHandlers,
  P2pRequestError,
  P2pSendError,
  P2pStats,
  PeerInfo,
} from './types.ts'
