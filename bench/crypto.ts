/**
 * `npm run bench:crypto`: signature and codec throughput on this machine, in one run, so that the
 * node's numbers can be compared with the machine's own verification ceiling.
 * Prints verify/s for noble, node:crypto (OpenSSL, the node's verifier before ADR 0075, kept as a
 * reference), libsecp256k1 inline and on the worker pool (1 and 2 workers), sign/s, and the
 * canonical codec's encode/decode per second for a signed transfer, and the tx id hash.
 */
import '../src/polyfills.ts'
import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto'
import { sha256 } from '@noble/hashes/sha2.js'
import { hashTagged, tagBytes } from '../src/codec/hash.ts'
import { decodeSignedTx, type SignedTx } from '../src/codec/tx.ts'
import { signDigest, verifyDigest } from '../src/crypto/secp256k1.ts'
import { signTx, txVerifyJob } from '../src/crypto/tx-signature.ts'
import type { VerifyJob } from '../src/crypto/verifier.ts'
import { verifyJobFast, VerifierPool } from '../src/node/verifier.ts'
import { concatBytes, toHex } from '../src/util/bytes.ts'
import { encodeTx } from '../src/codec/tx.ts'
import { sampleTx, testKey } from '../test/support/fixtures.ts'
import { batchOpsPerSecond, fmt, machineLine, opsPerSecond, printTable } from './harness.ts'

const POOL_JOBS = 20_000
const KEYS = 64

function buildTxs(count: number): SignedTx[] {
  const keys = Array.from({ length: KEYS }, (_, i) => testKey(`bench-${i}`))
  const txs: SignedTx[] = []
  for (let i = 0; i < count; i++) {
    const key = keys[i % KEYS]!
    const tx = {
      ...sampleTx('points.transfer', key),
      salt: Uint8Array.of(i & 255, (i >> 8) & 255, i >> 16),
    }
    txs.push(signTx(tx, key.secretKey))
  }
  return txs
}

/** SPKI DER prefix of a 33-byte compressed secp256k1 public key, for node:crypto. */
const SPKI33_PREFIX = Buffer.from('3036301006072a8648ce3d020106052b8104000a032200', 'hex')
const TX_TAG = tagBytes('tx')

/** node:crypto's check of a tx signature: OpenSSL hashes the preimage `tag ‖ txBytes` itself. */
function openSslJobs(txs: readonly SignedTx[]): (() => boolean)[] {
  const keys = new Map<string, KeyObject>()
  return txs.map((signed) => {
    const id = toHex(signed.tx.signerPublicKey)
    let key = keys.get(id)
    if (!key) {
      const der = Buffer.concat([SPKI33_PREFIX, signed.tx.signerPublicKey])
      key = createPublicKey({ key: der, format: 'der', type: 'spki' })
      keys.set(id, key)
    }
    const preimage = concatBytes(TX_TAG, signed.txBytes)
    const options = { key, dsaEncoding: 'ieee-p1363' as const }
    return () => cryptoVerify('sha256', preimage, options, signed.signature)
  })
}

async function main(): Promise<void> {
  console.log(`machine: ${machineLine()}`)
  const txs = buildTxs(POOL_JOBS)
  const jobs: VerifyJob[] = txs.map(txVerifyJob)
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
  const openSsl = openSslJobs(txs)
  let o = 0
  rows.push([
    'node:crypto (OpenSSL) verify, inline, cached key ops/s (reference)',
    fmt(opsPerSecond(() => openSsl[o++ % openSsl.length]!())),
  ])
  let i = 0
  rows.push([
    'libsecp256k1 verify, inline, cached key ops/s',
    fmt(opsPerSecond(() => verifyJobFast(jobs[i++ % jobs.length]!))),
  ])
  for (const size of [1, 2]) {
    const pool = new VerifierPool(size)
    await pool.verifyBatch(jobs.slice(0, 2000))
    const rate = await batchOpsPerSecond(jobs.length, () => pool.verifyBatch(jobs))
    rows.push([
      `libsecp256k1 verify, pool of ${size} worker(s), ${fmt(POOL_JOBS)} jobs ops/s`,
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
    fmt(opsPerSecond(() => sha256(concatBytes(TX_TAG, signed.txBytes)))),
  ])
  rows.push([
    'tx id, hashTagged (reusable per-tag hasher) ops/s',
    fmt(opsPerSecond(() => hashTagged('tx', signed.txBytes))),
  ])
  printTable('Crypto and codec', rows)
}

await main()
