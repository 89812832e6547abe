/**
 * Goal: four real `bin/pointsnode start` processes form a consortium on 127.0.0.1: signed txs
 * submitted to different nodes are committed, and all four report the same height, block and state
 * root; a validator killed with SIGKILL restarts from its ledger and WAL.
 * Method: black box over HTTP only (POST /v1/txs, GET /health), polling with deadlines; processes
 * and temp homes are removed even when a test fails.
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keyPairOf } from '../../src/client/keys.ts'
import { signedTx } from '../../src/client/tx-builder.ts'
import { fromHex, toHex } from '../../src/util/bytes.ts'
import {
  createCluster,
  destroyCluster,
  getJson,
  startNode,
  until,
  type Cluster,
  type Health,
} from '../support/cluster.ts'

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
    const root0 = (await health(cluster.nodes[0]!.apiUrl)).stateRoot
    const agreed = await until(
      'every node has committed the txs and agrees',
      async () => {
        const hs = await Promise.all(cluster.nodes.map((n) => health(n.apiUrl)))
        const sameHeight = hs.every((h) => h.height === hs[0]!.height)
        const drained = hs.every((h) => h.mempoolTxs === 0)
        return sameHeight && drained && hs[0]!.stateRoot !== root0 ? hs : undefined
      },
      60_000,
    )
    expect(new Set(agreed.map((h) => h.stateRoot)).size).toBe(1)
    expect(new Set(agreed.map((h) => h.blockHash)).size).toBe(1)
    // The same tx again is refused at the door as a duplicate.
    expect(await submit(cluster.nodes[2]!.apiUrl, toHex(txs[0]!.signedBytes))).toBe(409)
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
})
