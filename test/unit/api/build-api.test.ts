/**
 * Goal: the API's system routes and tx submission (single and batch) behave as documented: coded
 * errors with the table's statuses, body, batch-count (a msgpack batch's count read from its list
 * header, before its items are decoded) and rate limits, per-tx results of a batch in
 * request order (a msgpack body's txs read in place, not copied), a busy node's 503 with
 * Retry-After (a batch refused whole, unread), an OpenAPI
 * document that lists the routes, metrics text.
 * Method: fastify inject() against buildApi with a submit function that runs the real door check
 * (checkSignedTx) and remembers what it admitted; batch limits and concurrency against apps whose
 * submit function is a cheap fake or a barrier that only opens once every tx of a batch arrived.
 */
import type { LightMyRequestResponse } from 'fastify'
import { Registry } from 'prom-client'
import { afterAll, describe, expect, it } from 'vitest'
import { buildApi, API_BODY_BYTES_MAX, type ApiDeps } from '../../../src/api/build-api.ts'
import { httpStatusOf } from '../../../src/api/errors.ts'
import {
  API_TX_BATCH_BODY_BYTES_MAX,
  API_TX_BATCH_MAX,
  API_TX_BATCH_SCHEMA,
  readTxBatch,
} from '../../../src/api/tx-batch.ts'
import { encodeCanonical } from '../../../src/codec/canonical.ts'
import { sha256Plain } from '../../../src/codec/hash.ts'
import { checkSignedTx, signTx } from '../../../src/crypto/tx-signature.ts'
import { toHex } from '../../../src/util/bytes.ts'
import { err, ok } from '../../../src/util/result.ts'
import { sampleTx, testKey } from '../../support/fixtures.ts'

const admitted = new Set<string>()
const deps: ApiDeps = {
  chainId: 'pointsnode-test',
  metrics: new Registry(),
  health: () => ({
    height: 7,
    inSync: true,
    chainId: 'pointsnode-test',
    peers: 3,
    blockHash: 'aa',
    stateRoot: 'bb',
    mempoolTxs: 0,
  }),
  submitTx: (bytes) => {
    const checked = checkSignedTx(bytes, 'pointsnode-test', 10)
    if (!checked.ok) return Promise.resolve(err(checked.error))
    const id = toHex(checked.value.txId)
    if (admitted.has(id))
      return Promise.resolve(err({ code: 'TX_DUPLICATE', message: 'already pooled' }))
    admitted.add(id)
    return Promise.resolve(ok({ txId: checked.value.txId }))
  },
  rateLimit: { max: 1000, timeWindowMs: 60_000 },
}
const app = await buildApi(deps)
afterAll(async () => {
  await app.close()
})
const alice = testKey('alice')
const signed = signTx(sampleTx('points.transfer', alice), alice.secretKey)

describe('system routes', () => {
  it('GET /health reports height and sync state', async () => {
    const res = await app.inject({ method: 'GET', url: '/health' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      height: 7,
      inSync: true,
      chainId: 'pointsnode-test',
      peers: 3,
      blockHash: 'aa',
      stateRoot: 'bb',
      mempoolTxs: 0,
    })
  })

  it('GET /openapi.json is an OpenAPI 3 document listing the routes', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' })
    const doc = res.json<{ openapi: string; paths: Record<string, unknown> }>()
    expect(doc.openapi).toMatch(/^3\./)
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/health',
      '/v1/txs',
      '/v1/txs/batch',
      '/v1/txs/raw',
    ])
  })

  it('GET /metrics serves Prometheus text', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('text/plain')
  })

  it('unknown paths get a coded 404', async () => {
    const res = await app.inject({ method: 'GET', url: '/nope' })
    expect(res.statusCode).toBe(404)
    expect(res.json<{ error: { code: string } }>().error.code).toBe('API_NOT_FOUND')
  })
})

