/**
 * Goal: the engine decides with immediate finality, starts the next block interval before the
 * commit, proposes before the block interval ends only for a full pool (never in the call that
 * decided from buffered messages: only after the commit), re-proposes a prepared
 * block after a round change, catches up from certified blocks, ignores stale timeouts, codes
 * duplicate and equivocating votes and wrong state roots, and, restarted from its WAL (also after
 * a crash between a persist and its send), never signs a vote that conflicts with one it signed
 * before.
 * Method: four real-key engines driven by a tiny in-test FIFO driver; messages are delivered
 * explicitly so each scenario is fixed.
 */
import { describe, expect, it } from 'vitest'
import { eventOfMessage } from '../../../src/consensus/consensus.ts'
import { blockHashOf, signProposal, signVote } from '../../../src/consensus/messages.ts'
import type { Effect } from '../../../src/consensus/types.ts'
import { verifyCertificate } from '../../../src/consensus/validators.ts'
import type { Block } from '../../../src/core/block.ts'
import { verifyDigest } from '../../../src/crypto/secp256k1.ts'
import { toHex } from '../../../src/util/bytes.ts'
import {
  CHAIN,
  NOW,
  effectsOf,
  engineOf,
  setOf,
  signerOf,
  validatorKeys,
  EngineCluster,
} from '../../support/consensus.ts'

const keys = validatorKeys(4)
const set = setOf(keys)

/** A FIFO driver: broadcasts reach every other node unless `drop` says otherwise. */
class Cluster extends EngineCluster {
  constructor() {
    super(keys)
  }

  startAll(): void {
    for (let i = 0; i < 4; i++) this.handle(i, { type: 'start', now: NOW })
  }

  timeout(i: number, height: number, round: number, step: 'propose' | 'round'): void {
    this.handle(i, { type: 'timeout', height, round, step, now: NOW })
  }
}

// Height 1: proposer of round r is validator (1 + r) mod 4.
describe('deciding', () => {
  it('commits height 1 on every node with one block and a valid certificate', () => {
    const c = new Cluster()
    c.startAll()
    c.timeout(1, 1, 0, 'propose')
    c.flush()
    const hashes = c.nodes.map((n) => toHex(blockHashOf(n.commits[0]!.block.header)))
    expect(new Set(hashes).size).toBe(1)
    for (const [i, n] of c.nodes.entries()) {
      expect(n.commits, `node ${i}`).toHaveLength(1)
      expect(n.engine.currentHeight, `node ${i}`).toBe(2)
      const { block, certificate } = n.commits[0]!
      const claim = { chainId: CHAIN, height: 1, blockHash: blockHashOf(block.header) }
      expect(verifyCertificate(certificate, claim, set, verifyDigest).ok, `node ${i}`).toBe(true)
    }
  })

  it('proposes before the block interval ends only when txsAvailable says the pool is full', () => {
    const c = new Cluster()
    c.startAll()
    const proposals = (i: number): number =>
      c.nodes[i]!.sent.filter((e) => e.type === 'broadcast' && e.message.kind === 'proposal').length
    c.handle(1, { type: 'txsAvailable', now: NOW })
    c.handle(1, { type: 'txsAvailable', now: NOW, full: false })
    expect(proposals(1), 'txs waiting, not a full block: wait for the interval').toBe(0)
    c.handle(2, { type: 'txsAvailable', now: NOW, full: true })
    expect(proposals(2), 'not the proposer of round 0').toBe(0)
    c.handle(1, { type: 'txsAvailable', now: NOW, full: true })
    expect(proposals(1), 'a full pool: the round-0 proposer proposes at once').toBe(1)
    c.timeout(1, 1, 0, 'propose')
    c.handle(1, { type: 'txsAvailable', now: NOW, full: true })
    expect(proposals(1), 'the interval timer and more full signals add no second proposal').toBe(1)
    c.flush()
    for (const [i, n] of c.nodes.entries()) expect(n.commits, `node ${i}`).toHaveLength(1)
  })

  it("starts the next proposer's block interval before the commit and the round timer after it", () => {
    const c = new Cluster()
    c.startAll()
    const decisions: Effect[][] = []
    const handle = c.handle.bind(c)
    c.handle = (i, event) => {
      const effects = handle(i, event)
      if (effectsOf(effects, 'commitBlock').length > 0) decisions[i] = effects
      return effects
    }
    c.timeout(1, 1, 0, 'propose')
    c.flush()
    const order = (i: number): string[] =>
      decisions[i]!.filter((e) => e.type === 'commitBlock' || e.type === 'scheduleTimeout').map(
        (e) => (e.type === 'scheduleTimeout' ? `${e.step}@${e.height}` : e.type),
      )
    // Height 2's round-0 proposer is validator 2: its interval overlaps the commit of height 1.
    expect(order(2)).toEqual(['propose@2', 'commitBlock', 'round@2'])
    for (const i of [0, 1, 3]) expect(order(i), `node ${i}`).toEqual(['commitBlock', 'round@2'])
  })

  it('re-proposes the prepared block in round 1 when the commits of round 0 are lost', () => {
    const c = new Cluster()
    c.drop = (_from, _to, m) => m.kind === 'vote' && m.vote.payload.type === 'commit'
    c.startAll()
    c.timeout(1, 1, 0, 'propose')
    c.flush()
    const prepared = c.nodes[0]!.wal.find((r) => r.type === 'commit')
    expect(prepared?.blockHash).toBeDefined()
    c.drop = () => false
    for (let i = 0; i < 4; i++) c.timeout(i, 1, 0, 'round')
    c.flush()
    for (const [i, n] of c.nodes.entries()) {
      expect(n.commits, `node ${i}`).toHaveLength(1)
      expect(toHex(blockHashOf(n.commits[0]!.block.header)), `node ${i}`).toBe(
        toHex(prepared!.blockHash!),
      )
    }
  })
})

