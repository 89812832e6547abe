/**
 * `npm run bench:batch`: what each body form of `POST /v1/txs/batch` costs, per tx. The node's own
 * API (`buildApi`, the batch route and its hooks) is driven in this process with fastify's
 * `inject` (no sockets), and its submit step decodes each signed tx as the mempool's door does
 * first (`decodeSignedTx`), then admits it, so the difference between the rows is the body form
 * alone: hex JSON (`{ "txs": [...] }`) against the canonical msgpack list that the light client's
 * `submitBatch` sends. Also the client's cost to encode each form. CPU time (user + system) per
 * tx, the median of alternating rounds, so a drift of the host's load touches both forms alike.
 *
 * Flags: --batch N (txs per request, 200: the cluster bench's one-validator load) | --rounds N (8).
 */
import '../src/polyfills.ts'
import { Registry } from 'prom-client'
import { buildApi, type ApiDeps } from '../src/api/build-api.ts'
import { signedTx } from '../src/client/tx-builder.ts'
import { encodeCanonical } from '../src/codec/canonical.ts'
import { API_TX_BATCH_MAX, API_TX_BATCH_SCHEMA } from '../src/codec/tx-batch.ts'
import { decodeSignedTx } from '../src/codec/tx.ts'
import { toHex } from '../src/util/bytes.ts'
import { err, ok } from '../src/util/result.ts'
import { benchAccounts, numberFlag } from './cluster-lib.ts'
import { fmt, machineLine, median, printTable } from './harness.ts'

const args = process.argv.slice(2)
const batch = numberFlag(args, 'batch', 200, true)
const rounds = numberFlag(args, 'rounds', 8, true)
if (!Number.isInteger(batch) || batch > API_TX_BATCH_MAX) {
  throw new Error(`--batch must be an integer in 1..${API_TX_BATCH_MAX}`)
}
const CHAIN = 'pointsnode-bench'
/** Distinct requests per form; each round sends every one of them REPEAT times. */
const REQUESTS = 20
const REPEAT = 5
const WARMUP_ROUNDS = 3

type Form = 'json' | 'msgpack'

/** CPU µs (user + system) per unit of `work`'s `units`. */
async function cpuPerUnit(units: number, work: () => Promise<void> | void): Promise<number> {
  const start = process.cpuUsage()
  await work()
  const used = process.cpuUsage(start)
  return (used.user + used.system) / units
}

async function main(): Promise<void> {
  console.log(`machine: ${machineLine()}`)
  console.log(`command: npm run bench:batch -- ${args.join(' ')}`)
  const deps: ApiDeps = {
    chainId: CHAIN,
    metrics: new Registry(),
    health: () => {
      throw new Error('not used')
    },
    // The door's first step for every tx; admitting is free here, so only the form differs.
    submitTx: (bytes) => {
      const decoded = decodeSignedTx(bytes)
      return Promise.resolve(decoded.ok ? ok({ txId: decoded.value.txId }) : err(decoded.error))
    },
    rateLimit: { max: 1_000_000_000, timeWindowMs: 60_000 },
  }
  const app = await buildApi(deps)
  const accounts = benchAccounts(1, 1000)
  const requests = Array.from({ length: REQUESTS }, (_, r) =>
    Array.from({ length: batch }, (_, k) => {
      const i = r * batch + k
      return signedTx(
        accounts[i % accounts.length]!,
        'points.transfer',
        { pointType: 'UNI', to: accounts[(i + 1) % accounts.length]!.address, amount: 1n },
        { chainId: CHAIN, expiresAtHeight: 1000, salt: Uint8Array.of(i & 255, i >> 8) },
      ).signedBytes
    }),
  )
  const encode = {
    json: (txs: readonly Uint8Array[]) => JSON.stringify({ txs: txs.map(toHex) }),
    msgpack: (txs: readonly Uint8Array[]) =>
      Buffer.from(encodeCanonical(API_TX_BATCH_SCHEMA, [...txs])),
  }
  const contentType = { json: 'application/json', msgpack: 'application/msgpack' }
  const bodies = { json: requests.map(encode.json), msgpack: requests.map(encode.msgpack) }
  const units = REQUESTS * REPEAT * batch
  const route = (form: Form) =>
    cpuPerUnit(units, async () => {
      for (let n = 0; n < REPEAT; n++) {
        for (const payload of bodies[form]) {
          const res = await app.inject({
            method: 'POST',
            url: '/v1/txs/batch',
            headers: { 'content-type': contentType[form] },
            payload,
          })
          if (res.statusCode !== 200) throw new Error(`${form}: ${res.statusCode} ${res.body}`)
          const results = (JSON.parse(res.body) as { results: { txId?: string }[] }).results
          if (results.length !== batch || results.some((r) => r.txId === undefined)) {
            throw new Error(`${form}: not ${batch} admitted txs: ${res.body.slice(0, 200)}`)
          }
        }
      }
    })
  const encoding = (form: Form) =>
    cpuPerUnit(units, () => {
      for (let n = 0; n < REPEAT; n++) for (const txs of requests) encode[form](txs)
    })
  const samples: Record<string, number[]> = {}
  const record = (name: string, value: number, keep: boolean): void => {
    if (keep) (samples[name] ??= []).push(value)
  }
  for (let round = 0; round < WARMUP_ROUNDS + rounds; round++) {
    const keep = round >= WARMUP_ROUNDS
    for (const form of ['json', 'msgpack'] as const) {
      record(`route ${form}`, await route(form), keep)
      record(`encode ${form}`, await encoding(form), keep)
    }
  }
  await app.close()
  const µs = (name: string): string => median(samples[name]!).toFixed(1)
  printTable(`POST /v1/txs/batch, ${batch} transfers per request`, [
    ['body bytes, hex JSON', fmt(bodies.json[0]!.length)],
    ['body bytes, msgpack', fmt(bodies.msgpack[0]!.length)],
    ['node: route + decodeSignedTx, hex JSON, CPU µs per tx', µs('route json')],
    ['node: route + decodeSignedTx, msgpack, CPU µs per tx', µs('route msgpack')],
    ['client: encode the body, hex JSON, CPU µs per tx', µs('encode json')],
    ['client: encode the body, msgpack, CPU µs per tx', µs('encode msgpack')],
  ])
  console.log(`\n(medians of ${rounds} alternating rounds of ${fmt(units)} txs per form)`)
}

await main()
