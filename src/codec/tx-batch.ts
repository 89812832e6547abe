/**
 * The wire shape of a batch of signed txs in `POST /v1/txs/batch`'s msgpack body, and the batch
 * route's limits: shared by the node's route (src/api/tx-batch.ts) and the light client's
 * `submitBatch` (src/client/light-client.ts), which sends this form. Spec: docs/api.md#batches.
 */
import { SIGNED_TX_BYTES_MAX } from '../core/limits.ts'
import { assert } from '../util/assert.ts'
import { err, ok, type Result } from '../util/result.ts'
import type { CodecError } from './canonical.ts'
import { bytes, list } from './schema.ts'

/** Most txs in one batch request; more is refused with 413 `API_TX_BATCH_TOO_LARGE`. */
export const API_TX_BATCH_MAX = 1024

/**
 * Largest batch request body, in bytes (the other routes keep `API_BODY_BYTES_MAX`).
 *
 * Decision: 2 MiB, which does not fit a full batch of the largest txs. A signed tx may take up to
 * SIGNED_TX_BYTES_MAX (8,288) bytes, so 1024 of them would be ~8.5 MB in msgpack and ~17 MB as hex
 * JSON; accepting that much per request would let a few clients make the node hold hundreds of MB
 * of bodies and parsed copies. A transfer is ~180 bytes: 1024 of them take ~185 KB in msgpack and
 * ~370 KB as JSON, and 2 MiB fits 1024 txs of up to ~1 KiB each as JSON (~2 KiB in msgpack). A
 * client with larger txs sends fewer per request (413 `API_PAYLOAD_TOO_LARGE` tells it so).
 */
export const API_TX_BATCH_BODY_BYTES_MAX = 2 * 1024 * 1024

/**
 * Wire schema of the msgpack body: a canonical list of 1..API_TX_BATCH_MAX non-empty signed-tx byte
 * strings. Encode with `encodeCanonical`. The node reads the count from the list header first
 * (`txBatchCountOf`) and refuses a longer list with its own code before decoding; the list's bound
 * is the backstop behind that check, so that no decode of this schema ever unpacks more items
 * (a 2 MiB body of one-byte items would list ~700,000).
 */
export const API_TX_BATCH_SCHEMA = list(bytes(1, SIGNED_TX_BYTES_MAX), API_TX_BATCH_MAX)

/** msgpack list headers: fixarray holds the count in its low 4 bits; array16/32 a big-endian one. */
const FIXARRAY_MIN = 0x90
const FIXARRAY_MAX = 0x9f
const ARRAY16 = 0xdc
const ARRAY32 = 0xdd

/**
 * The item count that the list header at the start of a batch body announces, read without
 * decoding the rest, so that a body announcing more than API_TX_BATCH_MAX items is refused before
 * anything is unpacked. Spec: docs/api.md#batches. The count is only what the header claims: the
 * body must still be decoded (`decodeCanonical`), which checks the items and the canonical form.
 * An empty body or a header cut short is `CODEC_MALFORMED`, a body that does not start with a list
 * is `CODEC_SHAPE`: the codes `decodeCanonical` gives for them.
 */
export function txBatchCountOf(body: Uint8Array): Result<number, CodecError> {
  const first = body[0]
  if (first === undefined) return err({ code: 'CODEC_MALFORMED', message: 'empty input' })
  let count: number
  if (first >= FIXARRAY_MIN && first <= FIXARRAY_MAX) {
    count = first - FIXARRAY_MIN
  } else if (first === ARRAY16 || first === ARRAY32) {
    const width = first === ARRAY16 ? 2 : 4
    if (body.length < 1 + width) {
      const message = `not msgpack: list header of ${body.length} bytes, needs ${1 + width}`
      return err({ code: 'CODEC_MALFORMED', message })
    }
    count = 0
    // Big-endian; * 256 rather than << 8, which would turn a u32 above 2^31 negative.
    for (let i = 1; i <= width; i++) count = count * 256 + body[i]!
  } else {
    const fault = { path: '$', expected: API_TX_BATCH_SCHEMA.describe }
    return err({ code: 'CODEC_SHAPE', message: `$: expected ${fault.expected}`, fault })
  }
  assert(Number.isSafeInteger(count) && count >= 0, `list count ${count}`)
  assert(count <= 0xffff_ffff, `list count ${count} over the u32 range`)
  return ok(count)
}
