/**
 * Fixtures for consensus unit tests: fixed validator keys with real secp256k1 signers, a genesis
 * block, validation contexts, engines wired to the simulator's test app, and a cluster of them
 * with a FIFO inbox.
 */
import { Consensus, eventOfMessage } from '../../src/consensus/consensus.ts'
import type { ConsensusApp } from '../../src/consensus/app.ts'
import type { ConsensusMessage, Signer } from '../../src/consensus/messages.ts'
import type { ConsensusEvent, Effect, TimeoutConfig } from '../../src/consensus/types.ts'
import type { ValidationContext } from '../../src/consensus/validation.ts'
import { validatorsHashOf } from '../../src/consensus/validators.ts'
import type { WalRecord } from '../../src/consensus/wal.ts'
import { merkleRoot } from '../../src/codec/merkle.ts'
import type { Block, CommitCertificate, Validator } from '../../src/core/block.ts'
import { signDigest, verifyDigest } from '../../src/crypto/secp256k1.ts'
import { assert } from '../../src/util/assert.ts'
import { compareBytes, equalBytes } from '../../src/util/bytes.ts'
import { TestApp } from '../sim/test-app.ts'
import { testKey, type TestKey } from './fixtures.ts'

/** Chain id of the unit-test chain. */
export const CHAIN = 'unit'
/** Genesis time; engines in tests run at `NOW`. */
export const GENESIS_TIME = 1_700_000_000_000n
export const NOW = GENESIS_TIME + 10_000n

/** `n` validator keys, sorted by public key (index i = validator i of the set). */
export function validatorKeys(n: number): TestKey[] {
  return Array.from({ length: n }, (_, i) => testKey(`consensus-unit-${i}`)).sort((a, b) =>
    compareBytes(a.publicKey, b.publicKey),
  )
}

/** The set of `keys`. */
export function setOf(keys: readonly TestKey[]): Validator[] {
  return keys.map((k) => ({ publicKey: k.publicKey, power: 1 }))
}

/** A real secp256k1 signer. */
export function signerOf(key: TestKey): Signer {
  return { publicKey: key.publicKey, signDigest: (d) => signDigest(d, key.secretKey) }
}

/** The genesis block of a chain with validator set `set`. */
export function genesisOf(set: readonly Validator[]): Block {
  const zero = new Uint8Array(32)
  const vh = validatorsHashOf(set)
  return {
    header: {
      version: 1,
      chainId: CHAIN,
      height: 0,
      round: 0,
      time: GENESIS_TIME,
      proposer: new Uint8Array(33),
      parentHash: zero,
      txRoot: merkleRoot([]),
      stateRoot: zero,
      receiptsRoot: zero,
      validatorsHash: vh,
      nextValidatorsHash: vh,
    },
    txs: [],
  }
}

/** A validation context at height 1, round `round`. */
export function contextOf(set: readonly Validator[], round = 0): ValidationContext {
  return { chainId: CHAIN, height: 1, round, validators: set, verify: verifyDigest }
}

/** Timers used by engine tests. */
export const UNIT_TIMEOUTS: TimeoutConfig = {
  roundBaseMs: 1000,
  roundMaxMs: 8000,
  blockIntervalMs: 0,
  createEmptyBlocks: true,
}

/** What `genesisEngine` starts an engine from. */
export interface GenesisEngineParams {
  readonly chainId: string
  readonly key: TestKey
  readonly app: ConsensusApp
  /** The genesis block (the engine decides height 1 on top of it). */
  readonly genesis: Block
  /** The validator set of the genesis, also of heights 1 and 2. */
  readonly set: readonly Validator[]
  readonly timeouts?: TimeoutConfig
  readonly wal?: readonly WalRecord[]
}

