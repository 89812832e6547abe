/**
 * Block catch-up (sync) for the running node: the responder side (`buildSyncHandler`, answers
 * `/pointsnode/sync/1` requests from a block source such as the ledger) and the requester side
 * (`BlockSyncer`, fetches missing blocks with their certificates from peers and hands them, in
 * height order, to the node, which turns them into `certifiedBlock` events for the engine).
 * Spec: SPEC.md sections 5 (Sync) and 8; docs/protocol/p2p.md#block-sync.
 *
 * The syncer checks only what is cheap (decoding, heights, contiguity, parent links, that each
 * certificate names its block's hash, count bounds) and penalises peers that send garbage. The
 * node verifies each certificate's signatures against the validator set before the block reaches
 * the engine (`deliver`), and the engine again before applying it (consensus.ts
 * `onCertifiedBlock`); a block refused there also costs the sender a penalty. A peer's claim to
 * be ahead that a request to it does not bear out (the request fails) is dropped.
 * src/node is the only layer that sees both the ledger and the p2p layer; this file imports
 * neither's implementation, only types and the sync wire codec.
 */
import type { BlockHeader } from '../core/block.ts'
import { HEIGHT_MAX } from '../core/limits.ts'
import type { Ledger } from '../ledger/ledger.ts'
import { blockHashOf } from '../consensus/messages.ts'
import {
  SYNC_BLOCKS_PER_RESPONSE_MAX,
  SYNC_RESPONSE_OVERHEAD_BYTES,
  decodeSyncRequest,
  decodeSyncResponse,
  encodeSyncRequest,
  encodeSyncResponse,
  syncEntryBytes,
  type SyncDecodeError,
  type SyncEntry,
  type SyncResponse,
} from '../p2p/sync-messages.ts'
import { SYNC_RESPONSE_BYTES_MAX } from '../p2p/limits.ts'
import { assert } from '../util/assert.ts'
import { equalBytes, toHex } from '../util/bytes.ts'
import { err, ok, type Result } from '../util/result.ts'

/** Re-exported: the unit the syncer delivers and the source loads. */
export type { SyncEntry } from '../p2p/sync-messages.ts'

// ---- responder -----------------------------------------------------------------------------

/** Where the responder reads committed blocks (the ledger, or an in-memory list in tests). */
export interface SyncSource {
  /** The last committed height (0 when only genesis exists). */
  head(): number
  /** The block at `height` (≥ 1) with its certificate, or undefined when not stored. */
  load(height: number): SyncEntry | undefined | Promise<SyncEntry | undefined>
}

/** Options of `buildSyncHandler`. */
export interface SyncHandlerOptions {
  /** Most blocks per response (at most SYNC_BLOCKS_PER_RESPONSE_MAX, the default). */
  readonly blocksPerResponseMax?: number
  /** Called for a request that does not decode (the node penalises the sender). */
  readonly onMalformedRequest?: (from: Uint8Array, error: SyncDecodeError) => void
}

/**
 * Builds the `onSyncRequest` handler of the p2p layer. It answers with its head height and the
 * consecutive blocks it has from `fromHeight` on, at most the requested count, the configured count
 * and what fits into SYNC_RESPONSE_BYTES_MAX; a malformed request gets an empty response.
 */
export function buildSyncHandler(
  source: SyncSource,
  options: SyncHandlerOptions = {},
): (from: Uint8Array, bytes: Uint8Array) => Promise<Uint8Array> {
  const countLimit = options.blocksPerResponseMax ?? SYNC_BLOCKS_PER_RESPONSE_MAX
  assert(countLimit >= 1 && countLimit <= SYNC_BLOCKS_PER_RESPONSE_MAX, `count ${countLimit}`)
  return async (from, bytes) => {
    const headHeight = source.head()
    const decoded = decodeSyncRequest(bytes)
    if (!decoded.ok) {
      options.onMalformedRequest?.(from, decoded.error)
      return encodeSyncResponse({ version: 1, headHeight, entries: [] })
    }
    const { fromHeight, countMax } = decoded.value
    const last = Math.min(headHeight, fromHeight + Math.min(countMax, countLimit) - 1)
    const entries: SyncEntry[] = []
    let size = SYNC_RESPONSE_OVERHEAD_BYTES
    for (let height = fromHeight; height <= last; height++) {
      const entry = await source.load(height)
      if (!entry) break
      assert(entry.block.header.height === height, `source gave block ${entry.block.header.height}`)
      size += syncEntryBytes(entry)
      if (size > SYNC_RESPONSE_BYTES_MAX) break
      entries.push(entry)
    }
    // A block of up to BLOCK_BYTES_MAX with its certificate always fits: progress is guaranteed.
    if (fromHeight <= headHeight) assert(entries.length > 0 || last < fromHeight, 'serves one')
    return encodeSyncResponse({ version: 1, headHeight, entries })
  }
}

