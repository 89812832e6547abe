/**
 * The running node: the composition root that opens the ledger, restores the state, and wires the
 * consensus driver, the mempool, the libp2p transport and the HTTP API. Spec: SPEC.md sections 5, 8,
 * 9 and 11; docs/operations.md. Real clock and timers live here and in the driver, never in the core.
 */
import type { StateReader } from '../core/state.ts'
import { authorizationPrecheck } from './mempool-precheck.ts'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { buildApi } from '../api/build-api.ts'
import { EventHub, type EventLimits } from '../api/events.ts'
import {
  buildGenesis,
  buildGenesisBlock,
  ChainApp,
  toConsensusUpdates,
  type ChainExecution,
} from '../chain/index.ts'
import { Consensus } from '../consensus/consensus.ts'
import { blockHashOf, decodeConsensusMessage } from '../consensus/messages.ts'
import { eventOfMessage } from '../consensus/consensus.ts'
import type { Block, CommitCertificate, Validator } from '../core/block.ts'
import type { KeyPair } from '../client/keys.ts'
import { signDigest } from '../crypto/secp256k1.ts'
import { keys } from '../vm/keys.ts'
import { Ledger } from '../ledger/ledger.ts'
import { openLevelKvStore } from '../ledger/kv-level.ts'
import { FileCommitWitness } from '../ledger/witness.ts'
import type { ComputeStateRoot } from '../ledger/integrity.ts'
import { startP2p, type P2pNode } from '../p2p/index.ts'
import { buildTree, type StateTree } from '../state/tree.ts'
import { assert } from '../util/assert.ts'
import { equalBytes, fromHex, isHex, toHex } from '../util/bytes.ts'
import { NodeError } from '../util/errors.ts'
import type { Result } from '../util/result.ts'
import type { Genesis } from '../vm/genesis.ts'
import { MemoryState } from '../vm/memory-state.ts'
import { apiUrlOf, type NodeConfig } from './config.ts'
import { ConsensusDriver } from './driver.ts'
import { deriveIndexEntries } from './index-entries.ts'
import { ledgerEventSource } from './event-source.ts'
import { buildNodeMetrics, NodeTimings } from './metrics.ts'
import { currentThreadId, readThreadCpu } from './thread-cpu.ts'
import { Mempool, MEMPOOL_VERIFY_BATCH_MAX } from './mempool.ts'
import { verifyConsensusDigest, VerifierPool } from './verifier.ts'
import { gossipIntake, preverifyBlockTxs, Submitter, type SubmitterIo } from './tx-intake.ts'
import { DecodedTxCache } from './decoded-txs.ts'
import { WalStore } from './wal-store.ts'
import {
  BlockSyncer,
  buildSyncHandler,
  REAL_SYNC_TIMERS,
  syncSourceOfLedger,
  type SyncEntry,
} from './sync.ts'
import {
  CONSENSUS_PENALTY_MALFORMED,
  CONSENSUS_PENALTY_UNAUTHENTIC,
  certifies,
  checkConsensusFrame,
  PreverifyGate,
  type EngineView,
} from './consensus-frames.ts'
import type { WalRecord } from '../consensus/wal.ts'
import type { ConsensusEvent } from '../consensus/types.ts'
import { BLOCK_BYTES_MAX } from '../core/block.ts'
import { NodeReadModel } from './read-model.ts'
import type { ValidatorSetEntry } from '../ledger/commit.ts'
import {
  admittedKeys,
  advanceValidatorSets,
  restoreValidatorSets,
  sameKeys,
  storedValidatorSets,
  validatorSetEntry,
  type ValidatorSets,
} from './validator-sets.ts'

