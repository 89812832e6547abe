/**
 * Goal: 10,000 generated bad requests — unknown paths, wrong methods, bad path parameters, bad query
 * values, bad percent-encodings, wrong content types, malformed and wrongly typed JSON, bad hex,
 * bad or mutated msgpack, oversized bodies — each get a 4xx answer with a coded body
 * `{ error: { code, message } }`, never a 5xx, and the node keeps serving afterwards. The batch
 * route (`POST /v1/txs/batch`) may instead answer 200 to a well-formed list of bad txs (a mutated
 * signed tx is itself a msgpack list of byte strings), but then every per-tx result must be a coded
 * error: no generated request holds a valid tx.
 * Method: fast-check (fixed seed) over fastify inject() against the API of a real running node
 * (PointsNode, one validator, rate limit raised). Routes, methods and parameter schemas are read from
 * the served /openapi.json, so every route that is added later is fuzzed without editing this test;
 * parameter values are generated to violate the declared schema (pattern, enum) where there is one,
 * and where there is none they are malformed for any name, number, id or hex (odd characters, long).
 */
import type { InjectOptions } from 'fastify'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_BODY_BYTES_MAX } from '../../src/api/build-api.ts'
import { toHex } from '../../src/util/bytes.ts'
import { registerTx, startLiveNode, type LiveNode } from '../support/live-node.ts'

const RUNS = 10_000
const SEED = 20261125

interface ParamSchema {
  readonly type?: string
  readonly pattern?: string
  readonly enum?: readonly unknown[]
}
interface Param {
  readonly name: string
  readonly in: string
  readonly schema?: ParamSchema
}
interface Operation {
  readonly method: string
  readonly template: string
  readonly pathParams: readonly Param[]
  readonly queryParams: readonly Param[]
  readonly contentTypes: readonly string[]
}
interface OpenApi {
  readonly paths: Record<string, Record<string, { parameters?: Param[]; requestBody?: unknown }>>
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const

function operationsOf(doc: OpenApi): Operation[] {
  const out: Operation[] = []
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const parameters = op.parameters ?? []
      const body = op.requestBody as { content?: Record<string, unknown> } | undefined
      out.push({
        method: method.toUpperCase(),
        template,
        pathParams: parameters.filter((p) => p.in === 'path'),
        queryParams: parameters.filter((p) => p.in === 'query' && p.schema?.type !== 'array'),
        // A POST without a declared body schema (the raw msgpack route) gets both kinds of body.
        contentTypes: body?.content
          ? Object.keys(body.content)
          : method === 'post'
            ? ['application/msgpack', 'application/json']
            : [],
      })
    }
  }
  return out
}

/** Strings that are malformed for any id, height, hex or name parameter. */
const anyBadValue = fc.oneof(
  fc.constantFrom(
    '',
    '-1',
    '1.5',
    '1e3',
    '0x10',
    ' 1',
    '+1',
    'NaN',
    'null',
    '[]',
    '..',
    '\u0000',
    'ZZ',
    'é',
    '💥',
    'g'.repeat(64),
    'A'.repeat(40),
  ),
  fc.string({ maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: fc.constantFrom(...Array.from('0123456789abcdef')), maxLength: 80 }),
  fc.integer({ min: 1025, max: 3000 }).map((n) => 'x'.repeat(n)),
)

/** A value that violates `schema` (any bad value when the schema constrains nothing checkable). */
function violating(schema: ParamSchema | undefined): fc.Arbitrary<string> {
  const pattern = schema?.pattern === undefined ? null : new RegExp(schema.pattern, 'u')
  const allowed = schema?.enum
  if (pattern === null && allowed === undefined) {
    // Nothing checkable declared: only values malformed for any name, number, id or hex.
    return anyBadValue.filter((v) => v.length > 300 || !/^[A-Za-z0-9._~-]*$/.test(v))
  }
  return anyBadValue.filter((v) => {
    if (pattern?.test(v)) return false
    if (allowed?.includes(v)) return false
    return true
  })
}

const enc = encodeURIComponent