/** What `syncSourceOfLedger` reads from the ledger. */
export type LedgerSyncView = Pick<Ledger, 'head' | 'loadBlock' | 'loadCertificate'>

/**
 * A `SyncSource` over the node's ledger: its head height and, per height, the stored block with its
 * certificate (both checked against the recomputed block hash by the ledger on load).
 * @throws {NodeError} from `load` when the store is corrupt (the ledger's `LEDGER_*` codes).
 */
export function syncSourceOfLedger(ledger: LedgerSyncView): SyncSource {
  return {
    head: () => ledger.head?.height ?? 0,
    load: async (height) => {
      const stored = await ledger.loadBlock(height)
      if (!stored) return undefined
      const certificate = await ledger.loadCertificate(height)
      return certificate ? { block: stored.block, certificate } : undefined
    },
  }
}

// ---- response checks -----------------------------------------------------------------------

/** Why a decoded response was refused by the structural checks. */
export interface SyncCheckError {
  readonly code:
    | 'SYNC_TOO_MANY_BLOCKS'
    | 'SYNC_NOT_CONTIGUOUS'
    | 'SYNC_CERTIFICATE_MISMATCH'
    | 'SYNC_HEAD_INCONSISTENT'
    | 'SYNC_WITHHELD'
  readonly message: string
  /** Index of the offending entry, when one is to blame. */
  readonly index?: number
}

function checkEntry(entry: SyncEntry, height: number, previous: BlockHeader | null, index: number) {
  const { header } = entry.block
  if (header.height !== height) {
    const message = `entry ${index}: block height ${header.height}, expected ${height}`
    return err<SyncCheckError>({ code: 'SYNC_NOT_CONTIGUOUS', message, index })
  }
  if (previous && !equalBytes(header.parentHash, blockHashOf(previous))) {
    const message = `entry ${index}: parent hash is not the hash of block ${height - 1}`
    return err<SyncCheckError>({ code: 'SYNC_NOT_CONTIGUOUS', message, index })
  }
  const { certificate } = entry
  if (certificate.height !== height) {
    const message = `entry ${index}: certificate height ${certificate.height}, block ${height}`
    return err<SyncCheckError>({ code: 'SYNC_CERTIFICATE_MISMATCH', message, index })
  }
  if (!equalBytes(certificate.blockHash, blockHashOf(header))) {
    const message = `entry ${index}: certificate names another block hash`
    return err<SyncCheckError>({ code: 'SYNC_CERTIFICATE_MISMATCH', message, index })
  }
  return ok(undefined)
}

/**
 * The structural checks of a response to a request for `countMax` blocks from `fromHeight`:
 * count bound, consecutive heights from `fromHeight`, parent links between the entries, each
 * certificate's height and block hash, a head height covering the entries, and at least one block
 * when the claimed head reaches `fromHeight`. Certificate signatures are not checked here.
 */
export function checkSyncResponse(
  fromHeight: number,
  countMax: number,
  response: SyncResponse,
): Result<void, SyncCheckError> {
  assert(fromHeight >= 1 && countMax >= 1, `request ${fromHeight}/${countMax}`)
  const { entries, headHeight } = response
  if (entries.length > countMax) {
    const message = `${entries.length} blocks, asked for at most ${countMax}`
    return err({ code: 'SYNC_TOO_MANY_BLOCKS', message })
  }
  let previous: BlockHeader | null = null
  for (let i = 0; i < entries.length; i++) {
    const checked = checkEntry(entries[i]!, fromHeight + i, previous, i)
    if (!checked.ok) return checked
    previous = entries[i]!.block.header
  }
  const lastHeight = fromHeight + entries.length - 1
  if (entries.length > 0 && headHeight < lastHeight) {
    const message = `head ${headHeight} below the last block sent, ${lastHeight}`
    return err({ code: 'SYNC_HEAD_INCONSISTENT', message })
  }
  if (entries.length === 0 && headHeight >= fromHeight) {
    const message = `claims head ${headHeight} but sent no block from ${fromHeight}`
    return err({ code: 'SYNC_WITHHELD', message })
  }
  return ok(undefined)
}

