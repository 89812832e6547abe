/**
 * The QBFT consensus engine: a pure, synchronous state machine `handle(event) → effects`.
 * Spec: docs/protocol/consensus.md; SPEC.md section 5; H. Moniz, "The Istanbul BFT Consensus
 * Algorithm" (arXiv 2002.03613), Algorithms 1-4.
 *
 * One instance decides one height after another. Per round r of height h the proposer
 * `validators[(h + r) mod n]` sends PRE-PREPARE; validators answer PREPARE; a quorum of PREPAREs makes
 * a validator prepared and it sends COMMIT; a quorum of COMMITs for one (round, block) decides.
 * On a round timeout a validator sends ROUND-CHANGE with its highest prepared certificate; a proposal
 * in round r > 0 must be justified by a quorum of ROUND-CHANGEs and, if any reports a prepared block,
 * re-propose the highest one. The engine persists every vote before it sends it, so a restarted
 * engine never signs a conflicting one.
 */
import type { Block, CommitCertificate, Validator } from '../core/block.ts'
import { assert } from '../util/assert.ts'
import { equalBytes, toHex } from '../util/bytes.ts'
import { err, ok, type Result } from '../util/result.ts'
import type { Execution } from './app.ts'
import {
  blockHashOf,
  signProposal,
  signRoundChange,
  signVote,
  type ConsensusMessage,
  type ProposalMessage,
  type RoundChangeMessage,
  type SignedRoundChange,
  type SignedVote,
} from './messages.ts'
import {
  roundTimeoutMs,
  type ChainSnapshot,
  type ConsensusEvent,
  type ConsensusParams,
  type Effect,
} from './types.ts'
import {
  ROUND_AHEAD_MAX,
  validateHeader,
  validateProposal,
  validateRoundChange,
  validateVote,
  type ConsensusError,
  type ValidationContext,
} from './validation.ts'
import {
  applyValidatorUpdates,
  buildCertificate,
  faultMax,
  indexOfValidator,
  isWellFormedSet,
  proposerOf,
  quorumOf,
  validatorsHashOf,
  verifyCertificate,
} from './validators.ts'
import { replayWal, type Prepared } from './wal.ts'

/**
 * Most messages buffered for the next height; each validator of that height may fill at most
 * `floor(FUTURE_MESSAGES_MAX / n)` of them. Spec: docs/protocol/consensus.md#the-round-state-diagram.
 */
export const FUTURE_MESSAGES_MAX = 1024

interface RoundVotes {
  /** The first proposal of the round (valid or not) and the accepted (valid) one. */
  proposalSeen: Uint8Array | null
  proposalHash: Uint8Array | null
  readonly prepares: Map<number, SignedVote>
  readonly commits: Map<number, SignedVote>
  readonly roundChanges: Map<number, RoundChangeMessage>
}

/**
 * A copy of a block of the current height, held under its header hash. The header does not pin
 * the bytes of the txs (its txRoot is over txIds, which leave the signatures out), so a verdict on
 * a copy's txs is about that copy only: a validated copy stands for its hash (it is the one the
 * engine votes for, locks, re-proposes and decides), a refused one is dropped. Spec:
 * docs/protocol/consensus.md#block-copies; ADR 0096.
 */
interface KnownBlock {
  readonly block: Block
  /** What executing this very copy gave; null for a copy not executed yet. */
  readonly execution: Execution | null
}

/** A copy that executed and matched its header. */
interface ValidatedBlock {
  readonly block: Block
  readonly execution: Execution
}

interface Sent {
  readonly proposals: Map<number, ProposalMessage>
  readonly prepares: Map<number, Uint8Array>
  readonly commits: Map<number, Uint8Array>
  readonly roundChanges: Map<number, RoundChangeMessage>
}

type MessageEvent = Extract<ConsensusEvent, { type: 'proposal' | 'vote' | 'roundChange' }>

/** Counters the driver can export as metrics and tests can assert on. */
export interface ConsensusStats {
  readonly rejections: ReadonlyMap<string, number>
  readonly lastRejection: ConsensusError | null
}

/** The consensus engine of one validator (or of a non-validating follower). */
export class Consensus {
  private readonly params: ConsensusParams
  private height = 0
  private round = 0
  private lastBlock!: Block
  private lastBlockHash!: Uint8Array
  private lastCertificate: CommitCertificate | null = null
  private lastValidators: readonly Validator[] = []
  private validators: readonly Validator[] = []
  private nextValidators: readonly Validator[] = []
  private validatorsHash: Uint8Array = new Uint8Array(32)
  private nextValidatorsHash: Uint8Array = new Uint8Array(32)
  private rounds = new Map<number, RoundVotes>()
  private blocks = new Map<string, KnownBlock>()
  private prepared: Prepared | null = null
  private sent: Sent = emptySent()
  private future: MessageEvent[] = []
  /** `height/step/round/signer` of each buffered message, and buffered messages per signer. */
  private futureKeys = new Set<string>()
  private futureBySigner = new Map<string, number>()
  private replayPending = false
  private decidedInCall = false
  private txsAvailable = false
  private proposeDue = false
  private helped = new Set<string>()
  private readonly rejections = new Map<string, number>()
  private lastRejection: ConsensusError | null = null

