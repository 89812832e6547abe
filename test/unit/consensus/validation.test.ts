/**
 * Goal: every message-validation rule rejects with its own coded reason, and valid messages pass.
 * Method: build valid messages signed with real secp256k1 keys for a 4-validator set at height 1,
 * break one field at a time, and check the code returned by the pure validation functions.
 */
import { describe, expect, it } from 'vitest'
import {
  blockHashOf,
  signProposal,
  signRoundChange,
  signVote,
  type ProposalMessage,
  type RoundChangeMessage,
  type SignedVote,
} from '../../../src/consensus/messages.ts'
import {
  BLOCK_TIME_SKEW_MS,
  ROUND_AHEAD_MAX,
  validateHeader,
  validateProposal,
  validateRoundChange,
  validateVote,
  type HeaderContext,
} from '../../../src/consensus/validation.ts'
import { validatorsHashOf } from '../../../src/consensus/validators.ts'
import type { Block } from '../../../src/core/block.ts'
import { TestApp } from '../../sim/test-app.ts'
import { testKey } from '../../support/fixtures.ts'
import {
  CHAIN,
  NOW,
  contextOf,
  genesisOf,
  setOf,
  signerOf,
  validatorKeys,
} from '../../support/consensus.ts'

const keys = validatorKeys(4)
const set = setOf(keys)
const genesis = genesisOf(set)
const outsider = testKey('consensus-unit-outsider')
const hash = (label: number): Uint8Array => new Uint8Array(32).fill(label)

function buildBlock(round: number): Block {
  const app = new TestApp(genesis.header)
  const proposer = keys[(1 + round) % 4]!
  const vh = validatorsHashOf(set)
  return app.buildProposal({
    chainId: CHAIN,
    height: 1,
    round,
    time: NOW,
    proposer: proposer.publicKey,
    parent: genesis.header,
    parentHash: blockHashOf(genesis.header),
    validatorsHash: vh,
    nextValidatorsHash: vh,
  }).block
}

function vote(signer: number, type: 'prepare' | 'commit', round: number, blockHash: Uint8Array) {
  const payload = { type, chainId: CHAIN, height: 1, round, blockHash }
  return signVote(signerOf(keys[signer]!), payload)
}

function prepares(round: number, blockHash: Uint8Array, signers = [0, 1, 2]): SignedVote[] {
  return signers.map((i) => vote(i, 'prepare', round, blockHash))
}

function roundChange(
  signer: number,
  round: number,
  prepared: { round: number; block: Block } | null = null,
): RoundChangeMessage {
  const payload = {
    type: 'roundChange' as const,
    chainId: CHAIN,
    height: 1,
    round,
    preparedRound: prepared ? prepared.round : null,
    preparedBlockHash: prepared ? blockHashOf(prepared.block.header) : null,
  }
  return {
    roundChange: signRoundChange(signerOf(keys[signer]!), payload),
    preparedBlock: prepared ? prepared.block : null,
    preparedCertificate: prepared
      ? prepares(prepared.round, blockHashOf(prepared.block.header))
      : [],
  }
}

function proposal(round: number, block: Block, justification: RoundChangeMessage[] = []) {
  const proposer = (1 + round) % 4
  const payload = {
    type: 'proposal' as const,
    chainId: CHAIN,
    height: 1,
    round,
    blockHash: blockHashOf(block.header),
  }
  const highest = justification
    .filter((m) => m.roundChange.payload.preparedRound !== null)
    .sort((a, b) => b.roundChange.payload.preparedRound! - a.roundChange.payload.preparedRound!)[0]
  return signProposal(
    signerOf(keys[proposer]!),
    payload,
    block,
    justification.map((m) => m.roundChange),
    highest ? highest.preparedCertificate : [],
  )
}

describe('votes', () => {
  const ctx = contextOf(set, 2)
  it('accepts a valid prepare and commit and returns the signer index', () => {
    expect(validateVote(ctx, vote(3, 'prepare', 2, hash(1)))).toEqual({ ok: true, value: 3 })
    expect(validateVote(ctx, vote(0, 'commit', 0, hash(1)))).toEqual({ ok: true, value: 0 })
  })
  const cases: [string, SignedVote, string][] = [
    [
      'another chain',
      {
        ...vote(0, 'prepare', 2, hash(1)),
        payload: { ...vote(0, 'prepare', 2, hash(1)).payload, chainId: 'other' },
      },
      'VOTE_WRONG_CHAIN',
    ],
    [
      'another height',
      {
        ...vote(0, 'prepare', 2, hash(1)),
        payload: { ...vote(0, 'prepare', 2, hash(1)).payload, height: 2 },
      },
      'VOTE_WRONG_HEIGHT',
    ],
    ['a prepare of an earlier round', vote(0, 'prepare', 1, hash(1)), 'VOTE_WRONG_ROUND'],
    [
      'a round too far ahead',
      vote(0, 'commit', 2 + ROUND_AHEAD_MAX + 1, hash(1)),
      'VOTE_WRONG_ROUND',
    ],
    [
      'a signer outside the set',
      signVote(signerOf(outsider), {
        type: 'prepare',
        chainId: CHAIN,
        height: 1,
        round: 2,
        blockHash: hash(1),
      }),
      'VOTE_NOT_VALIDATOR',
    ],
    [
      'a signature over another block',
      { ...vote(0, 'prepare', 2, hash(1)), signature: vote(0, 'prepare', 2, hash(2)).signature },
      'VOTE_BAD_SIGNATURE',
    ],
    [
      'a signature of another validator',
      { ...vote(0, 'prepare', 2, hash(1)), signer: keys[1]!.publicKey },
      'VOTE_BAD_SIGNATURE',
    ],
  ]
  for (const [name, v, code] of cases) {
    it(`rejects ${name} with ${code}`, () => {
      const r = validateVote(ctx, v)
      expect(r.ok ? 'ok' : r.error.code, name).toBe(code)
    })
  }
})

