/**
 * The points state machine. Spec: SPEC.md sections 2–4; docs/protocol/vm.md (normative).
 *
 * Public API: `executeBlock(state, ctx, txs)` → `BlockExecution` (write set, receipts, burns,
 * auctions, validator updates, events); `checkTx` (dry run of one tx); `genesisWriteSet(genesis)`;
 * `MemoryState` (in-memory ordered state); `checkInvariants(state)`; the key builders and value
 * schemas, so the ledger, API and light client can read state.
 *
 * Pure core: imports only src/util, src/core, src/codec, src/crypto. No clock, I/O, randomness,
 * floats or async; iteration is always in key order.
 */
export { executeBlock, checkTx, applyTx } from './execute.ts'
export { Exec, convertAmount } from './exec.ts'
export { genesisWriteSet, GENESIS_SCHEMA, type Genesis, type GenesisError } from './genesis.ts'
export { MemoryState, keyString } from './memory-state.ts'
export { Overlay } from './overlay.ts'
export { checkInvariants } from './invariants.ts'
export { keys, PREFIX, HOLDER_KIND, EXPIRY_KEY } from './keys.ts'
export * from './limits.ts'
export * from './schemas.ts'
export * from './types.ts'
export { buyEscrowFor, marketId } from './market.ts'
export { VALIDATOR_UPDATE_DELAY } from './governance.ts'
export {
  readValue,
  readLots,
  readBalance,
  readPointType,
  peekPointType,
  readOrder,
  readMarket,
  readRate,
} from './queries.ts'
