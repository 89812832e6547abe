/**
 * The genesis block and state of a chain from a VM genesis document. Spec: docs/protocol/chain.md.
 *
 * Genesis is height 0: its header carries the genesis time, the state root of the genesis write set,
 * and the first validator set's hash (as both validatorsHash and nextValidatorsHash); txRoot and
 * receiptsRoot are the empty Merkle root; parentHash is 32 zero bytes; proposer is 33 zero bytes.
 */
import { merkleRoot } from '../codec/merkle.ts'
import { validatorsHashOf } from '../consensus/validators.ts'
import type { Block, Validator } from '../core/block.ts'
import type { WriteSet } from '../core/state.ts'
import { EMPTY_STATE_TREE, type StateTree } from '../state/tree.ts'
import { compareBytes } from '../util/bytes.ts'
import { err, ok, type Result } from '../util/result.ts'
import { genesisWriteSet, type Genesis, type GenesisError } from '../vm/genesis.ts'
import { MemoryState } from '../vm/memory-state.ts'

/** A chain's starting point. */
export interface GenesisChain {
  readonly block: Block
  readonly state: MemoryState
  readonly tree: StateTree
  /** The genesis state as changes to the empty state (what the ledger stores at height 0). */
  readonly writeSet: WriteSet
  /** The first validator set, sorted by public key. */
  readonly validators: readonly Validator[]
}

/** The validator set of a genesis document, sorted by public key bytes. */
export function genesisValidators(genesis: Genesis): Validator[] {
  return [...genesis.validators]
    .sort(compareBytes)
    .map((publicKey) => ({ publicKey, power: 1 as const }))
}

/** The genesis header over the state root of its write set. */
function genesisHeaderOf(
  genesis: Genesis,
  stateRoot: Uint8Array,
  validators: readonly Validator[],
): Block['header'] {
  const validatorsHash = validatorsHashOf(validators)
  return {
    version: 1,
    chainId: genesis.chainId,
    height: 0,
    round: 0,
    time: genesis.genesisTime,
    proposer: new Uint8Array(33),
    parentHash: new Uint8Array(32),
    txRoot: merkleRoot([]),
    stateRoot,
    receiptsRoot: merkleRoot([]),
    validatorsHash,
    nextValidatorsHash: validatorsHash,
  }
}

/** Builds the genesis block, state and tree; coded error for an inconsistent genesis. */
export function buildGenesis(genesis: Genesis): Result<GenesisChain, GenesisError> {
  const writeSet = genesisWriteSet(genesis)
  if (!writeSet.ok) return err(writeSet.error)
  const state = new MemoryState()
  state.apply(writeSet.value)
  const tree = EMPTY_STATE_TREE.update(writeSet.value)
  const validators = genesisValidators(genesis)
  const block: Block = { header: genesisHeaderOf(genesis, tree.root(), validators), txs: [] }
  return ok({ block, state, tree, writeSet: writeSet.value, validators })
}

/**
 * The genesis block and first validator set alone (a restart, whose state comes from the ledger):
 * the write set and tree it needs for the state root are dropped on return, so a large genesis is
 * not held twice beside the restored state.
 */
export function buildGenesisBlock(
  genesis: Genesis,
): Result<Pick<GenesisChain, 'block' | 'validators'>, GenesisError> {
  const writeSet = genesisWriteSet(genesis)
  if (!writeSet.ok) return err(writeSet.error)
  const stateRoot = EMPTY_STATE_TREE.update(writeSet.value).root()
  const validators = genesisValidators(genesis)
  return ok({
    block: { header: genesisHeaderOf(genesis, stateRoot, validators), txs: [] },
    validators,
  })
}
