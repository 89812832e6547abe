/**
 * `npm run bench:bound`: how close to the signature-verification ceiling can a node on this stack
 * get at all? Issue #9 asks for committed tx/s ≥ 0.8 of the machine's verify rate (÷ 4 for four
 * validators). This bench measures the same ratio for the smallest part of a node that every tx
 * must pass: the node's HTTP API and batch route, decoding, the stateless checks and one signature
 * verification on the node's `VerifierPool` (`bench/bound-server.ts`). No mempool, consensus,
 * execution, state tree or ledger runs, so its ratio bounds from above what the whole node can
 * reach on this machine: whatever the rest costs comes on top.
 *
 * One command, fixed seed:
 * 1. the verify rate of the node's own `VerifierPool` (1 and 2 workers), as `bench:cluster` takes
 *    it, before and after the run (the higher counts);
 * 2. signs `--txs` UNI transfers between `--accounts` deterministic accounts with the client's tx
 *    builder (the cluster bench's load), and encodes them as msgpack batches of `--batch`;
 * 3. in-process step (with one server only): this process decodes and checks every tx and
 *    verifies it on a 2-worker pool, with no HTTP: the cost of decoding and dispatch alone;
 * 4. HTTP step: `--validators` bound servers (own processes, 127.0.0.1, ephemeral ports, 2 verifier
 *    workers for one server, 1 each for more, as the cluster bench's nodes); this process sends
 *    every batch to every server (each node of a cluster must see and verify every tx), at most
 *    `--concurrency` requests in flight per server, after a warm-up of `--warmup` batches. The
 *    step's rate is txs ÷ (last answer − first send), with every tx admitted by every server;
 * 5. prints the rates, the ratios (against the 2-worker rate, ÷ the number of servers) and CPU per
 *    process and per tx, split for server 0 into event loop, verifier workers and the rest
 *    (`pointsnode_thread_cpu_seconds_total`, as `bench:cluster` reports a node).
 *
 * Flags: --validators N (1) | --txs N (40000) | --accounts N (1000) | --batch N (200) |
 * --concurrency N (32) | --warmup N (20 batches) | --seed N (1) | --hold-ms N (0: the servers keep
 * each decoded tx alive for N ms after it arrived, as a pool would, to show what that costs).
 */
import '../src/polyfills.ts'
import { API_TX_BATCH_MAX } from '../src/api/tx-batch.ts'
import type { VerifyJob } from '../src/crypto/verifier.ts'
import { VerifierPool } from '../src/node/verifier.ts'
import { BOUND_HEIGHT, boundDoor } from './bound-door.ts'
import { runBoundStep, signBoundLoad } from './bound-lib.ts'
import { BENCH_CHAIN_ID, numberFlag } from './cluster-lib.ts'
import { measureVerifyRates } from './cluster-run.ts'
import { fmt, machineLine } from './harness.ts'

const args = process.argv.slice(2)
const num = (name: string, fallback: number): number => numberFlag(args, name, fallback)
const servers = num('validators', 1)
const txCount = num('txs', 40_000)
const accountCount = num('accounts', 1000)
const batch = num('batch', 200)
const concurrency = num('concurrency', 32)
const warmupBatches = num('warmup', 20)
const seed = num('seed', 1)
const holdMs = num('hold-ms', 0)
if (!Number.isInteger(batch) || batch < 1 || batch > API_TX_BATCH_MAX) {
  throw new Error(`--batch must be an integer in 1..${API_TX_BATCH_MAX}`)
}
const workersPerServer = servers === 1 ? 2 : 1

