/**
 * Ledger benchmark: commit of a block with 1,000 state updates (one synced batch), and balance
 * reads per second through `loadStateValueSync` (getSync) and `loadStateValue` (get).
 * Baselines measured in the same run: a raw `kv.batch` of the same 1,000 puts with `sync: true`,
 * and raw `getSync`/`get` on the store. Also a block-sized batch (30,000 puts) written the two ways
 * classic-level offers: `db.batch(array)` (the baseline) and a chained batch, as `LevelKvStore.batch`
 * writes it. Run: `npm run bench:ledger` (about 30 s).
 */
import '../src/polyfills.ts'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { sha256 } from '@noble/hashes/sha2.js'
import type { WriteSet } from '../src/core/state.ts'
import { stateKey } from '../src/ledger/keys.ts'
import { openLevelKvStore } from '../src/ledger/kv-level.ts'
import { Ledger } from '../src/ledger/ledger.ts'
import { compareBytes, utf8 } from '../src/util/bytes.ts'
import {
  hashChainStateRootStandIn,
  seededRandom,
  TEST_GENESIS_HASH,
  testCertificate,
  testHeader,
  testSignedTx,
  TEST_TIME0,
  txIdsOf,
} from '../test/support/ledger-fixtures.ts'
import { median } from './harness.ts'

const ACCOUNTS = 100_000
const UPDATES_PER_BLOCK = 1000
const TXS_PER_BLOCK = 100
const BLOCKS = 40
const READS = 100_000
/** About the ops of one 5,000-tx block (tx locations, state changes, history records). */
const BLOCK_OPS = 30_000
const FORM_RUNS = 8

const accountKey = (i: number): Uint8Array => sha256(utf8(`account/${i}`))
const balance = (v: number): Uint8Array => utf8(String(v).padStart(16, '0'))
const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)]!

function writeSet(random: () => number, block: number): WriteSet {
  const keys = new Map<string, Uint8Array>()
  while (keys.size < UPDATES_PER_BLOCK) {
    const key = accountKey(Math.floor(random() * ACCOUNTS))
    keys.set(Buffer.from(key).toString('hex'), key)
  }
  return [...keys.values()]
    .sort(compareBytes)
    .map((key, i) => ({ key, value: balance(block * 10_000 + i) }))
}

async function benchCommits(ledger: Ledger, random: () => number): Promise<number[]> {
  const times: number[] = []
  for (let b = 0; b < BLOCKS; b++) {
    const head = ledger.head!
    const height = head.height + 1
    const txs = Array.from({ length: TXS_PER_BLOCK }, (_, i) =>
      testSignedTx(`bench/${height}/${i}`),
    )
    const txIds = txIdsOf({ header: testHeader(height, head.blockHash, 0n, head.stateRoot), txs })
    const header = testHeader(
      height,
      head.blockHash,
      TEST_TIME0 + BigInt(height) * 1000n,
      sha256(utf8(`root${height}`)),
    )
    const history = txIds.map((txId, index) => ({
      address: txId.slice(0, 20),
      txId,
      height,
      index,
      kind: 'points.transfer',
    }))
    const input = {
      block: { header, txs },
      certificate: testCertificate(header),
      writeSet: writeSet(random, b),
      burns: [],
      indexEntries: { history, issuances: [], rates: [], auctions: [], stats: [] },
    }
    const start = performance.now()
    await ledger.commitBlock(input)
    times.push(performance.now() - start)
  }
  return times
}

