/**
 * codec: THE canonical encoding (the only importer of msgpackr), schemas, tagged hashing, Merkle
 * lists, tx encode/decode and static validation, JSON views for the HTTP edge.
 * Public API: schema builders, encodeCanonical/decodeCanonical, hashTagged, merkleRoot/merkleProof,
 * encodeTx/decodeTx/decodeSignedTx/validateTxStatic, toJson/parseDecimal/formatDecimal.
 * Must not import: Node built-ins, I/O libraries, or any layer above the pure core.
 */
export * from './canonical.ts'
export * from './hash.ts'
export * from './json.ts'
export * from './merkle.ts'
export * from './schema.ts'
export * from './tx.ts'
