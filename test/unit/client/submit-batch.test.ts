/**
 * Goal: `LightClient.submitBatch` sends many signed txs in one `POST /v1/txs/batch` (as the
 * canonical msgpack list; bad items are refused before anything is sent) and returns one
 * result per tx in order (id or the node's code for that tx); a node that acknowledges another tx
 * id or answers the wrong number of results is caught; a refused request, an empty list and more
 * txs than a request takes are coded errors; a busy node's 503 carries its Retry-After to the
 * caller.
 * Method: the client's `fetch` is fastify inject() against the real buildApi with a submit function
 * that runs the door check (checkSignedTx) and remembers what it admitted; lies are rewrites of the
 * answer body. No sockets.
 */
import { Registry } from 'prom-client'
import { afterAll, describe, expect, it } from 'vitest'
import { buildApi, type ApiDeps } from '../../../src/api/build-api.ts'
import { API_TX_BATCH_MAX } from '../../../src/api/tx-batch.ts'
import { decodeCanonical } from '../../../src/codec/canonical.ts'
import { API_TX_BATCH_BODY_BYTES_MAX, API_TX_BATCH_SCHEMA } from '../../../src/codec/tx-batch.ts'
import { SIGNED_TX_BYTES_MAX } from '../../../src/core/limits.ts'
import type { FetchLike } from '../../../src/client/http.ts'
import { LightClient } from '../../../src/client/light-client.ts'
import { checkSignedTx, signTx } from '../../../src/crypto/tx-signature.ts'
import { toHex } from '../../../src/util/bytes.ts'
import { err, ok } from '../../../src/util/result.ts'
import { sampleTx, testKey } from '../../support/fixtures.ts'

const CHAIN = 'pointsnode-test'
const admitted = new Set<string>()
const deps: ApiDeps = {
  chainId: CHAIN,
  metrics: new Registry(),
  health: () => {
    throw new Error('not used')
  },
  submitTx: (bytes) => {
    const checked = checkSignedTx(bytes, CHAIN, 10)
    if (!checked.ok) return Promise.resolve(err(checked.error))
    const id = toHex(checked.value.txId)
    if (admitted.has(id)) {
      return Promise.resolve(err({ code: 'TX_DUPLICATE', message: 'already pooled' }))
    }
    admitted.add(id)
    return Promise.resolve(ok({ txId: checked.value.txId }))
  },
}
const api = await buildApi(deps)
afterAll(async () => {
  await api.close()
})

/** `fetch` over inject() of `app`; `rewrite` may change the answer body (a lying node). */
function injectFetch(rewrite: (body: string) => string = (b) => b, app = api): FetchLike {
  return async (url, init) => {
    const res = await app.inject({
      method: (init?.method ?? 'GET') as 'GET' | 'POST',
      url: url.replace(/^https?:\/\/[^/]+/, ''),
      ...(init?.headers ? { headers: init.headers } : {}),
      ...(init?.body === undefined
        ? {}
        : { payload: typeof init.body === 'string' ? init.body : Buffer.from(init.body) }),
    })
    const text = rewrite(res.body)
    const headers = {
      get: (name: string): string | null => {
        const value = res.headers[name.toLowerCase()]
        return value === undefined ? null : String(value)
      },
    }
    return {
      status: res.statusCode,
      ok: res.statusCode < 300,
      headers,
      text: () => Promise.resolve(text),
    }
  }
}

function clientOf(fetch: FetchLike = injectFetch()): LightClient {
  return new LightClient({ baseUrl: 'http://node.test', chainId: CHAIN, fetch })
}

const alice = testKey('alice')
function tx(i: number): ReturnType<typeof signTx> {
  return signTx(
    { ...sampleTx('points.transfer', alice), salt: Uint8Array.of(0x63, i) },
    alice.secretKey,
  )
}

