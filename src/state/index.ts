/**
 * The authenticated state tree (pure core). Spec: docs/protocol/state.md; ADR 0015.
 *
 * Public API: `StateTree` (immutable: `root()`, `update(writeSet)`, `prove(key)`, `valueHash(key)`,
 * `size`, `checkInvariants()`), `buildTree(entries)`, `EMPTY_STATE_TREE`, and, re-exported from
 * src/codec/state-proof.ts, the hashing rules and the proof encoding. Proofs are verified with
 * `verifyStateProof` in src/client/state-proof.ts.
 *
 * Must not import: node:*, level, libp2p, fastify, or any outer layer (ledger, p2p, api, node,
 * client). It needs only util, core and codec.
 */
export { EMPTY_STATE_TREE, StateTree, buildTree } from './tree.ts'
export {
  STATE_EMPTY_HASH,
  STATE_PROOF_BYTES_MAX,
  decodeStateProof,
  encodeStateProof,
  statePath,
  stateValueHash,
  type StateProof,
  type StateProofLeaf,
} from '../codec/state-proof.ts'