describe('POST /v1/txs', () => {
  it('admits a signed tx as hex JSON and refuses it the second time', async () => {
    const first = await app.inject({
      method: 'POST',
      url: '/v1/txs',
      payload: { tx: toHex(signed.signedBytes) },
    })
    expect(first.statusCode).toBe(202)
    expect(first.json()).toEqual({ txId: toHex(signed.txId) })
    const again = await app.inject({
      method: 'POST',
      url: '/v1/txs',
      payload: { tx: toHex(signed.signedBytes) },
    })
    expect(again.statusCode).toBe(409)
    expect(again.json<{ error: { code: string } }>().error.code).toBe('TX_DUPLICATE')
  })

  it('refuses JSON on the raw route', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/txs/raw', payload: { tx: '00' } })
    expect(res.statusCode).toBe(415)
    expect(res.json<{ error: { code: string } }>().error.code).toBe('API_UNSUPPORTED_MEDIA_TYPE')
  })

  it('admits the raw msgpack form', async () => {
    const other = signTx(sampleTx('points.redeem', alice), alice.secretKey)
    const res = await app.inject({
      method: 'POST',
      url: '/v1/txs/raw',
      headers: { 'content-type': 'application/msgpack' },
      payload: Buffer.from(other.signedBytes),
    })
    expect(res.statusCode, res.body).toBe(202)
  })

  const bad: [string, object, number, string][] = [
    ['non-hex', { payload: { tx: 'zz' } }, 400, 'API_BAD_REQUEST'],
    ['missing field', { payload: {} }, 400, 'API_BAD_REQUEST'],
    ['extra field', { payload: { tx: '00', more: 1 } }, 400, 'API_BAD_REQUEST'],
    ['number instead of string', { payload: { tx: 5 } }, 400, 'API_BAD_REQUEST'],
    ['garbage bytes', { payload: { tx: 'c1c1' } }, 400, 'CODEC_MALFORMED'],
    [
      'wrong content type',
      { payload: 'tx=00', headers: { 'content-type': 'text/plain' } },
      415,
      'API_UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'huge body',
      { payload: { tx: 'ab'.repeat(API_BODY_BYTES_MAX) } },
      413,
      'API_PAYLOAD_TOO_LARGE',
    ],
    [
      'invalid JSON',
      { payload: '{"tx":', headers: { 'content-type': 'application/json' } },
      400,
      'API_BAD_REQUEST',
    ],
  ]
  for (const [name, request, status, code] of bad) {
    it(`refuses ${name} with ${status} ${code}`, async () => {
      const res = await app.inject({ method: 'POST', url: '/v1/txs', ...request })
      expect(res.statusCode, res.body).toBe(status)
      expect(res.json<{ error: { code: string } }>().error.code).toBe(code)
    })
  }

  it('maps tx error codes through the one table', () => {
    expect(httpStatusOf('TX_BAD_SIGNATURE')).toBe(422)
    expect(httpStatusOf('CODEC_SHAPE')).toBe(400)
    expect(httpStatusOf('MEMPOOL_FULL')).toBe(503)
    expect(httpStatusOf('MEMPOOL_BUSY')).toBe(503)
    expect(httpStatusOf('SOMETHING_UNKNOWN')).toBe(500)
  })
})

type BatchResult = { txId: string } | { error: { code: string; message: string } }

/** A signed transfer that no other test of this file submits (salt `b`, `i`). */
function batchTx(i: number): ReturnType<typeof signTx> {
  const tx = { ...sampleTx('points.transfer', alice), salt: Uint8Array.of(0x62, i >> 8, i & 255) }
  return signTx(tx, alice.secretKey)
}

/** The msgpack form of a batch (the canonical list of byte strings). */
function msgpackBatch(txs: Uint8Array[]): { headers: Record<string, string>; payload: Buffer } {
  return {
    headers: { 'content-type': 'application/msgpack' },
    payload: Buffer.from(encodeCanonical(API_TX_BATCH_SCHEMA, txs)),
  }
}
/**
 * A msgpack body of byte strings with a list header written by hand (array16 or array32), for
 * lists longer than the schema lets `encodeCanonical` write, and headers that lie about the count.
 */