/** What `startNode` needs. */
export interface NodeOptions {
  readonly config: NodeConfig
  readonly genesis: Genesis
  readonly key: KeyPair
  readonly log: Logger
  /** Verifier worker threads; default `config.verifier.workers`. */
  readonly verifierWorkers?: number
  /** Round-0 wait after a block before the next proposal (default: `consensus.blockIntervalMs`). */
  readonly blockIntervalMs?: number
  /** API request rate per client address (default: buildApi's 600 per minute); benches raise it. */
  readonly apiRateLimit?: { readonly max: number; readonly timeWindowMs: number }
  /** Folder of the built web console to serve at `/console/` (none: not served). */
  readonly consoleDir?: string
}

/** A committed block as the node reports it to listeners (SSE, tests). */
export interface CommittedBlock {
  readonly height: number
  readonly blockHash: string
  readonly stateRoot: string
  readonly txIds: readonly string[]
}

/** Restored chain state after opening the ledger. */
interface Restored {
  readonly state: MemoryState
  readonly tree: StateTree
  readonly lastBlock: Block
  readonly lastCertificate: CommitCertificate | null
  readonly sets: ValidatorSets
  readonly genesisBlock: Block
}

/** The state and tree that the ledger's integrity check built from the stored state at open. */
interface LoadedState {
  readonly state: MemoryState
  readonly tree: StateTree
}

/**
 * The ledger's `computeStateRoot` for a node: builds the in-memory state and the tree from the
 * stored entries, and keeps both for `resume`, so a restart reads and hashes the state once.
 */
function stateLoader(): { computeStateRoot: ComputeStateRoot; take(): LoadedState | null } {
  let loaded: LoadedState | null = null
  return {
    computeStateRoot(entries) {
      const state = new MemoryState()
      state.apply(entries)
      const tree = buildTree(entries)
      loaded = { state, tree }
      return tree.root()
    },
    take() {
      const taken = loaded
      loaded = null
      return taken
    },
  }
}

async function initGenesis(ledger: Ledger, genesis: Genesis): Promise<Restored> {
  const g = buildGenesis(genesis)
  if (!g.ok) throw new NodeError('GENESIS_INVALID', g.error.message)
  await ledger.initGenesis({
    genesisHash: blockHashOf(g.value.block.header),
    writeSet: g.value.writeSet,
    stateRoot: g.value.tree.root(),
    validatorSets: [validatorSetEntry(g.value.validators)],
  })
  return {
    state: g.value.state,
    tree: g.value.tree,
    lastBlock: g.value.block,
    lastCertificate: null,
    sets: genesisSets(g.value.validators),
    genesisBlock: g.value.block,
  }
}

/** The genesis block of `genesis` and its validators, for a store past genesis. */
function genesisBlockOf(genesis: Genesis): { block: Block; validators: readonly Validator[] } {
  const g = buildGenesisBlock(genesis)
  if (!g.ok) throw new NodeError('GENESIS_INVALID', g.error.message)
  return g.value
}

/**
 * Resumes a store past genesis from `loaded` (what the integrity check built). The store must come
 * from the same genesis: the head's hash at height 0, else block 1's parent hash, is the hash of
 * `known.block`.
 */
async function resume(
  ledger: Ledger,
  known: ReturnType<typeof genesisBlockOf>,
  loaded: LoadedState | null,
): Promise<Restored> {
  const head = ledger.head
  assert(head !== null && loaded !== null, 'a store with a head opens with its state loaded')
  const first = head.height === 0 ? null : await ledger.loadBlock(1)
  const stored0 = head.height === 0 ? head.blockHash : first?.block.header.parentHash
  if (!stored0 || !equalBytes(stored0, blockHashOf(known.block.header))) {
    throw new NodeError('GENESIS_MISMATCH', 'the store was created from a different genesis')
  }
  const { state, tree } = loaded
  assert(equalBytes(tree.root(), head.stateRoot), 'restored state root matches the head')
  const base = { state, tree, genesisBlock: known.block }
  if (head.height === 0) {
    const sets = genesisSets(known.validators)
    return { ...base, lastBlock: known.block, lastCertificate: null, sets }
  }
  // At height 1 the head block is the one read for the genesis check.
  const stored = head.height === 1 ? first : await ledger.loadBlock(head.height)
  const certificate = await ledger.loadCertificate(head.height)
  if (!stored || !certificate)
    throw new NodeError('LEDGER_HEAD_MISMATCH', `block ${head.height} missing`)
  return {
    ...base,
    lastBlock: stored.block,
    lastCertificate: certificate,
    sets: await restoreValidatorSets((h) => ledger.loadReceipts(h), state, stored.block.header),
  }
}

