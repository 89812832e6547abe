/**
 * `src/ledger/`: everything a node keeps on disk. Spec: SPEC.md section 7; docs/protocol/storage.md.
 *
 * Public API:
 * - `KvStore` (kv.ts) with `LevelKvStore`/`openLevelKvStore` (classic-level) and `MemoryKvStore`;
 * - `Ledger` (ledger.ts): `open` (integrity check), `initGenesis`, `commitBlock` (one atomic synced
 *   batch), block/certificate/receipt/tx loads, `loadState`, index queries with cursor pagination;
 * - index records (records.ts) the node derives from an executed block;
 * - `checkLedgerIntegrity` (integrity.ts);
 * - `buildSettlementReport`, `settlementToJson`, `settlementToCsv` (settlement.ts, pure).
 *
 * Must not import: `p2p`, `api`, `node`, `vm`, `consensus`, `state` (the node wires them; the state
 * root function is injected as `computeStateRoot`).
 */
export * from './kv.ts'
export { MemoryKvStore } from './kv-memory.ts'
export { LevelKvStore, openLevelKvStore } from './kv-level.ts'
export * from './records.ts'
export {
  Ledger,
  type GenesisInput,
  type LedgerOptions,
  type LedgerWarning,
  type TxInclusion,
} from './ledger.ts'
export type { CommitInput, ValidatorSetEntry } from './commit.ts'
export { LedgerQueries, SETTLEMENT_BURNS_MAX, type QueryResult } from './queries.ts'
export {
  QUERY_PAGE_LIMIT_MAX,
  INDEX_NAMES,
  type IndexName,
  type LedgerQueryError,
  type Page,
  type PageRequest,
} from './indexes.ts'
export {
  checkLedgerIntegrity,
  INTEGRITY_CHAIN_DEPTH,
  type ComputeStateRoot,
  type IntegrityReport,
} from './integrity.ts'
export { blockHashOf, type LedgerHead, type StoredBlock } from './stored.ts'
export * from './settlement.ts'
export { FileCommitWitness, type CommitWitness, type WitnessRecord } from './witness.ts'
