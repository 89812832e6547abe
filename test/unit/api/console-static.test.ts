/**
 * Goal: the API serves the built web console at `/console/` only when given `consoleDir`, next to
 * the API routes, and answers CORS preflights for the configured console origin (issue #10), whose
 * scripts may read a refusal's Retry-After.
 * Method: buildApi over a temp folder with a known index.html, driven by fastify's inject.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { buildApi } from '../../../src/api/build-api.ts'
import { quietApiDeps } from '../../support/api-deps.ts'

const dir = mkdtempSync(join(tmpdir(), 'pointsnode-console-static-'))
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console test page</title>')
writeFileSync(join(dir, 'main.js'), 'export {}\n')

const deps = quietApiDeps({ corsOrigins: ['http://console.example'] })
const withConsole = await buildApi({ ...deps, consoleDir: dir })
const without = await buildApi(deps)
afterAll(async () => {
  await withConsole.close()
  await without.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('web console static files', () => {
  it('serves index.html at /console/ and the bundle beside it', async () => {
    const page = await withConsole.inject({ method: 'GET', url: '/console/' })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toMatch(/^text\/html/)
    expect(page.body).toContain('console test page')
    const js = await withConsole.inject({ method: 'GET', url: '/console/main.js' })
    expect(js.statusCode).toBe(200)
    expect(js.body).toBe('export {}\n')
  })

  it('redirects /console to /console/ and keeps the API routes', async () => {
    const bare = await withConsole.inject({ method: 'GET', url: '/console' })
    expect(bare.statusCode).toBe(301)
    expect(bare.headers.location).toBe('/console/')
    const health = await withConsole.inject({ method: 'GET', url: '/health' })
    expect(health.statusCode).toBe(200)
  })

  it('answers a missing file with the coded 404 and serves nothing without consoleDir', async () => {
    const missing = await withConsole.inject({ method: 'GET', url: '/console/nope.js' })
    expect(missing.statusCode).toBe(404)
    expect(missing.json<{ error: { code: string } }>().error.code).toBe('API_NOT_FOUND')
    const none = await without.inject({ method: 'GET', url: '/console/' })
    expect(none.statusCode).toBe(404)
  })

  it('allows the configured console origin to POST a tx (CORS preflight)', async () => {
    const preflight = await withConsole.inject({
      method: 'OPTIONS',
      url: '/v1/txs',
      headers: {
        origin: 'http://console.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    })
    expect(preflight.statusCode).toBe(204)
    expect(preflight.headers['access-control-allow-origin']).toBe('http://console.example')
  })

  it("lets the console's origin read Retry-After of a refused submission", async () => {
    const res = await withConsole.inject({
      method: 'POST',
      url: '/v1/txs',
      headers: { origin: 'http://console.example', 'content-type': 'application/json' },
      payload: { tx: 'c0ffee' },
    })
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBe('1')
    expect(res.headers['access-control-allow-origin']).toBe('http://console.example')
    expect(res.headers['access-control-expose-headers']).toBe('Retry-After')
  })
})