function pathArb(op: Operation): fc.Arbitrary<string> {
  if (op.pathParams.length === 0) return fc.constant(op.template)
  return fc
    .tuple(...op.pathParams.map((p) => violating(p.schema)))
    .map((values) =>
      op.pathParams.reduce(
        (path, p, i) => path.replace(`{${p.name}}`, enc(values[i]!)),
        op.template,
      ),
    )
}

/** A request with the category it belongs to (for coverage counts and failure messages). */
interface BadRequest {
  readonly category: string
  readonly request: FuzzRequest
}

/** What the fuzz sends (a subset of inject's options). */
interface FuzzRequest {
  readonly method: string
  readonly url: string
  readonly headers?: Record<string, string>
  readonly payload?: string | Buffer
}

function badPathParams(ops: readonly Operation[]): fc.Arbitrary<BadRequest> | null {
  const withParams = ops.filter((op) => op.pathParams.length > 0)
  if (withParams.length === 0) return null
  return fc
    .constantFrom(...withParams)
    .chain((op) => pathArb(op).map((url) => ({ op, url })))
    .map(({ op, url }) => ({
      category: 'path-param',
      request: { method: op.method, url, ...bodyFor(op) },
    }))
}

/** A body that is fine for the route's content type, so only the parameter is at fault. */
function bodyFor(op: Operation): Pick<FuzzRequest, 'headers' | 'payload'> {
  if (op.method === 'GET' || op.contentTypes.length === 0) return {}
  return { headers: { 'content-type': 'application/json' }, payload: '{}' }
}

function badQueries(ops: readonly Operation[]): fc.Arbitrary<BadRequest> | null {
  const withQuery = ops.filter((op) => op.queryParams.length > 0)
  if (withQuery.length === 0) return null
  return fc
    .constantFrom(...withQuery)
    .chain((op) =>
      fc.tuple(
        fc.constant(op),
        pathArb(op),
        fc.constantFrom(...op.queryParams),
        fc.boolean(),
        fc.string({ maxLength: 8 }),
      ),
    )
    .chain(([op, path, param, duplicate, other]) =>
      violating(param.schema).map((value) => {
        // A repeated parameter arrives as an array, which no scalar parameter accepts.
        const query = duplicate
          ? `${enc(param.name)}=${enc(other)}&${enc(param.name)}=${enc(value)}`
          : `${enc(param.name)}=${enc(value)}`
        return {
          category: duplicate ? 'query-repeated' : 'query-value',
          request: { method: op.method, url: `${path}?${query}`, ...bodyFor(op) },
        }
      }),
    )
}

function matchesRoute(ops: readonly Operation[], path: string): boolean {
  let decoded = path
  try {
    decoded = decodeURIComponent(path)
  } catch {
    return false // Undecodable: no route can match it.
  }
  return ops.some((op) => {
    const source = op.template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]*')
    return new RegExp(`^${source}/?$`, 'i').test(decoded) || new RegExp(`^${source}$`).test(path)
  })
}

const SYSTEM_PATHS = ['/openapi.json', '/metrics', '/health']

function unknownPaths(ops: readonly Operation[]): fc.Arbitrary<BadRequest> {
  const segment = fc.oneof(
    fc.string({ minLength: 1, maxLength: 12 }).map(enc),
    fc.constantFrom('v1', 'txs', 'blocks', 'accounts', 'events', 'health', 'metrics', 'admin'),
  )
  return fc
    .tuple(
      fc.constantFrom('', '/v1', '/v2', '/V1', '/v1/v1'),
      fc.array(segment, { minLength: 1, maxLength: 5 }),
      fc.constantFrom(...METHODS),
    )
    .map(([prefix, segments, method]) => ({ url: `${prefix}/${segments.join('/')}`, method }))
    .filter(({ url }) => !matchesRoute(ops, url) && !SYSTEM_PATHS.includes(url.toLowerCase()))
    .map(({ url, method }) => ({ category: 'unknown-path', request: { method, url } }))
}

function badEncodings(ops: readonly Operation[]): fc.Arbitrary<BadRequest> {
  return fc
    .tuple(
      fc.constantFrom(...ops),
      fc.constantFrom('%', '%Z', '%ZZ', '%c3%28', '%e2%82', '%f8%88%80%80%80', '%ed%a0%80', '%%'),
    )
    .map(([op, bad]) => {
      const base = op.template.replace(/\{[^}]+\}/g, bad)
      const url = op.pathParams.length > 0 ? base : `${base}/${bad}`
      return { category: 'bad-encoding', request: { method: op.method as 'GET', url } }
    })
}

