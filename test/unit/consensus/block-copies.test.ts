/**
 * Goal: a block header does not pin the bytes of its txs (txRoot is over txIds, which leave the
 * signatures out), so a copy of a genuine block with a tx added or a tx signature replaced has the
 * same header hash, and a commit certificate or prepared certificate holds for it too. A copy the
 * app refuses must not stand for its hash: the engine still validates, prepares, re-proposes and
 * decides the genuine copy when it arrives later (as a certified block, in a ROUND-CHANGE or in a
 * proposal), executes each copy at most once, and locks and decides the exact bytes it validated.
 * Method: real-key engines with the simulator's test app (a copy with a tx added fails its tx
 * root), driven by a small FIFO driver in which a peer slips a tampered copy in first; and one
 * validator with the real ChainApp fed a certified block whose tx signature was flipped.
 */
import { describe, expect, it } from 'vitest'
import { buildGenesis, ChainApp } from '../../../src/chain/index.ts'
import { keyPairOf } from '../../../src/client/keys.ts'
import { signedTx } from '../../../src/client/tx-builder.ts'
import { merkleRoot } from '../../../src/codec/merkle.ts'
import { decodeSignedTx } from '../../../src/codec/tx.ts'
import {
  blockHashOf,
  signVote,
  type ProposalMessage,
  type RoundChangeMessage,
} from '../../../src/consensus/messages.ts'
import {
  buildCertificate,
  proposerOf,
  validatorsHashOf,
} from '../../../src/consensus/validators.ts'
import type { Block } from '../../../src/core/block.ts'
import { equalBytes, toHex, utf8 } from '../../../src/util/bytes.ts'
import type { Genesis } from '../../../src/vm/genesis.ts'
import { catchUpEngine, engineChain } from '../../support/certified-chain.ts'
import {
  EngineCluster,
  genesisEngine,
  NOW,
  signerOf,
  UNIT_TIMEOUTS,
  validatorKeys,
} from '../../support/consensus.ts'
import { testKey } from '../../support/fixtures.ts'

const keys = validatorKeys(4)

/** The block with one more tx: same header (and hash), but its txs no longer match its txRoot. */
function tampered(block: Block): Block {
  return { header: block.header, txs: [...block.txs, utf8('forged tx')] }
}

/** Four engines and a FIFO inbox; `drop` filters deliveries, `inject` lets a peer go first. */
class Cluster extends EngineCluster {
  constructor() {
    super(keys)
  }

  timeout(i: number, round: number, step: 'propose' | 'round'): void {
    this.handle(i, { type: 'timeout', height: 1, round, step, now: NOW })
  }

  /** Node `i`'s PREPAREs of height 1, by round. */
  preparesOf(i: number): number[] {
    return this.nodes[i]!.sent.flatMap((e) =>
      e.type === 'broadcast' &&
      e.message.kind === 'vote' &&
      e.message.vote.payload.type === 'prepare'
        ? [e.message.vote.payload.round]
        : [],
    )
  }
}

/** The proposal node `i` broadcast for `round`. */
function proposalOf(c: Cluster, i: number, round: number): ProposalMessage {
  for (const e of c.nodes[i]!.sent) {
    if (e.type !== 'broadcast' || e.message.kind !== 'proposal') continue
    if (e.message.proposal.payload.round === round) return e.message.proposal
  }
  throw new Error(`node ${i} sent no proposal for round ${round}`)
}

/** The ROUND-CHANGE node `i` broadcast to `round`. */
function roundChangeOf(c: Cluster, i: number, round: number): RoundChangeMessage {
  for (const e of c.nodes[i]!.sent) {
    if (e.type !== 'broadcast' || e.message.kind !== 'roundChange') continue
    if (e.message.roundChange.roundChange.payload.round === round) return e.message.roundChange
  }
  throw new Error(`node ${i} sent no round change to ${round}`)
}

/**
 * Height 1 (the proposer of round r is validator (1 + r) mod 4): validator 1 proposes a block with
 * one tx, which 0, 1 and 2 prepare; every COMMIT of round 0 is lost and node 3 sees nothing of
 * round 0 but what the test hands it.
 */