function genesisSets(validators: readonly Validator[]): ValidatorSets {
  return { last: validators, current: validators, next: validators }
}

/** Parses `p2p.peers` entries of the form `<publicKeyHex>@<multiaddr>`. */
export function parsePeers(
  entries: readonly string[],
): { publicKey: Uint8Array; multiaddr: string }[] {
  return entries.map((entry) => {
    const [hex, address] = entry.split('@')
    if (!hex || !address || !isHex(hex) || hex.length !== 66) {
      throw new NodeError(
        'CONFIG_INVALID',
        `p2p.peers entry ${entry} is not <publicKeyHex>@<multiaddr>`,
      )
    }
    return { publicKey: fromHex(hex), multiaddr: address }
  })
}

/** A running node. */
export class PointsNode {
  readonly api: FastifyInstance
  readonly p2p: P2pNode
  readonly ledger: Ledger
  readonly mempool: Mempool
  readonly #driver: ConsensusDriver
  readonly #closers: (() => Promise<void>)[]
  #stopping: Promise<void> | null = null
  readonly #listeners = new Set<(block: CommittedBlock) => void>()
  readonly #submit: (
    bytes: Uint8Array,
  ) => Promise<Result<{ txId: Uint8Array }, { code: string; message: string }>>
  #height: number
  apiUrl = ''

  /** @internal Use `PointsNode.start`. */
  constructor(parts: {
    api: FastifyInstance
    p2p: P2pNode
    ledger: Ledger
    mempool: Mempool
    driver: ConsensusDriver
    closers: (() => Promise<void>)[]
    height: number
    submit: (
      bytes: Uint8Array,
    ) => Promise<Result<{ txId: Uint8Array }, { code: string; message: string }>>
  }) {
    this.#submit = parts.submit
    this.api = parts.api
    this.p2p = parts.p2p
    this.ledger = parts.ledger
    this.mempool = parts.mempool
    this.#driver = parts.driver
    this.#closers = parts.closers
    this.#height = parts.height
  }

  /** Admits a signed tx as the HTTP API does (mempool, gossip, wake the proposer). */
  submit(
    signedBytes: Uint8Array,
  ): Promise<Result<{ txId: Uint8Array }, { code: string; message: string }>> {
    return this.#submit(signedBytes)
  }

  /** The committed height. */
  get height(): number {
    return this.#height
  }

  /** Subscribes to committed blocks; returns the unsubscribe function. */
  onCommitted(listener: (block: CommittedBlock) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /**
   * Stops the API, the transport and consensus, then closes the stores (finishing a commit in
   * progress). Idempotent: a second call (e.g. a fatal failure while stopping) waits for the first.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stopOnce()
    return this.#stopping
  }

  async #stopOnce(): Promise<void> {
    await this.api.close()
    await this.#driver.stop()
    await this.p2p.stop()
    for (const close of [...this.#closers].reverse()) await close()
  }

  /** Starts a node from its configuration, genesis and key. */
  static async start(options: NodeOptions): Promise<PointsNode> {
    return startNode(options)
  }

  /** @internal Called by the driver's commit path. */
  notify(height: number, block: CommittedBlock): void {
    this.#height = height
    for (const listener of this.#listeners) listener(block)
  }
}

/** Mutable facts of a running node, shared by its parts. */
interface Status {
  height: number
  lastHash: Uint8Array
  /** State root at `height` (the app's root moves ahead while a commit is being written). */
  stateRoot: Uint8Array
  p2p: P2pNode | null
  node: PointsNode | null
  syncer: BlockSyncer | null
  committedTxs: number
  /** Tx signatures of proposed or synced blocks verified here (not verified at the door). */
  blockSignaturesVerified: number
  /** The validator sets around the committed head (advanced on every commit). */
  sets: ValidatorSets
  /** Configured observer keys, admitted besides the validators. */
  readonly observers: readonly Uint8Array[]
}

/**
 * Moves the node to the validator sets after a committed block and, when the admitted keys change,
 * updates the connection gater (new validators may connect; removed ones are disconnected).
 */
function onValidatorSets(status: Status, sets: ValidatorSets, log: Logger): void {
  const before = admittedKeys(status.sets, status.observers)
  status.sets = sets
  const after = admittedKeys(status.sets, status.observers)
  if (sameKeys(before, after)) return
  log.info({ height: status.height, admitted: after.map(toHex) }, 'validator set changed')
  void status.p2p?.setAllowedPeers(after).catch((error: unknown) => {
    log.error({ err: error }, 'gater update failed')
  })
}

/** Stores and state opened at start. */
interface Opened {
  readonly ledger: Ledger
  readonly wal: WalStore
  readonly walRecords: WalRecord[]
  readonly pool: VerifierPool
  /** Decoded txs by bytes: each tx is decoded once per node (mempool, proposal, execution). */
  readonly decoded: DecodedTxCache
  readonly restored: Restored
  readonly closers: (() => Promise<void>)[]
}

/**
 * What the node's parts see of its options: everything but the genesis document, which is read once
 * at start-up (`openStores`). A closure that kept it would keep a 1 M-balance genesis (~320 MB of
 * heap) alive for the life of the node.
 */
type RunOptions = Omit<NodeOptions, 'genesis'>

async function openStores(options: RunOptions, genesis: Genesis): Promise<Opened> {
  const dataDir = join(options.config.home, 'data')
  mkdirSync(dataDir, { recursive: true })
  const closers: (() => Promise<void>)[] = []
  try {
    const kv = await openLevelKvStore(join(dataDir, 'ledger'))
    closers.push(() => kv.close())
    // A restart computes the genesis block before the integrity check loads the stored state, so
    // the transient write set and tree of a large genesis are gone before the state is built.
    const known = (await Ledger.hasHead(kv)) ? genesisBlockOf(genesis) : null
    const loader = stateLoader()
    const ledger = await Ledger.open(kv, {
      computeStateRoot: loader.computeStateRoot,
      witness: new FileCommitWitness(join(dataDir, 'ledger.witness')),
      onWarning: (warning) => {
        options.log.warn({ code: warning.code }, warning.message)
      },
    })
    const restored =
      known === null
        ? await initGenesis(ledger, genesis)
        : await resume(ledger, known, loader.take())
    const { wal, records } = await WalStore.open(await openLevelKvStore(join(dataDir, 'wal')))
    closers.push(() => wal.close())
    const pool = new VerifierPool(options.verifierWorkers ?? options.config.verifier.workers)
    closers.push(() => pool.close())
    const decoded = new DecodedTxCache()
    return { ledger, wal, walRecords: records, pool, decoded, restored, closers }
  } catch (error) {
    // A refused start (wrong genesis, corrupt store) releases the store's lock before it reports.
    await unwind(closers.reverse(), options.log)
    throw error
  }
}

/**
 * Runs the stop and close steps of a failed start in the given order. A step that fails is logged
 * and the rest still run, so the error reported is the one that made the start fail.
 */
async function unwind(
  steps: readonly (() => Promise<void>)[],
  log: RunOptions['log'],
): Promise<void> {
  for (const step of steps) {
    await step().catch((cause: unknown) => {
      log.warn({ err: cause }, 'stopping a part of a failed start')
    })
  }
}

/** The chain app over the restored state; proposals take their txs from `mempool`. */
function buildChainApp(config: NodeConfig, opened: Opened, mempool: Mempool, height: number) {
  const { restored } = opened
  return new ChainApp(config.chainId, restored.state, restored.tree, height, {
    selectTxs: (h) =>
      mempool.take(config.consensus.proposalTxsMax, BLOCK_BYTES_MAX / 2, h).map((p) => p.signed),
    isVerified: (txId, signature) => mempool.isVerified(txId, signature),
    decodeTx: opened.decoded.decode,
  })
}

/**
 * The driver's `prepare`: only a block authenticated before it was queued, and still of use to the
 * engine, has its tx signatures verified ahead (docs/protocol/p2p.md#consensus-frames).
 */
function preverifier(
  gate: PreverifyGate,
  engine: EngineView,
  mempool: Mempool,
  opened: Opened,
  status: Status,
): (event: ConsensusEvent) => Promise<void> {
  return async (event) => {
    if (!gate.admit(event, engine)) return
    const { pool, decoded } = opened
    const verified = await preverifyBlockTxs(event, mempool, pool, decoded.decode, status.height)
    status.blockSignaturesVerified += verified
  }
}

/** A fatal failure's handler: logs it, sets exit code 1 and stops the node. */
function stopOnFatal(log: Logger, status: Status, message: string): (error: unknown) => void {
  return (error) => {
    log.fatal({ err: error }, message)
    process.exitCode = 1
    void status.node?.stop()
  }
}

function buildDriver(
  options: RunOptions,
  opened: Opened,
  mempool: Mempool,
  status: Status,
  timings: NodeTimings,
) {
  const { config, key, log } = options
  const { restored, ledger } = opened
  const app = buildChainApp(config, opened, mempool, status.height)
  const engine = new Consensus({
    chainId: config.chainId,
    signer: { publicKey: key.publicKey, signDigest: (d) => signDigest(d, key.secretKey) },
    verify: verifyConsensusDigest,
    app,
    timeouts: {
      roundBaseMs: 2000,
      roundMaxMs: 30_000,
      blockIntervalMs: options.blockIntervalMs ?? config.consensus.blockIntervalMs,
      createEmptyBlocks: true,
    },
    chain: {
      lastBlock: restored.lastBlock,
      lastCertificate: restored.lastCertificate,
      lastValidators: restored.sets.last,
      validators: restored.sets.current,
      nextValidators: restored.sets.next,
    },
    wal: opened.walRecords,
  })
  const gate = new PreverifyGate()
  const driver = new ConsensusDriver(engine, app, opened.wal, {
    timings,
    poolFull: () => mempool.size >= config.consensus.proposalTxsMax,
    broadcast: (bytes) => status.p2p?.broadcast(bytes),
    send: (to, bytes) => status.p2p?.send(to, bytes),
    commit: async (block, certificate, execution) => {
      const sets = advanceValidatorSets(status.sets, toConsensusUpdates(execution.result))
      const stored = storedValidatorSets(status.sets, sets)
      await commitToLedger(ledger, block, certificate, execution, stored)
      status.height = block.header.height
      status.lastHash = execution.blockHash
      status.committedTxs += execution.txs.length
      status.stateRoot = execution.tree.root()
      opened.decoded.forget(block.txs)
      mempool.onCommitted(
        execution.txs.map((t) => t.txId),
        status.height + 1,
      )
      onValidatorSets(status, sets, log)
      status.node?.notify(status.height, {
        height: status.height,
        blockHash: toHex(execution.blockHash),
        stateRoot: toHex(execution.tree.root()),
        txIds: execution.txs.map((t) => toHex(t.txId)),
      })
    },
    prepare: preverifier(gate, engine, mempool, opened, status),
    fail: stopOnFatal(log, status, 'consensus driver failed; stopping'),
  })
  return { app, driver, engine, gate }
}

/** What the handling of consensus frames and synced blocks works with. */
interface FrameParts {
  readonly chainId: string
  readonly driver: ConsensusDriver
  readonly engine: EngineView
  readonly gate: PreverifyGate
  readonly status: Status
}

/**
 * A consensus frame from a peer: decoded, checked (`checkConsensusFrame`; a frame that fails
 * costs its sender points), an authenticated head claim passed to the syncer, and a frame the
 * engine can use queued with its sender and size. Spec: docs/protocol/p2p.md#consensus-frames.
 */
function onConsensusFrame(parts: FrameParts, from: Uint8Array, bytes: Uint8Array): void {
  const { status } = parts
  const decoded = decodeConsensusMessage(bytes)
  if (!decoded.ok) {
    status.p2p?.penalize(from, 'consensus-malformed', CONSENSUS_PENALTY_MALFORMED)
    return
  }
  const verdict = checkConsensusFrame(decoded.value, {
    chainId: parts.chainId,
    engine: parts.engine,
    verify: verifyConsensusDigest,
    localHeight: status.height,
    knownHead: status.syncer?.knownHead(from) ?? -1,
    from,
  })
  if (verdict.action === 'reject') {
    status.p2p?.penalize(from, verdict.reason, CONSENSUS_PENALTY_UNAUTHENTIC)
    return
  }
  // The sender is ahead: fetch the blocks in between.
  if (verdict.head !== null) status.syncer?.onPeerAhead(from, verdict.head)
  if (verdict.action === 'skip') return
  const event = eventOfMessage(decoded.value, 0n)
  if (verdict.authenticated) parts.gate.mark(event)
  parts.driver.enqueue(event, 'peer', { peer: from, bytes: bytes.length })
}

function startTransport(
  options: RunOptions,
  opened: Opened,
  frames: FrameParts,
  mempool: Mempool,
  intake: Pick<SubmitterIo, 'nextHeight' | 'txsAvailable'>,
) {
  const { status } = frames
  return startP2p({
    secretKey: options.key.secretKey,
    listen: [options.config.p2p.listen],
    knownPeers: parsePeers(options.config.p2p.peers),
    allowedPublicKeys: admittedKeys(status.sets, status.observers),
    handlers: {
      onConsensusMessage: (from, bytes) => {
        onConsensusFrame(frames, from, bytes)
      },
      onSyncRequest: buildSyncHandler(syncSourceOfLedger(opened.ledger)),
      onTxs: gossipIntake(mempool, intake),
    },
  })
}

/**
 * The syncer's `deliver`: a block above the committed height goes to the engine only if its
 * certificate verifies against the set of its height (else it is refused at once, and its tx
 * signatures are not verified); the answer is the engine's outcome for that very event, however
 * long the driver's queue ahead of it takes (`null`: the driver stopped, outcome unknown).
 */
async function deliverSynced(parts: FrameParts, entry: SyncEntry): Promise<boolean | null> {
  const { block, certificate } = entry
  const { status, engine } = parts
  const target = block.header.height
  if (status.height >= target) return true
  const set = engine.validatorsAt(target)
  if (set === null || !certifies(block, certificate, set, parts.chainId, verifyConsensusDigest)) {
    return false
  }
  const event = { type: 'certifiedBlock', block, certificate, now: 0n } as const
  parts.gate.mark(event)
  // The node asked for this block (one at a time): it is not a peer frame, never dropped.
  const outcome = await parts.driver.handleSyncedBlock(event)
  return outcome === 'stopped' ? null : outcome === 'applied'
}

function buildSyncer(p2p: P2pNode, frames: FrameParts, log: Logger): BlockSyncer {
  const { status } = frames
  return new BlockSyncer({
    request: (peer, bytes) => p2p.request(peer, bytes),
    peers: () =>
      p2p
        .peers()
        .filter((p) => p.connected && !p.banned)
        .map((p) => p.publicKey),
    localHeight: () => status.height,
    deliver: (entry) => deliverSynced(frames, entry),
    penalize: (peer, reason, points) => {
      p2p.penalize(peer, reason, points)
    },
    timers: REAL_SYNC_TIMERS,
    onError: (error) => {
      log.error({ err: error }, 'block sync failed')
    },
  })
}

/** The SSE hub over the ledger's blocks and the node's commits. */
function eventHubOf(ledger: Ledger, status: Status, limits: Partial<EventLimits>): EventHub {
  return new EventHub(
    ledgerEventSource(
      ledger,
      () => status.height,
      (listener) => {
        assert(status.node, 'event subscribers arrive after the node started')
        return status.node.onCommitted((block) => {
          listener(block.height)
        })
      },
    ),
    limits,
  )
}

function buildHttp(
  options: RunOptions,
  parts: {
    app: ChainApp
    driver: ConsensusDriver
    mempool: Mempool
    status: Status
    submitter: Submitter
    timings: NodeTimings
  },
  opened: Opened,
) {
  const { config } = options
  const { app, driver, mempool, status, timings } = parts
  const events = eventHubOf(opened.ledger, status, {
    subscribersPerClientMax: config.api.eventSubscribersPerClientMax,
  })
  // The thread that builds the node runs its event loop.
  const mainTid = currentThreadId()
  return buildApi({
    chainId: config.chainId,
    corsOrigins: config.api.corsOrigins,
    trustProxy: config.api.trustProxy,
    rateLimit: options.apiRateLimit ?? {
      max: config.api.rateLimitPerMinute,
      timeWindowMs: 60_000,
    },
    events,
    metrics: buildNodeMetrics(
      {
        height: () => status.height,
        roundChanges: () => driver.roundChanges,
        mempoolTxs: () => mempool.size,
        committedTxs: () => status.committedTxs,
        verifyQueue: () => mempool.stats().pending,
        peers: () => status.p2p?.peers().filter((p) => p.connected).length ?? 0,
        eventSubscribers: () => events.stats().subscribers,
        p2pStats: () => status.p2p?.stats() ?? null,
        threadCpu: () =>
          mainTid === null ? null : readThreadCpu(mainTid, opened.pool.threadIds()),
        mempoolStats: () => mempool.stats(),
        busyRefusals: () => parts.submitter.busyRefusals,
        decodedTxs: () => ({ hits: opened.decoded.hits, misses: opened.decoded.misses }),
        blockSignaturesVerified: () => status.blockSignaturesVerified,
      },
      timings,
    ),
    ...(options.consoleDir !== undefined ? { consoleDir: options.consoleDir } : {}),
    health: () => ({
      height: status.height,
      inSync: !(status.syncer?.isBehind() ?? false),
      chainId: config.chainId,
      peers: status.p2p?.peers().filter((p) => p.connected).length ?? 0,
      blockHash: toHex(status.lastHash),
      stateRoot: toHex(status.stateRoot),
      mempoolTxs: mempool.size,
    }),
    submitTx: parts.submitter.submit,
    submitBusy: parts.submitter.requestBusy,
    read: new NodeReadModel({
      ledger: opened.ledger,
      chain: app,
      genesisBlock: opened.restored.genesisBlock,
    }),
  })
}

/** The node's mempool over the committed state (read lazily: the chain app is built after it). */
function buildMempool(
  chainId: string,
  opened: Opened,
  committed: () => StateReader | null,
): Mempool {
  return new Mempool({
    chainId,
    verifier: opened.pool,
    decode: opened.decoded.decode,
    // The replay index of the committed state holds every committed tx that is still valid.
    isCommitted: (txId, expiresAtHeight) =>
      committed()?.get(keys.txId(expiresAtHeight, txId)) !== undefined,
    precheck: authorizationPrecheck(chainId, committed, () => BigInt(Date.now())),
    // Two batches per worker: one being verified, one waiting (MEMPOOL_VERIFY_WINDOW_DEFAULT).
    verifyWindow: 2 * MEMPOOL_VERIFY_BATCH_MAX * opened.pool.size,
  })
}

async function startNode(nodeOptions: NodeOptions): Promise<PointsNode> {
  const { genesis, ...options } = nodeOptions
  if (options.config.chainId !== genesis.chainId) {
    throw new NodeError(
      'CONFIG_INVALID',
      `config chainId ${options.config.chainId} differs from genesis ${genesis.chainId}`,
    )
  }
  const opened = await openStores(options, genesis)
  // What is started after the stores, stopped in reverse if a later step fails (a p2p or API
  // address in use, say): an embedder that catches the error keeps no listener, worker or lock.
  const started: (() => Promise<void>)[] = []
  try {
    return await startServices(options, opened, started)
  } catch (error) {
    await unwind([...started.reverse(), ...opened.closers.reverse()], options.log)
    throw error
  }
}

async function startServices(
  options: RunOptions,
  opened: Opened,
  started: (() => Promise<void>)[],
): Promise<PointsNode> {
  const { config, log } = options
  const { restored, ledger } = opened
  const status: Status = {
    height: restored.lastBlock.header.height,
    lastHash: blockHashOf(restored.lastBlock.header),
    stateRoot: restored.tree.root(),
    p2p: null,
    node: null,
    syncer: null,
    committedTxs: 0,
    blockSignaturesVerified: 0,
    sets: restored.sets,
    observers: config.p2p.observers.map((hex) => fromHex(hex)),
  }
  let committedState: StateReader | null = null
  const mempool = buildMempool(config.chainId, opened, () => committedState)
  const timings = new NodeTimings()
  const { app, driver, engine, gate } = buildDriver(options, opened, mempool, status, timings)
  // A dead verifier worker fails every verification from then on: stop now (ADR 0075 addendum).
  opened.pool.onFailure(stopOnFatal(log, status, 'signature verifier failed; stopping'))
  committedState = app.state
  // Txs from HTTP and from gossip are checked against the same height and wake consensus alike.
  const intake = {
    nextHeight: () => status.height + 1,
    txsAvailable: () => {
      driver.enqueue({ type: 'txsAvailable', now: 0n })
    },
  }
  const frames: FrameParts = { chainId: config.chainId, driver, engine, gate, status }
  const p2p = await startTransport(options, opened, frames, mempool, intake)
  started.push(() => p2p.stop())
  status.p2p = p2p
  // The door's bound follows the mempool's window, which follows the verifier pool (ADR 0078).
  const submitter = new Submitter(mempool, {
    ...intake,
    publish: (txs) => status.p2p?.publishTxs(txs),
  })
  const parts = { app, driver, mempool, status, submitter, timings }
  const api = await buildHttp(options, parts, opened)
  started.push(() => api.close())
  const node = new PointsNode({
    submit: submitter.submit,
    api,
    p2p,
    ledger,
    mempool,
    driver,
    closers: opened.closers,
    height: status.height,
  })
  status.node = node
  await api.listen({ host: config.api.host, port: config.api.port })
  const address = api.server.address()
  const port = typeof address === 'object' && address ? address.port : config.api.port
  node.apiUrl = apiUrlOf(config.api.host, port)
  driver.enqueue({ type: 'start', now: 0n })
  started.push(() => driver.stop())
  const syncer = buildSyncer(p2p, frames, log)
  status.syncer = syncer
  opened.closers.push(() => {
    syncer.stop()
    return Promise.resolve()
  })
  syncer.start()
  log.info({ height: status.height, apiUrl: node.apiUrl, p2p: p2p.multiaddrs() }, 'node started')
  return node
}

async function commitToLedger(
  ledger: Ledger,
  block: Block,
  certificate: CommitCertificate,
  execution: ChainExecution,
  validatorSets: readonly ValidatorSetEntry[],
): Promise<void> {
  await ledger.commitBlock({
    validatorSets,
    block,
    certificate,
    writeSet: execution.result.writeSet,
    burns: execution.result.burns,
    receipts: execution.receipts,
    indexEntries: deriveIndexEntries(block.header, execution),
    txIds: execution.txs.map((t) => t.txId),
  })
}