  /** Builds the engine at the chain snapshot and restores what it sent from the WAL. */
  constructor(params: ConsensusParams) {
    this.params = params
    this.enterHeight(params.chain)
    const wal = replayWal(params.wal, this.height)
    this.round = wal.round
    this.prepared = wal.prepared
    for (const [r, p] of wal.proposals) this.sent.proposals.set(r, p)
    for (const [r, h] of wal.prepares) this.sent.prepares.set(r, h)
    for (const [r, h] of wal.commits) this.sent.commits.set(r, h)
    for (const [r, m] of wal.roundChanges) this.sent.roundChanges.set(r, m)
    if (wal.prepared) this.rememberBlock(wal.prepared.block, null)
    this.checkInvariants()
  }

  /** The height being decided. */
  get currentHeight(): number {
    return this.height
  }

  /** The current round. */
  get currentRound(): number {
    return this.round
  }

  /**
   * The validator set of `height` as the engine knows it: that of the height before the current
   * one, of the current one or of the next; `null` for any other height. Read-only: the node
   * authenticates peer frames against it before it queues them (docs/protocol/p2p.md).
   */
  validatorsAt(height: number): readonly Validator[] | null {
    if (height === this.height - 1) return this.lastValidators
    if (height === this.height) return this.validators
    if (height === this.height + 1) return this.nextValidators
    return null
  }

  /** Rejection counters by code. */
  get stats(): ConsensusStats {
    return { rejections: this.rejections, lastRejection: this.lastRejection }
  }

  /** Handles one event and returns the effects to run, in order. */
  handle(event: ConsensusEvent): Effect[] {
    const out: Effect[] = []
    this.decidedInCall = false
    if (this.replayPending) {
      this.replayPending = false
      const buffered = this.future
      this.future = []
      this.futureKeys = new Set()
      this.futureBySigner = new Map()
      for (const e of buffered) this.onMessage({ ...e, now: event.now }, out)
    }
    // When the replay decided, the event itself must not reach the app either: messages wait in
    // the buffer, timers are stale and `txsAvailable` is dropped (see onTimeout, onTxsAvailable).
    switch (event.type) {
      case 'start':
        this.onStart(event.now, out)
        break
      case 'proposal':
      case 'vote':
      case 'roundChange':
        this.onMessage(event, out)
        break
      case 'timeout':
        this.onTimeout(event, out)
        break
      case 'txsAvailable':
        this.onTxsAvailable(event.now, event.full === true, out)
        break
      case 'certifiedBlock':
        this.onCertifiedBlock(event.block, event.certificate, event.now, out)
        break
    }
    return out
  }

  // ---- heights and rounds ------------------------------------------------------------------

  private enterHeight(chain: ChainSnapshot): void {
    const header = chain.lastBlock.header
    assert(isWellFormedSet(chain.validators), 'validator set of the next height is well formed')
    assert(isWellFormedSet(chain.nextValidators), 'validator set of height + 2 is well formed')
    if (chain.lastCertificate) assert(chain.lastCertificate.height === header.height, 'cert height')
    this.lastBlock = chain.lastBlock
    this.lastBlockHash = blockHashOf(header)
    this.lastCertificate = chain.lastCertificate
    this.lastValidators = chain.lastValidators
    this.validators = chain.validators
    this.nextValidators = chain.nextValidators
    this.validatorsHash = validatorsHashOf(chain.validators)
    this.nextValidatorsHash = validatorsHashOf(chain.nextValidators)
    this.height = header.height + 1
    this.round = 0
    this.rounds = new Map()
    this.blocks = new Map()
    this.prepared = null
    this.sent = emptySent()
    this.helped = new Set()
    this.txsAvailable = false
    this.proposeDue = false
  }

  private get myIndex(): number {
    return indexOfValidator(this.validators, this.params.signer.publicKey)
  }

  private isProposer(round: number): boolean {
    const proposer = proposerOf(this.validators, this.height, round)
    return equalBytes(proposer.publicKey, this.params.signer.publicKey)
  }

  private ctx(): ValidationContext {
    const { chainId, verify } = this.params
    return { chainId, verify, height: this.height, round: this.round, validators: this.validators }
  }

  private votesOf(round: number): RoundVotes {
    let votes = this.rounds.get(round)
    if (!votes) {
      votes = {
        proposalSeen: null,
        proposalHash: null,
        prepares: new Map(),
        commits: new Map(),
        roundChanges: new Map(),
      }
      this.rounds.set(round, votes)
    }
    return votes
  }

  private reject(error: ConsensusError): void {
    this.rejections.set(error.code, (this.rejections.get(error.code) ?? 0) + 1)
    this.lastRejection = error
  }

