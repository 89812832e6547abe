/**
 * Goal (ADR 0079): a validator cut off from the node a tx was submitted to still gets the tx by
 * gossip, forwarded by a validator connected to both, while validators the submitting node reached
 * itself forward nothing; the tx commits, all four agree, and each verified its signature once.
 * Method: `pointsnode testnet --validators 4`, then node0's and node3's configs lose each other
 * from their peer lists, so the two never dial each other (a partial mesh); four real
 * `bin/pointsnode start` processes; black box over HTTP (POST /v1/txs, /health, the
 * `pointsnode_p2p_tx_*` and signature counters of /metrics); polls with deadlines; processes and
 * temp homes are removed even when a test fails.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keyPairOf } from '../../src/client/keys.ts'
import { signedTx } from '../../src/client/tx-builder.ts'
import { fromHex, toHex } from '../../src/util/bytes.ts'
import {
  createCluster,
  destroyCluster,
  getJson,
  reportsAtCommonHeight,
  startNode,
  until,
  type Cluster,
  type Health,
} from '../support/cluster.ts'
import { metricSample } from '../support/metrics.ts'

interface NodeConfig {
  p2p: { peers: string[] }
}

/** Removes from `home`'s config the peer whose public key `otherHome`'s node key holds. */
function forgetPeer(home: string, otherHome: string): void {
  const other = JSON.parse(readFileSync(join(otherHome, 'node-key.json'), 'utf8')) as {
    publicKey: string
  }
  const path = join(home, 'config.json')
  const config = JSON.parse(readFileSync(path, 'utf8')) as NodeConfig
  const before = config.p2p.peers.length
  config.p2p.peers = config.p2p.peers.filter((p) => !p.startsWith(`${other.publicKey}@`))
  if (config.p2p.peers.length !== before - 1) throw new Error(`${home} did not list that peer`)
  writeFileSync(path, JSON.stringify(config, null, 2))
}

/** What the test reads of a node's /metrics, in one scrape. */
const SERIES = {
  received: 'pointsnode_p2p_tx_received',
  duplicates: 'pointsnode_p2p_tx_duplicates',
  forwarded: 'pointsnode_p2p_tx_forwarded',
  // Signatures verified for adds (HTTP, gossip), and for blocks' txs unseen at the door.
  verifiedAdds: 'pointsnode_signatures_verified_total',
  verifiedBlocks: 'pointsnode_block_signatures_verified_total',
} as const

/** The node's `pointsnode_p2p_tx_*` gauges and signature counters. */
async function counters(url: string): Promise<Record<keyof typeof SERIES, number>> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(15_000) })
  const text = await res.text()
  const out = {} as Record<keyof typeof SERIES, number>
  for (const [key, name] of Object.entries(SERIES) as [keyof typeof SERIES, string][]) {
    const value = metricSample(text, name)
    if (!Number.isInteger(value) || value < 0) throw new Error(`no ${name} in /metrics`)
    out[key] = value
  }
  return out
}

let cluster: Cluster
beforeAll(async () => {
  cluster = createCluster(4)
  const [n0, , , n3] = cluster.nodes
  forgetPeer(n0!.home, n3!.home)
  forgetPeer(n3!.home, n0!.home)
  await Promise.all(cluster.nodes.map((n) => startNode(n)))
}, 120_000)
afterAll(async () => {
  // beforeAll may have failed before assigning the cluster: clean up only what exists.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  if (cluster) await destroyCluster(cluster)
})

describe('tx gossip in a partial mesh', { timeout: 180_000 }, () => {
  it('forwards a tx only to the validator its first receiver could not reach', async () => {
    const urls = cluster.nodes.map((n) => n.apiUrl)
    const health = (url: string) => getJson<Health>(`${url}/health`)
    const peers = await until('nodes 1 and 2 meshed with all, nodes 0 and 3 apart', async () => {
      const hs = await Promise.all(urls.map(health))
      const counts = hs.map((h) => h.peers)
      return hs.every((h) => h.height >= 2) && counts[1] === 3 && counts[2] === 3
        ? counts
        : undefined
    })
    expect(peers, 'node0 and node3 are not connected').toEqual([2, 3, 3, 2])
    const before = await Promise.all(urls.map(counters))
    const operator = JSON.parse(readFileSync(cluster.operatorKeyPath, 'utf8')) as {
      secretKey: string
    }
    const { height } = await health(urls[0]!)
    const tx = signedTx(
      keyPairOf(fromHex(operator.secretKey)),
      'account.register',
      { profileDigest: null },
      { chainId: 'e2e-chain', expiresAtHeight: height + 100 },
    )
    const res = await fetch(`${urls[0]!}/v1/txs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tx: toHex(tx.signedBytes) }),
    })
    expect(res.status).toBe(202)
    await until('the tx gossiped to node3', async () => {
      const at3 = await counters(urls[3]!)
      return at3.received > before[3]!.received ? true : undefined
    })
    await until('every mempool drained', async () => {
      const hs = await Promise.all(urls.map(health))
      return hs.every((h) => h.mempoolTxs === 0) ? true : undefined
    })
    const after = await Promise.all(urls.map(counters))
    const delta = (i: number, name: keyof typeof SERIES) => after[i]![name] - before[i]![name]
    // node0 published to node1 and node2; each of them forwards to node3 only (node3 may get
    // both copies, one a duplicate); node3 reached everyone it knows already and forwards nothing.
    expect(delta(0, 'received'), 'nothing comes back to node0').toBe(0)
    expect([1, 2].map((i) => delta(i, 'received'))).toEqual([1, 1])
    expect([1, 2].map((i) => delta(i, 'duplicates'))).toEqual([0, 0])
    expect(delta(1, 'forwarded') + delta(2, 'forwarded')).toBe(delta(3, 'received'))
    expect(delta(3, 'received')).toBeGreaterThanOrEqual(1)
    expect(delta(3, 'received') - delta(3, 'duplicates')).toBe(1)
    expect(delta(3, 'forwarded')).toBe(0)
    const agreed = await reportsAtCommonHeight(urls, (await health(urls[0]!)).height + 1)
    expect(new Set(agreed.map((h) => h.stateRoot)).size).toBe(1)
    // Verify once per node (SPEC §6): whether the tx reached a node by gossip or first in the
    // block, each verified its signature exactly once.
    const verified = urls.map((_, i) => delta(i, 'verifiedAdds') + delta(i, 'verifiedBlocks'))
    expect(verified).toEqual([1, 1, 1, 1])
  })
})