/** The in-process step: decode, check and verify every tx here, with no HTTP. Returns tx/s. */
async function inProcessRate(txs: readonly Uint8Array[]): Promise<number> {
  const pool = new VerifierPool(2)
  try {
    const step = async (): Promise<number> => {
      const start = performance.now()
      const verifying: Promise<boolean[]>[] = []
      for (let i = 0; i < txs.length; i += batch) {
        const jobs: VerifyJob[] = []
        for (const bytes of txs.slice(i, i + batch)) {
          const passed = boundDoor(bytes, BENCH_CHAIN_ID, BOUND_HEIGHT)
          if (!passed.ok) throw new Error(`a bench tx failed the door: ${passed.error.code}`)
          jobs.push(passed.value.job)
        }
        verifying.push(pool.verifyBatch(jobs))
        // Let the workers' answers in between batches, as a serving node's event loop does.
        if (verifying.length % 8 === 0) await new Promise((r) => setImmediate(r))
      }
      const results = await Promise.all(verifying)
      if (!results.every((r) => r.every((good) => good))) throw new Error('a signature failed')
      return txs.length / ((performance.now() - start) / 1000)
    }
    await step()
    return await step()
  } finally {
    await pool.close()
  }
}

const percent = (value: number | null | undefined): string =>
  value === null || value === undefined ? '-' : `${Math.round(value)} %`

async function main(): Promise<void> {
  console.log(`# Bound: the node's intake alone (bench/bound.ts)\n\n${machineLine()}`)
  console.log(
    `servers ${servers} (${workersPerServer} verifier worker(s) each), ${fmt(txCount)} txs from ` +
      `${fmt(accountCount)} accounts, ${batch} per request, ${concurrency} requests in flight ` +
      `per server, seed ${seed}, decoded txs held ${holdMs} ms`,
  )
  const ratesBefore = await measureVerifyRates(seed, 4000)
  const signStart = performance.now()
  const txs = signBoundLoad(seed, accountCount, txCount)
  console.log(`signed in ${fmt(performance.now() - signStart)} ms`)
  const inProcess = servers === 1 ? await inProcessRate(txs) : null
  const step = await runBoundStep({
    servers,
    workersPerServer,
    txs,
    batch,
    concurrency,
    warmupBatches,
    holdMs,
  })
  const ratesAfter = await measureVerifyRates(seed, 4000)
  const two = Math.max(ratesBefore.two, ratesAfter.two)
  const one = Math.max(ratesBefore.one, ratesAfter.one)
  const ceiling = two / servers
  const allowed = Math.round((2 / (0.8 * two)) * 1e6)
  console.log('\n| measurement | value |\n|---|---:|')
  console.log(`| verify rate, 1 worker /s (higher of before and after) | ${fmt(one)} |`)
  console.log(`| verify rate, 2 workers /s (higher of before and after) | ${fmt(two)} |`)
  console.log(`| ceiling: 2-worker rate ÷ ${servers} | ${fmt(ceiling)} |`)
  if (inProcess !== null) {
    console.log(`| no HTTP: decode + checks + verify in one process, tx/s | ${fmt(inProcess)} |`)
    console.log(`| no HTTP ÷ ceiling | ${(inProcess / ceiling).toFixed(3)} |`)
  }
  console.log(
    `| HTTP intake, tx/s (every tx admitted by every server) | ${fmt(step.txPerSecond)} |`,
  )
  console.log(`| **HTTP intake ÷ ceiling** | **${(step.txPerSecond / ceiling).toFixed(3)}** |`)
  const cpus = step.cpuPercent.slice(0, servers).map(percent).join(' / ')
  console.log(`| CPU per server (100 % = one core) | ${cpus} |`)
  console.log(`| CPU of this process (client) | ${percent(step.cpuPercent[servers])} |`)
  const t = step.server0PerTx
  const split =
    t === null
      ? '-'
      : `${fmt(t.main)} / ${fmt(t.verifier)} / ${fmt(t.other)} = ${fmt(t.main + t.verifier + t.other)}`
  console.log(`| server 0 µs/tx: event loop / verifiers / other = total | ${split} |`)
  console.log(`| total µs/tx at 0.8 of the ceiling, per server | ${fmt(allowed)} |`)
}

await main()
