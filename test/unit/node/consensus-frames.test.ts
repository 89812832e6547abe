/**
 * Goal: a consensus frame from a peer is authenticated before the node queues it or believes the
 * height it claims, at a bounded cost. A certified block is of the engine's height and its
 * certificate verifies (one of another height costs no verification: a later one is rejected, an
 * earlier one skipped). A proposal of the current or next height comes from the proposer of its
 * (height, round), over its block's hash, with a signature that verifies. A signer outside the
 * set of the frame's height, or another chain id, is rejected. A head claim beyond the next height
 * reaches the syncer only from a member of a known set with a good signature, and is verified once
 * per new claim. Then only authenticated blocks that are still where the engine uses them are
 * preverified, and of proposals the first per (height, round).
 * Method: a two-block chain committed by four real-key engines (real certificates), real signed
 * messages and forgeries of them, a fake read-only engine view, and a verifier that counts calls.
 */
import { describe, expect, it } from 'vitest'
import {
  blockHashOf,
  signProposal,
  signRoundChange,
  signVote,
  type ConsensusMessage,
  type ProposalMessage,
} from '../../../src/consensus/messages.ts'
import { eventOfMessage } from '../../../src/consensus/consensus.ts'
import { ROUND_AHEAD_MAX } from '../../../src/consensus/validation.ts'
import { proposerOf } from '../../../src/consensus/validators.ts'
import type { Block, Validator } from '../../../src/core/block.ts'
import { verifyDigest } from '../../../src/crypto/secp256k1.ts'
import {
  checkConsensusFrame,
  PreverifyGate,
  type EngineView,
  type FrameContext,
} from '../../../src/node/consensus-frames.ts'
import { equalBytes } from '../../../src/util/bytes.ts'
import { engineChain } from '../../support/certified-chain.ts'
import { CHAIN, signerOf } from '../../support/consensus.ts'
import { testKey, type TestKey } from '../../support/fixtures.ts'

const chain = engineChain(2)
const outsider = testKey('frames-outsider')

/** An engine deciding `height` in `round`, whose known sets are all the chain's set. */
function engineAt(height: number, round = 0): EngineView {
  const known = (h: number): readonly Validator[] | null =>
    h >= height - 1 && h <= height + 1 ? chain.set : null
  return { currentHeight: height, currentRound: round, validatorsAt: known }
}

/** A context at engine height `height` with a verifier that counts its calls. */
function contextAt(height: number, knownHead = -1) {
  const counter = { calls: 0 }
  const ctx: FrameContext = {
    chainId: CHAIN,
    engine: engineAt(height),
    verify: (signature, digest, key) => {
      counter.calls++
      return verifyDigest(signature, digest, key)
    },
    localHeight: height - 1,
    knownHead,
  }
  return { ctx, counter }
}

const keyOf = (publicKey: Uint8Array): TestKey =>
  chain.keys.find((k) => equalBytes(k.publicKey, publicKey))!

/** A proposal of block `block` for (its height, `round`) signed by `key`. */
function proposal(block: Block, round: number, key: TestKey): ConsensusMessage {
  const payload = {
    type: 'proposal' as const,
    chainId: CHAIN,
    height: block.header.height,
    round,
    blockHash: blockHashOf(block.header),
  }
  return { kind: 'proposal', proposal: signProposal(signerOf(key), payload, block, [], []) }
}

function vote(height: number, key: TestKey, chainId = CHAIN): ConsensusMessage {
  const payload = {
    type: 'commit' as const,
    chainId,
    height,
    round: 0,
    blockHash: new Uint8Array(32),
  }
  return { kind: 'vote', vote: signVote(signerOf(key), payload) }
}

const zeroSignature = new Uint8Array(64)
const block1 = chain.entries[0]!.block
const proposer1 = keyOf(proposerOf(chain.set, 1, 0).publicKey)

