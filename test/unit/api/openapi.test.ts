/**
 * Goal: the served OpenAPI document is a well-formed OpenAPI 3 document that matches the routes:
 * every documented operation answers (never the router's 404 `API_NOT_FOUND`), every registered
 * route (except the hidden /metrics and /openapi.json) is documented, every path parameter is
 * declared, and every operation documents a 200/202 response schema and coded error responses.
 * Method: fetch /openapi.json from buildApi over a real Ledger + ChainApp after the scenario
 * blocks; structural checks on the document; walk it with app.inject() using sample values per
 * parameter name; compare its paths with the routes fastify prints.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toHex } from '../../../src/util/bytes.ts'
import { validatorsHashOf } from '../../../src/consensus/validators.ts'
import { apiChain, scenario, VOUCHER_1, type ApiChain } from '../../support/api-chain.ts'
import { K, T0 } from '../../support/vm.ts'

interface Parameter {
  readonly in: string
  readonly name: string
  readonly required?: boolean
  readonly schema?: unknown
}
interface Operation {
  readonly parameters?: Parameter[]
  readonly responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>
  readonly requestBody?: unknown
}
interface OpenApiDoc {
  readonly openapi: string
  readonly info: { title: string; version: string }
  readonly paths: Record<string, Record<string, Operation>>
}

let chain: ApiChain
let doc: OpenApiDoc
let txId = ''

beforeAll(async () => {
  chain = await apiChain()
  const { blocks } = await scenario(chain)
  txId = toHex(blocks[0]!.txs[0]!.txId)
  const res = await chain.api.inject({ method: 'GET', url: '/openapi.json' })
  expect(res.statusCode).toBe(200)
  doc = res.json<OpenApiDoc>()
})
afterAll(async () => {
  await chain.close()
})

/** A valid sample value for each path or query parameter name. */
function sample(name: string): string {
  const values: Record<string, string> = {
    height: '1',
    hash: toHex(validatorsHashOf(chain.validators)),
    txId,
    keyHex: '01',
    address: toHex(K.alice.address),
    pointType: 'ACME',
    id: 'ACME',
    from: T0.toString(),
    to: (T0 + 86_400_000n).toString(),
    voucher: toHex(VOUCHER_1),
  }
  const value = values[name]
  if (value === undefined) throw new Error(`no sample for parameter ${name}`)
  return value
}

/** The concrete URL of an OpenAPI path with sample parameters. */
function urlOf(path: string, op: Operation): string {
  let url = path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    if (path.startsWith('/v1/markets/')) return encodeURIComponent('ACME/BETA')
    if (path.startsWith('/v1/stats/enterprises/')) return toHex(K.acme.address)
    return sample(name)
  })
  const query = (op.parameters ?? []).filter(
    (p) => p.in === 'query' && (p.required === true || path === '/v1/burns'),
  )
  const names = path === '/v1/burns' ? ['from', 'to'] : query.map((p) => p.name)
  if (names.length > 0) url += '?' + names.map((n) => `${n}=${sample(n)}`).join('&')
  return url
}

/** Registered routes as `METHOD path` with `{param}` path syntax, from fastify's route tree. */
function registeredRoutes(): string[] {
  const tree = chain.api.printRoutes({ commonPrefix: false })
  const stack: string[] = []
  const out: string[] = []
  for (const line of tree.split('\n')) {
    const at = line.search(/[├└]── /)
    if (at < 0) continue
    const depth = at / 4
    const match = /── (\S+)(?: \(([^)]*)\))?/.exec(line.slice(at))
    if (!match) continue
    stack.length = depth
    const full = (depth > 0 ? stack[depth - 1]! : '') + match[1]!
    stack.push(full)
    for (const method of (match[2] ?? '').split(',').map((m) => m.trim())) {
      if (method === '' || method === 'HEAD' || method === 'OPTIONS') continue
      out.push(`${method} ${full.replace(/:(\w+)/g, '{$1}')}`)
    }
  }
  return out.sort()
}

describe('GET /openapi.json', () => {
  it('is a well-formed OpenAPI 3 document', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/)
    expect(doc.info.title).toBe('pointsnode API')
    expect(typeof doc.info.version).toBe('string')
    expect(Object.keys(doc.paths).length).toBeGreaterThan(20)
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path, path).toMatch(/^\/[\w\-./{}]*$/)
      const declared = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])
      for (const [method, op] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`
        expect(['get', 'post'], where).toContain(method)
        const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path')
        expect(pathParams.map((p) => p.name).sort(), where).toEqual([...declared].sort())
        for (const p of op.parameters ?? []) {
          expect(['path', 'query', 'header'], where).toContain(p.in)
          expect(p.schema, `${where} ${p.name}`).toBeDefined()
        }
        const responses = op.responses ?? {}
        const ok = responses['200'] ?? responses['202']
        expect(ok?.content, `${where} success response`).toBeDefined()
        const errorCodes = Object.keys(responses).filter((s) => s.startsWith('4'))
        expect(errorCodes.length, `${where} documents 4xx`).toBeGreaterThan(
          path === '/health' || path === '/v1/status' || path === '/v1/blocks/latest' ? -1 : 0,
        )
        for (const status of errorCodes) {
          const schema = responses[status]?.content?.['application/json']?.schema as
            { properties?: { error?: unknown } } | undefined
          expect(
            schema?.properties?.error,
            `${where} ${status} is the coded error body`,
          ).toBeDefined()
        }
      }
    }
  })

  it('documents every registered route and nothing else', () => {
    const documented = Object.entries(doc.paths)
      .flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`))
      .sort()
    const hidden = ['GET /metrics', 'GET /openapi.json']
    const registered = registeredRoutes().filter((r) => !hidden.includes(r))
    expect(documented).toEqual(registered)
  })

  it('every documented operation answers (no router 404)', async () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const url = urlOf(path, op)
        const res =
          method === 'get'
            ? await chain.api.inject({ method: 'GET', url })
            : await chain.api.inject({ method: 'POST', url, payload: { tx: '00' } })
        const where = `${method.toUpperCase()} ${url}`
        const type = String(res.headers['content-type'])
        if (res.statusCode === 404) {
          const code = res.json<{ error: { code: string } }>().error.code
          expect(code, where).not.toBe('API_NOT_FOUND')
        }
        expect(res.statusCode, where).toBeLessThan(500)
        if (method === 'get') expect(res.statusCode, `${where}: ${res.body}`).toBe(200)
        expect(type, where).toMatch(/application\/json|text\/csv/)
      }
    }
  })
})
