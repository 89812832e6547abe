/**
 * The deterministic consensus simulator: N `Consensus` engines with the test app or the real VM
 * (`vm-app.ts`: ChainApp, signed transfers and validator.update txs) over a virtual-time
 * event queue, a seeded lossy network (drop, delay, duplication, reordering, partitions), crash and
 * restart from the WAL (also between a persist and the send that depends on it), and Byzantine
 * validators. Checkers run after every event: agreement, identical state roots, validity, no
 * conflicting signatures by honest validators, engine invariants, the VM's supply invariant;
 * liveness after healing.
 * Spec: docs/protocol/consensus.md#simulation; STYLE.md section 9.
 */
import { merkleRoot } from '../../src/codec/merkle.ts'
import { Consensus, eventOfMessage } from '../../src/consensus/consensus.ts'
import {
  blockHashOf,
  decodeConsensusMessage,
  encodeConsensusMessage,
  roundChangeDigest,
  type ConsensusMessage,
} from '../../src/consensus/messages.ts'
import type {
  ConsensusEvent,
  Effect,
  TimeoutConfig,
  TimeoutStep,
} from '../../src/consensus/types.ts'
import {
  applyValidatorUpdates,
  validatorsHashOf,
  verifyCertificate,
  type ValidatorUpdate,
} from '../../src/consensus/validators.ts'
import { decodeWalRecord, encodeWalRecord } from '../../src/consensus/wal.ts'
import type { Block, CommitCertificate, Validator } from '../../src/core/block.ts'
import { compareBytes, equalBytes, toHex, utf8 } from '../../src/util/bytes.ts'
import { byzantineEffects, type ByzantineKind } from './byzantine.ts'
import { fastCrypto, realCrypto, simKey, type SimCrypto, type SimKey } from './crypto.ts'
import { Prng } from './prng.ts'
import { EventQueue } from './queue.ts'
import { TestApp, validatorTx, type SimApp } from './test-app.ts'
import { VmSimApp, vmGenesis, vmTransferTx, vmValidatorTx } from './vm-app.ts'
import type { Genesis } from '../../src/vm/genesis.ts'

/** The chain id of every simulated chain. */
export const SIM_CHAIN_ID = 'sim'
const GENESIS_TIME = 1_700_000_000_000n

/** Everything that defines one simulation run (derived from a seed by `scenario.ts`). */
export interface SimOptions {
  readonly seed: number
  readonly validators: number
  readonly followers: number
  readonly byzantine: readonly { readonly node: number; readonly kind: ByzantineKind }[]
  readonly crashes: readonly {
    readonly node: number
    readonly atMs: number
    readonly downMs: number
  }[]
  readonly crashMidEffects: boolean
  readonly dropRate: number
  readonly dupRate: number
  readonly delayMinMs: number
  readonly delayMaxMs: number
  readonly partitions: readonly {
    readonly atMs: number
    readonly ms: number
    readonly mask: number
  }[]
  readonly clockSkewMs: number
  readonly chaosMs: number
  readonly livenessMs: number
  readonly livenessHeights: number
  readonly crypto: 'fast' | 'real'
  readonly wire: boolean
  readonly txIntervalMs: number
  /**
   * Pending txs from which a node's `txsAvailable` carries `full` (the node setting
   * `consensus.proposalTxsMax`): its round-0 proposer then proposes at once (ADR 0073).
   */
  readonly proposalTxsMax: number
  readonly validatorChanges: readonly {
    readonly atMs: number
    readonly op: '+' | '-'
    readonly node: number
  }[]
  readonly timeouts: TimeoutConfig
  /** Nodes that are down from the start until `restartAtMs` (the f+1-crashed scenario). */
  readonly downAtStart: readonly number[]
  readonly restartAtMs: number
  /** The application: the small test app, or the real VM and state tree (`vm-app.ts`). */
  readonly app: 'test' | 'vm'
}

/** The outcome of a run. */
export interface SimResult {
  readonly seed: number
  readonly violations: readonly string[]
  readonly heights: readonly number[]
  readonly committedHeight: number
  readonly heightAtHeal: number
  readonly virtualMs: number
  readonly events: number
  readonly livenessOk: boolean
  /** Validator set of each height (index = height), from the agreed chain. */
  readonly sets: readonly (readonly Validator[])[]
  readonly chain: readonly Stored[]
  readonly restarts: number
  readonly midEffectCrashes: number
}

