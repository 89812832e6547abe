/**
 * validator.update: operators vote on adding or removing a validator; when `operatorQuorum`
 * distinct operators have voted for the same (action, key, proposal), the change is accepted and
 * takes effect at height + 2. Spec: SPEC.md section 3; docs/protocol/vm.md#validator-update.
 */
import { VALIDATOR_COUNT_MAX } from '../core/block.ts'
import type { TxOf } from '../core/tx.ts'
import { isValidPublicKey } from '../crypto/secp256k1.ts'
import { assert } from '../util/assert.ts'
import { compareBytes, equalBytes } from '../util/bytes.ts'
import { ok } from '../util/result.ts'
import { fail, type Exec } from './exec.ts'
import { keys } from './keys.ts'
import { VALIDATORS_SCHEMA, VOTE_SCHEMA } from './schemas.ts'
import { isOperator, type TxMeta, type TxOutcome } from './tx-accounts.ts'
import type { ValidatorUpdate } from './types.ts'

/** Heights between the block that accepts a validator change and the first height it governs. */
export const VALIDATOR_UPDATE_DELAY = 2

/** Applies one operator's vote; the quorum-reaching vote changes the validator set. */
export function applyValidatorUpdate(
  x: Exec,
  tx: TxOf<'validator.update'>,
  m: TxMeta,
  accepted: ValidatorUpdate[],
): TxOutcome {
  if (!isOperator(x, m.signer)) return fail('TX_NOT_OPERATOR', 'signer is not an operator')
  const b = tx.body
  // Every node turns each validator key into a peer id and verifies the validator's votes with it,
  // so a key that is not a curve point is refused before the vote is recorded: once admitted, it
  // would break every node's peer gater and start-up and sit in the set unable to ever vote.
  // Spec: docs/protocol/vm.md#validator-update.
  if (!isValidPublicKey(b.validatorPublicKey)) {
    return fail('TX_BAD_PUBLIC_KEY', 'validator key is not a curve point')
  }
  const voteKey = keys.validatorVote(b.action, b.validatorPublicKey, b.proposal)
  const votes = x.state.read(VOTE_SCHEMA, voteKey) ?? { voters: [], executed: false }
  if (votes.executed) return fail('TX_PROPOSAL_CLOSED', 'proposal already executed')
  if (votes.voters.some((v) => equalBytes(v, m.signer))) {
    return fail('TX_ALREADY_VOTED', 'operator already voted for this proposal')
  }
  const set = x.state.read(VALIDATORS_SCHEMA, keys.validators())
  assert(set !== undefined, 'validator set missing')
  const present = set.publicKeys.some((k) => equalBytes(k, b.validatorPublicKey))
  if (b.action === 'add' && present) return fail('TX_VALIDATOR_EXISTS', 'already a validator')
  if (b.action === 'remove' && !present) return fail('TX_UNKNOWN_VALIDATOR', 'not a validator')
  const voters = [...votes.voters, m.signer].sort(compareBytes)
  const executed = voters.length >= x.config.operatorQuorum
  if (executed) {
    const next =
      b.action === 'add'
        ? [...set.publicKeys, b.validatorPublicKey].sort(compareBytes)
        : set.publicKeys.filter((k) => !equalBytes(k, b.validatorPublicKey))
    if (next.length === 0 || next.length > VALIDATOR_COUNT_MAX) {
      return fail('TX_VALIDATOR_SET_LIMIT', `validator set would have ${next.length} members`)
    }
    x.state.write(VALIDATORS_SCHEMA, keys.validators(), {
      publicKeys: next,
      changedHeight: x.ctx.height,
    })
    accepted.push({
      action: b.action,
      publicKey: b.validatorPublicKey,
      effectiveHeight: x.ctx.height + VALIDATOR_UPDATE_DELAY,
    })
  }
  x.state.write(VOTE_SCHEMA, voteKey, { voters, executed })
  x.emit('validator.vote', {
    action: b.action,
    validator: b.validatorPublicKey,
    proposal: b.proposal,
    votes: voters.length,
    executed: String(executed),
  })
  return ok(null)
}
