/**
 * The one table from error code to HTTP status (SPEC §9, STYLE §5). Every error body is
 * `{ "error": { "code": "AREA_CODE", "message": "..." } }`.
 */

/** Exact codes with a status of their own. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  API_NOT_FOUND: 404,
  API_BAD_REQUEST: 400,
  API_PAYLOAD_TOO_LARGE: 413,
  API_TX_BATCH_TOO_LARGE: 413,
  API_TX_BATCH_EMPTY: 400,
  API_URI_TOO_LONG: 414,
  API_UNSUPPORTED_MEDIA_TYPE: 415,
  API_RATE_LIMITED: 429,
  API_NOT_READY: 503,
  API_TIMEOUT: 504,
  API_WAIT_TIMEOUT: 504,
  API_NOT_ACCEPTABLE: 406,
  API_SUBSCRIBERS_FULL: 503,
  API_SUBSCRIBERS_PER_CLIENT: 429,
  API_INTERNAL: 500,
  TX_DUPLICATE: 409,
  TX_NOT_FOUND: 404,
  BLOCK_NOT_FOUND: 404,
  MEMPOOL_FULL: 503,
  MEMPOOL_BUSY: 503,
}

/** Status by code prefix, for codes not listed above (first match wins). */
const STATUS_BY_PREFIX: readonly (readonly [string, number])[] = [
  ['CODEC_', 400],
  ['TX_', 422],
  ['PROOF_', 422],
  ['API_', 400],
]

/** Codes ending in `_NOT_FOUND` (e.g. `API_BLOCK_NOT_FOUND`, `API_MARKET_NOT_FOUND`) are 404. */
const NOT_FOUND_SUFFIX = '_NOT_FOUND'

/** The HTTP status for an error code; unknown codes are server errors (500). */
export function httpStatusOf(code: string): number {
  const exact = STATUS_BY_CODE[code]
  if (exact !== undefined) return exact
  if (code.endsWith(NOT_FOUND_SUFFIX) && /^[A-Z]+_/.test(code)) return 404
  for (const [prefix, status] of STATUS_BY_PREFIX) if (code.startsWith(prefix)) return status
  return 500
}

/** The error body every failing route returns. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string }
}

/** Builds an error body. */
export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } }
}

/** JSON schema of the error body (for route response schemas and OpenAPI). */
export const ERROR_BODY_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const
