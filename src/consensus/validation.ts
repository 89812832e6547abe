/**
 * Validation of incoming consensus messages and proposed block headers. Every rejection carries a
 * coded reason. Spec: docs/protocol/consensus.md#validation.
 *
 * These functions are pure: they see the validator's current (height, round), the validator set of
 * that height and an injected signature check. They do not change engine state.
 */
import type { Block, BlockHeader, Validator } from '../core/block.ts'
import { assert } from '../util/assert.ts'
import { equalBytes } from '../util/bytes.ts'
import { err, ok, type Result } from '../util/result.ts'
import {
  blockHashOf,
  proposalDigest,
  roundChangeDigest,
  voteDigest,
  type ProposalMessage,
  type RoundChangeMessage,
  type SignedRoundChange,
  type SignedVote,
  type VerifyDigest,
} from './messages.ts'
import { indexOfValidator, proposerOf, quorumOf } from './validators.ts'

/** How far ahead of the current round a message may be and still be kept. */
export const ROUND_AHEAD_MAX = 64
/** Largest allowed difference between a fresh block's time and the validator's clock, in ms. */
export const BLOCK_TIME_SKEW_MS = 2000n

/** Every coded reason a consensus message or proposed block is rejected for. */
export type ConsensusErrorCode =
  | 'VOTE_WRONG_CHAIN'
  | 'VOTE_WRONG_HEIGHT'
  | 'VOTE_WRONG_ROUND'
  | 'VOTE_NOT_VALIDATOR'
  | 'VOTE_BAD_SIGNATURE'
  | 'VOTE_DUPLICATE'
  | 'VOTE_EQUIVOCATION'
  | 'ROUND_CHANGE_BAD_PREPARED'
  | 'ROUND_CHANGE_BLOCK_MISMATCH'
  | 'PROPOSAL_WRONG_CHAIN'
  | 'PROPOSAL_WRONG_HEIGHT'
  | 'PROPOSAL_WRONG_ROUND'
  | 'PROPOSAL_NOT_PROPOSER'
  | 'PROPOSAL_BAD_SIGNATURE'
  | 'PROPOSAL_BLOCK_MISMATCH'
  | 'PROPOSAL_BAD_JUSTIFICATION'
  | 'PROPOSAL_DUPLICATE'
  | 'BLOCK_WRONG_CHAIN'
  | 'BLOCK_WRONG_HEIGHT'
  | 'BLOCK_WRONG_PARENT'
  | 'BLOCK_WRONG_VALIDATORS'
  | 'BLOCK_WRONG_ROUND'
  | 'BLOCK_WRONG_PROPOSER'
  | 'BLOCK_TIME_NOT_AFTER_PARENT'
  | 'BLOCK_TIME_SKEW'
  | 'BLOCK_STATE_ROOT_MISMATCH'
  | 'CERT_WRONG_HEIGHT'
  | 'CERT_WRONG_BLOCK'
  | 'CERT_BAD_INDEX'
  | 'CERT_UNSORTED'
  | 'CERT_BAD_SIGNATURE'
  | 'CERT_TOO_FEW_SIGNATURES'
  | 'CERT_WRONG_PARENT'
  | 'CERT_FUTURE_HEIGHT'
  | 'TIMEOUT_STALE'
  | 'FUTURE_MESSAGES_FULL'
  | `BLOCK_${string}`

/** A coded rejection. */
export interface ConsensusError {
  readonly code: ConsensusErrorCode
  readonly message: string
}

/** What validation sees of the validator's position. */
export interface ValidationContext {
  readonly chainId: string
  readonly height: number
  readonly round: number
  /** The validator set of `height`. */
  readonly validators: readonly Validator[]
  readonly verify: VerifyDigest
}

function reject<T>(code: ConsensusErrorCode, message: string): Result<T, ConsensusError> {
  return err({ code, message })
}

interface Envelope {
  readonly chainId: string
  readonly height: number
  readonly round: number
}

function checkPosition(
  ctx: ValidationContext,
  p: Envelope,
  prefix: 'VOTE' | 'PROPOSAL',
  roundMin: number,
): Result<void, ConsensusError> {
  if (p.chainId !== ctx.chainId) return reject(`${prefix}_WRONG_CHAIN`, `chain ${p.chainId}`)
  if (p.height !== ctx.height) {
    return reject(`${prefix}_WRONG_HEIGHT`, `height ${p.height}, expected ${ctx.height}`)
  }
  if (p.round < roundMin || p.round > ctx.round + ROUND_AHEAD_MAX) {
    const message = `round ${p.round} outside ${roundMin}..${ctx.round + ROUND_AHEAD_MAX}`
    return reject(`${prefix}_WRONG_ROUND`, message)
  }
  return ok(undefined)
}

function checkSigner(
  ctx: ValidationContext,
  signer: Uint8Array,
  signature: Uint8Array,
  digest: Uint8Array,
): Result<number, ConsensusError> {
  const index = indexOfValidator(ctx.validators, signer)
  if (index < 0) return reject('VOTE_NOT_VALIDATOR', 'signer is not in the validator set')
  if (!ctx.verify(signature, digest, signer)) {
    return reject('VOTE_BAD_SIGNATURE', `bad signature of validator ${index}`)
  }
  return ok(index)
}

