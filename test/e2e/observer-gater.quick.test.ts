/**
 * Goal (issue #7 acceptance items 4 and 7): an observer node admitted by the validators' config
 * follows the chain and serves the same height, block and state root; a fifth `pointsnode start`
 * whose key is neither a validator nor a configured observer is refused by every validator's
 * gater (it gets no block, the validators' peer counts do not change); a peer with an admitted key
 * that sends garbage and oversize frames over the consensus protocol is penalised, banned and
 * disconnected, and the validators keep committing and agreeing.
 * Method: real processes made by `pointsnode testnet --validators 4 --observers 2` (observer0 runs;
 * observer1's key is used by an in-process raw libp2p peer that misbehaves) plus an outsider home
 * made by `pointsnode init`; black box over HTTP (/health, /metrics) and libp2p; polls with deadlines;
 * processes and temp homes are removed even when a test fails.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { spawnSync } from 'node:child_process'
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadNodeKey } from '../../src/node/key-file.ts'
import { PROTOCOL_CONSENSUS } from '../../src/p2p/limits.ts'
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
const health = (url: string) => getJson<Health>(`${url}/health`)

async function metric(url: string, name: string): Promise<number> {
  // Polled through `until` or retried: a loaded machine may close an idle keep-alive socket.
  const text = await until(
    `${url}/metrics`,
    async () => (await fetch(`${url}/metrics`)).text(),
    10_000,
  )
  const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(text)
  if (!match) throw new Error(`metric ${name} missing`)
  return Number(match[1])
}

interface P2pConfigFile {
  p2p: { listen: string; peers: string[]; observers: string[] }
  api: { port: number }
}

let cluster: Cluster | undefined
let outsider: NodeProcess | undefined
let raw: Libp2p | undefined

beforeAll(async () => {
  cluster = createCluster(4, { observers: 2 })
  await Promise.all([...cluster.nodes, cluster.observers[0]!].map((n) => startNode(n)))
}, 400_000)
afterAll(async () => {
  await raw?.stop()
  if (outsider) await killNode(outsider)
  if (cluster) await destroyCluster(cluster)
})

/** A home made by `pointsnode init` with the cluster's genesis and peers (a key nobody admits). */
function outsiderHome(c: Cluster): NodeProcess {
  const home = join(c.dir, 'outsider')
  const init = spawnSync(
    process.execPath,
    [BIN, 'init', '--home', home, '--chain-id', 'e2e-chain'],
    {
      encoding: 'utf8',
    },
  )
  expect(init.status, init.stderr).toBe(0)
  copyFileSync(join(c.nodes[0]!.home, 'genesis.json'), join(home, 'genesis.json'))
  const template = JSON.parse(
    readFileSync(join(c.observers[0]!.home, 'config.json'), 'utf8'),
  ) as P2pConfigFile
  const config = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as P2pConfigFile
  config.api.port = 0
  config.p2p = { listen: '/ip4/127.0.0.1/tcp/0', peers: template.p2p.peers, observers: [] }
  writeFileSync(join(home, 'config.json'), JSON.stringify(config, null, 2))
  return { home, child: null, apiUrl: '', stderr: '' }
}

