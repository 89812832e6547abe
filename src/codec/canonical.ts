/**
 * The canonical msgpack encoding: the only place in the code base that touches msgpackr.
 *
 * Spec: docs/protocol/encoding.md. Values are fixed-order tuples of uint32 numbers, bigints,
 * booleans, strings, byte strings, null and nested tuples/lists. Decoding checks the size limit,
 * unpacks, checks the shape, then re-encodes and compares the bytes, so every value has exactly one
 * accepted encoding (no malleability of ids or signatures through the encoding).
 */
import { Packr } from 'msgpackr'
import { assert } from '../util/assert.ts'
import { equalBytes } from '../util/bytes.ts'
import { err, ok, type Result } from '../util/result.ts'
import { faultUnder, parseWithByteViews, type Schema, type ShapeFault } from './schema.ts'

/** Codec error codes. */
export type CodecErrorCode =
  'CODEC_TOO_LARGE' | 'CODEC_MALFORMED' | 'CODEC_SHAPE' | 'CODEC_NON_CANONICAL'

/** Why bytes were rejected by `decodeCanonical`. */
export interface CodecError {
  readonly code: CodecErrorCode
  readonly message: string
  readonly fault?: ShapeFault
}

const packr = new Packr({
  useRecords: false,
  // Byte strings come out as views into the input: the schema's `bytes` copies each one it accepts
  // (unless the decode asks for views, `DecodeOptions.byteViews`).
  copyBuffers: false,
  mapsAsObjects: false,
  int64AsType: 'bigint',
  bundleStrings: false,
  moreTypes: false,
  structuredClone: false,
  largeBigIntToFloat: false,
  largeBigIntToString: false,
  useBigIntExtension: false,
})

/**
 * Encodes a value that `schema` accepts. Encoding data of the wrong shape is a bug.
 * @throws {AssertionError} if `value` does not match `schema`.
 */
export function encodeCanonical<T>(schema: Schema<T>, value: T): Uint8Array {
  // A copy of its own: the bytes may be kept for as long as the caller likes.
  return encodeCanonicalView(schema, value).slice()
}

/**
 * Encodes like `encodeCanonical`, without copying the bytes out of the encoder's output buffer: the
 * result is a view into a buffer of at least 8 KiB that later encodings never overwrite but share,
 * so a view that is kept keeps the whole buffer alive. For bytes that are written or hashed and
 * then dropped (ledger and WAL records, receipts); `encodeCanonical` for anything kept. Copying a
 * ~100-byte record costs more than packing it (its own off-heap buffer, swept by V8's scavenger).
 * @throws {AssertionError} if `value` does not match `schema`.
 */
export function encodeCanonicalView<T>(schema: Schema<T>, value: T): Uint8Array {
  const wire = schema.toWire(value)
  const fault = schema.check(wire)
  if (fault) assert(false, `encode: $${fault.path} is not ${fault.expected}`)
  return packView(wire)
}

function packView(value: unknown): Uint8Array {
  const packed = packr.pack(value)
  // A plain Uint8Array view (not a Node Buffer), so the pure core never depends on Buffer.
  return new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength)
}

/** Options of `decodeCanonical`. */
export interface DecodeOptions {
  /**
   * Byte strings of the value as views into `bytes` instead of copies (`parseWithByteViews`): only
   * for input that the caller owns, does not change, and keeps no longer than the value.
   */
  readonly byteViews?: boolean
}

/**
 * Decodes bytes that must be the canonical encoding of a value of `schema`.
 * Returns a coded error for every kind of bad input; never throws on input.
 */
export function decodeCanonical<T>(
  schema: Schema<T>,
  bytes: Uint8Array,
  bytesMax: number,
  options: DecodeOptions = {},
): Result<T, CodecError> {
  assert(bytesMax > 0, 'bytesMax must be positive')
  if (bytes.length > bytesMax) {
    return err({ code: 'CODEC_TOO_LARGE', message: `${bytes.length} bytes > limit ${bytesMax}` })
  }
  if (bytes.length === 0) return err({ code: 'CODEC_MALFORMED', message: 'empty input' })
  let raw: unknown
  try {
    // msgpackr caches a DataView on the array it reads (`dataView` property): a throwaway view
    // takes it, so that the caller's array, which a decoded tx keeps, does not carry one.
    raw = packr.unpack(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause)
    return err({ code: 'CODEC_MALFORMED', message: `not msgpack: ${message}` })
  }
  const parsed =
    options.byteViews === true ? parseWithByteViews(() => schema.parse(raw)) : schema.parse(raw)
  if (!parsed.ok) {
    const fault = faultUnder('$', parsed.fault)
    return err({ code: 'CODEC_SHAPE', message: `${fault.path}: expected ${fault.expected}`, fault })
  }
  // Only compared, never kept: a view, not a copy.
  const again = packView(schema.toWire(parsed.value))
  if (!equalBytes(again, bytes)) {
    return err({ code: 'CODEC_NON_CANONICAL', message: 'encoding is not the canonical one' })
  }
  return ok(parsed.value)
}