describe('coded rejections inside the engine', () => {
  it('ignores a stale timeout with TIMEOUT_STALE', () => {
    const c = new Cluster()
    c.startAll()
    const effects = c.handle(0, { type: 'timeout', height: 1, round: 5, step: 'round', now: NOW })
    expect(effects).toEqual([])
    expect(c.nodes[0]!.engine.stats.lastRejection?.code).toBe('TIMEOUT_STALE')
  })

  it('codes a repeated vote VOTE_DUPLICATE and a conflicting one VOTE_EQUIVOCATION', () => {
    const c = new Cluster()
    c.startAll()
    const drop = c.handle(1, { type: 'timeout', height: 1, round: 0, step: 'propose', now: NOW })
    const vote = effectsOf(drop, 'broadcast').find((e) => e.message.kind === 'vote')!.message
    c.handle(0, eventOfMessage(vote, NOW))
    c.handle(0, eventOfMessage(vote, NOW))
    expect(c.nodes[0]!.engine.stats.lastRejection?.code).toBe('VOTE_DUPLICATE')
    if (vote.kind !== 'vote') throw new Error('a vote')
    const other = { ...vote.vote.payload, blockHash: new Uint8Array(32).fill(1) }
    c.handle(0, { type: 'vote', vote: signVote(signerOf(keys[1]!), other), now: NOW })
    expect(c.nodes[0]!.engine.stats.lastRejection?.code).toBe('VOTE_EQUIVOCATION')
    const forged = { ...vote.vote, payload: { ...other, round: 1 } }
    c.handle(0, { type: 'vote', vote: forged, now: NOW })
    expect(c.nodes[0]!.engine.stats.lastRejection?.code).toBe('VOTE_BAD_SIGNATURE')
  })

  it('rejects a proposal whose state root differs from execution with BLOCK_STATE_ROOT_MISMATCH', () => {
    const c = new Cluster()
    c.startAll()
    const effects = c.nodes[1]!.engine.handle({
      type: 'timeout',
      height: 1,
      round: 0,
      step: 'propose',
      now: NOW,
    })
    const honest = effectsOf(effects, 'broadcast').find((e) => e.message.kind === 'proposal')!
    if (honest.message.kind !== 'proposal') throw new Error('a proposal')
    const p = honest.message.proposal
    const header = { ...p.block.header, stateRoot: new Uint8Array(32).fill(9) }
    const payload = { ...p.payload, blockHash: blockHashOf(header) }
    const bad = signProposal(signerOf(keys[1]!), payload, { ...p.block, header }, [], [])
    const out = c.nodes[0]!.engine.handle({ type: 'proposal', message: bad, now: NOW })
    expect(effectsOf(out, 'broadcast')).toEqual([])
    expect(c.nodes[0]!.engine.stats.lastRejection?.code).toBe('BLOCK_STATE_ROOT_MISMATCH')
  })
})

