/**
 * Goal: an admitted peer that is not a validator (a configured observer) can neither make a node
 * spend its verifier on blocks nobody authenticated nor make it report that it is behind. Blocks
 * of 5,000 txs with wrong signatures, carried by a certified block ahead of the node's height (an
 * empty certificate) and by a proposal far ahead in a validator's name (a forged signature), cost
 * no tx signature verification, cost the sender a penalty each, and the chain keeps committing.
 * Unsigned head claims (another chain id; a validator's name with a forged signature) and a claim
 * signed by a key of no validator set leave /health at inSync: true; the first two are penalised.
 * Method: one real validator (50 ms block interval) with two observer keys; each attacker is a
 * bare libp2p node that sends hand-built frames. The test waits until the node has received them
 * and committed a few more blocks (so every queued event was handled), then reads counters: the
 * node's `pointsnode_block_signatures_verified_total` and the p2p layer's penalties by reason.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair, type KeyPair } from '../../../src/client/keys.ts'
import { buildSignedTx, decodeSignedTx } from '../../../src/codec/tx.ts'
import {
  blockHashOf,
  encodeConsensusMessage,
  voteDigest,
  type ConsensusMessage,
} from '../../../src/consensus/messages.ts'
import type { Block } from '../../../src/core/block.ts'
import { signDigest } from '../../../src/crypto/secp256k1.ts'
import { loadConfig } from '../../../src/node/config.ts'
import { loadGenesis } from '../../../src/node/genesis-file.ts'
import { loadNodeKey } from '../../../src/node/key-file.ts'
import { PointsNode } from '../../../src/node/node.ts'
import { createTestnet } from '../../../src/node/testnet.ts'
import { startP2p, type P2pNode } from '../../../src/p2p/node.ts'
import { toHex } from '../../../src/util/bytes.ts'
import { until } from '../../support/cluster.ts'
import { signedTransfer, signers } from '../../support/mempool-txs.ts'

const CHAIN_ID = 'pointsnode-frames'
const HEIGHT_FAR = 0xffff_ffff

const dir = mkdtempSync(join(tmpdir(), 'pointsnode-frames-'))
const cleanups: (() => Promise<void>)[] = []
const attackers = [generateKeyPair(), generateKeyPair()] as const
let node: PointsNode
let validatorKey: Uint8Array

beforeAll(async () => {
  await createTestnet(dir, 1, CHAIN_ID, BigInt(Date.now()))
  const home = join(dir, 'node0')
  const loaded = loadConfig(home)
  if (!loaded.ok) throw new Error(loaded.error.message)
  const key = loadNodeKey(home)
  validatorKey = key.publicKey
  node = await PointsNode.start({
    config: {
      ...loaded.value,
      p2p: { ...loaded.value.p2p, observers: attackers.map((a) => toHex(a.publicKey)) },
    },
    genesis: loadGenesis(home),
    key,
    log: pino({ level: 'silent' }),
    blockIntervalMs: 50,
  })
  cleanups.push(() => node.stop())
}, 60_000)

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
  rmSync(dir, { recursive: true, force: true })
})

/** A bare libp2p node of `key`, connected to the node under test. */
async function connect(key: KeyPair): Promise<P2pNode> {
  const peer = await startP2p({
    secretKey: key.secretKey,
    allowedPublicKeys: [node.p2p.publicKey],
    knownPeers: [{ publicKey: node.p2p.publicKey, multiaddr: node.p2p.multiaddrs()[0]! }],
  })
  cleanups.push(() => peer.stop())
  await until('the attacker connected', () =>
    Promise.resolve(peer.isConnected(node.p2p.publicKey) ? true : undefined),
  )
  return peer
}

/** Sends `frames` and waits until the node received them and committed `blocks` more blocks. */
async function sendAndSettle(peer: P2pNode, frames: readonly ConsensusMessage[], blocks = 3) {
  const received = node.p2p.stats().consensusReceived
  for (const frame of frames) {
    expect(peer.send(node.p2p.publicKey, encodeConsensusMessage(frame)).ok).toBe(true)
  }
  await until('the frames received', () =>
    Promise.resolve(node.p2p.stats().consensusReceived >= received + frames.length || undefined),
  )
  const height = node.height
  await until(`${blocks} more blocks`, () =>
    Promise.resolve(node.height >= height + blocks || undefined),
  )
}

/** Penalties by reason since `before` (a snapshot of `penaltiesByReason`). */
function penaltiesSince(before: Record<string, number>): Record<string, number> {
  const now = node.p2p.stats().penaltiesByReason
  const out: Record<string, number> = {}
  for (const [reason, count] of Object.entries(now)) {
    const delta = count - (before[reason] ?? 0)
    if (delta > 0) out[reason] = delta
  }
  return out
}

async function signaturesVerified(): Promise<number> {
  const metrics = await node.api.inject({ method: 'GET', url: '/metrics' })
  const match = /\npointsnode_block_signatures_verified_total (\d+)/.exec(metrics.body)
  expect(match, 'the metric is exported').not.toBeNull()
  return Number(match![1])
}