/**
 * Validates a PREPARE or COMMIT of the current height. PREPAREs of rounds before the current one
 * are stale; COMMITs of any earlier round still count towards a decision.
 * Returns the signer's index in the validator set.
 */
export function validateVote(
  ctx: ValidationContext,
  vote: SignedVote,
): Result<number, ConsensusError> {
  const roundMin = vote.payload.type === 'prepare' ? ctx.round : 0
  const position = checkPosition(ctx, vote.payload, 'VOTE', roundMin)
  if (!position.ok) return position
  return checkSigner(ctx, vote.signer, vote.signature, voteDigest(vote.payload))
}

/**
 * True when `votes` are PREPAREs of a quorum of distinct validators for `(height, round, blockHash)`.
 */
export function isPreparedCertificate(
  ctx: ValidationContext,
  votes: readonly SignedVote[],
  round: number,
  blockHash: Uint8Array,
): boolean {
  const seen = new Set<number>()
  for (const v of votes) {
    const p = v.payload
    if (p.type !== 'prepare' || p.chainId !== ctx.chainId || p.height !== ctx.height) return false
    if (p.round !== round || !equalBytes(p.blockHash, blockHash)) return false
    const index = indexOfValidator(ctx.validators, v.signer)
    if (index < 0 || seen.has(index)) return false
    if (!ctx.verify(v.signature, voteDigest(p), v.signer)) return false
    seen.add(index)
  }
  return seen.size >= quorumOf(ctx.validators.length)
}

function validateSignedRoundChange(
  ctx: ValidationContext,
  rc: SignedRoundChange,
  roundMin: number,
): Result<number, ConsensusError> {
  const p = rc.payload
  const position = checkPosition(ctx, p, 'VOTE', roundMin)
  if (!position.ok) return position
  if (p.round === 0) return reject('VOTE_WRONG_ROUND', 'no round change to round 0')
  if ((p.preparedRound === null) !== (p.preparedBlockHash === null)) {
    return reject('ROUND_CHANGE_BAD_PREPARED', 'prepared round and block must come together')
  }
  if (p.preparedRound !== null && p.preparedRound >= p.round) {
    return reject('ROUND_CHANGE_BAD_PREPARED', `prepared round ${p.preparedRound} >= ${p.round}`)
  }
  return checkSigner(ctx, rc.signer, rc.signature, roundChangeDigest(p))
}

/**
 * Validates a ROUND-CHANGE message to the current or a later round: signer, signature, and that its prepared claim is backed by the
 * carried block and a prepared certificate. Returns the signer's index.
 */
export function validateRoundChange(
  ctx: ValidationContext,
  message: RoundChangeMessage,
): Result<number, ConsensusError> {
  // ROUND-CHANGEs to rounds before the current one are stale (the engine answers them apart).
  const signed = validateSignedRoundChange(ctx, message.roundChange, ctx.round)
  if (!signed.ok) return signed
  const { preparedRound, preparedBlockHash } = message.roundChange.payload
  if (preparedRound === null || preparedBlockHash === null) {
    if (message.preparedBlock !== null || message.preparedCertificate.length > 0) {
      return reject('ROUND_CHANGE_BAD_PREPARED', 'prepared data without a prepared claim')
    }
    return signed
  }
  const block = message.preparedBlock
  if (block === null || !equalBytes(blockHashOf(block.header), preparedBlockHash)) {
    return reject('ROUND_CHANGE_BLOCK_MISMATCH', 'carried block is not the prepared block')
  }
  if (!isPreparedCertificate(ctx, message.preparedCertificate, preparedRound, preparedBlockHash)) {
    return reject('ROUND_CHANGE_BAD_PREPARED', 'prepared certificate is not a quorum of prepares')
  }
  return signed
}

/** The block a justified proposal must carry: the highest prepared one, or any (`null`). */
export interface Justified {
  readonly prepared: { readonly round: number; readonly blockHash: Uint8Array } | null
}

/**
 * Checks a round > 0 justification: a quorum of distinct validators' ROUND-CHANGEs to `round`; if any
 * reports a prepared block, the highest such (round, block) with its prepared certificate.
 */