describe('catch-up', () => {
  it('decides from a certified block and rejects bad ones with CERT_ codes', () => {
    const c = new Cluster()
    c.drop = (_f, to) => to === 3
    c.startAll()
    c.timeout(1, 1, 0, 'propose')
    c.flush()
    const { block, certificate } = c.nodes[0]!.commits[0]!
    const late = c.nodes[3]!
    const code = () => late.engine.stats.lastRejection?.code
    late.engine.handle({
      type: 'certifiedBlock',
      block,
      certificate: { ...certificate, signatures: certificate.signatures.slice(0, 2) },
      now: NOW,
    })
    expect(code()).toBe('CERT_TOO_FEW_SIGNATURES')
    const future = { ...block, header: { ...block.header, height: 2 } }
    late.engine.handle({ type: 'certifiedBlock', block: future, certificate, now: NOW })
    expect(code()).toBe('CERT_FUTURE_HEIGHT')
    const effects = late.engine.handle({ type: 'certifiedBlock', block, certificate, now: NOW })
    expect(effectsOf(effects, 'commitBlock')).toHaveLength(1)
    expect(late.engine.currentHeight).toBe(2)
  })

  it('decides from buffered messages on a full-pool signal without proposing until the commit', () => {
    const c = new Cluster()
    c.startAll()
    // Node 3, the round-0 proposer of height 3, misses the proposal of height 1: it cannot decide
    // height 1 and buffers everything of height 2 while the others decide both.
    c.drop = (_f, to, m) => to === 3 && m.kind === 'proposal' && m.proposal.payload.height === 1
    c.timeout(1, 1, 0, 'propose')
    c.flush()
    c.timeout(2, 2, 0, 'propose')
    c.flush()
    for (const i of [0, 1, 2]) expect(c.nodes[i]!.commits, `node ${i}`).toHaveLength(2)
    const late = c.nodes[3]!
    expect(late.engine.currentHeight).toBe(1)
    const { block, certificate } = c.nodes[0]!.commits[0]!
    c.handle(3, { type: 'certifiedBlock', block, certificate, now: NOW })
    expect(late.commits).toHaveLength(1)
    // The driver's txsAvailable after that commit, with a full pool. Replaying the buffer decides
    // height 2 first; the app has not applied it yet (the test app asserts if asked to build or
    // execute on a block it has not committed), so no proposal of height 3 in this call.
    const decided = c.handle(3, { type: 'txsAvailable', now: NOW, full: true })
    expect(effectsOf(decided, 'commitBlock').map((e) => e.block.header.height)).toEqual([2])
    // Its own prepare and commit of height 2 (from the buffered proposal), nothing of height 3.
    expect(effectsOf(decided, 'persist').map((e) => e.record.height)).toEqual([2, 2])
    const kinds = effectsOf(decided, 'broadcast').map((e) => e.message.kind)
    expect(kinds).toEqual(['vote', 'vote'])
    const timers = effectsOf(decided, 'scheduleTimeout').map((e) => `${e.step}@${e.height}`)
    expect(timers).toEqual(['propose@3', 'round@3'])
    // The driver's txsAvailable after the commit of height 2 makes it propose height 3 at once.
    const next = c.handle(3, { type: 'txsAvailable', now: NOW, full: true })
    const proposals = effectsOf(next, 'broadcast').flatMap((e) =>
      e.message.kind === 'proposal' ? [e.message.proposal.payload] : [],
    )
    expect(proposals.map((p) => [p.height, p.round])).toEqual([[3, 0]])
    c.flush()
    for (const [i, n] of c.nodes.entries()) expect(n.commits, `node ${i}`).toHaveLength(3)
  })

  it('sends its last certified block to a validator still voting on the previous height', () => {
    const c = new Cluster()
    c.drop = (_f, to) => to === 3
    c.startAll()
    c.timeout(1, 1, 0, 'propose')
    c.flush()
    c.drop = () => false
    // Node 3 times out at height 1 and announces round 1; the others answer with height 1.
    c.timeout(3, 1, 0, 'round')
    c.flush()
    expect(c.nodes[3]!.commits).toHaveLength(1)
    expect(c.nodes[3]!.engine.currentHeight).toBe(2)
  })
})

