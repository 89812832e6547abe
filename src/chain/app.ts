/**
 * The production consensus application: the VM (`src/vm`) executing over the committed state, the
 * authenticated state tree (`src/state`) giving the state root, and the header roots.
 * Spec: SPEC.md sections 4 and 5; docs/protocol/chain.md.
 *
 * - txRoot = merkleRoot(txIds in block order); receiptsRoot = merkleRoot(encodeReceipt(receipt));
 *   stateRoot = the state tree root after applying the block's write set.
 * - A proposal is executed speculatively over the committed state (nothing is mutated); its result
 *   is cached by block hash so that the decided block is applied without executing it again.
 * - A tx whose bytes do not decode canonically, or whose signature does not verify, makes the whole
 *   block invalid (`BLOCK_BAD_TX`, `BLOCK_BAD_SIGNATURE`); a tx that decodes and verifies but fails
 *   in the VM is recorded with its error receipt (SPEC §3).
 */
import type { CodecError } from '../codec/canonical.ts'
import { merkleRoot } from '../codec/merkle.ts'
import { decodeSignedTx, type SignedTx } from '../codec/tx.ts'
import type { AppRejection, Built, BuildInput, ConsensusApp, Execution } from '../consensus/app.ts'
import type { ValidatorUpdate } from '../consensus/validators.ts'
import { blockHashOf } from '../consensus/messages.ts'
import type { Block, BlockHeader } from '../core/block.ts'
import { verifySignedTx } from '../crypto/tx-signature.ts'
import type { StateTree } from '../state/tree.ts'
import { assert } from '../util/assert.ts'
import { equalBytes, toHex } from '../util/bytes.ts'
import { err, ok, type Result } from '../util/result.ts'
import { executeBlock } from '../vm/execute.ts'
import type { MemoryState } from '../vm/memory-state.ts'
import { encodeReceipt, type BlockExecution } from '../vm/types.ts'

/** Speculative executions kept (one per distinct proposal seen at the current height). */
export const EXECUTION_CACHE_MAX = 64

/** A block's full execution: what the ledger stores and the node applies. */
export interface ChainExecution {
  readonly blockHash: Uint8Array
  readonly txs: readonly SignedTx[]
  readonly result: BlockExecution
  readonly tree: StateTree
  /** The encoded receipts, in tx order (encoded once: hashed into receiptsRoot, then stored). */
  readonly receipts: readonly Uint8Array[]
  readonly receiptsRoot: Uint8Array
}

/** What the app needs from its host (the node or the simulator). */
export interface ChainAppHost {
  /** Signed txs for the block at `height`, in order (already verified, e.g. from the mempool). */
  selectTxs(height: number): readonly SignedTx[]
  /** True when the signature of `txId` was already verified (mempool cache); else noble checks it. */
  isVerified(txId: Uint8Array, signature: Uint8Array): boolean
  /** Decodes a block's tx (default `decodeSignedTx`; a node may answer from its decoded-tx cache). */
  decodeTx?(signedBytes: Uint8Array): Result<SignedTx, CodecError>
}

/** The validator updates of an execution as consensus applies them (add: power 1, remove: 0). */
export function toConsensusUpdates(result: BlockExecution): ValidatorUpdate[] {
  return result.validatorUpdates.map((u) => ({
    publicKey: u.publicKey,
    power: u.action === 'add' ? 1 : 0,
  }))
}

/** The consensus app over the real VM and state tree. Holds the committed state of one node. */
export class ChainApp implements ConsensusApp {
  readonly #chainId: string
  readonly #state: MemoryState
  readonly #host: ChainAppHost
  #tree: StateTree
  #height: number
  readonly #cache = new Map<string, ChainExecution>()

  /** `state` and `tree` hold the committed state after block `height` (0: genesis). */
  constructor(
    chainId: string,
    state: MemoryState,
    tree: StateTree,
    height: number,
    host: ChainAppHost,
  ) {
    assert(height >= 0, `committed height ${height}`)
    this.#chainId = chainId
    this.#state = state
    this.#tree = tree
    this.#height = height
    this.#host = host
  }

  /** The committed state root. */
  get stateRoot(): Uint8Array {
    return this.#tree.root()
  }

  /** The committed height. */
  get height(): number {
    return this.#height
  }

  /** The committed state tree (for proofs). */
  get tree(): StateTree {
    return this.#tree
  }

  /** The committed state (read-only use). */
  get state(): MemoryState {
    return this.#state
  }