describe('round changes', () => {
  const block = buildBlock(0)
  const ctx = contextOf(set, 1)
  it('accepts one without and one with a prepared certificate', () => {
    expect(validateRoundChange(ctx, roundChange(2, 1)).ok).toBe(true)
    expect(validateRoundChange(ctx, roundChange(2, 2, { round: 0, block })).ok).toBe(true)
  })
  const valid = roundChange(2, 2, { round: 0, block })
  const cases: [string, RoundChangeMessage, string][] = [
    ['a change to round 0', roundChange(2, 0), 'VOTE_WRONG_ROUND'],
    ['a change to the current round', roundChange(2, 1), 'ok'],
    [
      'a prepared round not below the round',
      roundChange(2, 2, { round: 2, block }),
      'ROUND_CHANGE_BAD_PREPARED',
    ],
    [
      'a prepared certificate short of a quorum',
      { ...valid, preparedCertificate: valid.preparedCertificate.slice(0, 2) },
      'ROUND_CHANGE_BAD_PREPARED',
    ],
    [
      'a certificate for another block',
      { ...valid, preparedCertificate: prepares(0, hash(9)) },
      'ROUND_CHANGE_BAD_PREPARED',
    ],
    [
      'a certificate with one signer twice',
      { ...valid, preparedCertificate: prepares(0, blockHashOf(block.header), [0, 1, 1]) },
      'ROUND_CHANGE_BAD_PREPARED',
    ],
    [
      'a carried block that is not the prepared one',
      { ...valid, preparedBlock: buildBlock(1) },
      'ROUND_CHANGE_BLOCK_MISMATCH',
    ],
    [
      'a prepared block without a claim',
      { ...roundChange(2, 2), preparedBlock: block },
      'ROUND_CHANGE_BAD_PREPARED',
    ],
    [
      'a bad signature',
      {
        ...valid,
        roundChange: { ...valid.roundChange, signature: roundChange(2, 3).roundChange.signature },
      },
      'VOTE_BAD_SIGNATURE',
    ],
    [
      'a non-validator',
      { ...valid, roundChange: { ...valid.roundChange, signer: outsider.publicKey } },
      'VOTE_NOT_VALIDATOR',
    ],
  ]
  for (const [name, m, code] of cases) {
    it(`gives ${code} for ${name}`, () => {
      const r = validateRoundChange(contextOf(set, 1), m)
      expect(r.ok ? 'ok' : r.error.code, name).toBe(code)
    })
  }
  it('rejects a round change of an earlier round than the current one with VOTE_WRONG_ROUND', () => {
    const r = validateRoundChange(contextOf(set, 3), roundChange(2, 2))
    expect(r.ok ? 'ok' : r.error.code).toBe('VOTE_WRONG_ROUND')
  })
})

