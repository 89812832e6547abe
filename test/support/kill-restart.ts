/**
 * The kill/restart scenario of issue #7 acceptance item 2, shared by the quick (5 cycles) and the
 * long (20 cycles) e2e tests: four real validator processes under a steady client load; each cycle
 * SIGKILLs one validator, checks that the other three keep committing (heights and txs the client
 * sees committed), restarts it, and checks that it catches up and agrees on height, block and state
 * root. At the end every node is stopped and its ledger is read: every tx the client saw committed is
 * on every node, all nodes hold the same committed txs, and the balances equal the genesis funding
 * plus the committed transfers.
 */
import { expect } from 'vitest'
import {
  createCluster,
  destroyCluster,
  getJson,
  killNode,
  reportsAtCommonHeight,
  startNode,
  until,
  type Cluster,
  type Health,
} from './cluster.ts'
import { expectedBalances, fundingOf, Load, loadAccounts, readLedger } from './load.ts'

const health = (url: string) => getJson<Health>(`${url}/health`)

/** Timings of a run, for the report. */
export interface ScenarioTimings {
  readonly cycleMs: number[]
  readonly seenCommitted: number
  readonly submitted: number
}

/** Creates a funded four-validator cluster and starts it. */
export async function startLoadCluster(): Promise<Cluster> {
  const cluster = createCluster(4, { fund: fundingOf(loadAccounts().senders) })
  try {
    await Promise.all(cluster.nodes.map((n) => startNode(n)))
  } catch (error) {
    await destroyCluster(cluster)
    throw error
  }
  return cluster
}

/** Heights of every node (-1 when down), for failure messages. */
async function heightsOf(cluster: Cluster): Promise<number[]> {
  return Promise.all(
    cluster.nodes.map(async (n) => (await health(n.apiUrl).catch(() => null))?.height ?? -1),
  )
}

/** Runs `step`; on failure adds the nodes' heights and the client's counters to the error. */
async function step<T>(cluster: Cluster, load: Load, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    const heights = await heightsOf(cluster)
    const detail = `heights ${heights.join(',')}; seen committed ${load.seenCommitted.size} of ${load.transfers.size}`
    throw new Error(`${error instanceof Error ? error.message : String(error)} (${detail})`, {
      cause: error,
    })
  }
}

async function oneCycle(cluster: Cluster, load: Load, cycle: number): Promise<void> {
  const victim = cluster.nodes[cycle % cluster.nodes.length]!
  const others = cluster.nodes.filter((n) => n !== victim)
  load.setDown(victim, true)
  await killNode(victim)
  const start = Math.max(...(await heightsOf(cluster)))
  const seenBefore = load.seenCommitted.size
  await step(cluster, load, () =>
    until(
      `cycle ${cycle}: three validators commit past ${start + 3} without the fourth, and txs are seen committed`,
      async () => {
        const hs = await Promise.all(others.map((n) => health(n.apiUrl)))
        return hs.every((h) => h.height >= start + 3) && load.seenCommitted.size > seenBefore
          ? true
          : undefined
      },
      120_000,
    ),
  )
  await startNode(victim)
  load.setDown(victim, false)
  const target = (await health(others[0]!.apiUrl)).height
  await step(cluster, load, () =>
    until(
      `cycle ${cycle}: the restarted validator catches up to ${target}`,
      async () => ((await health(victim.apiUrl)).height >= target ? true : undefined),
      120_000,
    ),
  )
  const reports = await step(cluster, load, () =>
    reportsAtCommonHeight(
      cluster.nodes.map((n) => n.apiUrl),
      target + 1,
      120_000,
    ),
  )
  expect(new Set(reports.map((h) => h.stateRoot)).size, `cycle ${cycle} state roots`).toBe(1)
  expect(new Set(reports.map((h) => h.blockHash)).size, `cycle ${cycle} block hashes`).toBe(1)
}

/** Runs `cycles` kill/restart cycles under load on a started cluster, then verifies the ledgers. */
export async function killRestartUnderLoad(
  cluster: Cluster,
  cycles: number,
): Promise<ScenarioTimings> {
  const load = new Load(cluster.nodes)
  load.start()
  const cycleMs: number[] = []
  try {
    for (let cycle = 0; cycle < cycles; cycle++) {
      const began = Date.now()
      await oneCycle(cluster, load, cycle)
      cycleMs.push(Date.now() - began)
    }
  } finally {
    await load.stop()
  }
  // Drain: every accepted tx is committed (transfers are funded), then a last look for the client.
  const urls = cluster.nodes.map((n) => n.apiUrl)
  await until('every mempool drained', async () => {
    const hs = await Promise.all(urls.map((u) => health(u)))
    return hs.every((h) => h.mempoolTxs === 0) ? true : undefined
  })
  await load.checkOnce(load.transfers.size)
  const final = await reportsAtCommonHeight(urls, (await health(urls[0]!)).height + 1)
  expect(new Set(final.map((h) => h.stateRoot)).size, 'final state roots').toBe(1)
  await Promise.all(cluster.nodes.map((n) => killNode(n, 'SIGTERM')))
  await verifyLedgers(cluster, load)
  return { cycleMs, seenCommitted: load.seenCommitted.size, submitted: load.transfers.size }
}

async function verifyLedgers(cluster: Cluster, load: Load): Promise<void> {
  expect(load.seenCommitted.size, 'the client saw txs committed').toBeGreaterThan(0)
  const views = []
  for (const node of cluster.nodes) views.push(await readLedger(node, load))
  const reference = views[0]!
  for (const [i, view] of views.entries()) {
    for (const txId of load.seenCommitted) {
      expect(view.committed.has(txId), `node ${i} holds tx ${txId} the client saw committed`).toBe(
        true,
      )
    }
    expect([...view.committed].sort(), `node ${i} holds the same committed txs`).toEqual(
      [...reference.committed].sort(),
    )
    expect(view.balances, `node ${i} balances = funding + committed transfers`).toEqual(
      expectedBalances(load, reference.committed),
    )
  }
}