  private onStart(now: bigint, out: Effect[]): void {
    this.enterRound(this.round, now, out, false)
    // After a restart, send again exactly what the WAL says was (or was about to be) sent.
    const proposal = this.sent.proposals.get(this.round)
    if (proposal) {
      out.push({ type: 'broadcast', message: { kind: 'proposal', proposal } })
      this.onProposal(proposal, now, out, true)
    }
    const prepare = this.sent.prepares.get(this.round)
    if (prepare) this.broadcastVote('prepare', this.round, prepare, out)
    for (const [r, hash] of this.sent.commits) this.broadcastVote('commit', r, hash, out)
    if (this.sent.roundChanges.has(this.round)) this.broadcastRoundChange(this.round, out)
  }

  /**
   * Moves to `round` of the current height: starts its timer; when `announce`, persists and
   * broadcasts a ROUND-CHANGE first.
   */
  private enterRound(round: number, now: bigint, out: Effect[], announce: boolean): void {
    assert(round >= this.round, `rounds only grow: ${this.round} -> ${round}`)
    this.round = round
    for (const r of [...this.rounds.keys()]) {
      const votes = this.rounds.get(r)!
      // Commits of earlier rounds may still decide; the rest of an earlier round is dead.
      if (r < round && votes.commits.size === 0) this.rounds.delete(r)
    }
    const { height } = this
    out.push({
      type: 'scheduleTimeout',
      height,
      round,
      step: 'round',
      delayMs: this.roundMs(round),
    })
    if (announce && this.myIndex >= 0 && !this.sent.roundChanges.has(round)) {
      const roundChange = this.buildRoundChange(round)
      this.sent.roundChanges.set(round, roundChange)
      const record = { ...walRecord('roundChange', height, round), roundChange }
      out.push({ type: 'persist', record })
      this.broadcastRoundChange(round, out)
    }
    if (round === 0 && this.isProposer(0) && !this.sent.proposals.has(0)) {
      const delayMs = this.params.timeouts.blockIntervalMs
      out.push({ type: 'scheduleTimeout', height, round: 0, step: 'propose', delayMs })
    }
    this.tryProposeRound(now, out)
    this.checkPrepared(round, out)
  }

  private roundMs(round: number): number {
    return roundTimeoutMs(this.params.timeouts, round)
  }

  private onTimeout(event: Extract<ConsensusEvent, { type: 'timeout' }>, out: Effect[]): void {
    // In a call that decided, every timer is stale: those of the new height are only asked for
    // in this call's effects, so none of them can have fired yet.
    if (this.decidedInCall || event.height !== this.height || event.round !== this.round) {
      const message = `timeout (${event.height}, ${event.round}) at (${this.height}, ${this.round})`
      this.reject({ code: 'TIMEOUT_STALE', message })
      return
    }
    if (event.step === 'round') {
      this.enterRound(this.round + 1, event.now, out, true)
      return
    }
    this.proposeDue = true
    this.proposeFresh(event.now, out)
  }

  private onTxsAvailable(now: bigint, full: boolean, out: Effect[]): void {
    // In a call that decided (from buffered messages), the signal describes the pool before the
    // decided block's txs left it, and the app has not applied that block: proposing now would
    // build on an unwritten parent. The driver signals txsAvailable again after the commit.
    // Spec: docs/protocol/consensus.md#timeouts.
    if (this.decidedInCall) return
    this.txsAvailable = true
    // A full block need not wait for the interval: it only bounds how long a proposer waits for txs.
    if (this.proposeDue || full) this.proposeFresh(now, out)
  }

  // ---- proposing ---------------------------------------------------------------------------

  private proposeFresh(now: bigint, out: Effect[]): void {
    // Never in a call that decided: the app has not applied the decided block yet.
    if (this.decidedInCall) return
    const round = this.round
    if (round !== 0 || !this.isProposer(0) || this.sent.proposals.has(0)) return
    if (!this.params.timeouts.createEmptyBlocks && !this.txsAvailable) return
    this.proposeDue = false
    this.propose(round, null, [], [], now, out)
  }

  /** The proposer of round r > 0 proposes once it holds a quorum of ROUND-CHANGEs to r. */
  private tryProposeRound(now: bigint, out: Effect[]): void {
    if (this.decidedInCall) return
    const round = this.round
    if (round === 0 || !this.isProposer(round) || this.sent.proposals.has(round)) return
    const changes = this.rounds.get(round)?.roundChanges
    if (!changes || changes.size < quorumOf(this.validators.length)) return
    const sorted = [...changes.entries()].sort((a, b) => a[0] - b[0]).map(([, m]) => m)
    let highest: RoundChangeMessage | null = null
    for (const m of sorted) {
      const pr = m.roundChange.payload.preparedRound
      if (pr === null) continue
      if (highest === null || pr > (highest.roundChange.payload.preparedRound ?? -1)) highest = m
    }
    const justification = sorted.map((m) => m.roundChange)
    if (highest === null) {
      this.propose(round, null, justification, [], now, out)
      return
    }
    const hash = highest.roundChange.payload.preparedBlockHash
    assert(hash !== null && highest.preparedBlock !== null, 'a prepared claim carries its block')
    // Re-propose only a copy of the block that this engine validated (each ROUND-CHANGE's copy is
    // checked on receipt): without one, wait for another ROUND-CHANGE or the round timer.
    const known = this.blocks.get(toHex(hash))
    const copy = known ? this.validatedCopy(known.block, null, now) : null
    if (copy === null || !copy.ok) {
      if (copy) this.reject(copy.error)
      return
    }
    const certificate = highest.preparedCertificate
    this.propose(round, copy.value.block, justification, certificate, now, out)
  }

