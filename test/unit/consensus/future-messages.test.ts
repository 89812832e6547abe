/**
 * Goal: the buffer of next-height messages keeps the honest validators' messages whatever a peer
 * sends. A message is buffered only when it is valid against the set of that height (a
 * non-validator's is VOTE_NOT_VALIDATOR, a forged signature VOTE_BAD_SIGNATURE, neither takes a
 * place), once per (signer, step, round) (a replay is VOTE_DUPLICATE or PROPOSAL_DUPLICATE), and
 * a validator fills at most its share FUTURE_MESSAGES_MAX / n (beyond it FUTURE_MESSAGES_FULL).
 * Method: real-key engines and a FIFO delivery (`EngineCluster`, test/support/consensus.ts); a lagging validator gets a
 * flood of junk and forged messages of the next height before the honest ones, then catches up
 * and must decide that height from its buffer; a second test counts the share of one validator.
 */
import { describe, expect, it } from 'vitest'
import { eventOfMessage, FUTURE_MESSAGES_MAX } from '../../../src/consensus/consensus.ts'
import {
  signRoundChange,
  signVote,
  type ConsensusMessage,
  type SignedVote,
} from '../../../src/consensus/messages.ts'
import type { ConsensusEvent } from '../../../src/consensus/types.ts'
import { testKey } from '../../support/fixtures.ts'
import { CHAIN, EngineCluster, NOW, signerOf, validatorKeys } from '../../support/consensus.ts'

function heightOf(m: ConsensusMessage): number {
  switch (m.kind) {
    case 'proposal':
      return m.proposal.payload.height
    case 'vote':
      return m.vote.payload.height
    case 'roundChange':
      return m.roundChange.roundChange.payload.height
    case 'certifiedBlock':
      return m.block.header.height
  }
}

const rejected = (c: EngineCluster, i: number, code: string): number =>
  c.nodes[i]!.engine.stats.rejections.get(code) ?? 0

describe('buffering next-height messages', () => {
  it('keeps the honest messages of the next height through a flood of junk and forgeries', () => {
    const c = new EngineCluster(validatorKeys(4))
    for (let i = 0; i < 4; i++) c.handle(i, { type: 'start', now: NOW })
    // Node 3 hears nothing while the others decide heights 1 and 2; it is sent height 2 later.
    const height2: ConsensusMessage[] = []
    c.drop = (_from, to, m) => {
      if (to === 3 && heightOf(m) === 2) height2.push(m)
      return to === 3
    }
    c.handle(1, { type: 'timeout', height: 1, round: 0, step: 'propose', now: NOW })
    c.flush()
    c.handle(2, { type: 'timeout', height: 2, round: 0, step: 'propose', now: NOW })
    c.flush()
    c.drop = () => false
    expect(c.nodes[3]!.engine.currentHeight).toBe(1)
    const commit = height2.find((m) => m.kind === 'vote' && m.vote.payload.type === 'commit')
    if (commit?.kind !== 'vote') throw new Error('a commit of height 2')

    // A peer that is no validator fills more than the whole buffer with votes of height 2.
    const outsider = testKey('not-a-validator').publicKey
    const junk: SignedVote = { ...commit.vote, signer: outsider, signature: new Uint8Array(64) }
    for (let i = 0; i < FUTURE_MESSAGES_MAX + 10; i++)
      c.handle(3, { type: 'vote', vote: junk, now: NOW })
    expect(rejected(c, 3, 'VOTE_NOT_VALIDATOR')).toBe(FUTURE_MESSAGES_MAX + 10)
    // It forges the commit of a validator before the real one arrives: no place taken.
    const forged = { ...commit.vote, signature: new Uint8Array(64).fill(7) }
    c.handle(3, { type: 'vote', vote: forged, now: NOW })
    expect(rejected(c, 3, 'VOTE_BAD_SIGNATURE')).toBe(1)
    // The honest messages arrive, each twice (a replaying peer): the second copy is not kept.
    for (const m of [...height2, ...height2]) c.handle(3, eventOfMessage(m, NOW))
    const proposals = height2.filter((m) => m.kind === 'proposal').length
    expect(rejected(c, 3, 'PROPOSAL_DUPLICATE')).toBe(proposals)
    expect(rejected(c, 3, 'VOTE_DUPLICATE')).toBe(height2.length - proposals)

    // Node 3 catches up height 1; the next event replays the buffer and decides height 2.
    const { block, certificate } = c.nodes[0]!.commits[0]!
    c.handle(3, { type: 'certifiedBlock', block, certificate, now: NOW })
    c.handle(3, { type: 'txsAvailable', now: NOW })
    expect(c.nodes[3]!.commits.map((s) => s.block.header.height)).toEqual([1, 2])
  })

  it('lets one validator fill at most its share of the buffer', () => {
    const keys = validatorKeys(7)
    const c = new EngineCluster(keys)
    c.handle(0, { type: 'start', now: NOW })
    const share = Math.floor(FUTURE_MESSAGES_MAX / keys.length)
    // Validator 6 signs every distinct message of height 2 it may: prepares and commits of rounds
    // 0 to 64, round changes to rounds 1 to 64.
    const byzantine = signerOf(keys[6]!)
    const blockHash = new Uint8Array(32).fill(3)
    const flood: ConsensusEvent[] = []
    for (let round = 0; round <= 64; round++) {
      for (const type of ['prepare', 'commit'] as const) {
        const vote = signVote(byzantine, { type, chainId: CHAIN, height: 2, round, blockHash })
        flood.push({ type: 'vote', vote, now: NOW })
      }
      if (round === 0) continue
      const payload = {
        type: 'roundChange' as const,
        chainId: CHAIN,
        height: 2,
        round,
        preparedRound: null,
        preparedBlockHash: null,
      }
      const roundChange = signRoundChange(byzantine, payload)
      const message = { roundChange, preparedBlock: null, preparedCertificate: [] }
      flood.push({ type: 'roundChange', message, now: NOW })
    }
    expect(flood.length).toBeGreaterThan(share)
    for (const event of flood) c.handle(0, event)
    expect(rejected(c, 0, 'FUTURE_MESSAGES_FULL')).toBe(flood.length - share)
    // Another validator's message of height 2 is still kept (no new rejection).
    const honest = signVote(signerOf(keys[1]!), {
      type: 'prepare',
      chainId: CHAIN,
      height: 2,
      round: 0,
      blockHash,
    })
    const before = c.nodes[0]!.engine.stats.lastRejection
    c.handle(0, { type: 'vote', vote: honest, now: NOW })
    expect(c.nodes[0]!.engine.stats.lastRejection).toBe(before)
  })
})