describe('observer, gater and misbehaving peers', { timeout: 400_000 }, () => {
  it('an observer follows the chain and serves the same height, block and state root', async () => {
    const c = cluster!
    const observer = c.observers[0]!
    await until(
      'the observer connected to the four validators and past height 3',
      async () => {
        const h = await health(observer.apiUrl)
        return h.height >= 3 && h.peers === 4 ? true : undefined
      },
      120_000,
    )
    const urls = [...c.nodes, observer].map((n) => n.apiUrl)
    const reports = await reportsAtCommonHeight(urls, (await health(urls[0]!)).height + 1, 120_000)
    expect(new Set(reports.map((h) => h.stateRoot)).size).toBe(1)
    expect(new Set(reports.map((h) => h.blockHash)).size).toBe(1)
    // Each validator: three validators plus the observer.
    for (const [i, n] of c.nodes.entries()) {
      expect((await health(n.apiUrl)).peers, `validator ${i} peers`).toBe(4)
    }
  })

  it('a node whose key is not admitted is refused by the gater and gets no block', async () => {
    const c = cluster!
    const node = outsiderHome(c)
    outsider = node
    const deniedBefore = await Promise.all(
      c.nodes.map((n) => metric(n.apiUrl, 'pointsnode_p2p_gater_denied')),
    )
    const heightBefore = (await health(c.nodes[0]!.apiUrl)).height
    await startNode(node)
    await until(
      'every validator denied the outsider',
      async () => {
        const denied = await Promise.all(
          c.nodes.map((n) => metric(n.apiUrl, 'pointsnode_p2p_gater_denied')),
        )
        return denied.every((d, i) => d > deniedBefore[i]!) ? true : undefined
      },
      120_000,
    )
    await until(
      'the validators commit on while the outsider keeps trying',
      async () =>
        (await health(c.nodes[0]!.apiUrl)).height >= heightBefore + 3 ? true : undefined,
      120_000,
    )
    expect((await health(node.apiUrl)).height).toBe(0)
    // The outsider keeps redialling; a sample may catch a dial the gater is still closing.
    await until('the outsider holds no connection', async () =>
      (await health(node.apiUrl)).peers === 0 ? true : undefined,
    )
    for (const [i, n] of c.nodes.entries()) {
      expect((await health(n.apiUrl)).peers, `validator ${i} peers`).toBe(4)
    }
    await killNode(node)
  })

  it('a peer sending garbage and oversize consensus frames is penalised, banned and disconnected; the validators keep committing', async () => {
    const c = cluster!
    const target = c.nodes[0]!
    const key = loadNodeKey(c.observers[1]!.home)
    const peer = await createLibp2p({
      privateKey: privateKeyFromRaw(key.secretKey),
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), ping: ping() },
    })
    raw = peer
    const config = JSON.parse(
      readFileSync(join(target.home, 'config.json'), 'utf8'),
    ) as P2pConfigFile
    const address = multiaddr(config.p2p.listen)
    const bansBefore = await metric(target.apiUrl, 'pointsnode_p2p_bans')
    const penaltiesBefore = await metric(target.apiUrl, 'pointsnode_p2p_penalties')
    // Garbage: well-framed consensus frames that are not consensus messages (30 points each).
    // The first dial can race the validator's own redial of the same key: retry it briefly.
    const stream = await until('a consensus stream to the validator', () =>
      peer.dialProtocol(address, PROTOCOL_CONSENSUS),
    )
    const lp = lpStream(stream)
    for (let i = 0; i < 2; i++) await lp.write(Uint8Array.of(0xc1, 0xc1, i))
    await until('two penalties for garbage', async () =>
      (await metric(target.apiUrl, 'pointsnode_p2p_penalties')) >= penaltiesBefore + 2
        ? true
        : undefined,
    )
    // Oversize: a length prefix announcing more than the consensus frame limit (60 points): banned.
    // A new connection may be needed here, racing the validator's redial as above: retry it too.
    const big = await until('a second consensus stream to the validator', () =>
      peer.dialProtocol(address, PROTOCOL_CONSENSUS),
    )
    big.send(Uint8Array.of(0xff, 0xff, 0xff, 0x7f, 1, 2, 3))
    await until('the peer is banned', async () =>
      (await metric(target.apiUrl, 'pointsnode_p2p_bans')) > bansBefore ? true : undefined,
    )
    await until('the banned peer is disconnected', () =>
      Promise.resolve(peer.getConnections().length === 0 ? true : undefined),
    )
    expect(await metric(target.apiUrl, 'pointsnode_p2p_frames_oversize')).toBeGreaterThan(0)
    let refused = false
    try {
      const again = await peer.dialProtocol(address, PROTOCOL_CONSENSUS)
      await lpStream(again).write(Uint8Array.of(0xc1))
      await lpStream(again).read()
    } catch {
      refused = true
    }
    expect(refused).toBe(true)
    const urls = c.nodes.map((n) => n.apiUrl)
    const reports = await reportsAtCommonHeight(urls, (await health(urls[0]!)).height + 2, 120_000)
    expect(new Set(reports.map((h) => h.stateRoot)).size).toBe(1)
    expect((await health(target.apiUrl)).peers).toBe(4)
  })
})
