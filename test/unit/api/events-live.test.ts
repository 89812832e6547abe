/**
 * Goal: against a real running node, the block stream delivers every committed block exactly once and
 * in order to a subscriber during a load run, a subscriber that disconnects mid-run and reconnects
 * with Last-Event-ID resumes with no gap and no duplicate, the account stream carries the account's
 * tx, and `/metrics` exports each documented metric with the height moving.
 * Method: one validator in this process (PointsNode over a temp folder, 50 ms blocks), a load of
 * valid txs submitted through the HTTP API while SSE clients read; the delivered blocks are compared
 * with the ledger's blocks (hash per height) and the submitted tx count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from '../../../src/client/keys.ts'
import { NODE_METRIC_NAMES } from '../../../src/node/metrics.ts'
import { REQUEST_DURATION_METRIC } from '../../../src/api/request-metrics.ts'
import { toHex } from '../../../src/util/bytes.ts'
import { registerTx, startLiveNode, type LiveNode } from '../../support/live-node.ts'
import { metricSample } from '../../support/metrics.ts'
import { openSse, type SseEvent } from '../../support/sse-client.ts'

let live: LiveNode
beforeAll(async () => {
  live = await startLiveNode(50)
}, 60_000)
afterAll(async () => {
  await live.stop()
})

interface BlockData {
  readonly height: number
  readonly blockHash: string
  readonly txCount: number
  readonly time: string
}
const blocksOf = (events: SseEvent[]): BlockData[] =>
  events.filter((e) => e.event === 'block').map((e) => JSON.parse(e.data) as BlockData)

async function waitUntil(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

async function submit(hex: string): Promise<number> {
  const res = await fetch(`${live.node.apiUrl}/v1/txs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tx: hex }),
  })
  await res.arrayBuffer()
  return res.status
}

function metricValue(text: string, name: string): number {
  const value = metricSample(text, name)
  if (Number.isNaN(value)) throw new Error(`metric ${name} missing`)
  return value
}

describe('event streams on a live node', () => {
  it('deliver every committed block in order during a load run, across a reconnect', async () => {
    const { node } = live
    const steady = await openSse(`${node.apiUrl}/v1/events/blocks?from=1`)
    const flaky = await openSse(`${node.apiUrl}/v1/events/blocks?from=1`)
    const watched = generateKeyPair()
    const account = await openSse(`${node.apiUrl}/v1/events/accounts/${watched.addressHex}?from=1`)
    const watchedTx = registerTx(node, watched)
    let resumed: Awaited<ReturnType<typeof openSse>> | null = null
    const txCount = 120
    for (let i = 0; i < txCount; i++) {
      const status = await submit(toHex((i === 60 ? watchedTx : registerTx(node)).signedBytes))
      expect(status, `tx ${i}`).toBe(202)
      if (i === 40) {
        // Disconnect mid-run, let blocks commit meanwhile, then resume from the last id seen.
        const lastId = flaky.events.filter((e) => e.event === 'block').at(-1)?.id ?? '0'
        flaky.close()
        const target = node.height + 3
        await waitUntil('blocks while disconnected', () => node.height >= target)
        resumed = await openSse(`${node.apiUrl}/v1/events/blocks`, { 'last-event-id': lastId })
      }
      if (i % 10 === 9) await waitUntil('a block', () => node.mempool.size === 0)
    }
    await waitUntil('the pool to empty', () => node.mempool.size === 0)
    const head = node.height + 1
    await waitUntil('one more block', () => node.height >= head)
    for (const stream of [steady, resumed!]) {
      await stream.waitFor(`block ${head}`, (e) => blocksOf(e).some((b) => b.height === head))
    }
    const delivered = blocksOf(steady.events).filter((b) => b.height <= head)
    expect(delivered.map((b) => b.height)).toEqual(Array.from({ length: head }, (_, i) => i + 1))
    let committedTxs = 0
    for (const block of delivered) {
      const stored = await node.ledger.loadBlock(block.height)
      expect(block.blockHash, `hash of block ${block.height}`).toBe(toHex(stored!.hash))
      expect(block.txCount, `txs of block ${block.height}`).toBe(stored!.block.txs.length)
      committedTxs += block.txCount
    }
    expect(committedTxs).toBe(txCount)
    const rejoined = [...blocksOf(flaky.events), ...blocksOf(resumed!.events)]
      .map((b) => b.height)
      .filter((h) => h <= head)
    expect(rejoined).toEqual(Array.from({ length: head }, (_, i) => i + 1))
    await account.waitFor('the watched tx', (e) => e.length >= 1)
    expect(account.events.map((e) => e.event)).toEqual(['tx'])
    expect(JSON.parse(account.events[0]!.data)).toMatchObject({
      txId: toHex(watchedTx.txId),
      kind: 'account.register',
    })
    for (const stream of [steady, resumed!, account]) stream.close()
  }, 60_000)

  it('/metrics exports each node metric and the request latency, with the height moving', async () => {
    const { node } = live
    const scrape = async (): Promise<string> => (await fetch(`${node.apiUrl}/metrics`)).text()
    await (await fetch(`${node.apiUrl}/health`)).arrayBuffer()
    const first = await scrape()
    for (const name of NODE_METRIC_NAMES) {
      expect(first, name).toMatch(new RegExp(`^# TYPE ${name} (gauge|counter|histogram)$`, 'm'))
    }
    expect(first).toContain(`${REQUEST_DURATION_METRIC}_bucket{`)
    expect(first).toMatch(/route="\/health"/)
    expect(first).toMatch(/route="\/v1\/txs",status="202"|status="202".*route="\/v1\/txs"/)
    expect(metricValue(first, 'pointsnode_committed_txs_total')).toBeGreaterThanOrEqual(120)
    const threadCpu = (text: string, thread: string): number =>
      metricValue(text, `pointsnode_thread_cpu_seconds_total{thread="${thread}"}`)
    if (process.platform === 'linux') expect(threadCpu(first, 'main')).toBeGreaterThan(0)
    const height = metricValue(first, 'pointsnode_height')
    expect(height).toBeGreaterThan(0)
    await waitUntil('two more blocks', () => node.height >= height + 2)
    const second = await scrape()
    expect(metricValue(second, 'pointsnode_height')).toBeGreaterThanOrEqual(height + 2)
    if (process.platform === 'linux') {
      // Over the same interval the event loop and the verifiers used part of the process's CPU
      // (prom-client counts the process from the node's start, so compare increases; /proc counts
      // whole 10 ms ticks, one per thread at either end).
      const increase = (name: string): number => threadCpu(second, name) - threadCpu(first, name)
      const processIncrease =
        metricValue(second, 'process_cpu_seconds_total') -
        metricValue(first, 'process_cpu_seconds_total')
      expect(increase('main')).toBeGreaterThanOrEqual(0)
      expect(increase('verifier')).toBeGreaterThanOrEqual(0)
      expect(increase('main') + increase('verifier')).toBeLessThanOrEqual(processIncrease + 0.03)
    }
  }, 30_000)

  it('/metrics counts admissions: a new tx, its duplicate, and the decodes and signatures', async () => {
    const { node } = live
    const scrape = async (): Promise<string> => (await fetch(`${node.apiUrl}/metrics`)).text()
    const before = await scrape()
    const tx = registerTx(node)
    expect(await submit(toHex(tx.signedBytes))).toBe(202)
    expect(await submit(toHex(tx.signedBytes))).toBe(409)
    const after = await scrape()
    const increase = (series: string): number =>
      metricValue(after, series) - metricValue(before, series)
    expect(increase('pointsnode_mempool_added_total')).toBe(1)
    // The copy is refused as pooled or, if a block took the first meanwhile, as committed: both
    // are TX_DUPLICATE.
    const duplicates = 'pointsnode_mempool_rejected_total{code="TX_DUPLICATE"}'
    expect(metricValue(after, duplicates) - (metricSample(before, duplicates) || 0)).toBe(1)
    // The first add decoded the tx and the copy found it decoded; one signature was verified.
    expect(increase('pointsnode_decoded_tx_cache_total{result="miss"}')).toBeGreaterThanOrEqual(1)
    expect(increase('pointsnode_decoded_tx_cache_total{result="hit"}')).toBeGreaterThanOrEqual(1)
    expect(increase('pointsnode_signatures_verified_total')).toBeGreaterThanOrEqual(1)
    expect(increase('pointsnode_submissions_busy_total{scope="request"}')).toBe(0)
  }, 30_000)
})
