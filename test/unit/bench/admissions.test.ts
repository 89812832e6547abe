/**
 * Goal: the benchmark's admission table reads the window between two scrapes of a node's counters,
 * per code for the labelled ones, and says "not measured" when a scrape lacks them.
 * Method: a real registry built by `buildNodeMetrics` over counters this test sets, scraped before
 * and after they move; the expected increases are the test's own changes.
 */
import { describe, expect, it } from 'vitest'
import { admissionsOf } from '../../../bench/cluster-run.ts'
import { buildNodeMetrics, type NodeMetricsView } from '../../../src/node/metrics.ts'
import type { MempoolStats } from '../../../src/node/mempool.ts'

describe('bench admission counters', () => {
  it('gives the increases over the window, by refusal code', async () => {
    const stats: MempoolStats = {
      count: 0,
      bytes: 0,
      pending: 0,
      added: 100,
      rejected: { TX_DUPLICATE: 4 },
      evicted: 0,
      committed: 0,
      expired: 0,
      verifyBatches: 1,
      verifiedSignatures: 90,
      verifiedCacheHits: 10,
    }
    const busy = { requests: 2, txs: 30 }
    const decoded = { hits: 7, misses: 100 }
    let blockVerified = 3
    const view: NodeMetricsView = {
      height: () => 1,
      roundChanges: () => 0,
      mempoolTxs: () => 0,
      committedTxs: () => 0,
      verifyQueue: () => 0,
      peers: () => 0,
      eventSubscribers: () => 0,
      p2pStats: () => null,
      threadCpu: () => null,
      mempoolStats: () => stats,
      busyRefusals: () => busy,
      decodedTxs: () => decoded,
      blockSignaturesVerified: () => blockVerified,
    }
    const registry = buildNodeMetrics(view)
    const before = await registry.metrics()
    stats.added += 50
    stats.rejected = { TX_DUPLICATE: 4, MEMPOOL_FULL: 3 }
    stats.verifiedSignatures += 45
    stats.verifiedCacheHits += 5
    busy.requests += 1
    busy.txs += 12
    decoded.hits += 6
    decoded.misses += 50
    blockVerified += 20
    const after = await registry.metrics()
    const a = admissionsOf(before, after)
    expect(a).not.toBeNull()
    expect(a!.added).toBe(50)
    // TX_DUPLICATE did not move in the window; MEMPOOL_FULL is new in it.
    expect([...a!.rejected]).toEqual([['MEMPOOL_FULL', 3]])
    expect([a!.busyRequests, a!.busyTxs]).toEqual([1, 12])
    expect([a!.verified, a!.verifiedCacheHits, a!.blockVerified]).toEqual([45, 5, 20])
    expect([a!.decodeHits, a!.decodeMisses]).toEqual([6, 50])
    expect(admissionsOf(null, after)).toBeNull()
    expect(admissionsOf('process_cpu_seconds_total 1\n', after)).toBeNull()
  })
})