  /** Signs, persists and broadcasts a proposal; a fresh block when `block` is null. */
  private propose(
    round: number,
    reproposed: Block | null,
    roundChanges: SignedRoundChange[],
    preparedCertificate: SignedVote[],
    now: bigint,
    out: Effect[],
  ): void {
    assert(this.isProposer(round), 'only the proposer proposes')
    assert(!this.sent.proposals.has(round), 'one proposal per round')
    assert(!this.decidedInCall, 'no proposal in the call that decided the previous height')
    let block = reproposed
    if (block === null) {
      const parent = this.lastBlock.header
      const built = this.params.app.buildProposal({
        chainId: this.params.chainId,
        height: this.height,
        round,
        time: now > parent.time ? now : parent.time + 1n,
        proposer: this.params.signer.publicKey,
        parent,
        parentHash: this.lastBlockHash,
        validatorsHash: this.validatorsHash,
        nextValidatorsHash: this.nextValidatorsHash,
      })
      block = built.block
      this.rememberBlock(block, built.execution)
    }
    const { chainId } = this.params
    const payload = {
      type: 'proposal' as const,
      chainId,
      height: this.height,
      round,
      blockHash: blockHashOf(block.header),
    }
    const signer = this.params.signer
    const proposal = signProposal(signer, payload, block, roundChanges, preparedCertificate)
    this.sent.proposals.set(round, proposal)
    out.push({
      type: 'persist',
      record: { ...walRecord('proposal', this.height, round), proposal },
    })
    out.push({ type: 'broadcast', message: { kind: 'proposal', proposal } })
    this.onProposal(proposal, now, out, true)
  }

  /**
   * Holds `block` as the copy of its hash unless one is held already; a validated copy (the
   * proposer's own, with its `execution`) replaces one not executed yet.
   */
  private rememberBlock(block: Block, execution: Execution | null): void {
    assert(block.header.height === this.height, 'a block of the current height')
    const key = toHex(blockHashOf(block.header))
    const known = this.blocks.get(key)
    if (!known || (known.execution === null && execution !== null)) {
      this.blocks.set(key, { block, execution })
    }
  }

  /**
   * Checks the header fields the engine owns, then gives the validated copy of the block of this
   * header hash: the one held, or `block` once the app executed it. A copy the app refuses is
   * dropped (never held for the hash), so another copy of the same header can still be validated;
   * each copy is executed at most once. Spec: docs/protocol/consensus.md#block-copies.
   */
  private validatedCopy(
    block: Block,
    freshRound: number | null,
    now: bigint,
  ): Result<ValidatedBlock, ConsensusError> {
    const header = validateHeader(
      {
        chainId: this.params.chainId,
        parent: this.lastBlock.header,
        parentHash: this.lastBlockHash,
        validators: this.validators,
        validatorsHash: this.validatorsHash,
        nextValidatorsHash: this.nextValidatorsHash,
        now,
        freshRound,
      },
      block,
    )
    if (!header.ok) return header
    const key = toHex(blockHashOf(block.header))
    const known = this.blocks.get(key)
    if (known !== undefined && known.execution !== null) {
      return ok({ block: known.block, execution: known.execution })
    }
    const executed = this.execute(block)
    if (!executed.ok) {
      // A verdict on this copy's txs, not on its header: it must not stick to the hash.
      if (known?.block === block) this.blocks.delete(key)
      assert(this.blocks.get(key)?.block !== block, 'a refused copy is not held')
      return executed
    }
    this.blocks.set(key, { block, execution: executed.value })
    return ok({ block, execution: executed.value })
  }

  private execute(block: Block): Result<Execution, ConsensusError> {
    // Spec: src/consensus/app.ts. The app has not applied a block decided in this call yet.
    assert(!this.decidedInCall, 'no execution in the call that decided the previous height')
    const executed = this.params.app.executeProposal(block, this.lastBlock.header)
    if (!executed.ok) return executed
    if (!equalBytes(executed.value.stateRoot, block.header.stateRoot)) {
      return err({ code: 'BLOCK_STATE_ROOT_MISMATCH', message: 'executed state root differs' })
    }
    return executed
  }

  // ---- incoming messages -------------------------------------------------------------------