describe('checkConsensusFrame', () => {
  it('queues a certified block of the current height only once its certificate verifies', () => {
    const { block, certificate } = chain.entries[0]!
    const at1 = contextAt(1)
    expect(checkConsensusFrame({ kind: 'certifiedBlock', block, certificate }, at1.ctx)).toEqual({
      action: 'queue',
      authenticated: true,
      head: null,
    })
    expect(at1.counter.calls, 'a quorum of seals').toBe(certificate.signatures.length)
    const empty = { ...certificate, signatures: [] }
    const forged = {
      ...certificate,
      signatures: certificate.signatures.map(([i]) => [i, zeroSignature] as [number, Uint8Array]),
    }
    for (const bad of [empty, forged]) {
      const verdict = checkConsensusFrame(
        { kind: 'certifiedBlock', block, certificate: bad },
        contextAt(1).ctx,
      )
      expect(verdict).toMatchObject({ action: 'reject', reason: 'consensus-bad-certificate' })
    }
    // Another height costs no verification: later ones are never sent by an honest node.
    const later = contextAt(1)
    const ahead = chain.entries[1]!
    expect(checkConsensusFrame({ kind: 'certifiedBlock', ...ahead }, later.ctx)).toMatchObject({
      action: 'reject',
      reason: 'consensus-certificate-ahead',
    })
    const earlier = contextAt(2)
    expect(
      checkConsensusFrame({ kind: 'certifiedBlock', block, certificate }, earlier.ctx),
    ).toEqual({ action: 'skip', head: null })
    expect(later.counter.calls + earlier.counter.calls).toBe(0)
  })

  it('queues a proposal only from the proposer of its round, over its block, signed', () => {
    const good = contextAt(1)
    expect(checkConsensusFrame(proposal(block1, 0, proposer1), good.ctx)).toEqual({
      action: 'queue',
      authenticated: true,
      head: null,
    })
    expect(good.counter.calls).toBe(1)
    const other = chain.keys.find((k) => k !== proposer1)!
    const signed = proposal(block1, 0, proposer1)
    if (signed.kind !== 'proposal') throw new Error('fixture')
    const junk: Block = { ...chain.entries[1]!.block, txs: [new Uint8Array(100)] }
    const cases: [string, ConsensusMessage, string][] = [
      ['an outsider', proposal(block1, 0, outsider), 'consensus-not-validator'],
      ['another validator', proposal(block1, 0, other), 'consensus-not-proposer'],
      [
        "the proposer's signature with another block",
        { kind: 'proposal', proposal: { ...signed.proposal, block: junk } },
        'consensus-block-mismatch',
      ],
      [
        'a forged signature',
        { kind: 'proposal', proposal: { ...signed.proposal, signature: zeroSignature } },
        'consensus-bad-signature',
      ],
    ]
    for (const [name, message, reason] of cases) {
      const { ctx, counter } = contextAt(1)
      expect(checkConsensusFrame(message, ctx), name).toMatchObject({ action: 'reject', reason })
      expect(counter.calls, name).toBeLessThanOrEqual(1)
    }
    // Of the height before (helping its lagging signer is left to its votes): not queued.
    expect(checkConsensusFrame(proposal(block1, 0, proposer1), contextAt(2).ctx)).toEqual({
      action: 'skip',
      head: null,
    })
  })

  it('rejects another chain and signers outside the set; leaves votes to the engine', () => {
    const validator = chain.keys[0]!
    // The sender's head is known: a vote of the next height claims nothing new.
    const { ctx, counter } = contextAt(5, 5)
    expect(checkConsensusFrame(vote(5, validator, 'other-chain'), ctx)).toMatchObject({
      action: 'reject',
      reason: 'consensus-wrong-chain',
    })
    for (const height of [4, 5, 6]) {
      expect(checkConsensusFrame(vote(height, outsider), ctx), `height ${height}`).toMatchObject({
        action: 'reject',
        reason: 'consensus-not-validator',
      })
      const verdict = checkConsensusFrame(vote(height, validator), ctx)
      expect(verdict, `height ${height}`).toMatchObject({ action: 'queue', authenticated: false })
    }
    expect(checkConsensusFrame(vote(3, outsider), ctx), 'stale').toEqual({
      action: 'skip',
      head: null,
    })
    expect(counter.calls, 'votes are verified by the engine only').toBe(0)
    // A ROUND-CHANGE that carries a block is queued only once its signature holds.
    const payload = {
      type: 'roundChange' as const,
      chainId: CHAIN,
      height: 5,
      round: 1,
      preparedRound: 0,
      preparedBlockHash: blockHashOf(block1.header),
    }
    const roundChange = signRoundChange(signerOf(validator), payload)
    const carrying = (signature: Uint8Array): ConsensusMessage => ({
      kind: 'roundChange',
      roundChange: {
        roundChange: { ...roundChange, signature },
        preparedBlock: block1,
        preparedCertificate: [],
      },
    })
    expect(checkConsensusFrame(carrying(zeroSignature), ctx)).toMatchObject({
      action: 'reject',
      reason: 'consensus-bad-signature',
    })
    // Authenticated: its block's tx signatures may be checked ahead (the engine executes it).
    expect(checkConsensusFrame(carrying(roundChange.signature), ctx)).toMatchObject({
      action: 'queue',
      authenticated: true,
    })
  })

  it('rejects a signed message a peer relays that it did not sign (none is ever relayed)', () => {
    const block1 = chain.entries[0]!.block
    const proposer1 = keyOf(proposerOf(chain.set, 1, 0).publicKey)
    const other = chain.keys.find((k) => !equalBytes(k.publicKey, proposer1.publicKey))!
    const signed = proposal(block1, 0, proposer1)
    for (const [name, message, signer] of [
      ['proposal', signed, proposer1],
      ['vote', vote(1, other), other],
    ] as const) {
      const { ctx, counter } = contextAt(1)
      const relayed = checkConsensusFrame(message, { ...ctx, from: outsider.publicKey })
      expect(relayed, name).toMatchObject({ action: 'reject', reason: 'consensus-not-signer' })
      expect(counter.calls, `${name}: rejected before any verification`).toBe(0)
      const direct = checkConsensusFrame(message, { ...ctx, from: signer.publicKey })
      expect(direct, name).toMatchObject({ action: 'queue' })
    }
  })

  it('believes a head claim only from a known validator with a good signature, once', () => {
    const validator = chain.keys[2]!
    const far = 0xffff_ffff
    const forged = vote(far, validator)
    if (forged.kind !== 'vote') throw new Error('fixture')
    const unsigned: ConsensusMessage = {
      kind: 'vote',
      vote: { ...forged.vote, signature: zeroSignature },
    }
    const { ctx, counter } = contextAt(5)
    expect(checkConsensusFrame(unsigned, ctx)).toMatchObject({
      action: 'reject',
      reason: 'consensus-bad-signature',
    })
    expect(checkConsensusFrame(vote(far, outsider), ctx), 'a signer of no known set').toEqual({
      action: 'skip',
      head: null,
    })
    expect(counter.calls).toBe(1)
    expect(checkConsensusFrame(forged, ctx)).toEqual({ action: 'skip', head: far - 1 })
    // Not news (the syncer already knows that head): no verification.
    const known = contextAt(5, far - 1)
    expect(checkConsensusFrame(unsigned, known.ctx)).toEqual({ action: 'skip', head: null })
    expect(known.counter.calls).toBe(0)
    // A message of the next height shows the sender committed the current one; it is queued too.
    expect(checkConsensusFrame(vote(6, validator), contextAt(5).ctx)).toEqual({
      action: 'queue',
      authenticated: false,
      head: 5,
    })
  })
})

