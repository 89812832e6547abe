/**
 * api: the HTTP API as `buildApi(deps)` (fastify, never listening by itself) and the error-code to
 * HTTP-status table.
 * Must not import: src/ledger, src/p2p (the node wires them through ApiDeps).
 */
export * from './build-api.ts'
export * from './errors.ts'
export * from './read-model.ts'
export * from './events.ts'
export * from './tx-batch.ts'