type Item =
  | { kind: 'deliver'; to: number; message: ConsensusMessage | Uint8Array }
  | {
      kind: 'timeout'
      node: number
      epoch: number
      height: number
      round: number
      step: TimeoutStep
    }
  | { kind: 'crash'; node: number }
  | { kind: 'restart'; node: number }
  | { kind: 'partition'; mask: number }
  | { kind: 'connect' }
  | { kind: 'heal' }
  | { kind: 'tx'; tx: Uint8Array }
  | { kind: 'txsAvailable'; node: number; epoch: number }
  | { kind: 'sync' }

/** A committed block as a node stores it. */
export interface Stored {
  readonly block: Block
  readonly certificate: CommitCertificate
  readonly updates: readonly ValidatorUpdate[]
}

/** One simulated node: its durable store survives crashes, the rest does not. */
export interface SimNode {
  readonly index: number
  readonly key: SimKey
  readonly byzantine: ByzantineKind | null
  engine: Consensus | null
  app: SimApp
  epoch: number
  crashPending: boolean
  readonly blocks: Stored[]
  readonly wal: Uint8Array[]
}

/** Runs one simulation. */
export class Simulation {
  readonly opts: SimOptions
  readonly prng: Prng
  readonly crypto: SimCrypto
  readonly nodes: SimNode[] = []
  private readonly queue = new EventQueue<Item>()
  private readonly genesis: Block
  private readonly genesisSet: Validator[]
  private readonly vmGenesis: Genesis | null
  private now = 0
  private mask = 0
  private healed = false
  private events = 0
  private restarts = 0
  private midEffectCrashes = 0
  readonly violations: string[] = []
  // Checker state, built from honest commits.
  private readonly agreed: Stored[] = []
  private readonly roots: string[] = []
  private readonly sets: Validator[][] = []
  private readonly signed = new Map<string, string>()
  private readonly pendingTxs: Uint8Array[] = []

  constructor(opts: SimOptions) {
    this.opts = opts
    this.prng = new Prng(opts.seed)
    this.crypto = opts.crypto === 'real' ? realCrypto() : fastCrypto()
    const total = opts.validators + opts.followers
    const byz = new Map(opts.byzantine.map((b) => [b.node, b.kind]))
    const keys = Array.from({ length: total }, (_, i) => simKey(i))
    this.genesisSet = keys
      .slice(0, opts.validators)
      .map((k) => ({ publicKey: k.publicKey, power: 1 }))
      .sort((a, b) => compareBytes(a.publicKey, b.publicKey))
    this.vmGenesis =
      opts.app === 'vm'
        ? vmGenesis(
            SIM_CHAIN_ID,
            GENESIS_TIME,
            this.genesisSet.map((v) => v.publicKey),
          )
        : null
    this.genesis = { header: this.genesisHeader(), txs: [] }
    for (let i = 0; i < total; i++) {
      const key = keys[i]!
      this.crypto.signer(key)
      this.nodes.push({
        index: i,
        key,
        byzantine: byz.get(i) ?? null,
        engine: null,
        app: this.newApp(),
        epoch: 0,
        crashPending: false,
        blocks: [],
        wal: [],
      })
    }
    this.sets.push(this.genesisSet, this.genesisSet, this.genesisSet)
  }

  /** A fresh app at genesis, of the run's kind. */
  private newApp(): SimApp {
    return this.vmGenesis ? new VmSimApp(this.vmGenesis) : new TestApp(this.genesis.header)
  }

  private genesisHeader(): Block['header'] {
    const zero = new Uint8Array(32)
    const set = this.genesisSet as Validator[] | undefined
    const vh = set ? validatorsHashOf(set) : zero
    return {
      version: 1,
      chainId: SIM_CHAIN_ID,
      height: 0,
      round: 0,
      time: GENESIS_TIME,
      proposer: new Uint8Array(33),
      parentHash: zero,
      txRoot: merkleRoot([]),
      stateRoot: this.vmGenesis ? VmSimApp.genesisRoot(this.vmGenesis) : zero,
      receiptsRoot: zero,
      validatorsHash: vh,
      nextValidatorsHash: vh,
    }
  }