  private onMessage(event: MessageEvent, out: Effect[]): void {
    const { height, signer } = messagePosition(event)
    if (this.decidedInCall) {
      // The driver has not applied the block decided in this call yet: messages of the new height
      // (and of the one after) wait for the next event. One of the decided height can only help
      // its lagging signer.
      if (height === this.height - 1) this.helpLagging(signer, out)
      else this.bufferMessage(event)
      return
    }
    if (height === this.height + 1) {
      this.bufferMessage(event)
      return
    }
    if (height === this.height - 1) this.helpLagging(signer, out)
    if (event.type === 'proposal') this.onProposal(event.message, event.now, out, false)
    else if (event.type === 'vote') this.onVote(event.vote, event.now, out)
    else this.onRoundChange(event.message, event.now, out)
  }

  /**
   * Keeps a message of the next height (or, in a call that decided, of the height entered) for
   * the next event. It must be valid against the set of its height at round 0, so its signer is a
   * validator of that height and its signature holds; one per (height, step, round, signer) is
   * kept, and a signer fills at most its share of the buffer. Neither a peer nor a few validators
   * can push out the messages of the others. Spec: docs/protocol/consensus.md#the-round-state-diagram.
   */
  private bufferMessage(event: MessageEvent): void {
    const { height, step, round, signer } = messagePosition(event)
    const ctx = height === this.height + 1 ? this.nextCtx() : this.ctx()
    // Messages of other heights fail here with the WRONG_HEIGHT codes.
    const valid = validateMessage(ctx, event)
    if (!valid.ok) {
      this.reject(valid.error)
      return
    }
    const who = toHex(signer)
    const key = `${height}/${step}/${round}/${who}`
    if (this.futureKeys.has(key)) {
      const code = step === 'proposal' ? 'PROPOSAL_DUPLICATE' : 'VOTE_DUPLICATE'
      this.reject({ code, message: `${step} of round ${round} already buffered` })
      return
    }
    const count = this.futureBySigner.get(who) ?? 0
    const share = Math.floor(FUTURE_MESSAGES_MAX / ctx.validators.length)
    if (count >= share || this.future.length >= FUTURE_MESSAGES_MAX) {
      const message = `${this.future.length} buffered, ${count} of this signer (share ${share})`
      this.reject({ code: 'FUTURE_MESSAGES_FULL', message })
      return
    }
    this.future.push(event)
    this.futureKeys.add(key)
    this.futureBySigner.set(who, count + 1)
    if (this.decidedInCall) this.replayPending = true
    assert(this.future.length <= FUTURE_MESSAGES_MAX, 'future buffer bounded')
    assert(this.futureKeys.size === this.future.length, 'one buffered message per key')
  }

  /** What validation sees of the next height: its set, at round 0. */
  private nextCtx(): ValidationContext {
    const { chainId, verify } = this.params
    return { chainId, verify, height: this.height + 1, round: 0, validators: this.nextValidators }
  }

  /** A validator of the previous height is behind: send it our last block with its certificate. */
  private helpLagging(signer: Uint8Array, out: Effect[]): void {
    const key = toHex(signer)
    if (this.lastCertificate === null || this.helped.has(key)) return
    if (indexOfValidator(this.lastValidators, signer) < 0) return
    this.helped.add(key)
    const message: ConsensusMessage = {
      kind: 'certifiedBlock',
      block: this.lastBlock,
      certificate: this.lastCertificate,
    }
    out.push({ type: 'send', to: signer, message })
  }

  private onProposal(message: ProposalMessage, now: bigint, out: Effect[], own: boolean): void {
    const { round, blockHash } = message.payload
    // A proposal of an earlier round cannot be prepared any more, but its block may still be
    // decided by commits of that round: validate it at its own round and remember the block.
    const stale = round < this.round && message.payload.height === this.height
    const valid = validateProposal(stale ? { ...this.ctx(), round } : this.ctx(), message)
    if (!valid.ok) {
      this.reject(valid.error)
      return
    }
    // One proposal per round is considered, valid or not: a Byzantine proposer cannot make us
    // store or execute many blocks for one round, nor a peer many copies of one (a refused copy
    // that came first costs this node the round only; ADR 0096).
    const votes = this.votesOf(round)
    if (votes.proposalSeen !== null) {
      const same = equalBytes(votes.proposalSeen, blockHash)
      if (!same || !own) {
        const code = same ? 'PROPOSAL_DUPLICATE' : 'VOTE_EQUIVOCATION'
        this.reject({ code, message: `second proposal for round ${round}` })
        return
      }
    }
    votes.proposalSeen = blockHash
    if (stale) {
      this.rememberBlock(message.block, null)
      this.checkDecide(round, blockHash, now, out)
      return
    }
    const freshRound = valid.value.prepared === null ? round : null
    // This proposal's own copy is checked, unless a validated copy of its hash is held.
    const copy = this.validatedCopy(message.block, freshRound, now)
    if (!copy.ok) {
      this.reject(copy.error)
      return
    }
    votes.proposalHash = blockHash
    if (round > this.round) this.enterRound(round, now, out, false)
    if (round === this.round) this.sendVote('prepare', round, blockHash, out)
    this.checkPrepared(round, out)
    this.checkDecide(round, blockHash, now, out)
  }

