/**
 * Which validator sets the ledger keeps by hash, so that light clients can fetch the set a header
 * names (`GET /v1/validator-sets/:hash`). Spec: /work/API-CONTRACT.md; docs/protocol/storage.md.
 *
 * The tracker mirrors the consensus engine: before block h commits it knows set(h) (the header's
 * validatorsHash) and set(h + 1) (its nextValidatorsHash); block h's validator updates give
 * set(h + 2), which the header of block h + 1 names as nextValidatorsHash. Each commit stores all
 * three (the ledger writes one key per distinct hash). It starts from the sets the node restored
 * (`validator-sets.ts`), so it stays right across restarts after a validator change.
 */
import { toConsensusUpdates, type ChainExecution } from '../chain/app.ts'
import { applyValidatorUpdates, validatorsHashOf } from '../consensus/validators.ts'
import type { Validator } from '../core/block.ts'
import type { ValidatorSetEntry } from '../ledger/commit.ts'

/** A set with its hash. */
export function validatorSetEntry(validators: readonly Validator[]): ValidatorSetEntry {
  return { hash: validatorsHashOf(validators), validators }
}

/** Follows the validator sets block by block. */
export class ValidatorSetTracker {
  #current: readonly Validator[]
  #next: readonly Validator[]

  /** Starts from the sets of the next block to commit (both equal at genesis). */
  constructor(current: readonly Validator[], next: readonly Validator[] = current) {
    this.#current = current
    this.#next = next
  }

  /** The sets to store with the commit of a block whose execution is `execution`; advances. */
  onCommit(execution: Pick<ChainExecution, 'result'>): ValidatorSetEntry[] {
    const following = applyValidatorUpdates(this.#next, toConsensusUpdates(execution.result))
    const entries = [this.#current, this.#next, following].map(validatorSetEntry)
    this.#current = this.#next
    this.#next = following
    return entries
  }
}
