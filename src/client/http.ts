/**
 * The light client's HTTP transport: `fetch` (injected or global) with a timeout, JSON in and out,
 * and every failure mapped to a coded `ClientError` (API contract: errors are
 * `{ error: { code, message } }` with a 4xx/5xx status). Browser-safe.
 */
import { ok, type Result } from '../util/result.ts'
import { clientErr, type ClientError } from './errors.ts'

/** The subset of `fetch` the client uses (the global one in browsers and Node ≥ 18 fits). */
export type FetchLike = (
  url: string,
  init?: {
    method?: string
    headers?: Record<string, string>
    body?: string | Uint8Array
    signal?: AbortSignal
  },
) => Promise<{
  readonly status: number
  readonly ok: boolean
  /** Answer headers; the client reads `Retry-After` from them (absent: none read). */
  readonly headers?: { get(name: string): string | null }
  text(): Promise<string>
}>

/** Longest `Retry-After` the client reports, in seconds (a longer one is reported as this). */
export const RETRY_AFTER_SECONDS_MAX = 3600

/** Default time allowed for one request. */
export const REQUEST_TIMEOUT_MS = 30_000

/** One node's HTTP endpoint. */
export class HttpTransport {
  readonly #baseUrl: string
  readonly #fetch: FetchLike
  readonly #timeoutMs: number

  /** `baseUrl` without a trailing slash is preferred; one is removed. */
  constructor(baseUrl: string, fetchImpl?: FetchLike, timeoutMs = REQUEST_TIMEOUT_MS) {
    this.#baseUrl = baseUrl.replace(/\/+$/, '')
    // The cast is needed under the DOM lib (console/tsconfig.json), where `body` types differ.
    type Init = Parameters<typeof globalThis.fetch>[1]
    this.#fetch =
      fetchImpl ??
      ((url, init) =>
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
        globalThis.fetch(url, init as Init))
    this.#timeoutMs = timeoutMs
  }

  /** GET `path` as JSON. */
  get(path: string): Promise<Result<unknown, ClientError>> {
    return this.#request('GET', path)
  }

  /** POST a JSON body to `path`. */
  post(path: string, body: unknown, timeoutMs?: number): Promise<Result<unknown, ClientError>> {
    return this.#request(
      'POST',
      path,
      { bytes: JSON.stringify(body), type: 'application/json' },
      timeoutMs,
    )
  }

  /** POST canonical msgpack `bytes` to `path`; the answer is JSON, as for every route. */
  postMsgpack(
    path: string,
    bytes: Uint8Array,
    timeoutMs?: number,
  ): Promise<Result<unknown, ClientError>> {
    return this.#request('POST', path, { bytes, type: 'application/msgpack' }, timeoutMs)
  }

  async #request(
    method: string,
    path: string,
    body?: { readonly bytes: string | Uint8Array; readonly type: string },
    timeoutMs = this.#timeoutMs,
  ): Promise<Result<unknown, ClientError>> {
    const controller = new AbortController()
    const timer = setTimeout(() => {
      controller.abort()
    }, timeoutMs)
    let status: number
    let text: string
    let retryAfter: string | null
    try {
      const response = await this.#fetch(`${this.#baseUrl}${path}`, {
        method,
        signal: controller.signal,
        ...(body === undefined ? {} : { body: body.bytes, headers: { 'content-type': body.type } }),
      })
      status = response.status
      retryAfter = response.headers?.get('retry-after') ?? null
      text = await response.text()
    } catch (e) {
      const message = `${method} ${path}: ${e instanceof Error ? e.message : String(e)}`
      return clientErr('CLIENT_HTTP', message)
    } finally {
      clearTimeout(timer)
    }
    return parseAnswer(method, path, status, text, retryAfter)
  }
}

/**
 * `Retry-After` in milliseconds when it is a number of seconds (the form the node sends), capped
 * at RETRY_AFTER_SECONDS_MAX; undefined when absent or in another form (an HTTP date).
 */
export function retryAfterMsOf(header: string | null): number | undefined {
  if (header === null || !/^\s*\d{1,9}\s*$/.test(header)) return undefined
  return Math.min(Number(header), RETRY_AFTER_SECONDS_MAX) * 1000
}

function parseAnswer(
  method: string,
  path: string,
  status: number,
  text: string,
  retryAfter: string | null,
): Result<unknown, ClientError> {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    if (status >= 200 && status < 300) {
      return clientErr('CLIENT_MALFORMED', `${method} ${path}: answer is not JSON`, { status })
    }
    json = null
  }
  if (status >= 200 && status < 300) return ok(json)
  const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error
  const nodeCode = typeof error?.code === 'string' ? error.code : 'UNKNOWN'
  const nodeMessage = typeof error?.message === 'string' ? error.message : ''
  const message = `${method} ${path}: HTTP ${status} ${nodeCode} ${nodeMessage}`.trim()
  if (status === 404) return clientErr('CLIENT_NOT_FOUND', message, { status, nodeCode })
  if (status === 504) return clientErr('CLIENT_TIMEOUT', message, { status, nodeCode })
  if (method === 'POST' && status >= 400 && status < 500 && status !== 429) {
    return clientErr('CLIENT_REJECTED', message, { status, nodeCode })
  }
  // 429 and 503 (a busy or full node) say when to come back.
  const retryAfterMs = retryAfterMsOf(retryAfter)
  return clientErr('CLIENT_HTTP', message, {
    status,
    nodeCode,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  })
}
