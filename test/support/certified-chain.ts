/**
 * Chains of committed blocks with certificates, for sync tests: `engineChain(n)` runs four real-key
 * consensus engines (test app, FIFO delivery, timeouts fired in order) until they committed `n`
 * blocks, so the certificates carry real commit seals a fresh engine accepts; `syncEntryAt` reads
 * an in-memory chain like a ledger would; `catchUpEngine` is a fresh validator engine at genesis
 * that applies delivered certified blocks the way the node does; `syntheticChain` builds linked
 * blocks of any size without real seals.
 */
import { eventOfMessage, type Consensus } from '../../src/consensus/consensus.ts'
import type { ConsensusMessage } from '../../src/consensus/messages.ts'
import type { ConsensusEvent, Effect } from '../../src/consensus/types.ts'
import { blockHashOf } from '../../src/consensus/messages.ts'
import type { Block, Validator } from '../../src/core/block.ts'
import type { SyncEntry, SyncSource } from '../../src/node/sync.ts'
import { toHex } from '../../src/util/bytes.ts'
import type { TestApp } from '../sim/test-app.ts'
import { NOW, engineOf, setOf, validatorKeys } from './consensus.ts'
import type { TestKey } from './fixtures.ts'

/** A committed chain: entries[i] is the block at height i + 1. */
export interface CertifiedChain {
  readonly keys: readonly TestKey[]
  readonly set: readonly Validator[]
  readonly entries: readonly SyncEntry[]
}

/** Runs four engines until validator 0 committed `n` blocks; returns its commits. */
export function engineChain(n: number): CertifiedChain {
  const keys = validatorKeys(4)
  const set = setOf(keys)
  const nodes = keys.map((k) => engineOf(k, set))
  const commits: SyncEntry[] = []
  const inbox: { to: number; message: ConsensusMessage }[] = []
  const timeouts: { to: number; event: ConsensusEvent }[] = []
  const handle = (i: number, event: ConsensusEvent): void => {
    const node = nodes[i]!
    for (const e of node.engine.handle(event)) runEffect(i, e)
  }
  const runEffect = (i: number, e: Effect): void => {
    if (e.type === 'broadcast') {
      for (let j = 0; j < nodes.length; j++) if (j !== i) inbox.push({ to: j, message: e.message })
    } else if (e.type === 'send') {
      const j = keys.findIndex((k) => toHex(k.publicKey) === toHex(e.to))
      inbox.push({ to: j, message: e.message })
    } else if (e.type === 'scheduleTimeout') {
      const { height, round, step } = e
      timeouts.push({ to: i, event: { type: 'timeout', height, round, step, now: NOW } })
    } else if (e.type === 'commitBlock') {
      nodes[i]!.app.commit(e.block)
      if (i === 0) commits.push({ block: e.block, certificate: e.certificate })
    }
  }
  for (let i = 0; i < nodes.length; i++) handle(i, { type: 'start', now: NOW })
  for (let guard = 0; commits.length < n; guard++) {
    if (guard > 100_000) throw new Error(`engineChain stuck at ${commits.length} blocks`)
    const next = inbox.shift()
    if (next) handle(next.to, eventOfMessage(next.message, NOW))
    else {
      const timeout = timeouts.shift()
      if (!timeout) throw new Error('engineChain: nothing left to run')
      handle(timeout.to, timeout.event)
    }
  }
  return { keys, set, entries: commits.slice(0, n) }
}

/** An in-memory `SyncSource` over the first `head` blocks of a chain. */
export function memorySource(chain: CertifiedChain, head = chain.entries.length): SyncSource {
  return {
    head: () => head,
    load: (height) => (height >= 1 && height <= head ? chain.entries[height - 1] : undefined),
  }
}

/** A fresh engine of validator `index` at genesis that applies certified blocks. */
export interface CatchUpEngine {
  readonly engine: Consensus
  readonly app: TestApp
  readonly applied: SyncEntry[]
  /** Feeds one block as a `certifiedBlock` event; true when the engine committed it. */
  deliver(entry: SyncEntry): boolean
}

/** Builds a `CatchUpEngine` for validator `index` of `chain` (not started: it only catches up). */
export function catchUpEngine(chain: CertifiedChain, index: number): CatchUpEngine {
  const { engine, app } = engineOf(chain.keys[index]!, chain.set)
  const applied: SyncEntry[] = []
  return {
    engine,
    app,
    applied,
    deliver(entry) {
      const { block, certificate } = entry
      const effects = engine.handle({ type: 'certifiedBlock', block, certificate, now: NOW })
      let committed = false
      for (const e of effects) {
        if (e.type !== 'commitBlock') continue
        app.commit(e.block)
        applied.push({ block: e.block, certificate: e.certificate })
        committed = true
      }
      return committed
    },
  }
}

/**
 * A synthetic chain of `count` linked blocks with `txCount` txs of `txBytes` bytes each, whose
 * certificates name each block's hash but carry no real seals: for structural and transport tests
 * and benchmarks, not for the engine.
 */
export function syntheticChain(count: number, txCount: number, txBytes: number): SyncEntry[] {
  const entries: SyncEntry[] = []
  let parentHash: Uint8Array = new Uint8Array(32)
  const tx = new Uint8Array(txBytes).fill(5)
  for (let height = 1; height <= count; height++) {
    const block: Block = {
      header: {
        version: 1,
        chainId: 'synthetic',
        height,
        round: 0,
        time: 1_700_000_000_000n + BigInt(height),
        proposer: new Uint8Array(33).fill(2),
        parentHash,
        txRoot: new Uint8Array(32),
        stateRoot: new Uint8Array(32),
        receiptsRoot: new Uint8Array(32),
        validatorsHash: new Uint8Array(32),
        nextValidatorsHash: new Uint8Array(32),
      },
      txs: Array.from({ length: txCount }, () => tx),
    }
    const blockHash = blockHashOf(block.header)
    const signatures: [number, Uint8Array][] = [0, 1, 2].map((i) => [i, new Uint8Array(64)])
    entries.push({ block, certificate: { height, round: 0, blockHash, signatures } })
    parentHash = blockHash
  }
  return entries
}