/** 5,000 copies of one tx, each with a different well-formed, low-S, wrong signature. */
function junkTxs(): Uint8Array[] {
  const decoded = decodeSignedTx(signedTransfer(signers(1)[0]!, 1, 1_000_000).signedBytes)
  if (!decoded.ok) throw new Error('fixture')
  return Array.from({ length: 5000 }, (_, i) => {
    const signature = new Uint8Array(64)
    signature[0] = 0x11
    signature[31] = 1
    signature[32] = 0x22 // s well below n/2: the verifier does the full work
    signature[60] = i >> 8
    signature[61] = i & 255
    signature[63] = 1
    return buildSignedTx(decoded.value.tx, signature).signedBytes
  })
}

function junkBlock(height: number, proposer: Uint8Array): Block {
  const zero = new Uint8Array(32)
  return {
    header: {
      version: 1,
      chainId: CHAIN_ID,
      height,
      round: 0,
      time: BigInt(Date.now()),
      proposer,
      parentHash: zero,
      txRoot: zero,
      stateRoot: zero,
      receiptsRoot: zero,
      validatorsHash: zero,
      nextValidatorsHash: zero,
    },
    txs: junkTxs(),
  }
}

/** A commit vote of `height` by `signer`, with `signature` (default: a forged one, all zero). */
function vote(chainId: string, signer: Uint8Array, signature = new Uint8Array(64)) {
  const payload = {
    type: 'commit' as const,
    chainId,
    height: HEIGHT_FAR,
    round: 0,
    blockHash: new Uint8Array(32),
  }
  return { payload, signer, signature }
}

describe('consensus frames from a peer that is not a validator', () => {
  it('verify no tx signature of unauthenticated blocks, cost the sender, and commits go on', async () => {
    const peer = await connect(attackers[0])
    const far = node.height + 100_000
    const certified = junkBlock(far, attackers[0].publicKey)
    const proposed = junkBlock(far, validatorKey)
    const frames: ConsensusMessage[] = [
      {
        kind: 'certifiedBlock',
        block: certified,
        certificate: {
          height: far,
          round: 0,
          blockHash: blockHashOf(certified.header),
          signatures: [],
        },
      },
      {
        kind: 'proposal',
        proposal: {
          payload: {
            type: 'proposal',
            chainId: CHAIN_ID,
            height: far,
            round: 0,
            blockHash: blockHashOf(proposed.header),
          },
          signer: validatorKey, // in the validator's name, not signed by it
          signature: new Uint8Array(64),
          block: proposed,
          roundChanges: [],
          preparedCertificate: [],
        },
      },
    ]
    expect(encodeConsensusMessage(frames[0]!).length, 'a block-sized frame').toBeGreaterThan(
      500_000,
    )
    const verified = await signaturesVerified()
    const before = node.p2p.stats().penaltiesByReason
    await sendAndSettle(peer, frames)
    expect(await signaturesVerified(), 'tx signatures verified for the junk blocks').toBe(verified)
    // The proposal in the validator's name came from another peer: refused before its signature.
    expect(penaltiesSince(before)).toEqual({
      'consensus-certificate-ahead': 1,
      'consensus-not-signer': 1,
    })
    const health = (await node.api.inject({ method: 'GET', url: '/health' })).json()
    expect(health, 'a forged proposal is no head claim').toMatchObject({ inSync: true })
  }, 60_000)

  it('keep /health at inSync for head claims no validator signed', async () => {
    const peer = await connect(attackers[1])
    const own = attackers[1]
    const signedByObserver = vote(CHAIN_ID, own.publicKey)
    const frames: ConsensusMessage[] = [
      // Another chain id, the sender's own key, no signature.
      { kind: 'vote', vote: vote('some-other-chain', own.publicKey) },
      // This chain, in the validator's name (a forged signature), from another peer.
      { kind: 'vote', vote: vote(CHAIN_ID, validatorKey) },
      // Signed by the sender, which is in no validator set: not believed, but no fault.
      {
        kind: 'vote',
        vote: {
          ...signedByObserver,
          signature: signDigest(voteDigest(signedByObserver.payload), own.secretKey),
        },
      },
    ]
    const before = node.p2p.stats().penaltiesByReason
    const health = async () =>
      (await node.api.inject({ method: 'GET', url: '/health' })).json<{ inSync: boolean }>()
    expect((await health()).inSync).toBe(true)
    await sendAndSettle(peer, frames, 1)
    expect((await health()).inSync, 'right after the claims').toBe(true)
    await sendAndSettle(peer, [], 3)
    expect((await health()).inSync, 'blocks later').toBe(true)
    expect(penaltiesSince(before)).toEqual({
      'consensus-wrong-chain': 1,
      'consensus-not-signer': 1,
    })
  }, 60_000)
})