/** Wall time of a 30,000-put batch (no sync) as an array batch and through `LevelKvStore.batch`. */
async function benchBatchForms(dir: string): Promise<{ array: number[]; chained: number[] }> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(join(dir, 'array'), {
    keyEncoding: 'view',
    valueEncoding: 'view',
  })
  await db.open()
  const kv = await openLevelKvStore(join(dir, 'chained'))
  const array: number[] = []
  const chained: number[] = []
  for (let run = 0; run < FORM_RUNS; run++) {
    const ops = Array.from({ length: BLOCK_OPS }, (_, i) => ({
      type: 'put' as const,
      key: accountKey(run * BLOCK_OPS + i),
      value: balance(i),
    }))
    let start = performance.now()
    await db.batch(ops, { sync: false })
    array.push(performance.now() - start)
    start = performance.now()
    await kv.batch(ops, { sync: false })
    chained.push(performance.now() - start)
  }
  await db.close()
  await kv.close()
  return { array, chained }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pointsnode-bench-ledger-'))
  try {
    const kv = await openLevelKvStore(join(dir, 'db'))
    const ledger = await Ledger.open(kv, { computeStateRoot: hashChainStateRootStandIn })
    const genesis: WriteSet = Array.from({ length: ACCOUNTS }, (_, i) => ({
      key: accountKey(i),
      value: balance(i),
    })).sort((a, b) => compareBytes(a.key, b.key))
    await ledger.initGenesis({
      genesisHash: TEST_GENESIS_HASH,
      writeSet: genesis,
      stateRoot: sha256(utf8('root0')),
    })
    const random = seededRandom(42)

    // Baseline: the same number of puts as one raw synced batch.
    const rawTimes: number[] = []
    for (let b = 0; b < BLOCKS / 2; b++) {
      const ops = writeSet(random, b).map((c) => ({
        type: 'put' as const,
        key: stateKey(c.key),
        value: c.value!,
      }))
      const start = performance.now()
      await kv.batch(ops, { sync: true })
      rawTimes.push(performance.now() - start)
    }
    const commitTimes = await benchCommits(ledger, random)

    const readKeys = Array.from({ length: READS }, () =>
      accountKey(Math.floor(random() * ACCOUNTS)),
    )
    // Warm-up pass, so that the baseline and the ledger reads see the same block cache.
    for (const key of readKeys) kv.getSync(stateKey(key))
    let start = performance.now()
    for (const key of readKeys)
      if (kv.getSync(stateKey(key)) === undefined) throw new Error('missing')
    const rawSyncPerS = READS / ((performance.now() - start) / 1000)
    start = performance.now()
    for (const key of readKeys)
      if (ledger.loadStateValueSync(key) === undefined) throw new Error('missing')
    const syncPerS = READS / ((performance.now() - start) / 1000)
    start = performance.now()
    for (const key of readKeys.slice(0, READS / 4))
      if ((await ledger.loadStateValue(key)) === undefined) throw new Error('missing')
    const asyncPerS = READS / 4 / ((performance.now() - start) / 1000)
    start = performance.now()
    for (let i = 0; i < READS; i += 100)
      await Promise.all(readKeys.slice(i, i + 100).map((k) => ledger.loadStateValue(k)))
    const concurrentPerS = READS / ((performance.now() - start) / 1000)
    await ledger.close()
    const forms = await benchBatchForms(dir)

    const ms = (x: number): string => x.toFixed(2)
    const rate = (x: number): string => Math.round(x).toLocaleString('en-US')
    console.log(
      `ledger bench: ${ACCOUNTS.toLocaleString('en-US')} accounts, LevelDB in ${tmpdir()}, Node ${process.version}`,
    )
    console.table([
      {
        operation: `raw kv.batch of ${UPDATES_PER_BLOCK} puts, sync (baseline)`,
        median_ms: ms(median(rawTimes)),
        p99_ms: ms(p99(rawTimes)),
        runs: rawTimes.length,
      },
      {
        operation: `commitBlock: ${UPDATES_PER_BLOCK} state updates + ${TXS_PER_BLOCK} txs, history, sync`,
        median_ms: ms(median(commitTimes)),
        p99_ms: ms(p99(commitTimes)),
        runs: commitTimes.length,
      },
    ])
    console.table([
      { operation: 'raw kv.getSync (baseline)', reads_per_s: rate(rawSyncPerS) },
      { operation: 'loadStateValueSync (getSync)', reads_per_s: rate(syncPerS) },
      { operation: 'loadStateValue (get), awaited one by one', reads_per_s: rate(asyncPerS) },
      { operation: 'loadStateValue (get), 100 concurrent', reads_per_s: rate(concurrentPerS) },
    ])
    console.table(
      Object.entries(forms).map(([form, times]) => ({
        operation: `${BLOCK_OPS.toLocaleString('en-US')} puts, no sync, ${form === 'array' ? 'db.batch(array) (baseline)' : 'chained (LevelKvStore.batch)'}`,
        median_ms: ms(median(times)),
        p99_ms: ms(p99(times)),
        runs: times.length,
      })),
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