  private onVote(vote: SignedVote, now: bigint, out: Effect[]): void {
    const valid = validateVote(this.ctx(), vote)
    if (!valid.ok) {
      this.reject(valid.error)
      return
    }
    const { type, round, blockHash } = vote.payload
    const votes = this.votesOf(round)
    const map = type === 'prepare' ? votes.prepares : votes.commits
    const before = map.get(valid.value)
    if (before) {
      const same = equalBytes(before.payload.blockHash, blockHash)
      const code = same ? 'VOTE_DUPLICATE' : 'VOTE_EQUIVOCATION'
      this.reject({ code, message: `second ${type} of validator ${valid.value}` })
      return
    }
    map.set(valid.value, vote)
    if (type === 'prepare') this.checkPrepared(round, out)
    else this.checkDecide(round, blockHash, now, out)
  }

  private onRoundChange(message: RoundChangeMessage, now: bigint, out: Effect[]): void {
    const { round, height } = message.roundChange.payload
    if (round < this.round && height === this.height) this.answerLowerRound(message, out)
    const valid = validateRoundChange(this.ctx(), message)
    if (!valid.ok) {
      this.reject(valid.error)
      return
    }
    const changes = this.votesOf(round).roundChanges
    if (changes.has(valid.value)) {
      this.reject({ code: 'VOTE_DUPLICATE', message: `second round change to ${round}` })
      return
    }
    changes.set(valid.value, message)
    // The carried copy is checked now, once per (signer, round): a proposer re-proposes only a
    // validated copy, and one refused here does not stand for its hash.
    if (message.preparedBlock) {
      const copy = this.validatedCopy(message.preparedBlock, null, now)
      if (!copy.ok) this.reject(copy.error)
    }
    if (round > this.round) this.checkRoundSkip(now, out)
    this.tryProposeRound(now, out)
  }

  /** A validator is in an earlier round: send it our ROUND-CHANGE so the f+1 rule can lift it. */
  private answerLowerRound(message: RoundChangeMessage, out: Effect[]): void {
    if (!this.sent.roundChanges.has(this.round)) return
    const sender = message.roundChange.signer
    const key = `${toHex(sender)}/${this.round}`
    if (this.helped.has(key) || indexOfValidator(this.validators, sender) < 0) return
    this.helped.add(key)
    const roundChange = this.sent.roundChanges.get(this.round)
    assert(roundChange !== undefined, 'answering with a round change we sent')
    out.push({ type: 'send', to: sender, message: { kind: 'roundChange', roundChange } })
  }

  /** Moniz Algorithm 3, f+1 rule: ROUND-CHANGEs of f+1 validators to later rounds move us on. */
  private checkRoundSkip(now: bigint, out: Effect[]): void {
    const senders = new Set<number>()
    let roundMin = Number.MAX_SAFE_INTEGER
    for (const [r, votes] of this.rounds) {
      if (r <= this.round || votes.roundChanges.size === 0) continue
      for (const index of votes.roundChanges.keys()) senders.add(index)
      roundMin = Math.min(roundMin, r)
    }
    if (senders.size < faultMax(this.validators.length) + 1) return
    this.enterRound(roundMin, now, out, true)
  }

  // ---- voting and deciding -----------------------------------------------------------------

  /** Persists, signs and broadcasts a PREPARE or COMMIT, unless one was sent for this round. */
  private sendVote(type: 'prepare' | 'commit', round: number, hash: Uint8Array, out: Effect[]) {
    if (this.myIndex < 0) return
    const sent = type === 'prepare' ? this.sent.prepares : this.sent.commits
    const before = sent.get(round)
    // Spec: docs/protocol/consensus.md#wal. Never a second, different vote for one round and step.
    if (before) return
    sent.set(round, hash)
    const record = { ...walRecord(type, this.height, round), blockHash: hash }
    if (type === 'commit') {
      const prepared = this.prepared
      assert(prepared !== null && prepared.round === round, 'commit only when prepared this round')
      out.push({
        type: 'persist',
        record: {
          ...record,
          block: prepared.block,
          preparedCertificate: [...prepared.certificate],
        },
      })
    } else {
      out.push({ type: 'persist', record })
    }
    this.broadcastVote(type, round, hash, out)
  }

  /** Signs and broadcasts a vote already recorded in `sent`, and counts it locally. */
  private broadcastVote(
    type: 'prepare' | 'commit',
    round: number,
    hash: Uint8Array,
    out: Effect[],
  ) {
    const index = this.myIndex
    if (index < 0) return
    const payload = {
      type,
      chainId: this.params.chainId,
      height: this.height,
      round,
      blockHash: hash,
    }
    const vote = signVote(this.params.signer, payload)
    out.push({ type: 'broadcast', message: { kind: 'vote', vote } })
    const votes = this.votesOf(round)
    const map = type === 'prepare' ? votes.prepares : votes.commits
    if (!map.has(index)) map.set(index, vote)
  }

