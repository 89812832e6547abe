/**
 * The application interface the consensus engine drives: build a block to propose, and validate and
 * execute a proposed block. Spec: docs/protocol/consensus.md#application; SPEC.md section 5.
 *
 * Both calls are synchronous and deterministic in their inputs. The engine calls them only for the
 * height it is deciding, whose parent is the last committed block; the driver applies a decided
 * block (the `commitBlock` effect) before it hands the engine any later event, and the engine never
 * calls the app for height h + 1 during the `handle` call that decided height h. The production app
 * wraps the VM (`src/vm`) and the ledger; the simulator plugs in a small test app.
 */
import type { Block, BlockHeader } from '../core/block.ts'
import type { Result } from '../util/result.ts'
import type { ValidatorUpdate } from './validators.ts'

/** What the proposer's app needs to build the block of `(height, round)`. */
export interface BuildInput {
  readonly chainId: string
  readonly height: number
  readonly round: number
  /** Block time: the proposer's clock, already made strictly greater than `parent.time`. */
  readonly time: bigint
  readonly proposer: Uint8Array
  readonly parent: BlockHeader
  readonly parentHash: Uint8Array
  readonly validatorsHash: Uint8Array
  readonly nextValidatorsHash: Uint8Array
}

/** What executing a block gave: the state root it computes and validator updates for h + 2. */
export interface Execution {
  readonly stateRoot: Uint8Array
  /** Updates that take effect at height `block.height + 2`. */
  readonly validatorUpdates: readonly ValidatorUpdate[]
}

/** A block the proposer's app built, with the result of executing it. */
export interface Built {
  readonly block: Block
  readonly execution: Execution
}

/** Why the app rejected a block (`BLOCK_` area codes, e.g. `BLOCK_INVALID_TX`). */
export interface AppRejection {
  readonly code: `BLOCK_${string}`
  readonly message: string
}

/** The application behind the engine. */
export interface ConsensusApp {
  /**
   * Builds a block on `parent` with the given header fields; the app fills in txs, txRoot,
   * stateRoot (after executing the txs) and receiptsRoot, and returns the execution result too.
   */
  buildProposal(input: BuildInput): Built
  /**
   * Validates the txs of `block` and executes them on the state after `parent`. The engine has
   * already checked the header fields it owns (height, parent, validators, proposer, time);
   * it rejects the block when the returned state root differs from `block.header.stateRoot`.
   */
  executeProposal(block: Block, parent: BlockHeader): Result<Execution, AppRejection>
}
