/**
 * Encodings of the ledger's own stored values (head record, tx locations, receipts) and checked
 * loading of blocks and certificates. Spec: docs/protocol/storage.md#values.
 *
 * Everything read back is decoded canonically and checked against what refers to it (a block's
 * recomputed hash against the certificate and the head), so disk corruption is detected on load
 * and reported as a `NodeError`, never used.
 */
import { decodeCanonical } from '../codec/canonical.ts'
import { bytes, list, struct, tuple, u32, type Infer, type Schema } from '../codec/schema.ts'
import {
  BLOCK_BYTES_MAX,
  BLOCK_SCHEMA,
  BLOCK_TX_COUNT_MAX,
  CERTIFICATE_SCHEMA,
  type Block,
  type CommitCertificate,
} from '../core/block.ts'
import { HEIGHT_MAX } from '../core/limits.ts'
import { equalBytes, toHex } from '../util/bytes.ts'
import { NodeError } from '../util/errors.ts'
import { blockKey, certificateKey } from './keys.ts'
import type { KvStore } from './kv.ts'

/** The head record: the last committed height, its block hash and state root. */
export const HEAD_SCHEMA = struct('ledger-head', {
  version: u32(1, 1),
  height: u32(0, HEIGHT_MAX),
  /** Hash of the block at `height` (at height 0: the genesis hash). */
  blockHash: bytes(32),
  /** State root after `height` (equals that block's `header.stateRoot`). */
  stateRoot: bytes(32),
})
/** The head record. */
export type LedgerHead = Infer<typeof HEAD_SCHEMA>

/** Where a tx is: `(height, position in the block)`. */
export const TX_LOCATION_SCHEMA = tuple(u32(0, HEIGHT_MAX), u32(0, BLOCK_TX_COUNT_MAX - 1))

/** Largest receipt, in bytes (receipts are opaque to the ledger). */
export const RECEIPT_BYTES_MAX = 16 * 1024
/** The receipts of one block, one per tx, opaque bytes. */
export const RECEIPTS_SCHEMA = list(bytes(0, RECEIPT_BYTES_MAX), BLOCK_TX_COUNT_MAX)
/** An index head: the height the index is written up to. */
export const INDEX_HEAD_SCHEMA = u32(0, HEIGHT_MAX)
/** Largest encoded certificate, in bytes. */
export const CERTIFICATE_BYTES_MAX = 16 * 1024
/** Largest encoded receipts list, in bytes. */
export const RECEIPTS_BYTES_MAX = 64 * 1024 * 1024

/** The block hash (one definition for the whole code base: the consensus messages module). */
export { blockHashOf } from '../consensus/messages.ts'
import { blockHashOf as hashOfHeader } from '../consensus/messages.ts'

/** A block as loaded: decoded, with its recomputed hash. */
export interface StoredBlock {
  readonly block: Block
  readonly hash: Uint8Array
}

/**
 * Decodes a stored value or throws a coded corruption error naming what it is.
 * @throws {NodeError} `code` when the bytes are not a canonical value of `schema`.
 */
export function decodeOrCorrupt<T>(
  schema: Schema<T>,
  value: Uint8Array,
  bytesMax: number,
  code: string,
  what: string,
): T {
  const decoded = decodeCanonical(schema, value, bytesMax)
  if (!decoded.ok)
    throw new NodeError(code, `${code}: ${what} does not decode (${decoded.error.message})`)
  return decoded.value
}

/**
 * Loads the block at `height` and recomputes its hash. Undefined when absent.
 * @throws {NodeError} `LEDGER_BLOCK_CORRUPT` when it does not decode or sits at the wrong height.
 */
export async function loadStoredBlock(
  kv: KvStore,
  height: number,
): Promise<StoredBlock | undefined> {
  const value = await kv.get(blockKey(height))
  if (value === undefined) return undefined
  const block = decodeOrCorrupt(
    BLOCK_SCHEMA,
    value,
    BLOCK_BYTES_MAX,
    'LEDGER_BLOCK_CORRUPT',
    `block ${height}`,
  )
  if (block.header.height !== height) {
    throw new NodeError(
      'LEDGER_BLOCK_CORRUPT',
      `LEDGER_BLOCK_CORRUPT: block stored at height ${height} says height ${block.header.height}`,
    )
  }
  return { block, hash: hashOfHeader(block.header) }
}

/**
 * Loads the certificate at `height` and checks it certifies `blockHash`. Undefined when absent.
 * @throws {NodeError} `LEDGER_CERTIFICATE_MISMATCH` when it is corrupt or certifies another block.
 */
export async function loadStoredCertificate(
  kv: KvStore,
  height: number,
  blockHash: Uint8Array,
): Promise<CommitCertificate | undefined> {
  const value = await kv.get(certificateKey(height))
  if (value === undefined) return undefined
  const code = 'LEDGER_CERTIFICATE_MISMATCH'
  const cert = decodeOrCorrupt(
    CERTIFICATE_SCHEMA,
    value,
    CERTIFICATE_BYTES_MAX,
    code,
    `certificate ${height}`,
  )
  if (cert.height !== height || !equalBytes(cert.blockHash, blockHash)) {
    throw new NodeError(
      code,
      `${code}: certificate ${height} is for height ${cert.height} block ${toHex(cert.blockHash)}, ` +
        `stored block hashes to ${toHex(blockHash)}`,
    )
  }
  return cert
}
