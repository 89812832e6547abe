/**
 * Goal: the API's system routes and tx submission behave as documented: coded errors with the
 * table's statuses, body and rate limits, an OpenAPI document that lists the routes, metrics text.
 * Method: fastify inject() against buildApi with a submit function that runs the real door check
 * (checkSignedTx) and remembers what it admitted.
 */
import { Registry } from 'prom-client'
import { afterAll, describe, expect, it } from 'vitest'
import { buildApi, API_BODY_BYTES_MAX, type ApiDeps } from '../../../src/api/build-api.ts'
import { httpStatusOf } from '../../../src/api/errors.ts'
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
    expect(Object.keys(doc.paths).sort()).toEqual(['/health', '/v1/txs', '/v1/txs/raw'])
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
    expect(httpStatusOf('SOMETHING_UNKNOWN')).toBe(500)
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
