/**
 * Block sync wire messages on `/pointsnode/sync/1`: the request `[version, fromHeight, countMax]`
 * and the response `[version, headHeight, [[block, certificate], ...]]`, both canonical.
 * Spec: SPEC.md sections 5 (Sync) and 8; docs/protocol/p2p.md#block-sync.
 *
 * This module only encodes and decodes (size limit, shape, canonical re-encoding). Whether a
 * response is contiguous and its certificates name its blocks is checked by the node
 * (src/node/sync.ts), which may hash headers; certificates' signatures are checked by consensus.
 */
import { decodeCanonical, encodeCanonical, type CodecErrorCode } from '../codec/canonical.ts'
import { list, struct, u32, type Infer, type Schema } from '../codec/schema.ts'
import { BLOCK_SCHEMA, CERTIFICATE_SCHEMA } from '../core/block.ts'
import { HEIGHT_MAX } from '../core/limits.ts'
import { assert } from '../util/assert.ts'
import { err, ok, type Result } from '../util/result.ts'
import { SYNC_REQUEST_BYTES_MAX, SYNC_RESPONSE_BYTES_MAX } from './limits.ts'

/** The sync message version this code produces and accepts. */
export const SYNC_VERSION = 1
/** Most blocks one sync request may ask for and one response may carry. */
export const SYNC_BLOCKS_PER_RESPONSE_MAX = 64
/**
 * Upper bound of a response's bytes besides its entries: msgpack array headers of the response
 * and the entry list (5 bytes each at most), the version and the head height (5 bytes each).
 */
export const SYNC_RESPONSE_OVERHEAD_BYTES = 32

/** Wire schema of a sync request. Heights start at 1: genesis has no certificate. */
export const SYNC_REQUEST_SCHEMA = struct('syncRequest', {
  version: u32(SYNC_VERSION, SYNC_VERSION),
  /** First height asked for. */
  fromHeight: u32(1, HEIGHT_MAX),
  /** Most blocks wanted; the responder may send fewer. */
  countMax: u32(1, SYNC_BLOCKS_PER_RESPONSE_MAX),
})

/** A committed block with its commit certificate; on the wire the pair `[block, certificate]`. */
export const SYNC_ENTRY_SCHEMA = struct('syncEntry', {
  block: BLOCK_SCHEMA,
  certificate: CERTIFICATE_SCHEMA,
})

/** Wire schema of a sync response. */
export const SYNC_RESPONSE_SCHEMA = struct('syncResponse', {
  version: u32(SYNC_VERSION, SYNC_VERSION),
  /** The responder's last committed height (0: only genesis). */
  headHeight: u32(0, HEIGHT_MAX),
  /** Consecutive blocks from the requested height on, possibly none. */
  entries: list(SYNC_ENTRY_SCHEMA, SYNC_BLOCKS_PER_RESPONSE_MAX),
})

/** A sync request. */
export type SyncRequest = Infer<typeof SYNC_REQUEST_SCHEMA>
/** A block with its certificate, as carried by a sync response. */
export type SyncEntry = Infer<typeof SYNC_ENTRY_SCHEMA>
/** A sync response. */
export type SyncResponse = Infer<typeof SYNC_RESPONSE_SCHEMA>

/** Why sync bytes were rejected: too large, or not the canonical encoding of the schema. */
export interface SyncDecodeError {
  readonly code: 'SYNC_TOO_LARGE' | 'SYNC_MALFORMED'
  /** The codec's finer code (`CODEC_SHAPE`, `CODEC_NON_CANONICAL`, ...). */
  readonly codecCode: CodecErrorCode
  readonly message: string
}

function decodeSync<T>(
  schema: Schema<T>,
  bytes: Uint8Array,
  bytesMax: number,
): Result<T, SyncDecodeError> {
  const decoded = decodeCanonical(schema, bytes, bytesMax)
  if (decoded.ok) return decoded
  const { code, message } = decoded.error
  return err({
    code: code === 'CODEC_TOO_LARGE' ? 'SYNC_TOO_LARGE' : 'SYNC_MALFORMED',
    codecCode: code,
    message,
  })
}

/**
 * Encodes a sync request.
 * @throws {AssertionError} if a field is out of range (a caller bug).
 */
export function encodeSyncRequest(request: SyncRequest): Uint8Array {
  const bytes = encodeCanonical(SYNC_REQUEST_SCHEMA, request)
  assert(bytes.length <= SYNC_REQUEST_BYTES_MAX, 'a sync request is tiny')
  return bytes
}

/** Decodes a sync request (canonical form and `SYNC_REQUEST_BYTES_MAX` required). */
export function decodeSyncRequest(bytes: Uint8Array): Result<SyncRequest, SyncDecodeError> {
  return decodeSync(SYNC_REQUEST_SCHEMA, bytes, SYNC_REQUEST_BYTES_MAX)
}

/** The encoded size of one entry inside a response. */
export function syncEntryBytes(entry: SyncEntry): number {
  return encodeCanonical(SYNC_ENTRY_SCHEMA, entry).length
}

/**
 * Encodes a sync response.
 * @throws {AssertionError} if it has too many entries or exceeds SYNC_RESPONSE_BYTES_MAX (the
 * responder must size it with `syncEntryBytes`; a caller bug).
 */
export function encodeSyncResponse(response: SyncResponse): Uint8Array {
  assert(response.entries.length <= SYNC_BLOCKS_PER_RESPONSE_MAX, 'too many sync entries')
  const bytes = encodeCanonical(SYNC_RESPONSE_SCHEMA, response)
  assert(bytes.length <= SYNC_RESPONSE_BYTES_MAX, `sync response of ${bytes.length} bytes`)
  return bytes
}

/** Decodes a sync response (canonical form and `SYNC_RESPONSE_BYTES_MAX` required). */
export function decodeSyncResponse(bytes: Uint8Array): Result<SyncResponse, SyncDecodeError> {
  const decoded = decodeSync(SYNC_RESPONSE_SCHEMA, bytes, SYNC_RESPONSE_BYTES_MAX)
  if (decoded.ok) assert(decoded.value.entries.length <= SYNC_BLOCKS_PER_RESPONSE_MAX, 'bound')
  return decoded.ok ? ok(decoded.value) : decoded
}