describe('PreverifyGate', () => {
  const event = (message: ConsensusMessage) => eventOfMessage(message, 0n)
  const proposalAt = (height: number, round: number): ConsensusMessage => {
    // The gate looks at the position only: the envelope of a real proposal at another position.
    const real = proposal(block1, 0, proposer1) as { kind: 'proposal'; proposal: ProposalMessage }
    const payload = { ...real.proposal.payload, height, round }
    return { kind: 'proposal', proposal: { ...real.proposal, payload } }
  }

  it('admits marked blocks still of use to the engine, one proposal per (height, round)', () => {
    const gate = new PreverifyGate()
    const engine = engineAt(5, 2)
    const admit = (message: ConsensusMessage, mark = true) => {
      const e = event(message)
      if (mark) gate.mark(e)
      return gate.admit(e, engine)
    }
    expect(admit(proposalAt(5, 2), false), 'not authenticated').toBe(false)
    expect(admit(proposalAt(5, 2))).toBe(true)
    expect(admit(proposalAt(5, 2)), 'a second proposal of the round').toBe(false)
    expect(admit(proposalAt(5, 1)), 'an earlier round may still be decided').toBe(true)
    expect(admit(proposalAt(5, 2 + ROUND_AHEAD_MAX))).toBe(true)
    expect(admit(proposalAt(5, 3 + ROUND_AHEAD_MAX)), 'beyond the round window').toBe(false)
    expect(admit(proposalAt(6, ROUND_AHEAD_MAX)), 'the next height, buffered').toBe(true)
    expect(admit(proposalAt(6, ROUND_AHEAD_MAX + 1))).toBe(false)
    expect(admit(proposalAt(4, 0)), 'a height decided').toBe(false)
    expect(admit(proposalAt(7, 0)), 'two heights ahead').toBe(false)
    const { block, certificate } = chain.entries[1]!
    const certified = (height: number): ConsensusMessage => ({
      kind: 'certifiedBlock',
      block: { ...block, header: { ...block.header, height } },
      certificate,
    })
    expect(admit(certified(5))).toBe(true)
    expect(admit(certified(4))).toBe(false)
    // A ROUND-CHANGE's block: of the engine's height, in the window, once per (round, signer).
    const change = (height: number, round: number, key: TestKey): ConsensusMessage => {
      const payload = {
        type: 'roundChange' as const,
        chainId: CHAIN,
        height,
        round,
        preparedRound: 0,
        preparedBlockHash: blockHashOf(block.header),
      }
      const roundChange = signRoundChange(signerOf(key), payload)
      return {
        kind: 'roundChange',
        roundChange: { roundChange, preparedBlock: block, preparedCertificate: [] },
      }
    }
    const [v0, v1] = chain.keys
    expect(admit(change(5, 3, v0!))).toBe(true)
    expect(admit(change(5, 3, v0!)), 'its second ROUND-CHANGE of the round').toBe(false)
    expect(admit(change(5, 3, v1!)), 'another signer').toBe(true)
    expect(admit(change(5, 4, v0!)), 'another round').toBe(true)
    expect(admit(change(5, 3 + ROUND_AHEAD_MAX, v0!)), 'beyond the round window').toBe(false)
    expect(admit(change(6, 0, v0!)), 'the next height (the engine validates it later)').toBe(false)
    // Each event is asked once: a resent copy is a new event and is marked again.
    const e = event(proposalAt(6, 0))
    gate.mark(e)
    expect(gate.admit(e, engine)).toBe(true)
    expect(gate.admit(e, engine)).toBe(false)
    // The engine moved on: the rounds of the height it left are forgotten, the next one's kept.
    const later = engineAt(6, 0)
    const next = event(proposalAt(6, 0))
    gate.mark(next)
    expect(gate.admit(next, later), 'already admitted while buffered').toBe(false)
  })
})
