/**
 * `KvStore` over LevelDB (classic-level 3.0.0) with `keyEncoding/valueEncoding: 'view'`.
 * Spec: docs/protocol/storage.md#kvstore. One database per node home; LevelDB's LOCK file keeps a
 * second process out. classic-level's `get` of a missing key returns undefined (no NotFound error).
 */
import { ClassicLevel } from 'classic-level'
import { assert } from '../util/assert.ts'
import { plainBytes } from '../util/bytes.ts'
import { NodeError } from '../util/errors.ts'
import {
  assertRange,
  KV_BATCH_OPS_MAX,
  type KvBatchOptions,
  type KvEntry,
  type KvOp,
  type KvRange,
  type KvStore,
} from './kv.ts'

type Db = ClassicLevel<Uint8Array, Uint8Array>

/**
 * Most entries asked of one `nextv` call; `range` asks again until it has its limit or the end.
 *
 * Decision: 1,000. classic-level reserves a vector for as many entries as asked before it reads
 * any (64 bytes each, on a libuv thread), while one call returns at most about 16 KiB of entries
 * (its `highWaterMarkBytes`), and it frees that vector only when V8 collects the iterator's handle,
 * not at `close`. Asking for a range's whole limit made the WAL's prune, which runs every block
 * with a limit of 100,000, reserve 6.4 MB per block that it never used, held until the next major
 * collection: heaptrack counted 269 MB of it at peak, the node's largest native allocation, and
 * glibc kept the space, so a validator's RSS crept up by about 1 MiB a minute (docs/BENCHMARKS.md,
 * "Cluster", tenth session). 1,000 entries reserve 64 KB, and a read of 16 KiB returns more than
 * 1,000 only when entries are under 17 bytes.
 */
export const LEVEL_NEXTV_ENTRIES_MAX = 1000

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause)
}

/** Writes `ops` as one chained batch; a batch that fails before its write is released unwritten. */
async function writeChained(db: Db, ops: readonly KvOp[], sync: boolean): Promise<void> {
  const batch = db.batch()
  try {
    for (const op of ops) {
      if (op.type === 'put') batch.put(op.key, op.value)
      else batch.del(op.key)
    }
    await batch.write({ sync })
  } finally {
    // `write` closes the batch itself (then this is a no-op); after a failed `put` it drops the ops.
    await batch.close()
  }
}

/** A LevelDB-backed store. Build it with `openLevelKvStore`. */
export class LevelKvStore implements KvStore {
  readonly #db: Db
  /** The database directory. */
  readonly location: string

  /** Wraps an opened database (use `openLevelKvStore`). */
  constructor(db: Db, location: string) {
    assert(db.status === 'open', `database at ${location} is ${db.status}`)
    this.#db = db
    this.location = location
  }

  /** Synchronous read; undefined when absent. */
  readonly getSync = (key: Uint8Array): Uint8Array | undefined => {
    const value = this.#db.getSync(key)
    return value === undefined ? undefined : plainBytes(value)
  }

  /** {@inheritDoc KvStore.get} */
  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const value = await this.#db.get(key)
    return value === undefined ? undefined : plainBytes(value)
  }

  /** {@inheritDoc KvStore.getMany} */
  async getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    const values = await this.#db.getMany([...keys])
    assert(values.length === keys.length, 'getMany returns one value per key')
    return values.map((v) => (v === undefined ? undefined : plainBytes(v)))
  }

  /**
   * {@inheritDoc KvStore.batch}
   * Written as a chained batch (one LevelDB WriteBatch, as atomic as the array form): for a block's
   * 30,000 ops it costs about a fifth of `db.batch(array)`, whose native side reads every op object's
   * properties (docs/BENCHMARKS.md, "Ledger").
   */
  async batch(ops: readonly KvOp[], options: KvBatchOptions): Promise<void> {
    assert(ops.length <= KV_BATCH_OPS_MAX, `batch of ${ops.length} ops`)
    try {
      await writeChained(this.#db, ops, options.sync)
    } catch (cause) {
      throw new NodeError(
        'LEDGER_KV_WRITE',
        `batch of ${ops.length} ops failed: ${describe(cause)}`,
        {
          cause,
        },
      )
    }
  }

  /** {@inheritDoc KvStore.range} */
  async range(range: KvRange): Promise<KvEntry[]> {
    assertRange(range)
    if (range.limit === 0) return []
    // A LevelDB iterator reads from an implicit snapshot taken when it is created.
    const iterator = this.#db.iterator({
      ...(range.gte ? { gte: range.gte } : {}),
      ...(range.gt ? { gt: range.gt } : {}),
      ...(range.lt ? { lt: range.lt } : {}),
      ...(range.lte ? { lte: range.lte } : {}),
      reverse: range.reverse ?? false,
      limit: range.limit,
    })
    try {
      // `nextv` may return fewer entries than asked before the end; only an empty array ends it.
      const out: KvEntry[] = []
      while (out.length < range.limit) {
        const rows = await iterator.nextv(
          Math.min(range.limit - out.length, LEVEL_NEXTV_ENTRIES_MAX),
        )
        if (rows.length === 0) break
        for (const [key, value] of rows)
          out.push({ key: plainBytes(key), value: plainBytes(value) })
      }
      assert(out.length <= range.limit, 'iterator returned more than the limit')
      return out
    } finally {
      await iterator.close()
    }
  }

  /** {@inheritDoc KvStore.close} */
  async close(): Promise<void> {
    await this.#db.close()
  }
}

/**
 * Opens (creating if missing) the LevelDB database at `location`.
 * @throws {NodeError} `LEDGER_KV_OPEN` when it cannot be opened (locked, corrupt, unreadable).
 */
export async function openLevelKvStore(location: string): Promise<LevelKvStore> {
  const db: Db = new ClassicLevel<Uint8Array, Uint8Array>(location, {
    keyEncoding: 'view',
    valueEncoding: 'view',
  })
  try {
    await db.open({ createIfMissing: true })
  } catch (cause) {
    const inner = cause instanceof Error && cause.cause !== undefined ? describe(cause.cause) : ''
    throw new NodeError(
      'LEDGER_KV_OPEN',
      `cannot open store at ${location}: ${describe(cause)}${inner ? ` (${inner})` : ''}`,
      { cause },
    )
  }
  return new LevelKvStore(db, location)
}