describe('WAL and restart', () => {
  function restart(c: Cluster, i: number): Effect[] {
    const node = c.nodes[i]!
    const fresh = engineOf(keys[i]!, set, node.wal)
    node.engine = fresh.engine
    node.app = fresh.app
    return c.handle(i, { type: 'start', now: NOW })
  }

  it('after a crash between persisting and sending a prepare, resends the same prepare only', () => {
    const c = new Cluster()
    c.startAll()
    const propose = c.nodes[1]!.engine.handle({
      type: 'timeout',
      height: 1,
      round: 0,
      step: 'propose',
      now: NOW,
    })
    const proposalEffect = effectsOf(propose, 'broadcast').find(
      (e) => e.message.kind === 'proposal',
    )!
    // Node 0 handles the proposal but crashes after the persist and before the broadcast.
    const effects = c.nodes[0]!.engine.handle(eventOfMessage(proposalEffect.message, NOW))
    expect(effects.map((e) => e.type)).toEqual(['persist', 'broadcast'])
    c.nodes[0]!.wal.push((effects[0] as Extract<Effect, { type: 'persist' }>).record)
    const resent = restart(c, 0)
    const votes = effectsOf(resent, 'broadcast').flatMap((e) =>
      e.message.kind === 'vote' ? [e.message.vote] : [],
    )
    expect(votes).toHaveLength(1)
    expect(votes[0]!.payload.type).toBe('prepare')
    expect(toHex(votes[0]!.payload.blockHash)).toBe(
      toHex(
        blockHashOf(
          (proposalEffect.message as { proposal: { block: Block } }).proposal.block.header,
        ),
      ),
    )
    // An equivocating proposer now offers another block for the same round: no second prepare.
    if (proposalEffect.message.kind !== 'proposal') throw new Error('a proposal')
    const p = proposalEffect.message.proposal
    const header = { ...p.block.header, time: p.block.header.time + 1n }
    const other = signProposal(
      signerOf(keys[1]!),
      { ...p.payload, blockHash: blockHashOf(header) },
      { ...p.block, header },
      [],
      [],
    )
    const after = c.nodes[0]!.engine.handle({ type: 'proposal', message: other, now: NOW })
    expect(effectsOf(after, 'broadcast')).toEqual([])
    expect(effectsOf(after, 'persist')).toEqual([])
  })

  it('after a crash between persisting and sending a round change, resends the identical one', () => {
    const c = new Cluster()
    c.startAll()
    const effects = c.nodes[2]!.engine.handle({
      type: 'timeout',
      height: 1,
      round: 0,
      step: 'round',
      now: NOW,
    })
    const persist = effectsOf(effects, 'persist')
    expect(persist.map((p) => p.record.type)).toEqual(['roundChange'])
    c.nodes[2]!.wal.push(persist[0]!.record)
    const resent = restart(c, 2)
    const rc = effectsOf(resent, 'broadcast').find((e) => e.message.kind === 'roundChange')
    expect(rc?.message).toEqual({
      kind: 'roundChange',
      roundChange: persist[0]!.record.roundChange,
    })
    expect(c.nodes[2]!.engine.currentRound).toBe(1)
  })

  it('restarted after committing-voting, keeps its prepared state and commit vote', () => {
    const c = new Cluster()
    c.drop = (_f, _t, m) => m.kind === 'vote' && m.vote.payload.type === 'commit'
    c.startAll()
    c.timeout(1, 1, 0, 'propose')
    c.flush()
    const before = c.nodes[0]!.sent.filter(
      (e) =>
        e.type === 'broadcast' &&
        e.message.kind === 'vote' &&
        e.message.vote.payload.type === 'commit',
    )
    expect(before).toHaveLength(1)
    const resent = restart(c, 0)
    const commits = effectsOf(resent, 'broadcast').filter(
      (e) => e.message.kind === 'vote' && e.message.vote.payload.type === 'commit',
    )
    expect(commits.map((e) => e.message)).toEqual(
      before.map((e) => (e as { message: unknown }).message),
    )
    // Its next round change reports the prepared block of round 0.
    const rcEffects = c.nodes[0]!.engine.handle({
      type: 'timeout',
      height: 1,
      round: 0,
      step: 'round',
      now: NOW,
    })
    const rc = effectsOf(rcEffects, 'broadcast').find((e) => e.message.kind === 'roundChange')!
    if (rc.message.kind !== 'roundChange') throw new Error('a round change')
    expect(rc.message.roundChange.roundChange.payload.preparedRound).toBe(0)
  })
})