  private honest(node: SimNode): boolean {
    return node.byzantine === null
  }

  private violation(text: string): void {
    if (this.violations.length < 20) this.violations.push(`t=${this.now} ${text}`)
  }

  /** Node clock: virtual time plus a fixed per-node skew. */
  private clockOf(node: SimNode): bigint {
    const skew = ((node.index * 7919) % (2 * this.opts.clockSkewMs + 1)) - this.opts.clockSkewMs
    return GENESIS_TIME + 1000n + BigInt(this.now + skew)
  }

  /** Runs the scenario to the end and returns the outcome. */
  run(): SimResult {
    const o = this.opts
    for (const node of this.nodes) {
      if (o.downAtStart.includes(node.index))
        this.queue.push(o.restartAtMs, { kind: 'restart', node: node.index })
      else this.boot(node)
    }
    for (const c of o.crashes) {
      this.queue.push(c.atMs, { kind: 'crash', node: c.node })
      this.queue.push(Math.min(c.atMs + c.downMs, o.chaosMs), { kind: 'restart', node: c.node })
    }
    for (const p of o.partitions) {
      this.queue.push(p.atMs, { kind: 'partition', mask: p.mask })
      this.queue.push(Math.min(p.atMs + p.ms, o.chaosMs), { kind: 'connect' })
    }
    o.validatorChanges.forEach((v, i) => {
      const key = this.nodes[v.node]!.key.publicKey
      const tx = this.vmGenesis ? vmValidatorTx(SIM_CHAIN_ID, v.op, key, i) : validatorTx(v.op, key)
      this.queue.push(v.atMs, { kind: 'tx', tx })
    })
    for (let t = o.txIntervalMs; t < o.chaosMs + o.livenessMs; t += o.txIntervalMs) {
      const tx = this.vmGenesis ? vmTransferTx(SIM_CHAIN_ID, t / o.txIntervalMs) : utf8(`tx-${t}`)
      this.queue.push(t, { kind: 'tx', tx })
    }
    for (let t = 250; t < o.chaosMs + o.livenessMs; t += 250) this.queue.push(t, { kind: 'sync' })
    this.queue.push(o.chaosMs, { kind: 'heal' })
    let heightAtHeal = -1
    let livenessOk = false
    const end = o.chaosMs + o.livenessMs
    for (;;) {
      const next = this.queue.pop()
      if (!next || next.time > end || this.violations.length > 0) break
      this.now = next.time
      this.events++
      if (next.item.kind === 'heal') heightAtHeal = this.agreed.length
      this.step(next.item)
      if (heightAtHeal >= 0 && this.honestHeightMin() >= heightAtHeal + o.livenessHeights) {
        livenessOk = true
        break
      }
    }
    if (!livenessOk && this.violations.length === 0 && o.livenessHeights > 0) {
      this.violation(
        `liveness: honest heights ${this.heights().join(',')} < ${heightAtHeal + o.livenessHeights} after healing`,
      )
    }
    this.finalChecks()
    return {
      seed: o.seed,
      violations: this.violations,
      heights: this.heights(),
      committedHeight: this.agreed.length,
      heightAtHeal,
      virtualMs: this.now,
      events: this.events,
      livenessOk,
      sets: this.sets,
      chain: this.agreed,
      restarts: this.restarts,
      midEffectCrashes: this.midEffectCrashes,
    }
  }

  /** What is known when a run stops early (an exception). */
  partialResult(): SimResult {
    return {
      seed: this.opts.seed,
      violations: this.violations,
      heights: this.heights(),
      committedHeight: this.agreed.length,
      heightAtHeal: -1,
      virtualMs: this.now,
      events: this.events,
      livenessOk: false,
      sets: this.sets,
      chain: this.agreed,
      restarts: this.restarts,
      midEffectCrashes: this.midEffectCrashes,
    }
  }

  /** Committed height of every node (its block store). */
  heights(): number[] {
    return this.nodes.map((n) => n.blocks.length)
  }

