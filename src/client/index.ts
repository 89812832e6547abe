/**
 * client: the light client SDK enterprises embed, in Node and in browsers (SPEC §10): keys and the
 * encrypted keystore, tx builders for every kind; certificate and proof verification join as the
 * protocol pieces land.
 * Must not import: node:* or any server layer (ledger, p2p, api, node); only util, core, codec,
 * crypto and @noble/*.
 */
export * from './keys.ts'
export * from './tx-builder.ts'
