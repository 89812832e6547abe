/**
 * What the node checks of a consensus frame from a peer before it spends anything on the frame, and
 * which blocks it verifies the tx signatures of ahead of the engine (`preverifyBlockTxs`).
 *
 * - `checkConsensusFrame`, on receipt, before the driver's queue. The chain id is the node's. A
 *   signed message of a height whose set the engine knows (the height before the one it decides,
 *   that one, or the next) is signed by a member of that set. A proposal of the current or next
 *   height is signed by the proposer of its (height, round), over the hash of the block it
 *   carries, and the signature verifies. A certified block is of the current height and its
 *   certificate verifies against that height's set. A ROUND-CHANGE that carries a block verifies.
 *   A frame that fails one of these is dropped and its sender penalised; a frame the engine cannot
 *   use (another height) is dropped. A claim that the sender is ahead (a signed message of a height
 *   above the next) reaches the syncer only if its signer is in a set the engine knows and its
 *   signature verifies.
 * - `PreverifyGate`, when the driver hands an event to the engine: only a block authenticated on
 *   receipt (or a synced block whose certificate verified) that is still where the engine uses it
 *   has its tx signatures preverified: of proposals only the first of each (height, round), of
 *   ROUND-CHANGE blocks (which the engine executes on arrival) the first of each (round, signer).
 * Votes and ROUND-CHANGEs without a block cost the engine one verification each: it checks them.
 * Spec: docs/protocol/p2p.md#consensus-frames; docs/protocol/consensus.md#driver; ADR 0094.
 */
import type { Block, CommitCertificate, Validator } from '../core/block.ts'
import {
  blockHashOf,
  proposalDigest,
  roundChangeDigest,
  voteDigest,
  type ConsensusMessage,
  type ProposalMessage,
  type RoundChangeMessage,
  type VerifyDigest,
} from '../consensus/messages.ts'
import type { ConsensusEvent } from '../consensus/types.ts'
import { ROUND_AHEAD_MAX } from '../consensus/validation.ts'
import { indexOfValidator, proposerOf, verifyCertificate } from '../consensus/validators.ts'
import { assert } from '../util/assert.ts'
import { equalBytes, toHex } from '../util/bytes.ts'

/** Points a peer loses for a consensus frame that fails authentication: three bring a ban. */
export const CONSENSUS_PENALTY_UNAUTHENTIC = 40
/** Points a peer loses for a consensus frame that does not decode. */
export const CONSENSUS_PENALTY_MALFORMED = 30

/** Why a frame was rejected (the penalty reason the p2p layer counts). */
export type FrameRejection =
  | 'consensus-wrong-chain'
  | 'consensus-not-validator'
  | 'consensus-not-signer'
  | 'consensus-not-proposer'
  | 'consensus-block-mismatch'
  | 'consensus-bad-signature'
  | 'consensus-bad-certificate'
  | 'consensus-certificate-ahead'

/** What the checks read of the engine (read-only); `Consensus` fits. */
export interface EngineView {
  /** The height being decided. */
  readonly currentHeight: number
  readonly currentRound: number
  /** The set of the height before the current one, the current one or the next, else null. */
  validatorsAt(height: number): readonly Validator[] | null
}

/** What `checkConsensusFrame` needs besides the frame. */
export interface FrameContext {
  readonly chainId: string
  readonly engine: EngineView
  readonly verify: VerifyDigest
  /** The node's committed height. */
  readonly localHeight: number
  /** The head the syncer already believes the sender has (-1 when unknown). */
  readonly knownHead: number
  /**
   * The sending peer's public key. Given, a proposal, vote or ROUND-CHANGE must come from its
   * signer: consensus messages are sent directly and never relayed, so another peer's copy is a
   * replay (or a copy whose block was changed: the signature covers only the block's hash).
   */
  readonly from?: Uint8Array
}

/**
 * The verdict on a frame. `queue`: hand it to the driver; `authenticated` when it carries a block
 * that may be preverified (`PreverifyGate.mark`). `skip`: drop it, no fault. `reject`: drop it and
 * penalise the sender. `head`: an authenticated claim that the sender has committed that height
 * (for the syncer's `onPeerAhead`), or null.
 */
export type FrameVerdict =
  | { readonly action: 'queue'; readonly authenticated: boolean; readonly head: number | null }
  | { readonly action: 'skip'; readonly head: number | null }
  | { readonly action: 'reject'; readonly reason: FrameRejection; readonly message: string }

/** The signed part of a proposal, vote or ROUND-CHANGE. */
interface SignedFrame {
  readonly chainId: string
  readonly height: number
  readonly signer: Uint8Array
  readonly signature: Uint8Array
  readonly digest: () => Uint8Array
  /** The block the frame carries (a proposal's, a ROUND-CHANGE's prepared block), or null. */
  readonly block: Block | null
}

type SignedMessage = Exclude<ConsensusMessage, { kind: 'certifiedBlock' }>

