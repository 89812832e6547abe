/**
 * client: the light client SDK enterprises embed, in Node and in browsers (SPEC §10): keys and the
 * encrypted keystore, tx builders for every kind, and the verifying `LightClient`: headers by commit
 * certificate against a followed validator set, txs by Merkle proofs, state and balances by state
 * proofs (docs/api-client.md).
 * Must not import: node:* or any server layer (ledger, p2p, api, node); only util, core, codec,
 * crypto and @noble/*.
 */
export * from './keys.ts'
export * from './tx-builder.ts'
export * from './errors.ts'
export * from './verify.ts'
export * from './balances.ts'
export * from './follower.ts'
export * from './http.ts'
export * from './light-client.ts'
export * from './state-proof.ts'
