/**
 * The light client's coded errors (SPEC §10; docs/api.md#light-client). Every rejection of node data is a
 * value with a code, never an exception: a lying or broken node is an expected input.
 * Browser-safe.
 */
import { err, type Err } from '../util/result.ts'

/** Why the light client refused a node's answer or could not get one. */
export type ClientErrorCode =
  /** The request failed (network, timeout) or the node answered with an unexpected HTTP status. */
  | 'CLIENT_HTTP'
  /** The node answered 404 for the requested object. */
  | 'CLIENT_NOT_FOUND'
  /** The node refused a submitted tx (4xx with its own code in `nodeCode`). */
  | 'CLIENT_REJECTED'
  /** The answer is not the contract's shape: bad JSON, hex, field types or canonical encodings. */
  | 'CLIENT_MALFORMED'
  /** A commit certificate is not valid for its header under the trusted set. */
  | 'CLIENT_BAD_CERTIFICATE'
  /** A header names a validator set other than the trusted one, or a served set does not hash to its hash. */
  | 'CLIENT_VALIDATORS_MISMATCH'
  /** A header is for another chain, or does not link to the verified headers (parentHash, height). */
  | 'CLIENT_CHAIN_MISMATCH'
  /** The node served a header for another height than the one asked for. */
  | 'CLIENT_WRONG_HEIGHT'
  /**
   * A read of the head was answered at a height below one the client had already verified when it
   * asked (a rollback), or parts of one read came from different heights.
   */
  | 'CLIENT_STALE'
  /** A Merkle or state proof does not verify against the certified header. */
  | 'CLIENT_PROOF_MISMATCH'
  /** A tx or receipt is not the one asked for (txId, index), or its signature is invalid. */
  | 'CLIENT_TX_MISMATCH'
  /** A plain JSON field disagrees with the proven data (e.g. a balance amount). */
  | 'CLIENT_VALUE_MISMATCH'
  /** Waiting for a commit took longer than allowed. */
  | 'CLIENT_TIMEOUT'
  /** The caller passed an invalid argument (bad hex, height, symbol or trusted set). */
  | 'CLIENT_BAD_ARGUMENT'

/** A light-client error. `cause` holds the lower-level code (e.g. `CERT_BAD_SIGNATURE`). */
export interface ClientError {
  readonly code: ClientErrorCode
  readonly message: string
  /** The code of the check that failed underneath (certificate, proof or codec code). */
  readonly cause?: string
  /** HTTP status of the node's answer, when there was one. */
  readonly status?: number
  /** The node's own error code (`API_...`), when it sent one. */
  readonly nodeCode?: string
  /**
   * How long the node asked the client to wait before trying again (its `Retry-After`, with 429
   * and with 503 `MEMPOOL_BUSY` / `MEMPOOL_FULL`), in ms.
   */
  readonly retryAfterMs?: number
}

/** A failed Result with a client error. */
export function clientErr(
  code: ClientErrorCode,
  message: string,
  extra: { cause?: string; status?: number; nodeCode?: string; retryAfterMs?: number } = {},
): Err<ClientError> {
  return err({ code, message, ...extra })
}

/** Thrown by `orThrow` for callers that prefer exceptions; carries the coded error. */
export class LightClientError extends Error {
  readonly code: ClientErrorCode
  readonly detail: ClientError

  /** Wraps a coded error. */
  constructor(detail: ClientError) {
    super(`${detail.code}: ${detail.message}`)
    this.name = 'LightClientError'
    this.code = detail.code
    this.detail = detail
  }
}