function signedFrameOf(message: SignedMessage): SignedFrame {
  switch (message.kind) {
    case 'proposal': {
      const { payload, signer, signature, block } = message.proposal
      const { chainId, height } = payload
      return { chainId, height, signer, signature, digest: () => proposalDigest(payload), block }
    }
    case 'vote': {
      const { payload, signer, signature } = message.vote
      const { chainId, height } = payload
      return { chainId, height, signer, signature, digest: () => voteDigest(payload), block: null }
    }
    case 'roundChange': {
      const { payload, signer, signature } = message.roundChange.roundChange
      const { chainId, height } = payload
      const block = message.roundChange.preparedBlock
      return { chainId, height, signer, signature, digest: () => roundChangeDigest(payload), block }
    }
  }
}

function reject(reason: FrameRejection, message: string): FrameVerdict {
  return { action: 'reject', reason, message }
}

/**
 * True when `certificate` certifies `block` of `chainId` under `validators` (the set of its
 * height): the engine's rule (`verifyCertificate`), at most one verification per validator.
 */
export function certifies(
  block: Block,
  certificate: CommitCertificate,
  validators: readonly Validator[],
  chainId: string,
  verify: VerifyDigest,
): boolean {
  const { header } = block
  if (header.chainId !== chainId) return false
  const claim = { chainId, height: header.height, blockHash: blockHashOf(header) }
  return verifyCertificate(certificate, claim, validators, verify).ok
}

/**
 * Checks a decoded consensus frame from a peer before the node queues it or believes its height
 * (see the module header). Costs at most one signature verification, or one per validator for
 * a certified block's certificate.
 */
export function checkConsensusFrame(message: ConsensusMessage, ctx: FrameContext): FrameVerdict {
  if (message.kind === 'certifiedBlock') {
    return checkCertifiedBlock(message.block, message.certificate, ctx)
  }
  const frame = signedFrameOf(message)
  if (frame.chainId !== ctx.chainId)
    return reject('consensus-wrong-chain', `chain ${frame.chainId}`)
  if (ctx.from !== undefined && !equalBytes(ctx.from, frame.signer)) {
    return reject('consensus-not-signer', `${message.kind} relayed by a peer that did not sign it`)
  }
  const set = ctx.engine.validatorsAt(frame.height)
  if (set !== null && indexOfValidator(set, frame.signer) < 0) {
    return reject('consensus-not-validator', `signer is no validator of height ${frame.height}`)
  }
  let verified = false
  if (set !== null && message.kind === 'proposal' && frame.height >= ctx.engine.currentHeight) {
    const bad = checkProposal(message.proposal, set, ctx.verify)
    if (bad) return bad
    verified = true
  } else if (set !== null && message.kind === 'roundChange' && frame.block !== null) {
    // A block-sized frame is queued only once its signature holds.
    if (!ctx.verify(frame.signature, frame.digest(), frame.signer)) {
      return reject('consensus-bad-signature', `round change of height ${frame.height}`)
    }
    verified = true
  }
  const head = headClaim(frame, ctx, verified)
  if (head !== null && !head.ok) return head.rejection
  const claim = head?.height ?? null
  // A proposal of the previous height is useless: its signer's votes show the engine it lags.
  if (set === null || (message.kind === 'proposal' && !verified)) {
    return { action: 'skip', head: claim }
  }
  // A proposal or a ROUND-CHANGE that carries a block was verified above.
  return { action: 'queue', authenticated: verified && frame.block !== null, head: claim }
}

/** Proposer of its (height, round), the block it signed, and its signature: or the rejection. */
function checkProposal(
  proposal: ProposalMessage,
  set: readonly Validator[],
  verify: VerifyDigest,
): FrameVerdict | null {
  const { height, round, blockHash } = proposal.payload
  if (!equalBytes(proposerOf(set, height, round).publicKey, proposal.signer)) {
    return reject('consensus-not-proposer', `signer is not the proposer of (${height}, ${round})`)
  }
  if (!equalBytes(blockHashOf(proposal.block.header), blockHash)) {
    return reject(
      'consensus-block-mismatch',
      `block of (${height}, ${round}) is not the signed one`,
    )
  }
  if (!verify(proposal.signature, proposalDigest(proposal.payload), proposal.signer)) {
    return reject('consensus-bad-signature', `proposal of (${height}, ${round})`)
  }
  return null
}

type HeadClaim = { ok: true; height: number } | { ok: false; rejection: FrameVerdict }

/**
 * The height a signed message shows its sender has committed (its height - 1), when that is news:
 * above the local height and the sender's known head. Believed only if the signer is in a set the
 * engine knows (that of the message's height when known, else any) and the signature verifies;
 * a bad signature is rejected, an unknown signer is ignored (a set the node has not reached yet
 * may hold it).
 */
