/**
 * Durable storage of the consensus WAL in its own LevelDB (`<home>/data/wal`). A record is written
 * with `sync: true` before the driver sends any message that depends on it (STYLE §2), so a restarted
 * validator replays what it signed and never signs a conflicting vote.
 * Key: `u32 height ‖ u32 sequence` (big-endian), so records load in write order.
 */
import { decodeWalRecord, encodeWalRecord, type WalRecord } from '../consensus/wal.ts'
import type { KvStore } from '../ledger/kv.ts'
import { NodeError } from '../util/errors.ts'

/** WAL records kept at most (a height's records are pruned when it commits). */
export const WAL_RECORDS_MAX = 100_000

function walKey(height: number, sequence: number): Uint8Array {
  const key = new Uint8Array(8)
  const view = new DataView(key.buffer)
  view.setUint32(0, height)
  view.setUint32(4, sequence)
  return key
}

/** The WAL of one validator. */
export class WalStore {
  readonly #kv: KvStore
  #sequence: number

  private constructor(kv: KvStore, sequence: number) {
    this.#kv = kv
    this.#sequence = sequence
  }

  /**
   * Opens the WAL and returns its records in write order.
   * @throws {NodeError} WAL_CORRUPT when a record does not decode.
   */
  static async open(kv: KvStore): Promise<{ wal: WalStore; records: WalRecord[] }> {
    const entries = await kv.range({
      gte: walKey(0, 0),
      lte: walKey(0xffff_ffff, 0xffff_ffff),
      limit: WAL_RECORDS_MAX,
    })
    const records: WalRecord[] = []
    let sequence = 0
    for (const entry of entries) {
      const decoded = decodeWalRecord(entry.value)
      if (!decoded.ok)
        throw new NodeError('WAL_CORRUPT', `WAL record does not decode: ${decoded.error.message}`)
      records.push(decoded.value)
      sequence = Math.max(
        sequence,
        new DataView(entry.key.buffer, entry.key.byteOffset).getUint32(4) + 1,
      )
    }
    return { wal: new WalStore(kv, sequence), records }
  }

  /** Appends a record durably (fsync) before returning. */
  async append(record: WalRecord): Promise<void> {
    const key = walKey(record.height, this.#sequence++)
    await this.#kv.batch([{ type: 'put', key, value: encodeWalRecord(record) }], { sync: true })
  }

  /** Deletes the records of heights below `height` (they are decided). */
  async pruneBelow(height: number): Promise<void> {
    const old = await this.#kv.range({
      gte: walKey(0, 0),
      lt: walKey(height, 0),
      limit: WAL_RECORDS_MAX,
    })
    if (old.length === 0) return
    await this.#kv.batch(
      old.map((e) => ({ type: 'del' as const, key: e.key })),
      { sync: false },
    )
  }

  /** Closes the underlying store. */
  close(): Promise<void> {
    return this.#kv.close()
  }
}
