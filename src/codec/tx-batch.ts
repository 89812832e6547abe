/**
 * The wire shape of a batch of signed txs in `POST /v1/txs/batch`'s msgpack body, and the batch
 * route's limits: shared by the node's route (src/api/tx-batch.ts) and the light client's
 * `submitBatch` (src/client/light-client.ts), which sends this form. Spec: docs/api.md#batches.
 */
import { SIGNED_TX_BYTES_MAX } from '../core/limits.ts'
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
 * Wire schema of the msgpack body: a canonical list of non-empty signed-tx byte strings. An item
 * takes at least 3 bytes (bin8 header, length, one byte), so no body within the byte limit holds
 * more items than this bound; the count limit API_TX_BATCH_MAX is checked after decoding, so that
 * a long list gets its own code rather than a shape error. Encode with `encodeCanonical`.
 */
export const API_TX_BATCH_SCHEMA = list(
  bytes(1, SIGNED_TX_BYTES_MAX),
  Math.floor(API_TX_BATCH_BODY_BYTES_MAX / 3),
)
