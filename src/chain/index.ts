/**
 * chain: the consensus application over the real VM and the authenticated state tree, and the
 * genesis block. Spec: docs/protocol/chain.md.
 * Public API: ChainApp (ConsensusApp + commit), buildGenesis, genesisValidators.
 * Must not import: anything outside the pure core (it is pure: no clock, I/O or randomness).
 */
export * from './app.ts'
export * from './genesis.ts'