function msgpackList(
  count: number,
  items: readonly Uint8Array[] = [],
): { headers: Record<string, string>; payload: Buffer } {
  const header =
    count <= 0xffff
      ? Buffer.from([0xdc, count >> 8, count & 255])
      : Buffer.from([0xdd, count >>> 24, (count >> 16) & 255, (count >> 8) & 255, count & 255])
  const parts = items.map((item) => Buffer.concat([Buffer.from([0xc4, item.length]), item]))
  return {
    headers: { 'content-type': 'application/msgpack' },
    payload: Buffer.concat([header, ...parts]),
  }
}
function postBatch(request: object, api = app): Promise<LightMyRequestResponse> {
  return api.inject({ method: 'POST', url: '/v1/txs/batch', ...request })
}

function errorCodeOf(res: { json: () => unknown }): string {
  return (res.json() as { error: { code: string } }).error.code
}

/** An app whose submit is a cheap fake: the tx id is the sha256 of the bytes; it counts calls. */
async function cheapApp(): Promise<{ api: Awaited<ReturnType<typeof buildApi>>; calls: number[] }> {
  const calls = [0]
  const api = await buildApi({
    ...deps,
    submitTx: (bytes) => {
      calls[0]!++
      return Promise.resolve(ok({ txId: sha256Plain(bytes) }))
    },
  })
  return { api, calls }
}

