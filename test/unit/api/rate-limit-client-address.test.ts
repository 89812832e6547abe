/**
 * Goal: behind a reverse proxy (`trustProxy`, config `api.trustProxy`) the request rate limit
 * counts each client by the address the proxy forwards in X-Forwarded-For, so clients behind one
 * proxy do not share one budget; without it (the default), or from a peer that is not a listed
 * proxy, the header is ignored and the connection's address is counted, so that a client cannot
 * pick a fresh address per request.
 * Method: fastify inject() against buildApi with a limit of 2 per minute, requests from set remote
 * addresses with and without X-Forwarded-For; statuses compared with what a per-address count
 * gives.
 */
import { describe, expect, it } from 'vitest'
import { buildApi, type ApiDeps } from '../../../src/api/build-api.ts'
import { quietApiDeps } from '../../support/api-deps.ts'

const deps = quietApiDeps({ rateLimit: { max: 2, timeWindowMs: 60_000 } })

const PROXY = '10.0.0.5'

/** Statuses of GET /health sent from `remoteAddress` on behalf of each of `clients` in turn. */
async function statuses(
  trustProxy: ApiDeps['trustProxy'],
  remoteAddress: string,
  clients: readonly string[],
): Promise<number[]> {
  const app = await buildApi({ ...deps, ...(trustProxy !== undefined ? { trustProxy } : {}) })
  try {
    const codes: number[] = []
    for (const client of clients) {
      const headers = { 'x-forwarded-for': client }
      const res = await app.inject({ method: 'GET', url: '/health', remoteAddress, headers })
      codes.push(res.statusCode)
    }
    return codes
  } finally {
    await app.close()
  }
}

// Three clients behind one proxy, each well under the limit of 2.
const CLIENTS = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.1', '203.0.113.2']

describe('rate limit per client address behind a proxy', () => {
  it('with trustProxy it counts the forwarded client, one budget each', async () => {
    expect(await statuses(true, PROXY, CLIENTS)).toEqual([200, 200, 200, 200, 200])
    expect(await statuses([PROXY], PROXY, CLIENTS)).toEqual([200, 200, 200, 200, 200])
    expect(await statuses(['10.0.0.0/8'], PROXY, CLIENTS)).toEqual([200, 200, 200, 200, 200])
    // The forwarded client still has its own limit.
    const one = ['203.0.113.9', '203.0.113.9', '203.0.113.9']
    expect(await statuses(true, PROXY, one)).toEqual([200, 200, 429])
  })

  it('without it (the default) every request counts as the proxy, which reaches the limit', async () => {
    expect(await statuses(undefined, PROXY, CLIENTS)).toEqual([200, 200, 429, 429, 429])
    expect(await statuses(false, PROXY, CLIENTS)).toEqual([200, 200, 429, 429, 429])
  })

  it('a peer that is not a listed proxy cannot choose its address by the header', async () => {
    expect(await statuses(['10.0.0.1'], PROXY, CLIENTS)).toEqual([200, 200, 429, 429, 429])
  })
})