function preparedInRound0(): { c: Cluster; proposal: ProposalMessage } {
  const c = new Cluster()
  for (const n of c.nodes) n.app.submit(utf8('tx-1'))
  c.drop = (_from, to, m) =>
    (m.kind === 'vote' && m.vote.payload.type === 'commit') ||
    (to === 3 && (m.kind === 'proposal' || m.kind === 'vote'))
  for (let i = 0; i < 4; i++) c.handle(i, { type: 'start', now: NOW })
  c.timeout(1, 0, 'propose')
  c.flush()
  c.drop = () => false
  for (const i of [0, 1, 2]) expect(c.preparesOf(i), `node ${i}`).toEqual([0])
  return { c, proposal: proposalOf(c, 1, 0) }
}

describe('a tampered certified block', () => {
  it('does not keep the genuine block of that height from being applied', () => {
    const chain = engineChain(2)
    const genuine = chain.entries[0]!
    const node = catchUpEngine(chain, 3)
    const forged = { block: tampered(genuine.block), certificate: genuine.certificate }
    expect(node.deliver(forged)).toBe(false)
    expect(node.engine.stats.lastRejection?.code).toBe('BLOCK_WRONG_TX_ROOT')
    expect(node.deliver(forged), 'a copy refused again').toBe(false)
    expect(node.deliver(genuine)).toBe(true)
    expect(node.applied.map((e) => e.block)).toEqual([genuine.block])
    expect(node.deliver(chain.entries[1]!)).toBe(true)
    expect(node.engine.currentHeight).toBe(3)
  })

  it('with the real app: a copy with a flipped tx signature, then the genuine block', () => {
    const { engine, genuine, forged, certificate } = chainAppSetup()
    const now = T0 + 2_000n
    const first = engine.handle({ type: 'certifiedBlock', block: forged, certificate, now })
    expect(first.some((e) => e.type === 'commitBlock')).toBe(false)
    expect(engine.stats.lastRejection?.code).toBe('BLOCK_BAD_SIGNATURE')
    const second = engine.handle({ type: 'certifiedBlock', block: genuine, certificate, now })
    const decided = second.flatMap((e) => (e.type === 'commitBlock' ? [e.block] : []))
    expect(decided).toEqual([genuine])
    expect(engine.currentHeight).toBe(2)
  })
})

describe('a tampered copy in a round change or a proposal', () => {
  it('a ROUND-CHANGE with a tampered prepared block does not stop the re-proposal', () => {
    const { c, proposal } = preparedInRound0()
    const genuine = proposal.block
    for (let i = 0; i < 4; i++) c.timeout(i, 0, 'round')
    // A peer hands node 3 validator 0's signed ROUND-CHANGE with its prepared block tampered.
    const honest = roundChangeOf(c, 0, 1)
    const forged = { ...honest, preparedBlock: tampered(genuine) }
    c.inject(3, { kind: 'roundChange', roundChange: forged })
    expect(c.nodes[3]!.engine.stats.lastRejection?.code).toBe('BLOCK_WRONG_TX_ROOT')
    c.flush()
    // Validator 2 re-proposes the prepared block in round 1; node 3 prepares and decides it.
    expect(proposalOf(c, 2, 1).block).toBe(genuine)
    expect(c.preparesOf(3)).toEqual([1])
    for (const [i, n] of c.nodes.entries()) {
      expect(
        n.commits.map((e) => e.block),
        `node ${i}`,
      ).toEqual([genuine])
    }
    // Node 3 executed the tampered copy once and the genuine one once, however often they came.
    expect(c.nodes[3]!.executions).toBe(2)
  })

  it('a refused proposal copy in round 0 does not stop the same block in round 1', () => {
    const { c, proposal } = preparedInRound0()
    const genuine = proposal.block
    c.inject(3, { kind: 'proposal', proposal: { ...proposal, block: tampered(genuine) } })
    expect(c.nodes[3]!.engine.stats.lastRejection?.code).toBe('BLOCK_WRONG_TX_ROOT')
    // One proposal per round is considered: the genuine copy of round 0 comes too late.
    c.inject(3, { kind: 'proposal', proposal })
    expect(c.nodes[3]!.engine.stats.lastRejection?.code).toBe('PROPOSAL_DUPLICATE')
    expect(c.preparesOf(3)).toEqual([])
    for (let i = 0; i < 4; i++) c.timeout(i, 0, 'round')
    c.flush()
    expect(c.preparesOf(3)).toEqual([1])
    for (const [i, n] of c.nodes.entries()) {
      expect(
        n.commits.map((e) => e.block),
        `node ${i}`,
      ).toEqual([genuine])
    }
  })

  it('a proposer re-proposes the copy it validated, not a tampered one it was sent', () => {
    const { c, proposal } = preparedInRound0()
    const genuine = proposal.block
    for (let i = 0; i < 4; i++) c.timeout(i, 0, 'round')
    // Validator 2, the proposer of round 1, validated the block in round 0; a peer hands it
    // validator 0's ROUND-CHANGE with a tampered copy ahead of the genuine ones.
    const honest = roundChangeOf(c, 0, 1)
    c.inject(2, {
      kind: 'roundChange',
      roundChange: { ...honest, preparedBlock: tampered(genuine) },
    })
    c.flush()
    expect(proposalOf(c, 2, 1).block).toBe(genuine)
    for (const [i, n] of c.nodes.entries()) {
      expect(
        n.commits.map((e) => e.block),
        `node ${i}`,
      ).toEqual([genuine])
    }
  })
})