describe('POST /v1/txs/batch', () => {
  it('admits a batch of valid txs as JSON: one txId per tx, in request order', async () => {
    const txs = [0, 1, 2, 3].map(batchTx)
    const res = await postBatch({ payload: { txs: txs.map((t) => toHex(t.signedBytes)) } })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({ results: txs.map((t) => ({ txId: toHex(t.txId) })) })
    for (const [i, t] of txs.entries()) expect(admitted.has(toHex(t.txId)), `tx ${i}`).toBe(true)
  })

  it('admits the msgpack form', async () => {
    const txs = [10, 11, 12].map(batchTx)
    const res = await postBatch(msgpackBatch(txs.map((t) => t.signedBytes)))
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({ results: txs.map((t) => ({ txId: toHex(t.txId) })) })
    for (const [i, t] of txs.entries()) expect(admitted.has(toHex(t.txId)), `tx ${i}`).toBe(true)
  })

  it('answers a coded error for each bad tx and admits the others', async () => {
    const [good1, good2, twice] = [20, 21, 22].map(batchTx)
    const old = batchTx(0) // admitted by the first test
    const txs = [
      toHex(good1!.signedBytes),
      'zz',
      'C1C1',
      'c1c1',
      toHex(old.signedBytes),
      toHex(twice!.signedBytes),
      toHex(twice!.signedBytes),
      toHex(good2!.signedBytes),
    ]
    const res = await postBatch({ payload: { txs } })
    expect(res.statusCode, res.body).toBe(200)
    const results = res.json<{ results: BatchResult[] }>().results
    const codes = results.map((r) => ('txId' in r ? r.txId : r.error.code))
    expect(codes).toEqual([
      toHex(good1!.txId),
      'API_BAD_REQUEST',
      'API_BAD_REQUEST',
      'CODEC_MALFORMED',
      'TX_DUPLICATE',
      toHex(twice!.txId),
      'TX_DUPLICATE',
      toHex(good2!.txId),
    ])
    for (const r of results) if ('error' in r) expect(r.error.message.length).toBeGreaterThan(0)
  })

  it('gives per-tx errors in the msgpack form too', async () => {
    const good = batchTx(30)
    const res = await postBatch(msgpackBatch([Uint8Array.of(0xc1, 0xc1), good.signedBytes]))
    expect(res.statusCode, res.body).toBe(200)
    const results = res.json<{ results: BatchResult[] }>().results
    expect(results[0]).toMatchObject({ error: { code: 'CODEC_MALFORMED' } })
    expect(results[1]).toEqual({ txId: toHex(good.txId) })
  })

  it('submits the txs of a batch concurrently (the mempool verifies them together)', async () => {
    const n = 8
    let arrived = 0
    let open: () => void = () => undefined
    const allArrived = new Promise<void>((resolve) => (open = resolve))
    let timer: NodeJS.Timeout | undefined
    const serial = new Promise<'serial'>((resolve) => (timer = setTimeout(resolve, 1000, 'serial')))
    const barrier = await buildApi({
      ...deps,
      submitTx: async (bytes) => {
        if (++arrived === n) open()
        // Resolves only once every tx has reached submit; a serial loop would get stuck here.
        const outcome = await Promise.race([allArrived.then(() => 'together' as const), serial])
        if (outcome === 'serial') return err({ code: 'TX_TEST_SERIAL', message: 'serial' })
        return ok({ txId: sha256Plain(bytes) })
      },
    })
    try {
      const txs = Array.from({ length: n }, (_, i) => Uint8Array.of(0x90, i))
      const res = await postBatch(msgpackBatch(txs), barrier)
      expect(res.statusCode, res.body).toBe(200)
      const results = res.json<{ results: BatchResult[] }>().results
      expect(results).toEqual(txs.map((t) => ({ txId: toHex(sha256Plain(t)) })))
    } finally {
      clearTimeout(timer)
      await barrier.close()
    }
  })

  it(`takes a full batch of ${API_TX_BATCH_MAX} transfer-sized txs in either form`, async () => {
    const { api, calls } = await cheapApp()
    try {
      const txs = Array.from({ length: API_TX_BATCH_MAX }, (_, i) =>
        new Uint8Array(200).fill(i & 255).fill(i >> 8, 0, 1),
      )
      const json = { payload: { txs: txs.map(toHex) } }
      expect(JSON.stringify(json.payload).length).toBeGreaterThan(API_BODY_BYTES_MAX)
      for (const request of [json, msgpackBatch(txs)]) {
        const res = await postBatch(request, api)
        expect(res.statusCode, res.body.slice(0, 200)).toBe(200)
        const results = res.json<{ results: BatchResult[] }>().results
        expect(results).toHaveLength(API_TX_BATCH_MAX)
        expect(results[API_TX_BATCH_MAX - 1]).toEqual({ txId: toHex(sha256Plain(txs.at(-1)!)) })
      }
      expect(calls[0]).toBe(2 * API_TX_BATCH_MAX)
    } finally {
      await api.close()
    }
  })

  it('refuses batches over the count limit without submitting any tx', async () => {
    const { api, calls } = await cheapApp()
    try {
      const txs = Array.from({ length: API_TX_BATCH_MAX + 1 }, (_, i) => Uint8Array.of(1, i & 255))
      for (const request of [{ payload: { txs: txs.map(toHex) } }, msgpackList(txs.length, txs)]) {
        const res = await postBatch(request, api)
        expect(res.statusCode, res.body).toBe(413)
        expect(errorCodeOf(res)).toBe('API_TX_BATCH_TOO_LARGE')
      }
      expect(calls[0]).toBe(0)
    } finally {
      await api.close()
    }
  })

  it('refuses a msgpack list on the count in its header, before decoding any item', async () => {
    const { api, calls } = await cheapApp()
    try {
      // The review's body: the whole byte limit of one-byte items (~700,000), a canonical list.
      const most = Math.floor((API_TX_BATCH_BODY_BYTES_MAX - 5) / 3)
      const full = msgpackList(most)
      const items = Buffer.alloc(3 * most)
      for (let i = 0; i < most; i++) items.set([0xc4, 1, i & 255], 3 * i)
      full.payload = Buffer.concat([full.payload, items])
      // The others end after their header or after one item, so a decode of the items would
      // answer CODEC_MALFORMED: the count's code shows that the count was read first.
      const overCount = [
        full,
        msgpackList(API_TX_BATCH_MAX + 1), // the header alone, no items
        msgpackList(API_TX_BATCH_MAX + 1, [Uint8Array.of(7)]), // one item of 1025
        msgpackList(0xffff_ffff, [Uint8Array.of(7)]), // the largest array32 count
      ]
      for (const [i, request] of overCount.entries()) {
        const res = await postBatch(request, api)
        expect(res.statusCode, `body ${i}: ${res.body}`).toBe(413)
        expect(errorCodeOf(res), `body ${i}`).toBe('API_TX_BATCH_TOO_LARGE')
      }
      // Within the count, the body is decoded: a list cut short is malformed.
      const short = await postBatch(msgpackList(API_TX_BATCH_MAX, [Uint8Array.of(7)]), api)
      expect([short.statusCode, errorCodeOf(short)]).toEqual([400, 'CODEC_MALFORMED'])
      expect(calls[0]).toBe(0)
    } finally {
      await api.close()
    }
  })

  it('refuses a body over its byte limit with 413', async () => {
    const { api, calls } = await cheapApp()
    try {
      const big = 'ab'.repeat(8000)
      const count = Math.ceil(API_TX_BATCH_BODY_BYTES_MAX / big.length) + 1
      expect(count).toBeLessThanOrEqual(API_TX_BATCH_MAX)
      const res = await postBatch({ payload: { txs: Array<string>(count).fill(big) } }, api)
      expect(res.statusCode).toBe(413)
      expect(errorCodeOf(res)).toBe('API_PAYLOAD_TOO_LARGE')
      expect(calls[0]).toBe(0)
    } finally {
      await api.close()
    }
  })

  const nonCanonical = Buffer.from([0x91, 0xc5, 0x00, 0x01, 0x07]) // bin16 for a 1-byte item
  const bad: [string, object, number, string][] = [
    ['an empty JSON list', { payload: { txs: [] } }, 400, 'API_TX_BATCH_EMPTY'],
    ['an empty msgpack list', msgpackBatch([]), 400, 'API_TX_BATCH_EMPTY'],
    ['a missing txs field', { payload: { tx: '00' } }, 400, 'API_BAD_REQUEST'],
    ['an extra field', { payload: { txs: ['00'], wait: 'commit' } }, 400, 'API_BAD_REQUEST'],
    ['a non-string item', { payload: { txs: ['00', 5] } }, 400, 'API_BAD_REQUEST'],
    ['an empty item', { payload: { txs: ['00', ''] } }, 400, 'API_BAD_REQUEST'],
    ['a list that is not a list', { payload: { txs: '00' } }, 400, 'API_BAD_REQUEST'],
    [
      'msgpack that is not a list of bytes',
      { headers: { 'content-type': 'application/msgpack' }, payload: Buffer.from([0x91, 0x01]) },
      400,
      'CODEC_SHAPE',
    ],
    [
      'msgpack that starts with a map, not a list',
      { headers: { 'content-type': 'application/msgpack' }, payload: Buffer.from([0x81, 1, 2]) },
      400,
      'CODEC_SHAPE',
    ],
    [
      'msgpack cut short in its list header',
      { headers: { 'content-type': 'application/msgpack' }, payload: Buffer.from([0xdc, 0x04]) },
      400,
      'CODEC_MALFORMED',
    ],
    [
      'non-canonical msgpack',
      { headers: { 'content-type': 'application/msgpack' }, payload: nonCanonical },
      400,
      'CODEC_NON_CANONICAL',
    ],
    [
      'a wrong content type',
      { payload: 'txs=00', headers: { 'content-type': 'text/plain' } },
      415,
      'API_UNSUPPORTED_MEDIA_TYPE',
    ],
    ['no body', {}, 415, 'API_UNSUPPORTED_MEDIA_TYPE'],
  ]
  for (const [name, request, status, code] of bad) {
    it(`refuses ${name} with ${status} ${code}`, async () => {
      const before = admitted.size
      const res = await postBatch(request)
      expect(res.statusCode, res.body).toBe(status)
      expect(errorCodeOf(res)).toBe(code)
      expect(httpStatusOf(code)).toBe(status)
      expect(admitted.size).toBe(before)
    })
  }
})

