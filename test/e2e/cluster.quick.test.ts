/**
 * Goal: four real `bin/pointsnode start` processes form a consortium on 127.0.0.1: signed txs
 * submitted to different nodes are committed, and all four report the same height, block and state
 * root; a validator killed with SIGKILL restarts from its ledger and WAL.
 * Method: black box over HTTP only (POST /v1/txs, GET /health), polling with deadlines; processes
 * and temp homes are removed even when a test fails.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keyPairOf } from '../../src/client/keys.ts'
import { signedTx } from '../../src/client/tx-builder.ts'
import { fromHex, toHex } from '../../src/util/bytes.ts'
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
  type NodeProcess,
} from '../support/cluster.ts'

const BIN = new URL('../../bin/pointsnode', import.meta.url).pathname
let cluster: Cluster
beforeAll(async () => {
  cluster = createCluster(4)
  await Promise.all(cluster.nodes.map((n) => startNode(n)))
}, 120_000)
afterAll(async () => {
  // beforeAll may have failed before assigning the cluster: clean up only what exists.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  if (cluster) await destroyCluster(cluster)
})

const health = (url: string) => getJson<Health>(`${url}/health`)

async function submit(url: string, hex: string): Promise<number> {
  const res = await fetch(`${url}/v1/txs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tx: hex }),
  })
  return res.status
}

describe('four-process consortium', { timeout: 180_000 }, () => {
  it('commits blocks with all four validators connected', async () => {
    await until('height 3 on every node', async () => {
      const hs = await Promise.all(cluster.nodes.map((n) => health(n.apiUrl)))
      return hs.every((h) => h.height >= 3 && h.peers === 3) ? true : undefined
    })
  })

  it('commits txs submitted to different nodes; all report the same height and state root', async () => {
    const operator = JSON.parse(readFileSync(cluster.operatorKeyPath, 'utf8')) as {
      secretKey: string
    }
    const operatorKeys = keyPairOf(fromHex(operator.secretKey))
    const { height } = await health(cluster.nodes[0]!.apiUrl)
    const options = { chainId: 'e2e-chain', expiresAtHeight: height + 100 }
    const consumers = [0, 1, 2, 3].map((i) =>
      keyPairOf(fromHex((i + 1).toString(16).padStart(64, '0'))),
    )
    const txs = [
      ...consumers.map((k) => signedTx(k, 'account.register', { profileDigest: null }, options)),
      signedTx(
        operatorKeys,
        'enterprise.admit',
        {
          enterprise: consumers[0]!.address,
          name: 'ACME',
          isIssuer: true,
          isAcceptor: true,
          settlementAccount: consumers[0]!.address,
        },
        options,
      ),
    ]
    const statuses = await Promise.all(
      txs.map((t, i) => submit(cluster.nodes[i % 4]!.apiUrl, toHex(t.signedBytes))),
    )
    expect(statuses).toEqual([202, 202, 202, 202, 202])
    const before = await health(cluster.nodes[0]!.apiUrl)
    await until('every mempool drained', async () => {
      const hs = await Promise.all(cluster.nodes.map((n) => health(n.apiUrl)))
      return hs.every((h) => h.mempoolTxs === 0) ? true : undefined
    })
    const urls = cluster.nodes.map((n) => n.apiUrl)
    const agreed = await reportsAtCommonHeight(urls, (await health(urls[0]!)).height + 1)
    expect(agreed[0]!.stateRoot).not.toBe(before.stateRoot)
    expect(new Set(agreed.map((h) => h.stateRoot)).size).toBe(1)
    expect(new Set(agreed.map((h) => h.blockHash)).size).toBe(1)
    // The same tx again is refused at the door as a duplicate.
    expect(await submit(cluster.nodes[2]!.apiUrl, toHex(txs[0]!.signedBytes))).toBe(409)
  })

  it('pointsnode status shows height, peers and the validator set', () => {
    const result = spawnSync(process.execPath, [BIN, 'status', '--home', cluster.nodes[0]!.home], {
      encoding: 'utf8',
    })
    expect(result.status, result.stderr).toBe(0)
    const status = JSON.parse(result.stdout) as { health: Health; validators: string[] }
    expect(status.health.height).toBeGreaterThan(0)
    expect(status.health.peers).toBe(3)
    expect(status.validators).toHaveLength(4)
  })

  it('refuses a bad tx at the door with a coded error and keeps committing', async () => {
    const res = await fetch(`${cluster.nodes[1]!.apiUrl}/v1/txs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tx: 'c1c1' }),
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('CODEC_MALFORMED')
    const before = (await health(cluster.nodes[1]!.apiUrl)).height
    await until('progress after the bad tx', async () =>
      (await health(cluster.nodes[1]!.apiUrl)).height > before ? true : undefined,
    )
  })

  it('a validator killed with SIGKILL: the other three keep committing; restarted, it catches up and agrees', async () => {
    const victim = cluster.nodes[3]!
    const others = cluster.nodes.slice(0, 3)
    await killNode(victim)
    const start = (await health(others[0]!.apiUrl)).height
    await until('three validators commit without the fourth', async () =>
      (await health(others[0]!.apiUrl)).height >= start + 5 ? true : undefined,
    )
    await startNode(victim)
    const target = (await health(others[0]!.apiUrl)).height
    await until(
      'the restarted validator catches up',
      async () => ((await health(victim.apiUrl)).height >= target ? true : undefined),
      60_000,
    )
    const urls = cluster.nodes.map((n) => n.apiUrl)
    const reports = await reportsAtCommonHeight(urls, target + 1)
    expect(new Set(reports.map((h) => h.stateRoot)).size).toBe(1)
    expect(new Set(reports.map((h) => h.blockHash)).size).toBe(1)
  })

  it('with two of four stopped no block is committed; one restarted, progress resumes', async () => {
    const [a, b, c, d] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess, NodeProcess]
    await Promise.all([killNode(c), killNode(d)])
    const stalled = (await health(a.apiUrl)).height
    // Wait long enough for several rounds to time out; the height must not move.
    await new Promise((r) => setTimeout(r, 3_000))
    const [ha, hb] = await Promise.all([health(a.apiUrl), health(b.apiUrl)])
    expect(ha.height).toBeLessThanOrEqual(stalled + 1)
    expect(hb.height).toBeLessThanOrEqual(stalled + 1)
    // No divergence: at one height the two survivors hold the same block.
    if (ha.height === hb.height) expect(ha.blockHash).toBe(hb.blockHash)
    await startNode(c)
    await until(
      'progress with three of four',
      async () => ((await health(a.apiUrl)).height >= stalled + 3 ? true : undefined),
      90_000,
    )
    await startNode(d)
    const urls = cluster.nodes.map((n) => n.apiUrl)
    const reports = await reportsAtCommonHeight(urls, (await health(a.apiUrl)).height + 1, 90_000)
    expect(new Set(reports.map((h) => h.stateRoot)).size).toBe(1)
    expect(new Set(reports.map((h) => h.blockHash)).size).toBe(1)
  })
})