describe('proposals', () => {
  const block0 = buildBlock(0)
  const block1 = buildBlock(1)
  it('accepts a round-0 proposal and a justified round-1 proposal', () => {
    expect(validateProposal(contextOf(set, 0), proposal(0, block0)).ok).toBe(true)
    const rcs = [roundChange(0, 1), roundChange(2, 1), roundChange(3, 1)]
    const r = validateProposal(contextOf(set, 1), proposal(1, block1, rcs))
    expect(r).toEqual({ ok: true, value: { prepared: null } })
  })
  it('accepts a re-proposal of the highest prepared block', () => {
    const rcs = [
      roundChange(0, 1, { round: 0, block: block0 }),
      roundChange(2, 1),
      roundChange(3, 1),
    ]
    const r = validateProposal(contextOf(set, 1), proposal(1, block0, rcs))
    expect(r.ok && r.value.prepared?.round).toBe(0)
  })
  const p0 = proposal(0, block0)
  const rcs = [roundChange(0, 1), roundChange(2, 1), roundChange(3, 1)]
  const preparedRcs = [
    roundChange(0, 1, { round: 0, block: block0 }),
    roundChange(2, 1),
    roundChange(3, 1),
  ]
  const cases: [string, ProposalMessage, number, string][] = [
    [
      'another chain',
      { ...p0, payload: { ...p0.payload, chainId: 'other' } },
      0,
      'PROPOSAL_WRONG_CHAIN',
    ],
    [
      'another height',
      { ...p0, payload: { ...p0.payload, height: 2 } },
      0,
      'PROPOSAL_WRONG_HEIGHT',
    ],
    ['an earlier round', p0, 1, 'PROPOSAL_WRONG_ROUND'],
    ['a non-proposer signer', { ...p0, signer: keys[2]!.publicKey }, 0, 'PROPOSAL_NOT_PROPOSER'],
    [
      'a bad signature',
      { ...p0, signature: proposal(0, block1).signature },
      0,
      'PROPOSAL_BAD_SIGNATURE',
    ],
    ['a block that is not the signed one', { ...p0, block: block1 }, 0, 'PROPOSAL_BLOCK_MISMATCH'],
    [
      'a round-0 proposal with a justification',
      { ...p0, roundChanges: rcs.map((m) => m.roundChange) },
      0,
      'PROPOSAL_BAD_JUSTIFICATION',
    ],
    [
      'round 1 without a quorum of round changes',
      proposal(1, block1, rcs.slice(0, 2)),
      1,
      'PROPOSAL_BAD_JUSTIFICATION',
    ],
    [
      'round 1 with one round change twice',
      proposal(1, block1, [rcs[0]!, rcs[0]!, rcs[1]!]),
      1,
      'PROPOSAL_BAD_JUSTIFICATION',
    ],
    [
      'round 1 with round changes to another round',
      proposal(1, block1, [roundChange(0, 2), roundChange(2, 2), roundChange(3, 2)]),
      1,
      'PROPOSAL_BAD_JUSTIFICATION',
    ],
    [
      'a fresh block although a block was prepared',
      proposal(1, block1, preparedRcs),
      1,
      'PROPOSAL_BAD_JUSTIFICATION',
    ],
    [
      'a prepared block without its certificate',
      { ...proposal(1, block0, preparedRcs), preparedCertificate: [] },
      1,
      'PROPOSAL_BAD_JUSTIFICATION',
    ],
  ]
  for (const [name, p, round, code] of cases) {
    it(`rejects ${name} with ${code}`, () => {
      const r = validateProposal(contextOf(set, round), p)
      expect(r.ok ? 'ok' : r.error.code, name).toBe(code)
    })
  }
})

describe('block headers', () => {
  const block = buildBlock(0)
  const hc: HeaderContext = {
    chainId: CHAIN,
    parent: genesis.header,
    parentHash: blockHashOf(genesis.header),
    validators: set,
    validatorsHash: validatorsHashOf(set),
    nextValidatorsHash: validatorsHashOf(set),
    now: NOW,
    freshRound: 0,
  }
  const h = block.header
  it('accepts the valid header', () => {
    expect(validateHeader(hc, block).ok).toBe(true)
  })
  const cases: [string, Block, HeaderContext, string][] = [
    ['another chain', { ...block, header: { ...h, chainId: 'other' } }, hc, 'BLOCK_WRONG_CHAIN'],
    ['another height', { ...block, header: { ...h, height: 2 } }, hc, 'BLOCK_WRONG_HEIGHT'],
    [
      'another parent',
      { ...block, header: { ...h, parentHash: hash(3) } },
      hc,
      'BLOCK_WRONG_PARENT',
    ],
    [
      'another validator set',
      { ...block, header: { ...h, validatorsHash: hash(3) } },
      hc,
      'BLOCK_WRONG_VALIDATORS',
    ],
    [
      'another next set',
      { ...block, header: { ...h, nextValidatorsHash: hash(3) } },
      hc,
      'BLOCK_WRONG_VALIDATORS',
    ],
    [
      'a header round unlike the proposal round',
      block,
      { ...hc, freshRound: 1 },
      'BLOCK_WRONG_ROUND',
    ],
    [
      'a proposer not of the header round',
      { ...block, header: { ...h, proposer: keys[3]!.publicKey } },
      hc,
      'BLOCK_WRONG_PROPOSER',
    ],
    [
      'a time not after the parent',
      { ...block, header: { ...h, time: genesis.header.time } },
      hc,
      'BLOCK_TIME_NOT_AFTER_PARENT',
    ],
    [
      'a time too far ahead',
      block,
      { ...hc, now: NOW - BLOCK_TIME_SKEW_MS - 1n },
      'BLOCK_TIME_SKEW',
    ],
    [
      'a time too far behind',
      block,
      { ...hc, now: NOW + BLOCK_TIME_SKEW_MS + 1n },
      'BLOCK_TIME_SKEW',
    ],
    [
      'an old re-proposed block (skew not checked)',
      block,
      { ...hc, now: NOW + 60_000n, freshRound: null },
      'ok',
    ],
  ]
  for (const [name, b, ctx, code] of cases) {
    it(`gives ${code} for ${name}`, () => {
      const r = validateHeader(ctx, b)
      expect(r.ok ? 'ok' : r.error.code, name).toBe(code)
    })
  }
})
