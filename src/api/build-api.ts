/**
 * `buildApi(deps)`: the node's HTTP API as a fastify instance that is never listening by itself (the
 * node calls `listen`; tests call `inject`). Spec: SPEC §9; docs/protocol/api.md.
 *
 * Writes are only signed txs: the signature is the authorisation. Every route has a response schema
 * (bigints travel as decimal strings), errors use one coded body and one status table, request bodies
 * and request rates are limited, CORS is configurable for the console, and the OpenAPI document is
 * generated from the route schemas and served at `/openapi.json`.
 */
import cors from '@fastify/cors'
import rateLimit from '@fastify/rate-limit'
import fastifyStatic from '@fastify/static'
import swagger from '@fastify/swagger'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify'
import type { Registry } from 'prom-client'
import { isHex, fromHex, toHex } from '../util/bytes.ts'
import type { Result } from '../util/result.ts'
import { decodeSignedTx } from '../codec/tx.ts'
import { ERROR_BODY_SCHEMA, errorBody, httpStatusOf } from './errors.ts'
import { registerQueryRoutes } from './query-routes.ts'
import type { ReadModel } from './read-model.ts'
import { COMMITTED_JSON } from './read-schemas.ts'
import { registerVerifiableRoutes } from './verifiable-routes.ts'
import { registerEventRoutes, type EventHub } from './events.ts'
import { installRequestMetrics } from './request-metrics.ts'
import { registerTxBatchRoute, sendSubmitError, type SubmitBusy } from './tx-batch.ts'

/**
 * Largest request body, in bytes (a signed tx is at most ~8 KiB; hex doubles it). The batch route
 * has its own, larger limit (`API_TX_BATCH_BODY_BYTES_MAX`, src/api/tx-batch.ts).
 */
export const API_BODY_BYTES_MAX = 64 * 1024

/** Longest path parameter, in characters: a 128-byte state key in hex. */
export const API_PARAM_CHARS_MAX = 256

/** What the node reports at `/health`. */
export interface HealthReport {
  readonly height: number
  readonly inSync: boolean
  readonly chainId: string
  readonly peers: number
  /** Hex hash of the last committed block. */
  readonly blockHash: string
  /** Hex state root after the last committed block. */
  readonly stateRoot: string
  /** Txs waiting in the mempool. */
  readonly mempoolTxs: number
}

/** The node services the API calls. */
export interface ApiDeps {
  readonly chainId: string
  health(): HealthReport
  /** Admits a signed tx (`[txBytes, signature]` bytes) to the mempool. */
  submitTx(
    signedBytes: Uint8Array,
  ): Promise<Result<{ txId: Uint8Array }, { code: string; message: string }>>
  /** Why the node takes no submission now (`MEMPOOL_BUSY`); a batch is then refused whole. */
  readonly submitBusy?: SubmitBusy
  readonly metrics: Registry
  /** Request rate per client address and window; defaults to 600 per minute. */
  readonly rateLimit?: { readonly max: number; readonly timeWindowMs: number }
  /** Origins allowed by CORS (the console on another origin); none by default. */
  readonly corsOrigins?: readonly string[]
  /**
   * Whose `X-Forwarded-For` names the client (fastify's `trustProxy`): false by default (the
   * connection's address is the client's), true for any peer, or the reverse proxies' addresses
   * and CIDR ranges. The rate limit and the event streams per client key on that address.
   */
  readonly trustProxy?: boolean | readonly string[]
  readonly logger?: boolean
  /** The read side (blocks, proofs, lists, reports); without it only the routes above exist. */
  readonly read?: ReadModel
  /** Longest wait of `POST /v1/txs?wait=commit` before 504 `API_WAIT_TIMEOUT`; default 30 s. */
  readonly waitTimeoutMs?: number
  /** Server-sent event streams (`/v1/events/*`); absent: the routes are not served. */
  readonly events?: EventHub
  /** Folder of the built web console (`npm run build:console`), served at `/console/`. */
  readonly consoleDir?: string
}

/** Default longest wait of `?wait=commit`. */
export const WAIT_TIMEOUT_MS_DEFAULT = 30_000