  /** A quorum of PREPAREs for this round's proposal: become prepared and COMMIT. */
  private checkPrepared(round: number, out: Effect[]): void {
    if (round !== this.round || this.sent.commits.has(round) || this.myIndex < 0) return
    const votes = this.rounds.get(round)
    const hash = votes?.proposalHash
    if (!votes || !hash) return
    const matching = [...votes.prepares.entries()]
      .filter(([, v]) => equalBytes(v.payload.blockHash, hash))
      .sort((a, b) => a[0] - b[0])
    if (matching.length < quorumOf(this.validators.length)) return
    const known = this.blocks.get(toHex(hash))
    assert(known !== undefined && known.execution !== null, 'a prepared block was validated')
    const certificate = matching.map(([, v]) => v)
    this.prepared = { round, block: known.block, blockHash: hash, certificate }
    this.sendVote('commit', round, hash, out)
  }

  /** A quorum of COMMITs for (round, block) of this height decides the block. */
  private checkDecide(round: number, hash: Uint8Array, now: bigint, out: Effect[]): void {
    const votes = this.rounds.get(round)
    if (!votes) return
    const commits = [...votes.commits.values()].filter((v) => equalBytes(v.payload.blockHash, hash))
    if (commits.length < quorumOf(this.validators.length)) return
    const known = this.blocks.get(toHex(hash))
    if (!known) return
    // The commit quorum vouches for the block, so no clock-skew check: it was fresh when proposed.
    const copy = this.validatedCopy(known.block, null, now)
    if (!copy.ok) {
      this.reject(copy.error)
      return
    }
    const certificate = buildCertificate(commits, this.validators)
    this.decide(copy.value.block, certificate, copy.value.execution, out)
  }

  private decide(block: Block, cert: CommitCertificate, ex: Execution, out: Effect[]): void {
    assert(block.header.height === this.height, 'decide the current height')
    assert(!this.decidedInCall, 'at most one decision per handle call')
    this.decidedInCall = true
    assert(equalBytes(blockHashOf(block.header), cert.blockHash), 'certificate for this block')
    const known = this.blocks.get(toHex(cert.blockHash))
    assert(known?.block === block && known.execution === ex, 'decide the validated copy')
    const following = applyValidatorUpdates(this.nextValidators, ex.validatorUpdates)
    this.enterHeight({
      lastBlock: block,
      lastCertificate: cert,
      lastValidators: this.validators,
      validators: this.nextValidators,
      nextValidators: following,
    })
    // Buffered messages of the new height wait for the next event, after the driver has applied
    // the decided block to the app (the app is never called for h + 1 in this call).
    this.replayPending ||= this.future.length > 0
    const { height } = this
    // The next proposer's block interval runs from the decision, so the block's commit (apply and
    // a synced write) overlaps the wait instead of adding to it. Its timeout is an event, handled
    // after this call's effects, so the engine still sees h + 1 only once h is committed. The round
    // timer starts after the commit: a slow disk must not eat into round 0 of h + 1.
    if (this.isProposer(0)) {
      const delayMs = this.params.timeouts.blockIntervalMs
      out.push({ type: 'scheduleTimeout', height, round: 0, step: 'propose', delayMs })
    }
    out.push({
      type: 'commitBlock',
      block,
      certificate: cert,
      validatorUpdates: ex.validatorUpdates,
    })
    out.push({ type: 'scheduleTimeout', height, round: 0, step: 'round', delayMs: this.roundMs(0) })
  }

  // ---- round changes -----------------------------------------------------------------------

  /** Our ROUND-CHANGE to `round`, reporting the prepared state we had on leaving the last round. */
  private buildRoundChange(round: number): RoundChangeMessage {
    const p = this.prepared
    assert(p === null || p.round < round, 'prepared before the round we move to')
    const payload = {
      type: 'roundChange' as const,
      chainId: this.params.chainId,
      height: this.height,
      round,
      preparedRound: p ? p.round : null,
      preparedBlockHash: p ? p.blockHash : null,
    }
    const roundChange = signRoundChange(this.params.signer, payload)
    const preparedBlock = p ? p.block : null
    const preparedCertificate = p ? [...p.certificate] : []
    return { roundChange, preparedBlock, preparedCertificate }
  }

  /** Broadcasts our ROUND-CHANGE to `round` (already in `sent`) and counts it locally. */
  private broadcastRoundChange(round: number, out: Effect[]): void {
    const index = this.myIndex
    const roundChange = this.sent.roundChanges.get(round)
    if (index < 0 || !roundChange) return
    out.push({ type: 'broadcast', message: { kind: 'roundChange', roundChange } })
    const changes = this.votesOf(round).roundChanges
    if (!changes.has(index)) changes.set(index, roundChange)
  }

  // ---- catch-up ----------------------------------------------------------------------------

