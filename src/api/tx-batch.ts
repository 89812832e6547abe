/**
 * `POST /v1/txs/batch`: many signed txs in one request, for enterprise gateways and the cluster
 * benchmark's load generator. Spec: docs/api.md#submitting-txs.
 *
 * The body is JSON `{ "txs": ["<hex>", ...] }` or the canonical msgpack list of byte strings
 * (`API_TX_BATCH_SCHEMA`, src/codec/tx-batch.ts; the light client sends this form). The envelope
 * is checked as a whole (count, item sizes, canonical encoding): a bad envelope refuses the
 * request with a coded error. A msgpack body's count is read from its list header and checked
 * before the body is decoded. Each tx is then submitted on its own, all of them concurrently so
 * that the mempool verifies their signatures in one batch, and the answer is 200 with one result
 * per tx in request order: `{ txId }` or `{ error: { code, message } }`.
 * One refused tx does not fail the others.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import { decodeCanonical, type CodecError } from '../codec/canonical.ts'
import {
  API_TX_BATCH_BODY_BYTES_MAX,
  API_TX_BATCH_MAX,
  API_TX_BATCH_SCHEMA,
  txBatchCountOf,
} from '../codec/tx-batch.ts'
import { SIGNED_TX_BYTES_MAX } from '../core/limits.ts'
import { assert } from '../util/assert.ts'
import { fromHex, isHex, toHex } from '../util/bytes.ts'
import { err, ok, type Result } from '../util/result.ts'
import { ERROR_BODY_SCHEMA, errorBody, httpStatusOf, type ErrorBody } from './errors.ts'
import { HEX } from './read-schemas.ts'

export { API_TX_BATCH_BODY_BYTES_MAX, API_TX_BATCH_MAX, API_TX_BATCH_SCHEMA }

/** One item of the answer: the admitted tx's id, or why this tx was refused. */
export type TxBatchResult = { readonly txId: string } | ErrorBody

/** Submits one signed tx (the node's mempool door, `ApiDeps.submitTx`). */
export type SubmitTx = (
  signedBytes: Uint8Array,
) => Promise<Result<{ txId: Uint8Array }, { code: string; message: string }>>

interface BatchError {
  readonly code: string
  readonly message: string
}

const JSON_BODY = {
  type: 'object',
  required: ['txs'],
  additionalProperties: false,
  properties: {
    txs: {
      type: 'array',
      description: `hex of 1..${API_TX_BATCH_MAX} signed txs (more: 413 API_TX_BATCH_TOO_LARGE)`,
      items: { type: 'string', minLength: 1, maxLength: 2 * SIGNED_TX_BYTES_MAX },
    },
  },
} as const

// No constraints: fastify hands the bytes over as a Buffer; the handler decodes and checks them.
const MSGPACK_BODY = {
  description: `canonical msgpack list of 1..${API_TX_BATCH_MAX} signed txs as byte strings (1..${SIGNED_TX_BYTES_MAX} bytes each)`,
} as const

const RESULT_JSON = {
  anyOf: [{ type: 'object', required: ['txId'], properties: { txId: HEX } }, ERROR_BODY_SCHEMA],
} as const

const BATCH_SCHEMA = {
  description: `Submit up to ${API_TX_BATCH_MAX} signed txs at once; one result per tx, in request order (200 even when some are refused).`,
  body: {
    content: {
      'application/json': { schema: JSON_BODY },
      'application/msgpack': { schema: MSGPACK_BODY },
      'application/octet-stream': { schema: MSGPACK_BODY },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['results'],
      properties: { results: { type: 'array', items: RESULT_JSON } },
    },
    400: ERROR_BODY_SCHEMA,
    413: ERROR_BODY_SCHEMA,
    415: ERROR_BODY_SCHEMA,
    429: ERROR_BODY_SCHEMA,
    503: ERROR_BODY_SCHEMA,
  },
} as const

/** The JSON body's `txs`, if the body has that shape (also checked here, not only by the schema). */
function jsonTxsOf(body: unknown): readonly unknown[] | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null
  const txs = (body as { txs?: unknown }).txs
  return Array.isArray(txs) ? txs : null
}

function checkCount(count: number): BatchError | null {
  if (count === 0) return { code: 'API_TX_BATCH_EMPTY', message: 'txs is empty' }
  if (count > API_TX_BATCH_MAX) {
    const message = `${count} txs > limit ${API_TX_BATCH_MAX} per request`
    return { code: 'API_TX_BATCH_TOO_LARGE', message }
  }
  return null
}

/** A msgpack body's codec error as the request's error. */
function bodyErrorOf(error: CodecError): BatchError {
  const { code, message, fault } = error
  // The list's own bound is an internal backstop: name the documented shape instead.
  const shape = `body: expected a list of byte strings of 1..${SIGNED_TX_BYTES_MAX} bytes`
  return { code, message: fault?.path === '$' ? shape : message }
}

