/**
 * `npm run bench:sync`: catch-up speed of `BlockSyncer` + `buildSyncHandler`, in one run with its
 * baseline. Synthetic well-formed chains (linked headers, certificates naming each block's hash,
 * no real seals: this measures transport, codec and the syncer's structural checks, not certificate
 * verification, which the engine does).
 * - baseline: the syncer's `request` wired straight to the handler (no network);
 * - the same over two libp2p nodes on 127.0.0.1 (a new stream per request);
 * - for small (empty) blocks and for blocks of 100 txs of 1 KiB (≈ 100 KiB each).
 */
import '../src/polyfills.ts'
import {
  BlockSyncer,
  REAL_SYNC_TIMERS,
  buildSyncHandler,
  type SyncEntry,
  type SyncSource,
} from '../src/node/sync.ts'
import { startP2p } from '../src/p2p/node.ts'
import { ok } from '../src/util/result.ts'
import { syntheticChain } from '../test/support/certified-chain.ts'
import { testKey } from '../test/support/fixtures.ts'
import { fmt, machineLine, printTable } from './harness.ts'

function sourceOf(entries: readonly SyncEntry[]): SyncSource {
  return { head: () => entries.length, load: (h) => entries[h - 1] }
}

type Request = ConstructorParameters<typeof BlockSyncer>[0]['request']

/** Catches up `entries.length` blocks through `request`; returns elapsed ms. */
async function catchUp(entries: readonly SyncEntry[], request: Request, peer: Uint8Array) {
  let local = 0
  const syncer = new BlockSyncer({
    request,
    peers: () => [peer],
    localHeight: () => local,
    deliver: () => {
      local++
      return true
    },
    penalize: () => {
      throw new Error('no penalty expected in the bench')
    },
    timers: REAL_SYNC_TIMERS,
  })
  const start = performance.now()
  syncer.onPeerAhead(peer, entries.length)
  syncer.start()
  await syncer.settled()
  const ms = performance.now() - start
  syncer.stop()
  if (local !== entries.length) throw new Error(`caught up ${local} of ${entries.length}`)
  return ms
}

async function main(): Promise<void> {
  const ka = testKey('bench-sync-a')
  const kb = testKey('bench-sync-b')
  const cases: [string, SyncEntry[]][] = [
    ['empty blocks', syntheticChain(5_000, 0, 0)],
    ['100 × 1 KiB tx blocks', syntheticChain(1_000, 100, 1_024)],
  ]
  const rows: [string, string][] = []
  for (const [name, entries] of cases) {
    const handler = buildSyncHandler(sourceOf(entries))
    const direct: Request = async (_peer, bytes) => ok(await handler(ka.publicKey, bytes))
    const msDirect = await catchUp(entries, direct, ka.publicKey)
    rows.push([`baseline (no network), ${name}, blocks/s`, fmt((entries.length * 1000) / msDirect)])
    const allowed = [ka.publicKey, kb.publicKey]
    const a = await startP2p({
      secretKey: ka.secretKey,
      allowedPublicKeys: allowed,
      handlers: { onSyncRequest: handler },
    })
    const b = await startP2p({
      secretKey: kb.secretKey,
      allowedPublicKeys: allowed,
      knownPeers: [{ publicKey: ka.publicKey, multiaddr: a.multiaddrs()[0]! }],
      redialIntervalMs: 100,
    })
    const end = Date.now() + 30_000
    while (!b.isConnected(ka.publicKey)) {
      if (Date.now() > end) throw new Error('no connection')
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const ms = await catchUp(entries, (peer, bytes) => b.request(peer, bytes), ka.publicKey)
    rows.push([`libp2p loopback, ${name}, blocks/s`, fmt((entries.length * 1000) / ms)])
    await b.stop()
    await a.stop()
  }
  printTable(`Block sync catch-up (${machineLine()})`, rows)
}

await main()