  /** A block of the current height with a certificate of this height's set: decide it. */
  private onCertifiedBlock(block: Block, cert: CommitCertificate, now: bigint, out: Effect[]) {
    const height = block.header.height
    if (this.decidedInCall || height !== this.height) {
      const code = height > this.height ? 'CERT_FUTURE_HEIGHT' : 'CERT_WRONG_HEIGHT'
      this.reject({ code, message: `certified block ${height} at height ${this.height}` })
      return
    }
    const hash = blockHashOf(block.header)
    const claim = { chainId: this.params.chainId, height, blockHash: hash }
    const checked = verifyCertificate(cert, claim, this.validators, this.params.verify)
    if (!checked.ok) {
      this.reject(checked.error)
      return
    }
    if (!equalBytes(block.header.parentHash, this.lastBlockHash)) {
      this.reject({ code: 'CERT_WRONG_PARENT', message: 'certified block on another parent' })
      return
    }
    // This copy is checked on its own: a refused copy of the same header before it does not count.
    const copy = this.validatedCopy(block, null, now)
    if (!copy.ok) {
      this.reject(copy.error)
      return
    }
    this.decide(copy.value.block, cert, copy.value.execution, out)
  }

  // ---- invariants --------------------------------------------------------------------------

  /**
   * Checks the engine's internal invariants; the simulator calls it after every event.
   * @throws {AssertionError} when one is broken (a bug).
   */
  checkInvariants(): void {
    assert(this.height === this.lastBlock.header.height + 1, 'height follows the last block')
    assert(this.validators.length > 0 && this.nextValidators.length > 0, 'sets are non-empty')
    assert(this.future.length <= FUTURE_MESSAGES_MAX, 'future buffer bounded')
    assert(this.futureKeys.size === this.future.length, 'one key per buffered message')
    for (const [round, hash] of this.sent.commits) {
      const p = this.prepared
      assert(p !== null && p.round >= round, `commit in round ${round} implies prepared`)
      const prepare = this.sent.prepares.get(round)
      if (prepare) assert(equalBytes(prepare, hash), `commit and prepare of round ${round} agree`)
    }
    for (const round of this.sent.proposals.keys()) {
      assert(round <= this.round, `proposal of round ${round} not ahead of ${this.round}`)
    }
    for (const [round, votes] of this.rounds) {
      const q = votes.prepares.size + votes.commits.size + votes.roundChanges.size
      assert(q <= 3 * this.validators.length, `round ${round} holds at most one vote per kind`)
      assert(
        round <= this.round + ROUND_AHEAD_MAX || votes.commits.size + votes.prepares.size === 0,
        'window',
      )
    }
    if (this.prepared) {
      assert(this.prepared.round <= this.round, 'prepared round not ahead of the current round')
      assert(this.prepared.block.header.height === this.height, 'prepared block of this height')
    }
  }
}

function emptySent(): Sent {
  return { proposals: new Map(), prepares: new Map(), commits: new Map(), roundChanges: new Map() }
}

function walRecord(type: 'proposal' | 'prepare' | 'commit' | 'roundChange', h: number, r: number) {
  return {
    type,
    height: h,
    round: r,
    blockHash: null,
    block: null,
    preparedCertificate: [],
    proposal: null,
    roundChange: null,
  }
}

interface MessagePosition {
  readonly height: number
  readonly round: number
  readonly step: 'proposal' | 'prepare' | 'commit' | 'roundChange'
  readonly signer: Uint8Array
}

function messagePosition(event: MessageEvent): MessagePosition {
  switch (event.type) {
    case 'proposal': {
      const { height, round } = event.message.payload
      return { height, round, step: 'proposal', signer: event.message.signer }
    }
    case 'vote': {
      const { height, round, type } = event.vote.payload
      return { height, round, step: type, signer: event.vote.signer }
    }
    case 'roundChange': {
      const rc = event.message.roundChange
      const { height, round } = rc.payload
      return { height, round, step: 'roundChange', signer: rc.signer }
    }
  }
}

/** Validates a message against `ctx` (no app call): the check before a message is buffered. */
function validateMessage(
  ctx: ValidationContext,
  event: MessageEvent,
): Result<unknown, ConsensusError> {
  switch (event.type) {
    case 'proposal':
      return validateProposal(ctx, event.message)
    case 'vote':
      return validateVote(ctx, event.vote)
    case 'roundChange':
      return validateRoundChange(ctx, event.message)
  }
}

/** Turns a decoded wire message into the event the engine handles. */
export function eventOfMessage(message: ConsensusMessage, now: bigint): ConsensusEvent {
  switch (message.kind) {
    case 'proposal':
      return { type: 'proposal', message: message.proposal, now }
    case 'vote':
      return { type: 'vote', vote: message.vote, now }
    case 'roundChange':
      return { type: 'roundChange', message: message.roundChange, now }
    case 'certifiedBlock':
      return { type: 'certifiedBlock', block: message.block, certificate: message.certificate, now }
  }
}