function wrongMethods(ops: readonly Operation[]): fc.Arbitrary<BadRequest> {
  const byPath = new Map<string, Set<string>>()
  for (const op of ops)
    byPath.set(op.template, (byPath.get(op.template) ?? new Set()).add(op.method))
  const candidates = [...byPath].flatMap(([template, declared]) =>
    METHODS.filter((m) => !declared.has(m)).map((method) => ({ template, method })),
  )
  return fc.constantFrom(...candidates).map(({ template, method }) => ({
    category: 'wrong-method',
    request: { method, url: template.replace(/\{[^}]+\}/g, '1') },
  }))
}

const CONTENT_TYPES_BAD = [
  'text/plain',
  'application/xml',
  'text/html',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  'application/jsonx',
  'image/png',
]

function badBodies(ops: readonly Operation[], validTx: Uint8Array): fc.Arbitrary<BadRequest> {
  const jsonRoutes = ops.filter((op) => op.contentTypes.includes('application/json'))
  const rawRoutes = ops.filter((op) => op.contentTypes.includes('application/msgpack'))
  const hexBad = fc.oneof(
    fc.constant(''),
    fc.constant('0x' + toHex(validTx)),
    fc.constant(toHex(validTx).toUpperCase()),
    fc.constant(toHex(validTx).slice(1)),
    fc.string({
      unit: fc.constantFrom(...Array.from('0123456789abcdefg ')),
      minLength: 1,
      maxLength: 200,
    }),
  )
  const json = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => ['json-type', JSON.stringify(v)]),
    },
    { weight: 2, arbitrary: fc.string({ maxLength: 60 }).map((s) => ['json-malformed', s]) },
    { weight: 2, arbitrary: hexBad.map((tx) => ['bad-hex', JSON.stringify({ tx })]) },
    {
      weight: 1,
      arbitrary: fc.constant([
        'json-utf8',
        Buffer.from([0x7b, 0x22, 0x74, 0x78, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      ]),
    },
  ) as fc.Arbitrary<[string, string | Buffer]>
  const arbitraries: fc.Arbitrary<BadRequest>[] = []
  if (jsonRoutes.length > 0) {
    arbitraries.push(
      fc.tuple(fc.constantFrom(...jsonRoutes), json).map(([op, [category, payload]]) => ({
        category,
        request: {
          method: op.method as 'POST',
          url: op.template,
          headers: { 'content-type': 'application/json' },
          payload,
        },
      })),
      fc
        .tuple(
          fc.constantFrom(...jsonRoutes),
          fc.constantFrom(...CONTENT_TYPES_BAD, 'application/json; charset=utf-16'),
        )
        .map(([op, type]) => ({
          category: 'content-type',
          request: {
            method: op.method as 'POST',
            url: op.template,
            headers: { 'content-type': type },
            payload: '{"tx":"00"}',
          },
        })),
    )
  }
  if (rawRoutes.length > 0) {
    const mutated = fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      fc.tuple(fc.nat(validTx.length - 1), fc.integer({ min: 1, max: 255 })).map(([at, x]) => {
        const copy = validTx.slice()
        copy[at] = copy[at]! ^ x
        return copy
      }),
      fc.nat(validTx.length - 1).map((n) => validTx.slice(0, n)),
      fc
        .uint8Array({ minLength: 1, maxLength: 8 })
        .map((tail) => new Uint8Array([...validTx, ...tail])),
    )
    arbitraries.push(
      fc.tuple(fc.constantFrom(...rawRoutes), mutated).map(([op, bytes]) => ({
        category: 'bad-msgpack',
        request: {
          method: op.method as 'POST',
          url: op.template,
          headers: { 'content-type': 'application/msgpack' },
          payload: Buffer.from(bytes),
        },
      })),
    )
  }
  const posts = ops.filter((op) => op.contentTypes.length > 0)
  arbitraries.push(
    fc
      .tuple(
        fc.constantFrom(...posts),
        fc.integer({ min: API_BODY_BYTES_MAX + 1, max: 4 * API_BODY_BYTES_MAX }),
      )
      .map(([op, size]) => {
        const type = op.contentTypes[0]!
        const payload =
          type === 'application/json' ? `{"tx":"${'a'.repeat(size)}"}` : Buffer.alloc(size, 0x91)
        return {
          category: 'huge-body',
          request: {
            method: op.method as 'POST',
            url: op.template,
            headers: { 'content-type': type },
            payload,
          },
        }
      }),
  )
  return fc.oneof(...arbitraries)
}