/** The txs of a msgpack body, its count checked on the list header before anything is decoded. */
function readMsgpackBatch(body: Uint8Array): Result<Uint8Array[], BatchError> {
  // A 2 MiB body can list ~700,000 one-byte items, which take about half a second of the event
  // loop to unpack, check and re-encode; the header's count refuses such a body for nothing.
  const announced = txBatchCountOf(body)
  if (!announced.ok) return err(bodyErrorOf(announced.error))
  const refused = checkCount(announced.value)
  if (refused) return err(refused)
  // Items as views into the body, which the request owns and nothing changes: the mempool decodes
  // its own copy of each tx (`decodeSignedTx`), so a copy per item here was a second one, kept
  // while the request waited for its verifications.
  const decoded = decodeCanonical(API_TX_BATCH_SCHEMA, body, API_TX_BATCH_BODY_BYTES_MAX, {
    byteViews: true,
  })
  if (!decoded.ok) return err(bodyErrorOf(decoded.error))
  // A canonical list holds exactly the items its header announces.
  const count = decoded.value.length
  assert(count === announced.value, `decoded ${count} txs, header said ${announced.value}`)
  return ok(decoded.value)
}

/**
 * The batch's items from either body form: tx bytes, or the error of an item that is not a tx
 * (JSON item that is not lowercase hex). An error here refuses the whole request.
 */
export function readTxBatch(body: unknown): Result<(Uint8Array | ErrorBody)[], BatchError> {
  if (body instanceof Uint8Array) return readMsgpackBatch(body)
  const txs = jsonTxsOf(body)
  if (txs === null) {
    const message = 'send application/json { "txs": [hex, ...] } or application/msgpack'
    return err({ code: 'API_UNSUPPORTED_MEDIA_TYPE', message })
  }
  const refused = checkCount(txs.length)
  if (refused) return err(refused)
  const items = txs.map((tx, i) => {
    if (typeof tx === 'string' && tx.length > 0 && isHex(tx)) return fromHex(tx)
    return errorBody('API_BAD_REQUEST', `txs[${i}] is not non-empty lowercase hex`)
  })
  return ok(items)
}

function batchResultOf(submitted: Awaited<ReturnType<SubmitTx>>): TxBatchResult {
  if (submitted.ok) return { txId: toHex(submitted.value.txId) }
  return errorBody(submitted.error.code, submitted.error.message)
}

/** Submits every tx of the batch concurrently; results in request order. */
export async function submitTxBatch(
  items: readonly (Uint8Array | ErrorBody)[],
  submitTx: SubmitTx,
): Promise<TxBatchResult[]> {
  assert(items.length <= API_TX_BATCH_MAX, `batch of ${items.length} > ${API_TX_BATCH_MAX}`)
  // A promise per tx, no async frame: each is under way for as long as its verification takes.
  const results = await Promise.all(
    items.map((item): Promise<TxBatchResult> =>
      item instanceof Uint8Array ? submitTx(item).then(batchResultOf) : Promise.resolve(item),
    ),
  )
  assert(results.length === items.length, `${results.length} results for ${items.length} txs`)
  return results
}

/** `Retry-After` of a submission refused with 503 (`MEMPOOL_BUSY`, `MEMPOOL_FULL`). */
export const SUBMIT_RETRY_AFTER_SECONDS = 1

/** Why the node takes no submission now (checked before a request's txs are read), or null. */
export type SubmitBusy = () => { readonly code: string; readonly message: string } | null

/** Answers a refused submission: the code's status, and `Retry-After` when it is 503 (busy). */
export function sendSubmitError(reply: FastifyReply, code: string, message: string): FastifyReply {
  const status = httpStatusOf(code)
  if (status === 503) void reply.header('retry-after', String(SUBMIT_RETRY_AFTER_SECONDS))
  return reply.code(status).send(errorBody(code, message))
}

/**
 * Registers `POST /v1/txs/batch`. While `busy` gives a reason, a request is refused as a whole
 * with it (503 and `Retry-After`) when it arrives, before its body is parsed.
 */
export function registerTxBatchRoute(
  app: FastifyInstance,
  submitTx: SubmitTx,
  busy: SubmitBusy = () => null,
): void {
  app.post(
    '/v1/txs/batch',
    {
      schema: BATCH_SCHEMA,
      bodyLimit: API_TX_BATCH_BODY_BYTES_MAX,
      onRequest: async (_request, reply) => {
        const refused = busy()
        if (refused) return sendSubmitError(reply, refused.code, refused.message)
      },
    },
    async (request, reply: FastifyReply) => {
      const batch = readTxBatch(request.body)
      if (!batch.ok) return sendSubmitError(reply, batch.error.code, batch.error.message)
      const results = await submitTxBatch(batch.value, submitTx)
      return reply.code(200).send({ results })
    },
  )
}
