/**
 * VM benchmark: points.transfer txs applied per second on one core, without signature checks
 * (the VM never verifies signatures; the caller does). Blocks of BLOCK_TX_COUNT_MAX transfers
 * between 2,000 accounts, over a MemoryState. Run: `npm run bench:vm`.
 *
 * Rows: a non-expiring type (one lot per balance) and an expiring type (each transfer moves lots
 * with their expiry); `execute` is executeBlock alone, `execute+apply` adds applying the write set
 * to the MemoryState. Baseline in the same run: an empty block (the fixed per-block cost).
 * Before the timed runs, a warm-up pass over both types (discarded) lets the JIT settle, so the
 * first row is not penalised.
 *
 * Then the call auction part of the VM bench (issue 4): `clearCallAuction` on random books of 10k,
 * 100k and 1M orders (clustered books), as in bench/auction.ts (goal: ≤ 100 ms at 100k; n log n
 * growth).
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { BLOCK_TX_COUNT_MAX } from '../src/core/block.ts'
import { publicKeyOf, addressOf } from '../src/crypto/secp256k1.ts'
import { executeBlock } from '../src/vm/index.ts'
import { utf8 } from '../src/util/bytes.ts'
import { T0, TestChain, testGenesis, tx, CHAIN } from '../test/support/vm.ts'
import type { SignedTx } from '../src/codec/tx.ts'
import { measureAuctions, printAuctions } from './auction.ts'
import { machineLine } from './harness.ts'

const ACCOUNTS = 2_000
const BLOCKS = 8
const WARM_UP_BLOCKS = 2

const accounts = Array.from({ length: ACCOUNTS }, (_, i) => {
  const secretKey = sha256(utf8(`bench-${i}`))
  const publicKey = publicKeyOf(secretKey)
  return { secretKey, publicKey, address: addressOf(publicKey) }
})

/** Wall-clock ms and this process's CPU ms (user + system): CPU time is robust to a busy machine. */
function now(): { wall: number; cpu: number } {
  const u = process.cpuUsage()
  return { wall: performance.now(), cpu: (u.user + u.system) / 1000 }
}

interface Row {
  readonly execute: number
  readonly executeCpu: number
  readonly withApply: number
  readonly empty: number
}

function run(symbol: string, blockCount = BLOCKS): Row {
  const balances = accounts.flatMap((a) => [
    { account: a.address, pointType: symbol, amount: 1_000_000n },
  ])
  const chain = new TestChain(testGenesis({ balances }), false)
  let seed = 1
  const next = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648)
  const blocks: SignedTx[][] = []
  for (let b = 0; b < blockCount; b++) {
    blocks.push(
      Array.from({ length: BLOCK_TX_COUNT_MAX }, () => {
        const from = accounts[next() % ACCOUNTS]!
        const to = accounts[next() % ACCOUNTS]!
        return tx(
          'points.transfer',
          from,
          { pointType: symbol, to: to.address, amount: BigInt(1 + (next() % 50)) },
          1_000,
        )
      }),
    )
  }
  let executeMs = 0
  let executeCpuMs = 0
  let totalMs = 0
  let emptyMs = 0
  for (const [b, txs] of blocks.entries()) {
    const ctx = { chainId: CHAIN, height: b + 1, time: T0 + BigInt(b + 1) * 1_000n }
    const e0 = performance.now()
    executeBlock(chain.state, ctx, [])
    emptyMs += performance.now() - e0
    const start = now()
    const result = executeBlock(chain.state, ctx, txs)
    const end = now()
    const t0 = start.wall
    const t1 = end.wall
    chain.state.apply(result.writeSet)
    const t2 = performance.now()
    if (result.receipts.some((r) => !r.ok)) throw new Error('a bench transfer failed')
    if (b > 0) {
      executeMs += t1 - t0
      executeCpuMs += end.cpu - start.cpu
      totalMs += t2 - t0
    }
  }
  const n = (blockCount - 1) * BLOCK_TX_COUNT_MAX
  return {
    execute: (n / executeMs) * 1000,
    executeCpu: (n / executeCpuMs) * 1000,
    withApply: (n / totalMs) * 1000,
    empty: emptyMs / blockCount,
  }
}

run('UNI', WARM_UP_BLOCKS)
run('EXP', WARM_UP_BLOCKS)
const rows = [
  ['UNI (no expiry)', run('UNI')],
  ['EXP (lots with expiry)', run('EXP')],
] as const
console.log(`VM: ${machineLine()}`)
console.log(
  `VM transfers, ${BLOCK_TX_COUNT_MAX} per block, ${BLOCKS - 1} timed blocks (first is warm-up), ${ACCOUNTS} accounts`,
)
const load = (await import('node:os')).loadavg()[0]!.toFixed(2)
console.log(`load average at the end: ${load} (2 cores shared); CPU-time rate is robust to load`)
console.log(
  '| type | execute, wall (tx/s) | execute, CPU time (tx/s) | execute+apply, wall (tx/s) | empty block (ms) |',
)
console.log('|---|---:|---:|---:|---:|')
for (const [name, r] of rows) {
  const f = (v: number): string => Math.round(v).toLocaleString('en-US')
  console.log(
    `| ${name} | ${f(r.execute)} | ${f(r.executeCpu)} | ${f(r.withApply)} | ${r.empty.toFixed(2)} |`,
  )
}

console.log('')
// Clustered books only here (bench:auction adds spread books): keeps this bench near two minutes.
printAuctions(measureAuctions(['clustered']))