const HEALTH_SCHEMA = {
  type: 'object',
  required: ['height', 'inSync', 'chainId', 'peers', 'blockHash', 'stateRoot', 'mempoolTxs'],
  properties: {
    height: { type: 'integer' },
    inSync: { type: 'boolean' },
    chainId: { type: 'string' },
    peers: { type: 'integer' },
    blockHash: { type: 'string' },
    stateRoot: { type: 'string' },
    mempoolTxs: { type: 'integer' },
  },
} as const

function installErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .send(errorBody('API_NOT_FOUND', `no route ${request.method} ${request.url}`))
  })
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const code = errorCodeOf(error)
    const status = httpStatusOf(code)
    if (status >= 500) app.log.error({ err: error }, 'request failed')
    void reply.code(status).send(errorBody(code, status >= 500 ? 'internal error' : error.message))
  })
}

function errorCodeOf(error: FastifyError): string {
  if (error.validation) return 'API_BAD_REQUEST'
  // A coded API error thrown by a read (e.g. `API_NOT_READY` from a NodeError) keeps its code.
  const thrown = (error as { code?: unknown }).code
  if (typeof thrown === 'string' && thrown.startsWith('API_') && httpStatusOf(thrown) !== 500) {
    return thrown
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'API_PAYLOAD_TOO_LARGE'
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'API_UNSUPPORTED_MEDIA_TYPE'
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'API_BAD_REQUEST'
    default:
      break
  }
  if (error.statusCode === 429) return 'API_RATE_LIMITED'
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return 'API_BAD_REQUEST'
  }
  return 'API_INTERNAL'
}

async function registerPlugins(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'pointsnode API', version: '1' },
    },
  })
  // A console on another origin reads Retry-After of a busy node's 503 (and of a 429) to back off.
  await app.register(cors, {
    origin: deps.corsOrigins ? [...deps.corsOrigins] : false,
    exposedHeaders: ['Retry-After'],
  })
  await app.register(rateLimit, {
    max: deps.rateLimit?.max ?? 600,
    timeWindow: deps.rateLimit?.timeWindowMs ?? 60_000,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      code: 'API_RATE_LIMITED',
      message: `rate limit of ${context.max} requests per ${context.after} exceeded`,
    }),
  })
  app.addContentTypeParser(
    ['application/msgpack', 'application/octet-stream'],
    { parseAs: 'buffer', bodyLimit: API_BODY_BYTES_MAX },
    (_request, body, done) => {
      done(null, body)
    },
  )
}

function registerSystemRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/health', { schema: { response: { 200: HEALTH_SCHEMA } } }, () => deps.health())
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const text = await deps.metrics.metrics()
    return reply.type(deps.metrics.contentType).send(text)
  })
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger())
}

const SUBMIT_RESPONSES = {
  200: COMMITTED_JSON,
  202: { type: 'object', required: ['txId'], properties: { txId: { type: 'string' } } },
  400: ERROR_BODY_SCHEMA,
  409: ERROR_BODY_SCHEMA,
  413: ERROR_BODY_SCHEMA,
  415: ERROR_BODY_SCHEMA,
  422: ERROR_BODY_SCHEMA,
  429: ERROR_BODY_SCHEMA,
  503: ERROR_BODY_SCHEMA,
  504: ERROR_BODY_SCHEMA,
} as const

const WAIT_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    wait: {
      type: 'string',
      enum: ['commit'],
      description: 'answer 200 `{ txId, height, index }` once committed (504 after a bounded time)',
    },
  },
} as const

const SUBMIT_JSON_SCHEMA = {
  description: 'Submit a signed tx as hex in JSON.',
  body: {
    type: 'object',
    required: ['tx'],
    additionalProperties: false,
    properties: {
      tx: { type: 'string', description: 'hex of the signed tx `[txBytes, signature]`' },
    },
  },
  querystring: WAIT_QUERY,
  response: SUBMIT_RESPONSES,
} as const

const SUBMIT_RAW_SCHEMA = {
  description: 'Submit a signed tx as raw bytes (`application/msgpack`).',
  consumes: ['application/msgpack', 'application/octet-stream'],
  querystring: WAIT_QUERY,
  response: SUBMIT_RESPONSES,
} as const

/**
 * Waits until `txId` is committed and answers `{ txId, height, index }`, or 504 after the bound.
 */
