/**
 * core: domain types and their schemas — transactions of every kind, blocks, certificates,
 * validators, the state model, burn records and the protocol's named limits.
 * Public API: TX_BODY_SCHEMAS/Tx/TxKind, HEADER_SCHEMA/Block/CommitCertificate, StateReader/WriteSet,
 * BURN_RECORD_SCHEMA/BurnRecord, limits.
 * Must not import: Node built-ins, I/O libraries, or any layer above the pure core.
 */
export * from './block.ts'
export * from './limits.ts'
export * from './records.ts'
export * from './state.ts'
export * from './tx.ts'