  private honestHeightMin(): number {
    let min = Number.MAX_SAFE_INTEGER
    for (const n of this.nodes) if (this.honest(n)) min = Math.min(min, n.blocks.length)
    return min
  }

  private step(item: Item): void {
    switch (item.kind) {
      case 'deliver':
        this.deliver(item.to, item.message)
        return
      case 'timeout': {
        const node = this.nodes[item.node]!
        if (!node.engine || node.epoch !== item.epoch) return
        const { height, round, step } = item
        this.handle(node, { type: 'timeout', height, round, step, now: this.clockOf(node) })
        return
      }
      case 'crash':
        this.crash(this.nodes[item.node]!)
        return
      case 'restart': {
        const node = this.nodes[item.node]!
        if (!node.engine) this.boot(node)
        return
      }
      case 'partition':
        this.mask = item.mask
        return
      case 'connect':
        this.mask = 0
        return
      case 'heal':
        this.heal()
        return
      case 'tx':
        this.submit(item.tx)
        return
      case 'txsAvailable': {
        const node = this.nodes[item.node]!
        if (node.engine && node.epoch === item.epoch) this.handle(node, this.txsAvailable(node))
        return
      }
      case 'sync':
        this.sync()
        return
    }
  }

  private heal(): void {
    this.healed = true
    this.mask = 0
    for (const node of this.nodes) {
      node.crashPending = false
      if (!node.engine) this.boot(node)
    }
  }

  private submit(tx: Uint8Array): void {
    this.pendingTxs.push(tx)
    for (const node of this.nodes) {
      node.app.submit(tx)
      if (node.engine) this.handle(node, this.txsAvailable(node))
    }
  }

  /** The driver's `txsAvailable`: `full` when the pool holds a whole proposal. */
  private txsAvailable(node: SimNode): ConsensusEvent {
    const full = node.app.pendingTxs() >= this.opts.proposalTxsMax
    return { type: 'txsAvailable', now: this.clockOf(node), full }
  }

  // ---- nodes -------------------------------------------------------------------------------

  private setsOf(blocks: readonly Stored[]): Validator[][] {
    const sets: Validator[][] = [this.genesisSet, this.genesisSet, this.genesisSet]
    for (const s of blocks) {
      const h = s.block.header.height
      sets[h + 2] = applyValidatorUpdates(sets[h + 1]!, s.updates)
    }
    return sets
  }

  private boot(node: SimNode): void {
    const app = this.newApp()
    for (const s of node.blocks) app.commit(s.block)
    for (const tx of this.pendingTxs) app.submit(tx)
    node.app = app
    const sets = this.setsOf(node.blocks)
    const last = node.blocks[node.blocks.length - 1]
    const h = last ? last.block.header.height : 0
    const wal = node.wal.map((bytes, i) => {
      const r = decodeWalRecord(bytes)
      if (!r.ok) throw new Error(`node ${node.index} WAL record ${i}: ${r.error.message}`)
      return r.value
    })
    node.engine = new Consensus({
      chainId: SIM_CHAIN_ID,
      signer: this.crypto.signer(node.key),
      verify: this.crypto.verify,
      app,
      timeouts: this.opts.timeouts,
      chain: {
        lastBlock: last ? last.block : this.genesis,
        lastCertificate: last ? last.certificate : null,
        lastValidators: sets[h]!,
        validators: sets[h + 1]!,
        nextValidators: sets[h + 2]!,
      },
      wal,
    })
    node.epoch++
    if (node.blocks.length + node.wal.length > 0) this.restarts++
    this.handle(node, { type: 'start', now: this.clockOf(node) })
  }

  private crash(node: SimNode): void {
    if (!node.engine || this.healed) return
    if (this.opts.crashMidEffects && this.prng.chance(0.5)) {
      node.crashPending = true
      return
    }
    node.engine = null
    node.epoch++
  }