async function answerWhenCommitted(
  deps: ApiDeps,
  txId: Uint8Array,
  reply: FastifyReply,
): Promise<FastifyReply> {
  if (!deps.read) {
    return reply.code(503).send(errorBody('API_NOT_READY', 'this node cannot wait for commits'))
  }
  const timeoutMs = deps.waitTimeoutMs ?? WAIT_TIMEOUT_MS_DEFAULT
  const at = await deps.read.waitForTx(txId, timeoutMs)
  if (!at) {
    const message = `tx not committed within ${timeoutMs} ms (it may still commit)`
    return reply.code(504).send(errorBody('API_WAIT_TIMEOUT', message))
  }
  return reply.code(200).send({ txId: toHex(txId), ...at })
}

function registerTxRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const submit = async (
    bytes: Uint8Array,
    wait: boolean,
    reply: FastifyReply,
  ): Promise<FastifyReply> => {
    const result = await deps.submitTx(bytes)
    if (!result.ok) {
      const { code, message } = result.error
      // A duplicate is pooled or committed already: waiting for it is still meaningful.
      const decoded = code === 'TX_DUPLICATE' && wait ? decodeSignedTx(bytes) : null
      if (decoded?.ok) return answerWhenCommitted(deps, decoded.value.txId, reply)
      return sendSubmitError(reply, code, message)
    }
    if (wait) return answerWhenCommitted(deps, result.value.txId, reply)
    return reply.code(202).send({ txId: toHex(result.value.txId) })
  }
  const waits = (query: unknown): boolean => (query as { wait?: string }).wait === 'commit'
  app.post('/v1/txs', { schema: SUBMIT_JSON_SCHEMA }, async (request, reply) => {
    const { tx } = request.body as { tx: string }
    if (tx.length === 0 || !isHex(tx)) {
      return reply
        .code(400)
        .send(errorBody('API_BAD_REQUEST', 'tx must be non-empty lowercase hex'))
    }
    return submit(fromHex(tx), waits(request.query), reply)
  })
  app.post('/v1/txs/raw', { schema: SUBMIT_RAW_SCHEMA }, async (request, reply) => {
    if (!(request.body instanceof Uint8Array)) {
      return reply
        .code(415)
        .send(errorBody('API_UNSUPPORTED_MEDIA_TYPE', 'send application/msgpack'))
    }
    return submit(new Uint8Array(request.body), waits(request.query), reply)
  })
  registerTxBatchRoute(app, (bytes) => deps.submitTx(bytes), deps.submitBusy)
}

/** Builds the API (not listening). Call `await app.ready()` or `listen` from the node. */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: API_BODY_BYTES_MAX,
    // Behind a reverse proxy `request.ip` is the forwarded client, not the proxy (ADR 0091).
    trustProxy:
      typeof deps.trustProxy === 'object' ? [...deps.trustProxy] : (deps.trustProxy ?? false),
    // Path parameters up to a 128-byte state key in hex (the router answers 414 above this).
    routerOptions: { maxParamLength: API_PARAM_CHARS_MAX },
    // Router-level rejections (bad URL encoding, over-long parameters) get coded bodies too.
    frameworkErrors: (error, _request, reply) => {
      const code =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'API_URI_TOO_LONG' : 'API_BAD_REQUEST'
      const raw = reply as unknown as FastifyReply
      void raw.code(httpStatusOf(code)).send(errorBody(code, error.message))
    },
    // Reject unknown properties instead of silently dropping them; never coerce types.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  })
  app.removeContentTypeParser(['text/plain'])
  installErrorHandling(app)
  installRequestMetrics(app, deps.metrics)
  await registerPlugins(app, deps)
  if (deps.events) registerEventRoutes(app, deps.events)
  registerSystemRoutes(app, deps)
  registerTxRoutes(app, deps)
  if (deps.read) {
    registerVerifiableRoutes(app, deps.read)
    registerQueryRoutes(app, deps.read)
  }
  if (deps.consoleDir !== undefined) {
    // The web console (docs/console.md): static files only; it talks to the API like any client.
    await app.register(fastifyStatic, { root: deps.consoleDir, prefix: '/console/' })
    app.get('/console', { schema: { hide: true } }, (_request, reply) =>
      reply.redirect('/console/', 301),
    )
  }
  return app
}