// ---- requester -----------------------------------------------------------------------------

/** Penalty for a response that does not decode. */
export const SYNC_PENALTY_MALFORMED = 30
/** Penalty for a response that fails the structural checks. */
export const SYNC_PENALTY_INVALID = 40
/** Penalty for a block the engine refused (bad certificate, wrong parent, invalid block). */
export const SYNC_PENALTY_REJECTED = 40
/** Most peers whose head the syncer remembers (at least PEER_COUNT_MAX of the p2p layer). */
export const SYNC_KNOWN_HEADS_MAX = 256
/** Default interval of the poll while the node is behind and the last attempt made no progress. */
export const SYNC_POLL_INTERVAL_MS_DEFAULT = 1_000

/** Timers, injected so that tests control time. */
export interface SyncTimers {
  /** Runs `callback` once after `delayMs`; returns a function that cancels it. */
  setTimer(delayMs: number, callback: () => void): () => void
}

/** Real timers for production. */
export const REAL_SYNC_TIMERS: SyncTimers = {
  setTimer(delayMs, callback) {
    const handle = setTimeout(callback, delayMs)
    return () => {
      clearTimeout(handle)
    }
  },
}

/** A failed request, as the transport reports it (`P2P_TIMEOUT`, `P2P_UNAVAILABLE`, ...). */
export interface SyncRequestFailure {
  readonly code: string
  readonly message: string
}

/** What the syncer needs from the node. */
export interface BlockSyncerDeps {
  /** Sends one request to a peer (p2p `request`); transport errors are returned, never thrown. */
  request(peer: Uint8Array, bytes: Uint8Array): Promise<Result<Uint8Array, SyncRequestFailure>>
  /** Peers that can be asked now (connected, not banned), by public key. */
  peers(): readonly Uint8Array[]
  /** The node's last committed height. */
  localHeight(): number
  /**
   * Hands one block to the engine as a `certifiedBlock` event. Called in height order, one at a
   * time (awaited). Resolves to whether the block was applied; the syncer penalises the sender of
   * a block that was not applied while the local height stayed below it. `null`: the outcome is
   * unknown (the node is stopping); no penalty, and the rest of the response is not delivered.
   */
  deliver(entry: SyncEntry): boolean | null | Promise<boolean | null>
  /** Subtracts `points` from a peer's score (p2p `penalize`). */
  penalize(peer: Uint8Array, reason: string, points: number): void
  readonly timers: SyncTimers
  /**
   * Receives an error thrown by `deliver` or `request` (a bug or an environmental failure); the
   * syncer stops. Without it the error propagates as an unhandled rejection (the process crashes).
   */
  readonly onError?: (error: unknown) => void
}

/** Options of `BlockSyncer`. */
export interface BlockSyncerOptions {
  /** Blocks asked for per request (default and maximum SYNC_BLOCKS_PER_RESPONSE_MAX). */
  readonly blocksPerRequest?: number
  /** Poll interval while behind (default SYNC_POLL_INTERVAL_MS_DEFAULT). */
  readonly pollIntervalMs?: number
}

/** Counters of the syncer, for metrics. */
export interface BlockSyncerStats {
  requests: number
  requestFailures: number
  blocksDelivered: number
  blocksRejected: number
  badResponses: number
  polls: number
}

/** Outcome of one request. */
type StepOutcome = 'progress' | 'none'

/**
 * Fetches missing blocks from peers, one request in flight at a time, and delivers them in height
 * order. Triggers: `start()` and `probe()` (see `probe`), `onPeerAhead(peer, height)` (a consensus message from a
 * future height) and, while behind after an attempt without progress, a poll every
 * `pollIntervalMs`. A productive response is followed at once by the next request; once the local
 * height reaches the highest head known from the current peers, the syncer stops until triggered.
 * Peers are asked in rotation among those known to be ahead (or, when none is, those whose head is
 * unknown). A peer that sends garbage is penalised and treated as not ahead until it says otherwise.
 * A peer claimed to be ahead whose request fails (timeout, no stream) is, without a penalty,
 * treated as one whose head is unknown: it is probed again at the next poll.
 */