  private handle(node: SimNode, event: ConsensusEvent): void {
    const engine = node.engine
    if (!engine) return
    let effects = engine.handle(event)
    try {
      engine.checkInvariants()
    } catch (cause) {
      this.violation(`node ${node.index} invariant: ${(cause as Error).message}`)
      return
    }
    if (node.byzantine) effects = byzantineEffects(this, node, effects)
    const cut = node.crashPending ? this.prng.int(effects.length + 1) : -1
    for (let i = 0; i < effects.length; i++) {
      if (i === cut) break
      this.runEffect(node, effects[i]!)
    }
    if (cut >= 0) {
      node.crashPending = false
      node.engine = null
      node.epoch++
      this.midEffectCrashes++
    }
  }

  // ---- effects and network -----------------------------------------------------------------

  /** Runs one effect of `node` (the driver's job). */
  runEffect(node: SimNode, effect: Effect): void {
    switch (effect.type) {
      case 'persist':
        node.wal.push(encodeWalRecord(effect.record))
        return
      case 'broadcast': {
        this.recordSigned(node, effect.message)
        const payload = this.opts.wire ? encodeConsensusMessage(effect.message) : effect.message
        for (const other of this.nodes)
          if (other !== node) this.send(node.index, other.index, payload)
        return
      }
      case 'send': {
        this.recordSigned(node, effect.message)
        const to = this.nodes.find((n) => equalBytes(n.key.publicKey, effect.to))
        const payload = this.opts.wire ? encodeConsensusMessage(effect.message) : effect.message
        if (to) this.send(node.index, to.index, payload)
        return
      }
      case 'scheduleTimeout': {
        const { height, round, step, delayMs } = effect
        const item: Item = {
          kind: 'timeout',
          node: node.index,
          epoch: node.epoch,
          height,
          round,
          step,
        }
        this.queue.push(this.now + delayMs, item)
        return
      }
      case 'commitBlock':
        this.commit(node, effect.block, effect.certificate, effect.validatorUpdates)
        // Like the node's driver: an event after every commit, behind those already queued.
        this.queue.push(this.now, { kind: 'txsAvailable', node: node.index, epoch: node.epoch })
        return
    }
  }

  private connected(a: number, b: number): boolean {
    if (this.mask === 0) return true
    return ((this.mask >>> a) & 1) === ((this.mask >>> b) & 1)
  }

  private send(from: number, to: number, message: ConsensusMessage | Uint8Array): void {
    if (!this.connected(from, to)) return
    const o = this.opts
    if (!this.healed && this.prng.chance(o.dropRate)) return
    this.queue.push(this.now + this.prng.range(o.delayMinMs, o.delayMaxMs), {
      kind: 'deliver',
      to,
      message,
    })
    if (this.prng.chance(o.dupRate)) {
      this.queue.push(this.now + this.prng.range(o.delayMinMs, o.delayMaxMs * 3), {
        kind: 'deliver',
        to,
        message,
      })
    }
  }

  private deliver(to: number, payload: ConsensusMessage | Uint8Array): void {
    const node = this.nodes[to]!
    if (!node.engine) return
    let message: ConsensusMessage
    if (payload instanceof Uint8Array) {
      const decoded = decodeConsensusMessage(payload)
      if (!decoded.ok) {
        this.violation(`undecodable message: ${decoded.error.message}`)
        return
      }
      message = decoded.value
    } else {
      message = payload
    }
    this.handle(node, eventOfMessage(message, this.clockOf(node)))
  }

  /** Block sync: a node behind a connected peer receives its missing certified blocks in order. */
  private sync(): void {
    for (const node of this.nodes) {
      if (!node.engine) continue
      let best: SimNode | null = null
      for (const peer of this.nodes) {
        if (peer === node || !peer.engine || !this.connected(node.index, peer.index)) continue
        if (peer.blocks.length > (best?.blocks.length ?? node.blocks.length)) best = peer
      }
      if (!best) continue
      const delay = this.prng.range(this.opts.delayMinMs, this.opts.delayMaxMs)
      const from = node.blocks.length
      for (let h = from; h < Math.min(best.blocks.length, from + 32); h++) {
        const { block, certificate } = best.blocks[h]!
        const message: ConsensusMessage = { kind: 'certifiedBlock', block, certificate }
        this.queue.push(this.now + delay, { kind: 'deliver', to: node.index, message })
      }
    }
  }

  // ---- checkers ----------------------------------------------------------------------------