function headClaim(frame: SignedFrame, ctx: FrameContext, verified: boolean): HeadClaim | null {
  const height = frame.height - 1
  if (height <= ctx.localHeight || height <= ctx.knownHead) return null
  const { engine } = ctx
  const known = [-1, 0, 1].map((d) => engine.validatorsAt(engine.currentHeight + d))
  if (!known.some((set) => set !== null && indexOfValidator(set, frame.signer) >= 0)) return null
  if (!verified && !ctx.verify(frame.signature, frame.digest(), frame.signer)) {
    const message = `message of height ${frame.height} claims a head`
    return { ok: false, rejection: reject('consensus-bad-signature', message) }
  }
  return { ok: true, height }
}

function checkCertifiedBlock(
  block: Block,
  certificate: CommitCertificate,
  ctx: FrameContext,
): FrameVerdict {
  const { chainId, height } = block.header
  if (chainId !== ctx.chainId) return reject('consensus-wrong-chain', `chain ${chainId}`)
  const current = ctx.engine.currentHeight
  // A peer sends a certified block to help with the height this node's message was of: never
  // above the one it decides. One of an earlier height arrived after the node committed it.
  if (height < current) return { action: 'skip', head: null }
  if (height > current) {
    return reject('consensus-certificate-ahead', `certified block ${height} at height ${current}`)
  }
  const set = ctx.engine.validatorsAt(current)
  assert(set !== null, 'the engine knows the set of its height')
  if (!certifies(block, certificate, set, ctx.chainId, ctx.verify)) {
    return reject('consensus-bad-certificate', `certified block ${height}`)
  }
  return { action: 'queue', authenticated: true, head: null }
}

/**
 * Decides, as the driver hands an event to the engine, whether its block's tx signatures are
 * verified ahead on the worker pool: only for blocks marked authenticated, still where the engine
 * uses them, and for proposals only the first of each (height, round) (the engine considers one
 * proposal per round). Everything else reaches the engine without that work.
 */
export class PreverifyGate {
  readonly #authenticated = new WeakSet<ConsensusEvent>()
  /** Proposal rounds already admitted, per height (the current and the next only). */
  readonly #rounds = new Map<number, Set<number>>()
  /** ROUND-CHANGEs with a block already admitted, `round/signer`, of the height `#changesAt`. */
  #changes = new Set<string>()
  #changesAt = -1

  /**
   * Marks the event of an authenticated block: a frame `checkConsensusFrame` authenticated, or
   * a synced block whose certificate verified.
   * @throws {AssertionError} for an event that carries no block.
   */
  mark(event: ConsensusEvent): void {
    const carries =
      event.type === 'proposal' ||
      event.type === 'certifiedBlock' ||
      (event.type === 'roundChange' && event.message.preparedBlock !== null)
    assert(carries, `${event.type} event without a block`)
    this.#authenticated.add(event)
  }

  /**
   * Whether to preverify the block of `event` now (asked once per event): it was marked, and it
   * is a certified block of the engine's height, or a proposal of that height in a round up to
   * `ROUND_AHEAD_MAX` past the current one, or of the next height in the first `ROUND_AHEAD_MAX`
   * rounds (the engine buffers it), and the first such proposal of its (height, round).
   */
  admit(event: ConsensusEvent, engine: EngineView): boolean {
    if (!this.#authenticated.has(event)) return false
    this.#authenticated.delete(event)
    const height = engine.currentHeight
    if (event.type === 'certifiedBlock') return event.block.header.height === height
    if (event.type === 'roundChange') return this.#admitChange(event.message, engine)
    if (event.type !== 'proposal') return false
    const { payload } = event.message
    const next = payload.height === height + 1
    if (payload.height !== height && !next) return false
    if (payload.round > (next ? 0 : engine.currentRound) + ROUND_AHEAD_MAX) return false
    for (const h of [...this.#rounds.keys()]) if (h < height) this.#rounds.delete(h)
    const rounds = this.#rounds.get(payload.height) ?? new Set<number>()
    this.#rounds.set(payload.height, rounds)
    if (rounds.has(payload.round)) return false
    rounds.add(payload.round)
    assert(this.#rounds.size <= 2, 'rounds kept for the current and the next height')
    return true
  }

  /**
   * A ROUND-CHANGE's block, which the engine executes on arrival (ADR 0096): of the engine's
   * height, in the round window, the first of its (round, signer), as the engine counts one
   * ROUND-CHANGE per validator and round.
   */
  #admitChange(message: RoundChangeMessage, engine: EngineView): boolean {
    const { payload, signer } = message.roundChange
    const height = engine.currentHeight
    if (payload.height !== height || payload.round > engine.currentRound + ROUND_AHEAD_MAX) {
      return false
    }
    if (this.#changesAt !== height) {
      this.#changes = new Set()
      this.#changesAt = height
    }
    const key = `${payload.round}/${toHex(signer)}`
    if (this.#changes.has(key)) return false
    this.#changes.add(key)
    return true
  }
}