describe('readTxBatch', () => {
  it('reads the txs of a msgpack body as views into the body, byte for byte', () => {
    const txs = [40, 41, 42].map((i) => batchTx(i).signedBytes)
    const body = Buffer.from(encodeCanonical(API_TX_BATCH_SCHEMA, txs))
    const read = readTxBatch(body)
    expect(read.ok).toBe(true)
    if (!read.ok) return
    expect(read.value).toEqual(txs)
    for (const item of read.value) {
      expect(item instanceof Uint8Array && item.buffer === body.buffer).toBe(true)
    }
  })
})

describe('a node too busy to take txs', () => {
  const busy = { code: 'MEMPOOL_BUSY', message: 'verifying 4096 txs; retry later' }

  it('answers 503 MEMPOOL_BUSY with Retry-After on the single routes', async () => {
    const refusing = await buildApi({ ...deps, submitTx: () => Promise.resolve(err(busy)) })
    try {
      for (const request of [
        { url: '/v1/txs', payload: { tx: toHex(signed.signedBytes) } },
        {
          url: '/v1/txs/raw',
          payload: Buffer.from(signed.signedBytes),
          headers: { 'content-type': 'application/msgpack' },
        },
      ]) {
        const res = await refusing.inject({ method: 'POST', ...request })
        expect(res.statusCode, request.url).toBe(503)
        expect(res.headers['retry-after'], request.url).toBe('1')
        expect(res.json(), request.url).toEqual({ error: busy })
      }
    } finally {
      await refusing.close()
    }
  })

  it('refuses a batch whole, before its txs are read or submitted', async () => {
    let submitted = 0
    let refuse = true
    const api = await buildApi({
      ...deps,
      submitTx: (bytes) => {
        submitted++
        return Promise.resolve(ok({ txId: sha256Plain(bytes) }))
      },
      submitBusy: () => (refuse ? busy : null),
    })
    try {
      // Not even a malformed body is looked at while the node is busy.
      for (const request of [
        msgpackBatch([Uint8Array.of(1), Uint8Array.of(2)]),
        {
          payload: Buffer.from([0xc1]),
          headers: { 'content-type': 'application/msgpack' },
        },
      ]) {
        const res = await postBatch(request, api)
        expect(res.statusCode).toBe(503)
        expect(res.headers['retry-after']).toBe('1')
        expect(res.json()).toEqual({ error: busy })
      }
      expect(submitted).toBe(0)
      refuse = false
      const res = await postBatch(msgpackBatch([Uint8Array.of(1), Uint8Array.of(2)]), api)
      expect(res.statusCode, res.body).toBe(200)
      expect(res.headers['retry-after']).toBeUndefined()
      expect(submitted).toBe(2)
    } finally {
      await api.close()
    }
  })
})

describe('rate limit', () => {
  it('answers 429 with a coded body past the limit', async () => {
    const limited = await buildApi({ ...deps, rateLimit: { max: 2, timeWindowMs: 60_000 } })
    try {
      const codes: number[] = []
      for (let i = 0; i < 3; i++)
        codes.push((await limited.inject({ method: 'GET', url: '/health' })).statusCode)
      expect(codes).toEqual([200, 200, 429])
      const res = await limited.inject({ method: 'GET', url: '/health' })
      expect(res.json<{ error: { code: string } }>().error.code).toBe('API_RATE_LIMITED')
    } finally {
      await limited.close()
    }
  })
})