export function validateJustification(
  ctx: ValidationContext,
  round: number,
  roundChanges: readonly SignedRoundChange[],
  preparedCertificate: readonly SignedVote[],
): Result<Justified, ConsensusError> {
  const bad = (message: string): Result<Justified, ConsensusError> =>
    reject('PROPOSAL_BAD_JUSTIFICATION', message)
  if (round === 0) {
    const empty = roundChanges.length === 0 && preparedCertificate.length === 0
    return empty ? ok({ prepared: null }) : bad('round 0 carries no justification')
  }
  const seen = new Set<number>()
  let highest: Justified['prepared'] = null
  for (const rc of roundChanges) {
    if (rc.payload.round !== round) return bad(`round change to ${rc.payload.round}, not ${round}`)
    const index = validateSignedRoundChange(ctx, rc, 0)
    if (!index.ok) return bad(`round change: ${index.error.code}`)
    if (seen.has(index.value)) return bad(`validator ${index.value} twice`)
    seen.add(index.value)
    const { preparedRound, preparedBlockHash } = rc.payload
    if (preparedRound !== null && preparedBlockHash !== null) {
      if (highest === null || preparedRound > highest.round) {
        highest = { round: preparedRound, blockHash: preparedBlockHash }
      }
    }
  }
  if (seen.size < quorumOf(ctx.validators.length)) return bad(`${seen.size} round changes`)
  if (highest === null) {
    return preparedCertificate.length === 0 ? ok({ prepared: null }) : bad('unexpected prepares')
  }
  if (!isPreparedCertificate(ctx, preparedCertificate, highest.round, highest.blockHash)) {
    return bad('no prepared certificate for the highest prepared block')
  }
  return ok({ prepared: highest })
}

/**
 * Validates a proposal's envelope: position, proposer, signature, block hash and justification.
 * Proposals of rounds before the current one are stale.
 */
export function validateProposal(
  ctx: ValidationContext,
  message: ProposalMessage,
): Result<Justified, ConsensusError> {
  const p = message.payload
  const position = checkPosition(ctx, p, 'PROPOSAL', ctx.round)
  if (!position.ok) return position
  const proposer = proposerOf(ctx.validators, p.height, p.round)
  if (!equalBytes(proposer.publicKey, message.signer)) {
    return reject('PROPOSAL_NOT_PROPOSER', `signer is not the proposer of round ${p.round}`)
  }
  if (!ctx.verify(message.signature, proposalDigest(p), message.signer)) {
    return reject('PROPOSAL_BAD_SIGNATURE', 'bad proposal signature')
  }
  if (!equalBytes(blockHashOf(message.block.header), p.blockHash)) {
    return reject('PROPOSAL_BLOCK_MISMATCH', 'block hash differs from the signed hash')
  }
  const justified = validateJustification(
    ctx,
    p.round,
    message.roundChanges,
    message.preparedCertificate,
  )
  if (!justified.ok) return justified
  if (justified.value.prepared && !equalBytes(justified.value.prepared.blockHash, p.blockHash)) {
    return reject('PROPOSAL_BAD_JUSTIFICATION', 'not the highest prepared block')
  }
  return justified
}

/** What a block header must agree with. */
export interface HeaderContext {
  readonly chainId: string
  readonly parent: BlockHeader
  readonly parentHash: Uint8Array
  readonly validators: readonly Validator[]
  /** `validatorsHashOf(validators)` and of the set of the next height. */
  readonly validatorsHash: Uint8Array
  readonly nextValidatorsHash: Uint8Array
  /** The validator's clock (ms). */
  readonly now: bigint
  /**
   * For a fresh block: the proposal round (header round and proposer must match and the time must
   * be within the skew of `now`). `null` for a block re-proposed under a prepared certificate, which
   * a quorum already accepted at its own round.
   */
  readonly freshRound: number | null
}

/** Checks the header fields the engine owns. */
export function validateHeader(hc: HeaderContext, block: Block): Result<void, ConsensusError> {
  const h = block.header
  assert(hc.validators.length > 0, 'non-empty validator set')
  if (h.chainId !== hc.chainId) return reject('BLOCK_WRONG_CHAIN', `chain ${h.chainId}`)
  if (h.height !== hc.parent.height + 1) return reject('BLOCK_WRONG_HEIGHT', `height ${h.height}`)
  if (!equalBytes(h.parentHash, hc.parentHash)) return reject('BLOCK_WRONG_PARENT', 'parent')
  if (
    !equalBytes(h.validatorsHash, hc.validatorsHash) ||
    !equalBytes(h.nextValidatorsHash, hc.nextValidatorsHash)
  ) {
    return reject('BLOCK_WRONG_VALIDATORS', 'validatorsHash or nextValidatorsHash')
  }
  if (hc.freshRound !== null && h.round !== hc.freshRound) {
    return reject('BLOCK_WRONG_ROUND', `header round ${h.round}, proposal round ${hc.freshRound}`)
  }
  if (!equalBytes(proposerOf(hc.validators, h.height, h.round).publicKey, h.proposer)) {
    return reject('BLOCK_WRONG_PROPOSER', `not the proposer of round ${h.round}`)
  }
  if (h.time <= hc.parent.time) {
    return reject('BLOCK_TIME_NOT_AFTER_PARENT', `time ${h.time} <= parent ${hc.parent.time}`)
  }
  const skew = h.time > hc.now ? h.time - hc.now : hc.now - h.time
  if (hc.freshRound !== null && skew > BLOCK_TIME_SKEW_MS) {
    return reject('BLOCK_TIME_SKEW', `time ${h.time} is ${skew} ms from now ${hc.now}`)
  }
  return ok(undefined)
}
