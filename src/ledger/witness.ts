/**
 * The commit witness: a tiny file beside the database that records the last committed height and
 * block hash. Spec: docs/protocol/storage.md#commit-witness.
 *
 * LevelDB silently drops a damaged tail of its write-ahead log when it opens (classic-level has no
 * `paranoid_checks` option), which would restart the node at an earlier, consistent but shorter
 * ledger. The witness, written after every synced commit, lets start-up detect that and refuse.
 * It is written to a temporary file, fsynced, then renamed over the witness (never torn). The
 * rename itself is not made durable (no directory fsync): after a power loss the witness can only
 * be older than the store, which the check accepts. A zero-length witness (what a rename of a file
 * whose data never reached the disk leaves on XFS or ext4, e.g. one written before the fsync was
 * added) is read as no record and reported (ADR 0040 addendum).
 */
import { open, readFile, rename } from 'node:fs/promises'
import { fromHex, isHex, toHex } from '../util/bytes.ts'
import { NodeError } from '../util/errors.ts'

/** The last committed height and block hash, as far as the witness knows. */
export interface WitnessRecord {
  readonly height: number
  readonly blockHash: Uint8Array
}

/** Where the ledger records its commits outside the database. */
export interface CommitWitness {
  /**
   * The recorded commit; null when none was recorded yet; `'empty'` when the record exists but holds
   * no bytes (lost with a power loss): the ledger treats it as no record and warns.
   */
  load(): Promise<WitnessRecord | 'empty' | null>
  /** Records a commit (after its batch is durable). */
  save(record: WitnessRecord): Promise<void>
}

/** A `CommitWitness` in one small text file: `<height> <blockHash hex>\n`. */
export class FileCommitWitness implements CommitWitness {
  readonly #path: string

  /** A witness at `path` (conventionally `<home>/ledger.witness`). */
  constructor(path: string) {
    this.#path = path
  }

  /**
   * {@inheritDoc CommitWitness.load}
   * @throws {NodeError} `LEDGER_WITNESS_CORRUPT` when the file is not empty and does not parse.
   */
  async load(): Promise<WitnessRecord | 'empty' | null> {
    let text: string
    try {
      text = await readFile(this.#path, 'utf8')
    } catch (cause) {
      if ((cause as { code?: unknown }).code === 'ENOENT') return null
      throw new NodeError('LEDGER_WITNESS_READ', `cannot read ${this.#path}`, { cause })
    }
    // Only a file of no bytes at all: partial or garbled contents stay LEDGER_WITNESS_CORRUPT.
    if (text.length === 0) return 'empty'
    const match = /^(\d{1,10}) ([0-9a-f]{64})\n$/.exec(text)
    const height = match ? Number(match[1]) : NaN
    if (!match || !isHex(match[2]!) || !Number.isInteger(height) || height > 0xffff_ffff) {
      throw new NodeError(
        'LEDGER_WITNESS_CORRUPT',
        `LEDGER_WITNESS_CORRUPT: ${this.#path} does not parse`,
      )
    }
    return { height, blockHash: fromHex(match[2]!) }
  }

  /**
   * {@inheritDoc CommitWitness.save}
   * @throws {NodeError} `LEDGER_WITNESS_WRITE` when the file cannot be written, synced or renamed.
   */
  async save(record: WitnessRecord): Promise<void> {
    const temp = `${this.#path}.tmp`
    try {
      const file = await open(temp, 'w')
      try {
        await file.writeFile(`${record.height} ${toHex(record.blockHash)}\n`)
        // The data must be on disk before the rename can be: otherwise a power loss can leave the
        // new name on an empty file (XFS; ext4 with noauto_da_alloc or data=writeback).
        await file.sync()
      } finally {
        await file.close()
      }
      await rename(temp, this.#path)
    } catch (cause) {
      throw new NodeError('LEDGER_WITNESS_WRITE', `cannot write ${this.#path}`, { cause })
    }
  }
}
