/**
 * `npm run bench:crypto`: signature and codec throughput on this machine, in one run, so that the
 * node's numbers can be compared with the machine's own verification ceiling.
 * Prints verify/s for noble, node:crypto inline and the worker pool (1 and 2 workers), sign/s, and
 * the canonical codec's encode/decode per second for a signed transfer, and the tx id hash.
 */
import '../src/polyfills.ts'
import { sha256 } from '@noble/hashes/sha2.js'
import { hashTagged, taggedPreimage } from '../src/codec/hash.ts'
import { decodeSignedTx } from '../src/codec/tx.ts'
import { signDigest, verifyDigest } from '../src/crypto/secp256k1.ts'
import { signTx, txVerifyJob } from '../src/crypto/tx-signature.ts'
import type { VerifyJob } from '../src/crypto/verifier.ts'
import { verifyJobNode, VerifierPool } from '../src/node/verifier.ts'
import { encodeTx } from '../src/codec/tx.ts'
import { sampleTx, testKey } from '../test/support/fixtures.ts'
import { batchOpsPerSecond, fmt, machineLine, opsPerSecond, printTable } from './harness.ts'

const POOL_JOBS = 20_000
const KEYS = 64

function buildJobs(count: number): VerifyJob[] {
  const keys = Array.from({ length: KEYS }, (_, i) => testKey(`bench-${i}`))
  const jobs: VerifyJob[] = []
  for (let i = 0; i < count; i++) {
    const key = keys[i % KEYS]!
    const tx = {
      ...sampleTx('points.transfer', key),
      salt: Uint8Array.of(i & 255, (i >> 8) & 255, i >> 16),
    }
    jobs.push(txVerifyJob(signTx(tx, key.secretKey)))
  }
  return jobs
}

async function main(): Promise<void> {
  console.log(`machine: ${machineLine()}`)
  const jobs = buildJobs(POOL_JOBS)
  const one = jobs[0]!
  const key = testKey('bench-0')
  const rows: [string, string][] = []
  rows.push([
    'noble sign (RFC 6979, low-S) ops/s',
    fmt(opsPerSecond(() => signDigest(one.digest, key.secretKey))),
  ])
  rows.push([
    'noble verify ops/s',
    fmt(opsPerSecond(() => verifyDigest(one.signature, one.digest, one.publicKey))),
  ])
  let i = 0
  rows.push([
    'node:crypto verify, inline, cached key ops/s',
    fmt(opsPerSecond(() => verifyJobNode(jobs[i++ % jobs.length]!))),
  ])
  for (const size of [1, 2]) {
    const pool = new VerifierPool(size)
    await pool.verifyBatch(jobs.slice(0, 2000))
    const rate = await batchOpsPerSecond(jobs.length, () => pool.verifyBatch(jobs))
    rows.push([
      `node:crypto verify, pool of ${size} worker(s), ${fmt(POOL_JOBS)} jobs ops/s`,
      fmt(rate),
    ])
    await pool.close()
  }
  const signed = signTx(sampleTx('points.transfer', key), key.secretKey)
  rows.push([
    'codec encode tx (canonical, with shape check) ops/s',
    fmt(opsPerSecond(() => encodeTx(signed.tx))),
  ])
  rows.push([
    'codec decode signed tx (unpack + shape + re-encode + txId) ops/s',
    fmt(opsPerSecond(() => decodeSignedTx(signed.signedBytes))),
  ])
  rows.push(['signed transfer size, bytes', String(signed.signedBytes.length)])
  // The tx id hash both ways: noble's one-shot over a copied preimage (the baseline), and
  // `hashTagged`'s reusable per-tag hasher.
  rows.push([
    'tx id, noble one-shot sha256(tag ‖ txBytes) ops/s',
    fmt(opsPerSecond(() => sha256(taggedPreimage('tx', signed.txBytes)))),
  ])
  rows.push([
    'tx id, hashTagged (reusable per-tag hasher) ops/s',
    fmt(opsPerSecond(() => hashTagged('tx', signed.txBytes))),
  ])
  printTable('Crypto and codec', rows)
}

await main()
