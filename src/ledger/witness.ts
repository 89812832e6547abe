/**
 * The commit witness: a tiny file beside the database that records the last committed height and
 * block hash. Spec: docs/protocol/storage.md#commit-witness.
 *
 * LevelDB silently drops a damaged tail of its write-ahead log when it opens (classic-level has no
 * `paranoid_checks` option), which would restart the node at an earlier, consistent but shorter
 * ledger. The witness, written after every synced commit, lets start-up detect that and refuse.
 * It is written by rename (never torn) and not fsynced: after a power loss it can only be older
 * than the store, which the check accepts.
 */
import { readFile, rename, writeFile } from 'node:fs/promises'
import { fromHex, isHex, toHex } from '../util/bytes.ts'
import { NodeError } from '../util/errors.ts'

/** The last committed height and block hash, as far as the witness knows. */
export interface WitnessRecord {
  readonly height: number
  readonly blockHash: Uint8Array
}

/** Where the ledger records its commits outside the database. */
export interface CommitWitness {
  /** The recorded commit, or null when none was recorded yet. */
  load(): Promise<WitnessRecord | null>
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
   * @throws {NodeError} `LEDGER_WITNESS_CORRUPT` when the file exists but does not parse.
   */
  async load(): Promise<WitnessRecord | null> {
    let text: string
    try {
      text = await readFile(this.#path, 'utf8')
    } catch (cause) {
      if ((cause as { code?: unknown }).code === 'ENOENT') return null
      throw new NodeError('LEDGER_WITNESS_READ', `cannot read ${this.#path}`, { cause })
    }
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

  /** {@inheritDoc CommitWitness.save} */
  async save(record: WitnessRecord): Promise<void> {
    const temp = `${this.#path}.tmp`
    try {
      await writeFile(temp, `${record.height} ${toHex(record.blockHash)}\n`)
      await rename(temp, this.#path)
    } catch (cause) {
      throw new NodeError('LEDGER_WITNESS_WRITE', `cannot write ${this.#path}`, { cause })
    }
  }
}
