/**
 * The node's Prometheus registry: committed height, round changes, mempool size, committed txs (a
 * counter: tx/s is its `rate()`), signature-verification queue depth, connected peers, event-stream
 * subscribers, plus the process defaults. Gauges and counters are read when scraped; the consensus
 * driver's durations (`NodeTimings`) are histograms observed as they happen. Request latency per
 * route is added by the API (src/api/request-metrics.ts) to the same registry.
 * Spec: SPEC §9 (metrics); docs/api.md#metrics.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { ConsensusEvent } from '../consensus/types.ts'
import type { P2pStats } from '../p2p/types.ts'
import type { DriverTimings } from './driver.ts'
import type { MempoolStats } from './mempool.ts'
import type { ThreadCpu } from './thread-cpu.ts'

/** What the metrics read from the running node (each call is cheap). */
export interface NodeMetricsView {
  /** Committed height. */
  height(): number
  /** Round changes since start (rounds above 0 entered at some height). */
  roundChanges(): number
  /** Txs in the mempool. */
  mempoolTxs(): number
  /** Txs committed since start. */
  committedTxs(): number
  /** Mempool adds waiting for signature verification. */
  verifyQueue(): number
  /** Connected peers. */
  peers(): number
  /** Open event-stream subscribers. */
  eventSubscribers(): number
  /** Transport counters (null before the transport started). */
  p2pStats(): P2pStats | null
  /** CPU seconds of the event loop and of the verifier workers (null where /proc is missing). */
  threadCpu(): ThreadCpu | null
  /** The mempool's counters since start (a snapshot). */
  mempoolStats(): MempoolStats
  /** Submissions refused with MEMPOOL_BUSY since start: whole requests at the door, single txs. */
  busyRefusals(): { readonly requests: number; readonly txs: number }
  /** Lookups of the decoded-tx cache since start that found the tx, and that decoded it. */
  decodedTxs(): { readonly hits: number; readonly misses: number }
  /** Tx signatures of proposed or synced blocks verified since start (unseen at the door). */
  blockSignaturesVerified(): number
}

/** Transport counters exported as `pointsnode_p2p_<snake_case>` gauges. */
const P2P_METRICS: readonly (readonly [keyof Omit<P2pStats, 'penaltiesByReason'>, string])[] = [
  ['gaterDenied', 'connections refused by the gater'],
  ['penalties', 'penalties given to peers'],
  ['bans', 'peers banned'],
  ['peersBanned', 'peers banned now'],
  ['framesGarbage', 'garbage frames received'],
  ['framesOversize', 'oversize frames received'],
  ['consensusReceived', 'consensus frames received'],
  ['consensusDropped', 'consensus frames dropped on a full peer queue'],
  ['txFramesDropped', 'tx gossip frames dropped on a full peer queue'],
  ['txReceived', 'gossiped txs received'],
  ['txDuplicates', 'gossiped txs received that this node had already seen'],
  ['txForwarded', 'gossiped txs forwarded to peers the sender had not reached'],
]

/** Metric names this registry exports (documented in docs/api.md). */
export const NODE_METRIC_NAMES = [
  'pointsnode_height',
  'pointsnode_round_changes_total',
  'pointsnode_mempool_txs',
  'pointsnode_committed_txs_total',
  'pointsnode_verify_queue',
  'pointsnode_peers',
  'pointsnode_event_subscribers',
  'pointsnode_thread_cpu_seconds_total',
  'pointsnode_mempool_added_total',
  'pointsnode_mempool_rejected_total',
  'pointsnode_mempool_evicted_total',
  'pointsnode_mempool_expired_total',
  'pointsnode_signatures_verified_total',
  'pointsnode_signature_cache_hits_total',
  'pointsnode_block_signatures_verified_total',
  'pointsnode_submissions_busy_total',
  'pointsnode_decoded_tx_cache_total',
  'pointsnode_wal_append_seconds',
  'pointsnode_block_commit_seconds',
  'pointsnode_block_interval_seconds',
  'pointsnode_consensus_event_seconds',
] as const

/** Buckets for work on one event or one synced write: 0.5 ms to 5 s. */
const WORK_BUCKETS_SECONDS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
]
/**
 * Buckets for the time between two commits: 25 ms (test chains' short intervals) to 60 s (the
 * default interval is 0.5 s; a failed round adds 2 s at first).
 */
const INTERVAL_BUCKETS_SECONDS = [0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60]

function histogram<L extends string = never>(
  name: string,
  help: string,
  buckets: readonly number[],
  labelNames: readonly L[] = [],
): Histogram<L> {
  // Registered by `buildNodeMetrics`, not in prom-client's global registry.
  return new Histogram({ name, help, buckets: [...buckets], labelNames, registers: [] })
}

/** The consensus driver's durations as histograms (seconds). */
export class NodeTimings implements DriverTimings {
  readonly #wal = histogram(
    'pointsnode_wal_append_seconds',
    'consensus WAL appends (synced writes)',
    WORK_BUCKETS_SECONDS,
  )
  readonly #commit = histogram(
    'pointsnode_block_commit_seconds',
    'block commits: applied, written to the ledger (synced), WAL pruned',
    WORK_BUCKETS_SECONDS,
  )
  readonly #interval = histogram(
    'pointsnode_block_interval_seconds',
    'time from one commit of this node to its next',
    INTERVAL_BUCKETS_SECONDS,
  )
  readonly #event = histogram(
    'pointsnode_consensus_event_seconds',
    'consensus events handled: signature checks, engine step and effects, by event type',
    WORK_BUCKETS_SECONDS,
    ['event'],
  )

  walAppend(seconds: number): void {
    this.#wal.observe(seconds)
  }

  blockCommit(seconds: number): void {
    this.#commit.observe(seconds)
  }

  blockInterval(seconds: number): void {
    this.#interval.observe(seconds)
  }

  event(type: ConsensusEvent['type'], seconds: number): void {
    this.#event.observe({ event: type }, seconds)
  }

  /** Adds the histograms to `registry`. */
  registerIn(registry: Registry): void {
    for (const h of [this.#wal, this.#commit, this.#interval, this.#event]) {
      registry.registerMetric(h)
    }
  }
}

function gauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read())
    },
  })
}

/** A counter that mirrors a monotonic total kept elsewhere. */
function counter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset()
      this.inc(read())
    },
  })
}

/** Builds the registry over `view`, with the driver's histograms when given. */
export function buildNodeMetrics(view: NodeMetricsView, timings?: NodeTimings): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  timings?.registerIn(registry)
  gauge(registry, 'pointsnode_height', 'committed height', () => view.height())
  counter(registry, 'pointsnode_round_changes_total', 'rounds above 0 entered', () =>
    view.roundChanges(),
  )
  gauge(registry, 'pointsnode_mempool_txs', 'pooled txs', () => view.mempoolTxs())
  counter(registry, 'pointsnode_committed_txs_total', 'committed txs', () => view.committedTxs())
  gauge(registry, 'pointsnode_verify_queue', 'mempool adds waiting for signature checks', () =>
    view.verifyQueue(),
  )
  gauge(registry, 'pointsnode_peers', 'connected peers', () => view.peers())
  gauge(registry, 'pointsnode_event_subscribers', 'open event streams', () =>
    view.eventSubscribers(),
  )
  threadCpuCounter(registry, view)
  admissionCounters(registry, view)
  for (const [stat, help] of P2P_METRICS) {
    const name = `pointsnode_p2p_${stat.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`
    gauge(registry, name, help, () => view.p2pStats()?.[stat] ?? 0)
  }
  return registry
}

/** A counter whose series (one per label value, sorted) mirror totals kept elsewhere. */
function labelledCounter(
  registry: Registry,
  names: { readonly name: string; readonly help: string; readonly label: string },
  read: () => Readonly<Record<string, number | undefined>>,
): void {
  new Counter({
    name: names.name,
    help: names.help,
    labelNames: [names.label],
    registers: [registry],
    collect() {
      this.reset()
      const totals = Object.entries(read()).sort(([a], [b]) => (a < b ? -1 : 1))
      for (const [value, total] of totals) {
        if (total !== undefined) this.inc({ [names.label]: value }, total)
      }
    },
  })
}

/**
 * How submitted and gossiped txs fared at the door (docs/api.md#metrics): admitted, refused by
 * code, refused as busy before being looked at; how often a signature or a decode was saved.
 */
function admissionCounters(registry: Registry, view: NodeMetricsView): void {
  const mempool = (
    key: 'added' | 'evicted' | 'expired' | 'verifiedSignatures' | 'verifiedCacheHits',
  ): (() => number) => {
    return () => view.mempoolStats()[key]
  }
  counter(registry, 'pointsnode_mempool_added_total', 'txs admitted', mempool('added'))
  labelledCounter(
    registry,
    { name: 'pointsnode_mempool_rejected_total', help: 'txs refused, by code', label: 'code' },
    () => view.mempoolStats().rejected,
  )
  counter(
    registry,
    'pointsnode_mempool_evicted_total',
    'pooled txs evicted for a newcomer (full pool)',
    mempool('evicted'),
  )
  counter(
    registry,
    'pointsnode_mempool_expired_total',
    'pooled txs dropped at their expiry height',
    mempool('expired'),
  )
  counter(
    registry,
    'pointsnode_signatures_verified_total',
    'tx signatures verified on the worker pool for adds (HTTP and gossip)',
    mempool('verifiedSignatures'),
  )
  counter(
    registry,
    'pointsnode_signature_cache_hits_total',
    'adds whose signature was already verified (not verified again)',
    mempool('verifiedCacheHits'),
  )
  counter(
    registry,
    'pointsnode_block_signatures_verified_total',
    'tx signatures of proposed or synced blocks verified on the worker pool (unseen at the door)',
    () => view.blockSignaturesVerified(),
  )
  const busy = 'submissions refused with MEMPOOL_BUSY unread: whole requests, single txs'
  labelledCounter(
    registry,
    { name: 'pointsnode_submissions_busy_total', help: busy, label: 'scope' },
    () => {
      const refused = view.busyRefusals()
      return { request: refused.requests, tx: refused.txs }
    },
  )
  const decoded = 'decoded-tx cache lookups: found decoded (hit), decoded now (miss)'
  labelledCounter(
    registry,
    { name: 'pointsnode_decoded_tx_cache_total', help: decoded, label: 'result' },
    () => {
      const lookups = view.decodedTxs()
      return { hit: lookups.hits, miss: lookups.misses }
    },
  )
}

/**
 * `pointsnode_thread_cpu_seconds_total{thread="main"|"verifier"}`: the event loop's and the verifier
 * workers' share of `process_cpu_seconds_total`; the rest is V8's helper threads (GC, compiler) and
 * libuv's pool (LevelDB). No series where /proc cannot be read.
 */
export function threadCpuCounter(
  registry: Registry,
  view: Pick<NodeMetricsView, 'threadCpu'>,
): void {
  new Counter({
    name: 'pointsnode_thread_cpu_seconds_total',
    help: 'CPU seconds of the event-loop thread (main) and of the verifier workers (verifier)',
    labelNames: ['thread'],
    registers: [registry],
    collect() {
      this.reset()
      const cpu = view.threadCpu()
      if (cpu === null) return
      this.inc({ thread: 'main' }, cpu.main)
      this.inc({ thread: 'verifier' }, cpu.verifier)
    },
  })
}