  #execute(height: number, time: bigint, proposer: Uint8Array, txs: readonly SignedTx[]) {
    assert(height === this.#height + 1, `executing ${height} on committed ${this.#height}`)
    const result = executeBlock(
      this.#state,
      { chainId: this.#chainId, height, time, proposer },
      txs,
    )
    const tree = this.#tree.update(result.writeSet)
    const receipts = result.receipts.map(encodeReceipt)
    return { result, tree, receipts, receiptsRoot: merkleRoot(receipts) }
  }

  #remember(execution: ChainExecution): Execution {
    if (this.#cache.size >= EXECUTION_CACHE_MAX) {
      const oldest = this.#cache.keys().next().value
      if (oldest !== undefined) this.#cache.delete(oldest)
    }
    this.#cache.set(toHex(execution.blockHash), execution)
    return {
      stateRoot: execution.tree.root(),
      validatorUpdates: toConsensusUpdates(execution.result),
    }
  }

  /** Builds the proposal for `input`: selected txs, executed, with every root filled in. */
  buildProposal(input: BuildInput): Built {
    const txs = this.#host.selectTxs(input.height)
    const { result, tree, receipts, receiptsRoot } = this.#execute(
      input.height,
      input.time,
      input.proposer,
      txs,
    )
    const header: BlockHeader = {
      version: 1,
      chainId: input.chainId,
      height: input.height,
      round: input.round,
      time: input.time,
      proposer: input.proposer,
      parentHash: input.parentHash,
      txRoot: merkleRoot(txs.map((t) => t.txId)),
      stateRoot: tree.root(),
      receiptsRoot,
      validatorsHash: input.validatorsHash,
      nextValidatorsHash: input.nextValidatorsHash,
    }
    const block: Block = { header, txs: txs.map((t) => t.signedBytes) }
    const blockHash = blockHashOf(header)
    const execution = this.#remember({ blockHash, txs, result, tree, receipts, receiptsRoot })
    return { block, execution }
  }

  #decodeTxs(block: Block): Result<SignedTx[], AppRejection> {
    const txs: SignedTx[] = []
    for (let i = 0; i < block.txs.length; i++) {
      const decoded = this.#host.decodeTx
        ? this.#host.decodeTx(block.txs[i]!)
        : decodeSignedTx(block.txs[i]!)
      if (!decoded.ok) {
        return err({ code: 'BLOCK_BAD_TX', message: `tx ${i}: ${decoded.error.message}` })
      }
      const signed = decoded.value
      if (!this.#host.isVerified(signed.txId, signed.signature) && !verifySignedTx(signed)) {
        return err({ code: 'BLOCK_BAD_SIGNATURE', message: `tx ${i}: signature does not verify` })
      }
      txs.push(signed)
    }
    return ok(txs)
  }

  /** Validates and executes a proposal over the committed state; checks its tx and receipt roots. */
  executeProposal(block: Block, parent: BlockHeader): Result<Execution, AppRejection> {
    const { header } = block
    if (header.height !== this.#height + 1 || parent.height !== this.#height) {
      return err({
        code: 'BLOCK_WRONG_HEIGHT',
        message: `block ${header.height} on committed ${this.#height}`,
      })
    }
    const blockHash = blockHashOf(header)
    const cached = this.#cache.get(toHex(blockHash))
    if (cached)
      return ok({
        stateRoot: cached.tree.root(),
        validatorUpdates: toConsensusUpdates(cached.result),
      })
    const txs = this.#decodeTxs(block)
    if (!txs.ok) return txs
    if (!equalBytes(merkleRoot(txs.value.map((t) => t.txId)), header.txRoot)) {
      return err({ code: 'BLOCK_BAD_TX_ROOT', message: 'txRoot does not match the txs' })
    }
    const { result, tree, receipts, receiptsRoot } = this.#execute(
      header.height,
      header.time,
      header.proposer,
      txs.value,
    )
    if (!equalBytes(receiptsRoot, header.receiptsRoot)) {
      return err({
        code: 'BLOCK_BAD_RECEIPTS_ROOT',
        message: 'receiptsRoot does not match execution',
      })
    }
    return ok(this.#remember({ blockHash, txs: txs.value, result, tree, receipts, receiptsRoot }))
  }

  /**
   * Applies a decided block to the committed state and returns its execution (for the ledger).
   * Uses the cached speculative execution when there is one; executes otherwise (catch-up).
   * @throws {AssertionError} if the block does not extend the committed state or its roots differ.
   */
  commit(block: Block): ChainExecution {
    const blockHash = blockHashOf(block.header)
    let execution = this.#cache.get(toHex(blockHash))
    if (!execution) {
      const txs = this.#decodeTxs(block)
      assert(txs.ok, `decided block ${block.header.height} has invalid txs`)
      const run = this.#execute(
        block.header.height,
        block.header.time,
        block.header.proposer,
        txs.value,
      )
      execution = { blockHash, txs: txs.value, ...run }
    }
    assert(
      equalBytes(execution.tree.root(), block.header.stateRoot),
      'decided block state root matches',
    )
    this.#state.apply(execution.result.writeSet)
    this.#tree = execution.tree
    this.#height = block.header.height
    this.#cache.clear()
    return execution
  }
}
