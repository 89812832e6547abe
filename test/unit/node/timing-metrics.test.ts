/**
 * Goal: a running node exports the consensus driver's durations as Prometheus histograms (WAL
 * appends, block commits, the time between commits, events by type), counted once per thing they
 * measure, so an operator can tell a slow disk from slow blocks from a slow proposer.
 * Method: one real validator (50 ms block interval) commits a few blocks, one of them with txs; then
 * its `/metrics` is read over HTTP. Counts are checked against what the chain did (one commit per
 * height, one interval per commit but the first, WAL appends for every height) and the intervals'
 * sum against the block interval, which no two decisions can beat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { until } from '../../support/cluster.ts'
import { startLiveNode, registerTx, type LiveNode } from '../../support/live-node.ts'
import { metricSample } from '../../support/metrics.ts'

let live: LiveNode
beforeAll(async () => {
  live = await startLiveNode(50)
})
afterAll(async () => {
  await live.stop()
})

async function metricsText(): Promise<string> {
  const res = await fetch(`${live.node.apiUrl}/metrics`)
  expect(res.status).toBe(200)
  return res.text()
}

describe('consensus timing metrics', () => {
  it('counts every commit, interval and WAL append of the chain it ran', async () => {
    const tx = registerTx(live.node)
    expect((await live.node.submit(tx.signedBytes)).ok).toBe(true)
    const heightBefore = live.node.height
    const { text, commits } = await until('four commits in the metrics', async () => {
      const text = await metricsText()
      const commits = metricSample(text, 'pointsnode_block_commit_seconds_count')
      return commits >= 4 ? { text, commits } : undefined
    })
    // A commit is observed after the block is in the ledger, so no more than the node's height.
    expect(commits).toBeLessThanOrEqual(live.node.height)
    expect(commits).toBeGreaterThanOrEqual(Math.min(4, heightBefore))
    // The node started from genesis: every commit but its first follows another.
    expect(metricSample(text, 'pointsnode_block_interval_seconds_count')).toBe(commits - 1)
    // A lone validator persists its proposal, prepare and commit before it decides a height.
    expect(metricSample(text, 'pointsnode_wal_append_seconds_count')).toBeGreaterThanOrEqual(
      3 * commits,
    )
    // Each height's proposal waited out the 50 ms block interval, which starts when the height
    // before is decided, just before its commit. So the ends of two commits lie at least 50 ms
    // apart less the earlier commit's duration: summed over the heights, the intervals plus the
    // commits' durations cover 50 ms a height.
    const intervals = metricSample(text, 'pointsnode_block_interval_seconds_sum')
    const commitSeconds = metricSample(text, 'pointsnode_block_commit_seconds_sum')
    expect(intervals + commitSeconds).toBeGreaterThanOrEqual(0.05 * (commits - 1))
    for (const name of ['wal_append', 'block_commit']) {
      const sum = metricSample(text, `pointsnode_${name}_seconds_sum`)
      expect(sum, name).toBeGreaterThan(0)
      expect(metricSample(text, `pointsnode_${name}_seconds_bucket{le="+Inf"}`), name).toBe(
        metricSample(text, `pointsnode_${name}_seconds_count`),
      )
    }
    // The proposer's timer starts each height; each commit (and the tx's arrival) is followed by a
    // txsAvailable event.
    const timeouts = metricSample(text, 'pointsnode_consensus_event_seconds_count{event="timeout"}')
    expect(timeouts).toBeGreaterThanOrEqual(commits)
    expect(
      metricSample(text, 'pointsnode_consensus_event_seconds_count{event="txsAvailable"}'),
    ).toBeGreaterThanOrEqual(commits - 1)
    expect(metricSample(text, 'pointsnode_consensus_event_seconds_count{event="start"}')).toBe(1)
  })
})