  /** An honest validator never signs two different messages for one (height, round, step). */
  private recordSigned(node: SimNode, message: ConsensusMessage): void {
    if (!this.honest(node)) return
    let key: string
    let value: string
    switch (message.kind) {
      case 'proposal': {
        const p = message.proposal.payload
        key = `${node.index}/proposal/${p.height}/${p.round}`
        value = toHex(p.blockHash)
        break
      }
      case 'vote': {
        const p = message.vote.payload
        key = `${node.index}/${p.type}/${p.height}/${p.round}`
        value = toHex(p.blockHash)
        break
      }
      case 'roundChange': {
        const p = message.roundChange.roundChange.payload
        key = `${node.index}/roundChange/${p.height}/${p.round}`
        value = toHex(roundChangeDigest(p))
        break
      }
      case 'certifiedBlock':
        return
    }
    const before = this.signed.get(key)
    if (before === undefined) this.signed.set(key, value)
    else if (before !== value) this.violation(`node ${node.index} signed conflicting ${key}`)
  }

  private commit(
    node: SimNode,
    block: Block,
    certificate: CommitCertificate,
    updates: readonly ValidatorUpdate[],
  ): void {
    const h = block.header.height
    if (h !== node.blocks.length + 1) {
      this.violation(`node ${node.index} commits ${h} out of order`)
      return
    }
    node.blocks.push({ block, certificate, updates })
    const root = toHex(node.app.commit(block))
    if (!this.honest(node)) return
    const hash = blockHashOf(block.header)
    const agreed = this.agreed[h - 1]
    if (agreed) {
      if (!equalBytes(blockHashOf(agreed.block.header), hash)) {
        this.violation(`agreement: node ${node.index} committed another block at height ${h}`)
        return
      }
      if (this.roots[h - 1] !== root) this.violation(`state root differs at height ${h}`)
      return
    }
    if (h !== this.agreed.length + 1) {
      this.violation(`gap in the agreed chain at ${h}`)
      return
    }
    this.checkValidity(block, certificate)
    for (const problem of node.app.invariantProblems())
      this.violation(`invariant at ${h} on node ${node.index}: ${problem}`)
    this.agreed.push({ block, certificate, updates })
    this.roots.push(root)
    this.sets[h + 2] = applyValidatorUpdates(this.sets[h + 1]!, updates)
  }

  /** Validity: the block extends the agreed chain and its certificate verifies against its set. */
  private checkValidity(block: Block, certificate: CommitCertificate): void {
    const h = block.header.height
    const parent = h === 1 ? this.genesis : this.agreed[h - 2]!.block
    const set = this.sets[h]!
    if (!equalBytes(block.header.parentHash, blockHashOf(parent.header)))
      this.violation(`validity: parent at ${h}`)
    if (block.header.time <= parent.header.time) this.violation(`validity: time at ${h}`)
    if (!equalBytes(block.header.validatorsHash, validatorsHashOf(set)))
      this.violation(`validity: set at ${h}`)
    if (block.txs.some((t) => t[0] === 98 && t[1] === 97 && t[2] === 100))
      this.violation(`validity: bad tx at ${h}`)
    const claim = { chainId: SIM_CHAIN_ID, height: h, blockHash: blockHashOf(block.header) }
    const checked = verifyCertificate(certificate, claim, set, this.crypto.verify)
    if (!checked.ok) this.violation(`validity: certificate at ${h}: ${checked.error.code}`)
  }

  /** Every certificate of every honest store still verifies against the set of its height. */
  private finalChecks(): void {
    for (const node of this.nodes) {
      if (!this.honest(node)) continue
      for (const s of node.blocks) {
        const h = s.block.header.height
        const claim = { chainId: SIM_CHAIN_ID, height: h, blockHash: blockHashOf(s.block.header) }
        const checked = verifyCertificate(s.certificate, claim, this.sets[h]!, this.crypto.verify)
        if (!checked.ok)
          this.violation(`node ${node.index} certificate ${h}: ${checked.error.code}`)
      }
    }
  }

  /** Virtual now (ms since start), for the adversary. */
  get virtualNow(): number {
    return this.now
  }

  /** The engine clock of a node, for the adversary. */
  nodeClock(node: SimNode): bigint {
    return this.clockOf(node)
  }
}