export class BlockSyncer {
  readonly #deps: BlockSyncerDeps
  readonly #blocksPerRequest: number
  readonly #pollIntervalMs: number
  /** Last head height each peer told us (by hex key); at most one entry per peer. */
  readonly #heads = new Map<string, number>()
  #cursor = 0
  #running: Promise<void> | null = null
  #cancelPoll: (() => void) | null = null
  #stopped = true
  #probe = false
  readonly #stats: BlockSyncerStats = {
    requests: 0,
    requestFailures: 0,
    blocksDelivered: 0,
    blocksRejected: 0,
    badResponses: 0,
    polls: 0,
  }

  constructor(deps: BlockSyncerDeps, options: BlockSyncerOptions = {}) {
    this.#deps = deps
    this.#blocksPerRequest = options.blocksPerRequest ?? SYNC_BLOCKS_PER_RESPONSE_MAX
    this.#pollIntervalMs = options.pollIntervalMs ?? SYNC_POLL_INTERVAL_MS_DEFAULT
    const count = this.#blocksPerRequest
    assert(count >= 1 && count <= SYNC_BLOCKS_PER_RESPONSE_MAX, `blocksPerRequest ${count}`)
    assert(this.#pollIntervalMs > 0, 'poll interval must be positive')
  }

  /** Starts the syncer with one probe request (it learns the peers' heads from the answer). */
  start(): void {
    this.#stopped = false
    this.probe()
  }

  /**
   * Asks for the next blocks even when no peer is known to be ahead: then a peer whose head is
   * unknown (e.g. one that just connected) is asked, so a node that hears no consensus traffic
   * still learns that it is behind. The probe goes on (one request per poll interval) until a peer
   * answers validly or every current peer's head is known.
   */
  probe(): void {
    this.#probe = true
    this.#kick()
  }

  /** Stops: cancels the poll; a request in flight is finished but its blocks are not delivered. */
  stop(): void {
    this.#stopped = true
    this.#cancelPoll?.()
    this.#cancelPoll = null
  }

  /** A peer showed that it is at `height` or beyond (e.g. a consensus message for that height). */
  onPeerAhead(peer: Uint8Array, height: number): void {
    assert(Number.isInteger(height) && height >= 0 && height <= HEIGHT_MAX, `height ${height}`)
    const key = toHex(peer)
    if (!this.#heads.has(key) && this.#heads.size >= SYNC_KNOWN_HEADS_MAX) this.#forgetAbsent()
    this.#heads.set(key, Math.max(this.#heads.get(key) ?? 0, height))
    if (height > this.#deps.localHeight()) this.#kick()
  }

  /** The head height the syncer believes `peer` has (-1 when it does not know). */
  knownHead(peer: Uint8Array): number {
    return this.#heads.get(toHex(peer)) ?? -1
  }

  /** The highest head height known from the current peers (0 when none is known). */
  targetHeight(): number {
    let target = 0
    for (const peer of this.#deps.peers())
      target = Math.max(target, this.#heads.get(toHex(peer)) ?? 0)
    return target
  }

  /** Whether the local height is below the highest head known from the current peers. */
  isBehind(): boolean {
    return this.#deps.localHeight() < this.targetHeight()
  }

  /** Resolves once no request is in flight and no immediate follow-up is due (for tests). */
  async settled(): Promise<void> {
    while (this.#running) await this.#running
  }

  /** A copy of the counters. */
  stats(): BlockSyncerStats {
    return { ...this.#stats }
  }

  /** Keeps the heads of current peers only (bounds the map when peers come and go). */
  #forgetAbsent(): void {
    const present = new Set(this.#deps.peers().map((p) => toHex(p)))
    for (const key of [...this.#heads.keys()]) if (!present.has(key)) this.#heads.delete(key)
  }

  #kick(): void {
    if (this.#stopped || this.#running) return
    this.#cancelPoll?.()
    this.#cancelPoll = null
    this.#running = this.#run()
      .catch((error: unknown) => {
        // A throwing `deliver` or `request` is a node bug or an environmental failure.
        this.#stopped = true
        if (!this.#deps.onError) throw error
        this.#deps.onError(error)
      })
      .finally(() => {
        this.#running = null
        this.#afterRun()
      })
  }

  async #run(): Promise<void> {
    // Bounded by progress: each iteration delivers at least one block or ends the run.
    while (!this.#stopped && (this.#probe || this.isBehind())) {
      const outcome = await this.#step()
      if (outcome === 'none') return
    }
  }

  #afterRun(): void {
    if (this.#stopped || this.#cancelPoll) return
    if (!this.#probe && !this.isBehind()) return
    this.#cancelPoll = this.#deps.timers.setTimer(this.#pollIntervalMs, () => {
      this.#cancelPoll = null
      this.#stats.polls++
      this.#kick()
    })
  }

  /** The next peer to ask: rotation over the peers known to be ahead, else the unknown ones. */
  #pickPeer(local: number): Uint8Array | undefined {
    const peers = this.#deps.peers()
    const ahead = peers.filter((p) => (this.#heads.get(toHex(p)) ?? -1) > local)
    const pool = ahead.length > 0 ? ahead : peers.filter((p) => !this.#heads.has(toHex(p)))
    if (pool.length === 0) return undefined
    const peer = pool[this.#cursor % pool.length]
    this.#cursor = (this.#cursor + 1) % 0x7fff_ffff
    return peer
  }

  async #step(): Promise<StepOutcome> {
    const local = this.#deps.localHeight()
    const peer = this.#pickPeer(local)
    if (!peer) {
      // Everyone connected has told us its head: nothing left to probe.
      if (this.#deps.peers().length > 0) this.#probe = false
      return 'none'
    }
    const fromHeight = local + 1
    const countMax = this.#blocksPerRequest
    this.#stats.requests++
    const bytes = encodeSyncRequest({ version: 1, fromHeight, countMax })
    const result = await this.#deps.request(peer, bytes)
    if (this.#stopped) return 'none'
    if (!result.ok) {
      // The transport already penalised a malformed frame; a timeout or an absent peer is no fault.
      // But a claim the peer does not serve is not believed: its head becomes unknown, so a forged
      // claim cannot keep the node reporting that it is behind, and the probe asks that peer again
      // at the next poll, so an honest peer whose request timed out once is still synced from
      // (its next valid response states its head; it may have no other way to claim one, e.g.
      // an observer, or validators outside every set this node knows yet).
      this.#stats.requestFailures++
      const key = toHex(peer)
      const head = this.#heads.get(key)
      if (head !== undefined && head > local) {
        this.#heads.delete(key)
        this.#probe = true
      }
      return 'none'
    }
    const decoded = decodeSyncResponse(result.value)
    if (!decoded.ok) {
      this.#punish(peer, 'sync-malformed', SYNC_PENALTY_MALFORMED, local)
      return 'none'
    }
    const checked = checkSyncResponse(fromHeight, countMax, decoded.value)
    if (!checked.ok) {
      this.#punish(
        peer,
        `sync-${checked.error.code.slice(5).toLowerCase().replaceAll('_', '-')}`,
        SYNC_PENALTY_INVALID,
        local,
      )
      return 'none'
    }
    this.#heads.set(toHex(peer), decoded.value.headHeight)
    this.#probe = false
    return (await this.#deliverAll(peer, decoded.value.entries)) ? 'progress' : 'none'
  }

  /** Delivers entries in order; stops at the first block the engine refuses. */
  async #deliverAll(peer: Uint8Array, entries: readonly SyncEntry[]): Promise<boolean> {
    let progressed = false
    for (const entry of entries) {
      if (this.#stopped) break
      const height = entry.block.header.height
      // The node may have advanced (live consensus) while the request was in flight.
      if (height <= this.#deps.localHeight()) continue
      const applied = await this.#deps.deliver(entry)
      // Unknown outcome (the node is stopping): neither progress nor the sender's fault.
      if (applied === null) return progressed
      if (!applied && this.#deps.localHeight() < height) {
        this.#stats.blocksRejected++
        this.#punish(peer, 'sync-block-rejected', SYNC_PENALTY_REJECTED, height - 1)
        return progressed
      }
      this.#stats.blocksDelivered++
      progressed = true
    }
    return progressed
  }

  #punish(peer: Uint8Array, reason: string, points: number, notAbove: number): void {
    this.#stats.badResponses++
    this.#deps.penalize(peer, reason, points)
    // Not trusted to be ahead until it reports a head again.
    this.#heads.set(toHex(peer), notAbove)
  }
}