// ---- the real ChainApp: a certified block whose tx signature was replaced ----------------------

const CHAIN_ID = 'pointsnode-test'
const T0 = 1_700_000_000_000n

function chainAppSetup() {
  const validators = [0, 1, 2, 3].map((i) => testKey(`validator-${i}`))
  const operator = keyPairOf(testKey('operator').secretKey)
  const alice = keyPairOf(testKey('alice').secretKey)
  const genesis: Genesis = {
    chainId: CHAIN_ID,
    genesisTime: T0,
    validators: validators.map((v) => v.publicKey),
    operators: [operator.publicKey],
    operatorQuorum: 1,
    oracles: [],
    universal: { symbol: 'UNI', name: 'U', decimals: 2, expirySeconds: 0n, transferable: true },
    enterprises: [],
    pointTypes: [],
    balances: [],
  }
  const fresh = () => {
    const g = buildGenesis(genesis)
    if (!g.ok) throw new Error(g.error.message)
    return g.value
  }
  const tx = signedTx(
    alice,
    'account.register',
    { profileDigest: null },
    { chainId: CHAIN_ID, expiresAtHeight: 50, salt: new Uint8Array(0) },
  )
  const g = fresh()
  const chainSet = g.validators
  const builder = new ChainApp(CHAIN_ID, g.state, g.tree, 0, {
    selectTxs: () => [tx],
    isVerified: () => false,
  })
  const vh = validatorsHashOf(chainSet)
  const genuine = builder.buildProposal({
    chainId: CHAIN_ID,
    height: 1,
    round: 0,
    time: T0 + 1_000n,
    proposer: proposerOf(chainSet, 1, 0).publicKey,
    parent: g.block.header,
    parentHash: blockHashOf(g.block.header),
    validatorsHash: vh,
    nextValidatorsHash: vh,
  }).block
  const blockHash = blockHashOf(genuine.header)
  const keyOf = (pk: Uint8Array) => validators.find((v) => equalBytes(v.publicKey, pk))!
  const commits = chainSet.slice(0, 3).map((v) => {
    const payload = { type: 'commit' as const, chainId: CHAIN_ID, height: 1, round: 0, blockHash }
    return signVote(signerOf(keyOf(v.publicKey)), payload)
  })
  const certificate = buildCertificate(commits, chainSet)
  // The last byte of the signed tx is the last byte of its signature.
  const forgedTx = genuine.txs[0]!.slice()
  forgedTx[forgedTx.length - 1]! ^= 1
  const forged: Block = { header: genuine.header, txs: [forgedTx] }
  const decoded = decodeSignedTx(forgedTx)
  if (!decoded.ok) throw new Error(decoded.error.message)
  // Same header, and its txRoot still matches: the header does not commit to signatures.
  expect(toHex(merkleRoot([decoded.value.txId]))).toBe(toHex(genuine.header.txRoot))

  const v = fresh()
  const app = new ChainApp(CHAIN_ID, v.state, v.tree, 0, {
    selectTxs: () => [],
    isVerified: () => false,
  })
  const me = keyOf(chainSet[3]!.publicKey)
  const timeouts = { ...UNIT_TIMEOUTS, blockIntervalMs: 100 }
  const engine = genesisEngine({
    chainId: CHAIN_ID,
    key: me,
    app,
    genesis: v.block,
    set: chainSet,
    timeouts,
  })
  return { engine, genuine, forged, certificate }
}
