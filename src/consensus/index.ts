/**
 * The consensus module: a pure, deterministic QBFT engine. Spec: docs/protocol/consensus.md.
 *
 * Public API: `Consensus` (`handle(event) → effects`, `checkInvariants()`), the event/effect and
 * parameter types, message schemas and wire codec, validation rules with their codes, validator-set
 * and certificate helpers, the WAL record schema and replay, and the `ConsensusApp` interface.
 *
 * Must not import: anything outside the pure core (`node:*`, ledger, p2p, api, node), clocks,
 * timers or randomness. The driver (`src/node`, `test/sim`) supplies time, I/O and the app.
 */
export * from './app.ts'
export * from './consensus.ts'
export * from './messages.ts'
export * from './types.ts'
export * from './validation.ts'
export * from './validators.ts'
export * from './wal.ts'
