/**
 * Byzantine validators for the simulator. A Byzantine node runs an honest engine but its outgoing
 * messages are rewritten by its kind: an equivocating proposer, double votes, withholding, invalid
 * proposals, and votes and round changes for unknown blocks. It signs only with its own key.
 */
import { merkleRoot } from '../../src/codec/merkle.ts'
import {
  blockHashOf,
  signProposal,
  signRoundChange,
  signVote,
  type ConsensusMessage,
  type ProposalMessage,
} from '../../src/consensus/messages.ts'
import type { Effect } from '../../src/consensus/types.ts'
import type { Block } from '../../src/core/block.ts'
import { utf8 } from '../../src/util/bytes.ts'
import type { SimNode, Simulation } from './harness.ts'
import { nextStateRoot, TestApp } from './test-app.ts'

/** The kinds of Byzantine behaviour. */
export const BYZANTINE_KINDS = [
  'equivocate',
  'doubleVote',
  'withhold',
  'invalidProposal',
  'unknownVotes',
  'mixed',
] as const

/** A kind of Byzantine behaviour. */
export type ByzantineKind = (typeof BYZANTINE_KINDS)[number]

const BASE_KINDS = BYZANTINE_KINDS.filter((k) => k !== 'mixed')

/** Rewrites the outgoing effects of a Byzantine node. */
export function byzantineEffects(sim: Simulation, node: SimNode, effects: Effect[]): Effect[] {
  const out: Effect[] = []
  for (const e of effects) {
    if (e.type !== 'broadcast') {
      out.push(e)
      continue
    }
    const kind = node.byzantine === 'mixed' ? sim.prng.pick(BASE_KINDS) : node.byzantine!
    attack(sim, node, kind, e.message, out)
  }
  return out
}

function others(sim: Simulation, node: SimNode): SimNode[] {
  return sim.nodes.filter((n) => n !== node)
}

function split(
  sim: Simulation,
  node: SimNode,
  a: ConsensusMessage,
  b: ConsensusMessage,
  out: Effect[],
) {
  for (const peer of others(sim, node)) {
    out.push({ type: 'send', to: peer.key.publicKey, message: sim.prng.chance(0.5) ? a : b })
  }
}

function attack(
  sim: Simulation,
  node: SimNode,
  kind: string,
  message: ConsensusMessage,
  out: Effect[],
) {
  const signer = sim.crypto.signer(node.key)
  const broadcast = (m: ConsensusMessage): void => void out.push({ type: 'broadcast', message: m })
  switch (kind) {
    case 'withhold':
      if (sim.prng.chance(0.2)) broadcast(message)
      return
    case 'equivocate':
      if (message.kind === 'proposal') {
        const variant = resign(sim, node, message.proposal, {
          ...message.proposal.block.header,
          time: message.proposal.block.header.time + 1n,
        })
        split(sim, node, message, variant, out)
        return
      }
      if (message.kind === 'vote') {
        const vote = signVote(signer, { ...message.vote.payload, blockHash: sim.prng.bytes32() })
        split(sim, node, message, { kind: 'vote', vote }, out)
        return
      }
      broadcast(message)
      return
    case 'doubleVote':
      broadcast(message)
      if (message.kind === 'vote') {
        const vote = signVote(signer, { ...message.vote.payload, blockHash: sim.prng.bytes32() })
        broadcast({ kind: 'vote', vote })
      }
      return
    case 'invalidProposal':
      if (message.kind === 'proposal') {
        broadcast(invalidVariant(sim, node, message.proposal))
        return
      }
      broadcast(message)
      return
    default:
      broadcast(message)
      unknownVotes(sim, node, message, out)
  }
}

function unknownVotes(sim: Simulation, node: SimNode, message: ConsensusMessage, out: Effect[]) {
  const signer = sim.crypto.signer(node.key)
  if (message.kind !== 'vote') return
  const p = message.vote.payload
  for (const type of ['prepare', 'commit'] as const) {
    const vote = signVote(signer, {
      ...p,
      type,
      round: p.round + sim.prng.int(2),
      blockHash: sim.prng.bytes32(),
    })
    out.push({ type: 'broadcast', message: { kind: 'vote', vote } })
  }
  const payload = {
    type: 'roundChange' as const,
    chainId: p.chainId,
    height: p.height,
    round: p.round + 1,
    preparedRound: p.round,
    preparedBlockHash: sim.prng.bytes32(),
  }
  const roundChange = {
    roundChange: signRoundChange(signer, payload),
    preparedBlock: null,
    preparedCertificate: [],
  }
  out.push({ type: 'broadcast', message: { kind: 'roundChange', roundChange } })
}

function resign(
  sim: Simulation,
  node: SimNode,
  p: ProposalMessage,
  header: Block['header'],
  txs = p.block.txs,
): ConsensusMessage {
  const block = { header, txs }
  const payload = { ...p.payload, blockHash: blockHashOf(header) }
  const proposal = signProposal(
    sim.crypto.signer(node.key),
    payload,
    block,
    p.roundChanges,
    p.preparedCertificate,
  )
  return { kind: 'proposal', proposal }
}

function invalidVariant(sim: Simulation, node: SimNode, p: ProposalMessage): ConsensusMessage {
  const h = p.block.header
  switch (sim.prng.int(5)) {
    case 0:
      return resign(sim, node, p, { ...h, stateRoot: sim.prng.bytes32() })
    case 1: {
      const txs = [...p.block.txs, utf8(`bad-${sim.prng.next()}`)]
      const txRoot = merkleRoot(txs)
      // The test app accepts the roots and rejects the tx; the real VM rejects the bytes.
      const stateRoot =
        node.app instanceof TestApp
          ? nextStateRoot(node.app.lastHeader.stateRoot, h.height, txRoot)
          : h.stateRoot
      return resign(sim, node, p, { ...h, txRoot, stateRoot }, txs)
    }
    case 2:
      return resign(sim, node, p, { ...h, time: sim.nodeClock(node) + 60_000n })
    case 3:
      return resign(sim, node, p, { ...h, parentHash: sim.prng.bytes32() })
    default:
      return resign(sim, node, p, { ...h, round: h.round + 1 })
  }
}