describe('LightClient.submitBatch', () => {
  it('returns one result per tx, in order: ids of admitted txs, codes of refused ones', async () => {
    const [a, b] = [tx(1), tx(2)]
    const result = await clientOf().submitBatch([a, Uint8Array.of(0xc1, 0xc1), b, a])
    expect(result.ok).toBe(true)
    if (!result.ok) return
    const summary = result.value.map((r) => (r.ok ? toHex(r.value.txId) : r.error.code))
    expect(summary).toEqual([toHex(a.txId), 'CODEC_MALFORMED', toHex(b.txId), 'TX_DUPLICATE'])
    expect(admitted.has(toHex(b.txId))).toBe(true)
  })

  it('accepts raw signed bytes (no id to compare)', async () => {
    const c = tx(3)
    const result = await clientOf().submitBatch([c.signedBytes])
    expect(result.ok && result.value[0]?.ok && toHex(result.value[0].value.txId)).toBe(
      toHex(c.txId),
    )
  })

  it('catches a node that acknowledges another tx id or drops a result', async () => {
    const other = toHex(tx(99).txId)
    const swapped = clientOf(
      injectFetch((body) => body.replace(/"txId":"[0-9a-f]{64}"/, `"txId":"${other}"`)),
    )
    const lied = await swapped.submitBatch([tx(4)])
    expect(lied.ok ? 'OK' : lied.error.code).toBe('CLIENT_TX_MISMATCH')
    const short = clientOf(injectFetch(() => '{"results":[]}'))
    const dropped = await short.submitBatch([tx(5)])
    expect(dropped.ok ? 'OK' : dropped.error.code).toBe('CLIENT_MALFORMED')
    const odd = clientOf(injectFetch(() => '{"results":[{"txId":"zz"}]}'))
    const malformed = await odd.submitBatch([tx(6)])
    expect(malformed.ok ? 'OK' : malformed.error.code).toBe('CLIENT_MALFORMED')
  })

  it('turns a refused request into CLIENT_REJECTED with the node code', async () => {
    // Items the client lets through, in a body over the node's 2 MiB.
    const count = Math.ceil(API_TX_BATCH_BODY_BYTES_MAX / SIGNED_TX_BYTES_MAX) + 1
    const large = Array.from({ length: count }, () => new Uint8Array(SIGNED_TX_BYTES_MAX))
    const result = await clientOf().submitBatch(large)
    expect(
      result.ok ? null : [result.error.code, result.error.status, result.error.nodeCode],
    ).toEqual(['CLIENT_REJECTED', 413, 'API_PAYLOAD_TOO_LARGE'])
  })

  it("reports a busy node's Retry-After with its code, and sends nothing more", async () => {
    // As the node's Submitter: a batch is refused whole before it is read, a single tx by its
    // submit function.
    const refusal = { code: 'MEMPOOL_BUSY', message: 'verifying 4096 txs; retry later' }
    const busy = await buildApi({
      ...deps,
      submitBusy: () => refusal,
      submitTx: () => Promise.resolve(err(refusal)),
    })
    try {
      const before = admitted.size
      const client = clientOf(injectFetch(undefined, busy))
      for (const result of [await client.submitBatch([tx(7)]), await client.submit(tx(8))]) {
        expect(
          result.ok
            ? null
            : [
                result.error.code,
                result.error.status,
                result.error.nodeCode,
                result.error.retryAfterMs,
              ],
        ).toEqual(['CLIENT_HTTP', 503, 'MEMPOOL_BUSY', 1000])
      }
      expect(admitted.size).toBe(before)
    } finally {
      await busy.close()
    }
  })

  it('sends the canonical msgpack list of the signed bytes, not hex JSON', async () => {
    const sent: { type: string | undefined; body: string | Uint8Array | undefined }[] = []
    const capturing: FetchLike = (url, init) => {
      sent.push({ type: init?.headers?.['content-type'], body: init?.body })
      return injectFetch()(url, init)
    }
    const [d, e] = [tx(10), tx(11)]
    const result = await clientOf(capturing).submitBatch([d, e.signedBytes])
    expect(result.ok).toBe(true)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.type).toBe('application/msgpack')
    const body = sent[0]!.body
    expect(body).toBeInstanceOf(Uint8Array)
    const decoded = decodeCanonical(
      API_TX_BATCH_SCHEMA,
      body as Uint8Array,
      API_TX_BATCH_BODY_BYTES_MAX,
    )
    expect(decoded.ok && decoded.value.map(toHex)).toEqual([d, e].map((t) => toHex(t.signedBytes)))
  })

  it('refuses an empty list, or an empty or oversized item, without a request', async () => {
    let requests = 0
    const counting: FetchLike = (url, init) => {
      requests++
      return injectFetch()(url, init)
    }
    const client = clientOf(counting)
    const oversized = new Uint8Array(SIGNED_TX_BYTES_MAX + 1)
    // One more than the node takes: the schema of the body cannot even encode it.
    const many = Array.from({ length: API_TX_BATCH_MAX + 1 }, (_, i) => Uint8Array.of(1, i & 255))
    for (const txs of [[], [tx(12), new Uint8Array(0)], [oversized, tx(13)], many]) {
      const result = await client.submitBatch(txs)
      expect(result.ok ? 'OK' : result.error.code).toBe('CLIENT_BAD_ARGUMENT')
    }
    const result = await client.submitBatch([tx(12), new Uint8Array(0)])
    expect(result.ok ? '' : result.error.message).toContain('txs[1]')
    expect(requests).toBe(0)
    // The largest item a signed tx can be goes out (the node refuses it for that tx alone).
    const largest = await client.submitBatch([new Uint8Array(SIGNED_TX_BYTES_MAX)])
    expect(largest.ok && largest.value[0]?.ok === false).toBe(true)
    expect(requests).toBe(1)
  })
})