/** An engine of validator `key` over `app` at genesis (nothing committed, one set). */
export function genesisEngine(params: GenesisEngineParams): Consensus {
  const { set } = params
  return new Consensus({
    chainId: params.chainId,
    signer: signerOf(params.key),
    verify: verifyDigest,
    app: params.app,
    timeouts: params.timeouts ?? UNIT_TIMEOUTS,
    chain: {
      lastBlock: params.genesis,
      lastCertificate: null,
      lastValidators: set,
      validators: set,
      nextValidators: set,
    },
    wal: params.wal ?? [],
  })
}

/** An engine of validator `key` at genesis, with its own test app. */
export function engineOf(
  key: TestKey,
  set: readonly Validator[],
  wal: readonly WalRecord[] = [],
): { engine: Consensus; app: TestApp } {
  const genesis = genesisOf(set)
  const app = new TestApp(genesis.header)
  return { engine: genesisEngine({ chainId: CHAIN, key, app, genesis, set, wal }), app }
}

/** The effects of one type. */
export function effectsOf<T extends Effect['type']>(
  effects: readonly Effect[],
  type: T,
): Extract<Effect, { type: T }>[] {
  return effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type)
}

/** One engine of an `EngineCluster` and what it did. */
export interface ClusterNode {
  /** Replaced by a test that restarts the node from its WAL. */
  engine: Consensus
  app: TestApp
  /** Records it persisted, in order. */
  readonly wal: WalRecord[]
  readonly commits: { block: Block; certificate: CommitCertificate }[]
  /** Its `broadcast` and `send` effects, in order. */
  readonly sent: Effect[]
  /** Times its app executed a block (`executeProposal`). */
  executions: number
}

/**
 * Engines of `keys` (one validator set) and a FIFO inbox between them: broadcasts reach every
 * other node and sends their target unless `drop(from, to, message)` says otherwise; commits are
 * applied to the node's app. Invariants are checked after every handled event.
 */
export class EngineCluster {
  readonly keys: readonly TestKey[]
  readonly nodes: ClusterNode[]
  readonly inbox: { to: number; message: ConsensusMessage }[] = []
  drop: (from: number, to: number, message: ConsensusMessage) => boolean = () => false

  constructor(keys: readonly TestKey[]) {
    this.keys = keys
    const set = setOf(keys)
    this.nodes = keys.map((k) => {
      const { engine, app } = engineOf(k, set)
      const node: ClusterNode = { engine, app, wal: [], commits: [], sent: [], executions: 0 }
      const execute = app.executeProposal.bind(app)
      app.executeProposal = (block, parent) => {
        node.executions++
        return execute(block, parent)
      }
      return node
    })
  }

  /** Hands `event` to node `i` and carries out its effects; returns them. */
  handle(i: number, event: ConsensusEvent): Effect[] {
    const node = this.nodes[i]!
    const effects = node.engine.handle(event)
    node.engine.checkInvariants()
    for (const e of effects) {
      if (e.type === 'persist') node.wal.push(e.record)
      if (e.type === 'broadcast' || e.type === 'send') node.sent.push(e)
      if (e.type === 'broadcast') {
        for (let j = 0; j < this.nodes.length; j++) {
          if (j !== i && !this.drop(i, j, e.message)) this.inbox.push({ to: j, message: e.message })
        }
      }
      if (e.type === 'send') {
        const j = this.keys.findIndex((k) => equalBytes(k.publicKey, e.to))
        if (!this.drop(i, j, e.message)) this.inbox.push({ to: j, message: e.message })
      }
      if (e.type === 'commitBlock') {
        node.commits.push({ block: e.block, certificate: e.certificate })
        node.app.commit(e.block)
      }
    }
    return effects
  }

  /** Delivers everything queued (and whatever that sends), in order. */
  flush(): void {
    for (let guard = 0; this.inbox.length > 0; guard++) {
      assert(guard < 10_000, 'the cluster keeps sending: more than 10,000 deliveries')
      const { to, message } = this.inbox.shift()!
      this.handle(to, eventOfMessage(message, NOW))
    }
  }

  /** A peer delivers `message` to node `to` ahead of everything queued. */
  inject(to: number, message: ConsensusMessage): Effect[] {
    return this.handle(to, eventOfMessage(message, NOW))
  }
}