function isCodedError(res: { headers: Record<string, unknown>; body: string }): boolean {
  if (!String(res.headers['content-type']).includes('application/json')) return false
  const body = JSON.parse(res.body) as { error?: { code?: unknown; message?: unknown } }
  const code = body.error?.code
  return (
    typeof code === 'string' &&
    /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/.test(code) &&
    typeof body.error?.message === 'string'
  )
}

const isBatchUrl = (url: string): boolean => url.split('?')[0] === '/v1/txs/batch'

/** A batch answer (200 `{ results }`) in which every tx was refused with a coded error. */
function isRefusedBatch(
  res: { statusCode: number; headers: Record<string, unknown>; body: string },
  url: string,
): boolean {
  if (res.statusCode !== 200 || !isBatchUrl(url)) return false
  const body = JSON.parse(res.body) as { results?: unknown }
  if (!Array.isArray(body.results) || body.results.length === 0) return false
  return body.results.every((item: unknown) =>
    isCodedError({ headers: res.headers, body: JSON.stringify(item) }),
  )
}

let live: LiveNode
beforeAll(async () => {
  live = await startLiveNode(200, { max: 1_000_000, timeWindowMs: 60_000 })
}, 60_000)
afterAll(async () => {
  await live.stop()
})

describe('API fuzz', () => {
  it(`answers ${RUNS} generated bad requests with coded 4xx and keeps serving`, async () => {
    const app = live.node.api
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<OpenApi>()
    const ops = operationsOf(doc)
    expect(ops.length).toBeGreaterThanOrEqual(3)
    const validTx = registerTx(live.node).signedBytes
    const arbitrary = fc.oneof(
      ...[badPathParams(ops), badQueries(ops)].filter((a) => a !== null),
      unknownPaths(ops),
      badEncodings(ops),
      wrongMethods(ops),
      { weight: 3, arbitrary: badBodies(ops, validTx) },
    )
    const counts = new Map<string, number>()
    let batchRequests = 0
    let refusedBatches = 0
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ category, request }) => {
        counts.set(category, (counts.get(category) ?? 0) + 1)
        const res = await app.inject(request as InjectOptions)
        const where = `${category}: ${request.method} ${request.url.slice(0, 200)} → ${res.statusCode} ${res.body.slice(0, 200)}`
        if (isBatchUrl(request.url)) batchRequests++
        if (isRefusedBatch(res, request.url)) {
          refusedBatches++
          return
        }
        expect(res.statusCode, where).toBeGreaterThanOrEqual(400)
        expect(res.statusCode, where).toBeLessThan(500)
        expect(isCodedError(res), where).toBe(true)
      }),
      { numRuns: RUNS, seed: SEED },
    )
    // Every kind of bad request was generated (the run exercised what it claims to).
    for (const category of [
      'path-param',
      'query-value',
      'query-repeated',
      'unknown-path',
      'bad-encoding',
      'wrong-method',
      'json-type',
      'json-malformed',
      'bad-hex',
      'json-utf8',
      'content-type',
      'bad-msgpack',
      'huge-body',
    ]) {
      expect(counts.get(category) ?? 0, category).toBeGreaterThan(20)
    }
    // The batch route is fuzzed too, and mostly refused as a whole.
    expect(batchRequests - refusedBatches, 'batch requests refused with 4xx').toBeGreaterThan(20)
    const health = await app.inject({ method: 'GET', url: '/health' })
    expect(health.statusCode).toBe(200)
    const overHttp = await fetch(`${live.node.apiUrl}/health`)
    expect(overHttp.status).toBe(200)
    await overHttp.arrayBuffer()
  }, 120_000)
})
