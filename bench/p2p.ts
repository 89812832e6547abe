/**
 * `npm run bench:p2p`: throughput of the p2p layer on loopback, in one run with its baseline.
 * - consensus frames/s over the persistent per-peer stream (`send`, queue, writer loop, handler),
 *   with frames small enough that the bounded queue never drops (the sender waits on the handler
 *   count every 500 frames);
 * - baseline: raw libp2p `lpStream.write` awaited on one stream, as in packages.md 4f;
 * - sync request/response round trips/s (a new stream per request);
 * - mempool adds/s through the VerifierPool (2 workers), concurrent submission in chunks.
 */
import '../src/polyfills.ts'
import type { Libp2p } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { decodeSignedTx } from '../src/codec/tx.ts'
import { txVerifyJob } from '../src/crypto/tx-signature.ts'
import { Mempool } from '../src/node/mempool.ts'
import { VerifierPool } from '../src/node/verifier.ts'
import { startP2p, type P2pNode } from '../src/p2p/node.ts'
import { signedTransfer, signers, TEST_CHAIN_ID } from '../test/support/mempool-txs.ts'
import { testKey } from '../test/support/fixtures.ts'
import { fmt, machineLine, printTable } from './harness.ts'

const FRAMES = 20_000
const FRAME_BYTES = 158
const SYNC_ROUNDS = 1_000
const MEMPOOL_TXS = 10_000

async function until(cond: () => boolean): Promise<void> {
  const end = Date.now() + 60_000
  while (!cond()) {
    if (Date.now() > end) throw new Error('bench timed out')
    await new Promise((resolve) => setImmediate(resolve))
  }
}

async function pair(onFrame: () => void): Promise<[P2pNode, P2pNode]> {
  const ka = testKey('bench-p2p-a')
  const kb = testKey('bench-p2p-b')
  const allowed = [ka.publicKey, kb.publicKey]
  const b = await startP2p({
    secretKey: kb.secretKey,
    allowedPublicKeys: allowed,
    handlers: {
      onConsensusMessage: onFrame,
      onSyncRequest: (_from, bytes) => Promise.resolve(bytes),
    },
  })
  const a = await startP2p({
    secretKey: ka.secretKey,
    allowedPublicKeys: allowed,
    knownPeers: [{ publicKey: kb.publicKey, multiaddr: b.multiaddrs()[0]! }],
    redialIntervalMs: 100,
  })
  await until(() => a.isConnected(kb.publicKey))
  return [a, b]
}

async function benchP2p(): Promise<[string, string][]> {
  let received = 0
  let target = 0
  let wake: () => void = () => undefined
  const reach = (n: number): Promise<void> =>
    new Promise((resolve) => {
      if (received >= n) {
        resolve()
        return
      }
      target = n
      wake = resolve
    })
  const [a, b] = await pair(() => {
    received++
    if (received === target) wake()
  })
  const kb = testKey('bench-p2p-b')
  const frame = new Uint8Array(FRAME_BYTES).fill(7)
  let start = performance.now()
  for (let i = 0; i < FRAMES; i++) {
    a.send(kb.publicKey, frame)
    if (i % 500 === 499) await reach(i - 500)
  }
  await reach(FRAMES)
  const persistent = FRAMES / ((performance.now() - start) / 1000)
  const dropped = a.stats().consensusDropped

  // Baseline: one raw stream on the same connection, lpStream.write awaited per frame.
  const baseline = await (async () => {
    // The bench reaches into the node's libp2p instance (a runtime field) to open a bare stream.
    const aNode = (a as unknown as { libp2p: Libp2p }).libp2p
    const before = received
    const stream = await aNode.dialProtocol(
      aNode.getConnections()[0]!.remotePeer,
      '/pointsnode/consensus/1',
    )
    const lp = lpStream(stream)
    const t0 = performance.now()
    for (let i = 0; i < FRAMES; i++) await lp.write(frame)
    await reach(before + FRAMES)
    const rate = FRAMES / ((performance.now() - t0) / 1000)
    await stream.close()
    return rate
  })()

  start = performance.now()
  for (let i = 0; i < SYNC_ROUNDS; i++) {
    const r = await a.request(kb.publicKey, frame)
    if (!r.ok) throw new Error(r.error.message)
  }
  const sync = SYNC_ROUNDS / ((performance.now() - start) / 1000)
  await a.stop()
  await b.stop()
  return [
    [`consensus send(), persistent stream, ${FRAME_BYTES}-byte frames/s`, fmt(persistent)],
    ['baseline: raw lpStream.write awaited, frames/s', fmt(baseline)],
    ['consensus frames dropped by the bounded queue', String(dropped)],
    ['sync request/response round trips/s (new stream each)', fmt(sync)],
  ]
}

async function benchMempool(): Promise<[string, string][]> {
  const keys = signers(64)
  const txs = Array.from({ length: MEMPOOL_TXS }, (_, i) => signedTransfer(keys[i % 64]!, i, 1000))
  const pool = new VerifierPool(2)
  // Baseline: the same signatures straight through the pool, in one batch.
  const jobs = txs.map((t) => {
    const decoded = decodeSignedTx(t.signedBytes)
    if (!decoded.ok) throw new Error('fixture does not decode')
    return txVerifyJob(decoded.value)
  })
  const v0 = performance.now()
  await pool.verifyBatch(jobs)
  const verifyRate = MEMPOOL_TXS / ((performance.now() - v0) / 1000)
  const mempool = new Mempool({
    chainId: TEST_CHAIN_ID,
    verifier: pool,
    isCommitted: () => false,
  })
  const start = performance.now()
  for (let i = 0; i < txs.length; i += 1_000) {
    const chunk = txs.slice(i, i + 1_000)
    const results = await Promise.all(chunk.map((t) => mempool.add(t.signedBytes, 1)))
    if (results.some((r) => !r.ok)) throw new Error('mempool refused a valid tx')
  }
  const rate = MEMPOOL_TXS / ((performance.now() - start) / 1000)
  // The same adds with a verifier that accepts everything: the mempool's own overhead.
  const trivial = new Mempool({
    chainId: TEST_CHAIN_ID,
    verifier: { verifyBatch: (jobs) => Promise.resolve(jobs.map(() => true)) },
    isCommitted: () => false,
  })
  const t1 = performance.now()
  for (let i = 0; i < txs.length; i += 1_000) {
    await Promise.all(txs.slice(i, i + 1_000).map((t) => trivial.add(t.signedBytes, 1)))
  }
  const overhead = MEMPOOL_TXS / ((performance.now() - t1) / 1000)
  const t0 = performance.now()
  const taken = mempool.take(5_000, 4 * 1024 * 1024, 1)
  const takeMs = performance.now() - t0
  await pool.close()
  return [
    ['baseline: VerifierPool (2 workers) verifyBatch of the same txs, verifies/s', fmt(verifyRate)],
    ['mempool add/s (decode, checks, VerifierPool 2 workers), 1,000 concurrent', fmt(rate)],
    ['mempool add/s with an accept-all verifier (mempool overhead only)', fmt(overhead)],
    [`mempool take of ${taken.length} txs from ${MEMPOOL_TXS} (64 signers), ms`, takeMs.toFixed(1)],
  ]
}

console.log(machineLine())
printTable('p2p and mempool', [...(await benchP2p()), ...(await benchMempool())])
