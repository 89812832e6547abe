/**
 * The consensus write-ahead log: what a validator must remember across a crash so that, restarted,
 * it never signs a message that conflicts with one it signed before. Spec:
 * docs/protocol/consensus.md#wal.
 *
 * The engine emits a `persist` effect with one record before it emits the broadcast that depends on
 * it; the driver makes the record durable (fsync) before it sends. Records are canonical tuples. The
 * driver may drop every record below the height the engine starts at (the block store holds the
 * last commit).
 */
import { decodeCanonical, encodeCanonicalView, type CodecError } from '../codec/canonical.ts'
import { bytes, list, literal, nullable, struct, u32, type Infer } from '../codec/schema.ts'
import { BLOCK_BYTES_MAX, BLOCK_SCHEMA, VALIDATOR_COUNT_MAX, type Block } from '../core/block.ts'
import { HEIGHT_MAX } from '../core/limits.ts'
import { assert } from '../util/assert.ts'
import { equalBytes } from '../util/bytes.ts'
import type { Result } from '../util/result.ts'
import {
  CONSENSUS_MESSAGE_BYTES_MAX,
  PROPOSAL_MESSAGE_SCHEMA,
  ROUND_CHANGE_MESSAGE_SCHEMA,
  ROUND_MAX,
  SIGNED_VOTE_SCHEMA,
  type ProposalMessage,
  type RoundChangeMessage,
  type SignedVote,
} from './messages.ts'

/**
 * One WAL record. `type` says which message the validator is about to send at (height, round):
 * - `proposal`: the full proposal message (rebroadcast unchanged after a restart);
 * - `prepare`: the block hash it prepares;
 * - `commit`: the block hash it commits, and the block with its prepared certificate (the
 *   validator's new prepared state, reported in later ROUND-CHANGEs);
 * - `roundChange`: it moves to `round` and announces it with the carried message (resent unchanged).
 */
export const WAL_RECORD_SCHEMA = struct('walRecord', {
  type: literal('proposal', 'prepare', 'commit', 'roundChange'),
  height: u32(1, HEIGHT_MAX),
  round: u32(0, ROUND_MAX),
  blockHash: nullable(bytes(32)),
  block: nullable(BLOCK_SCHEMA),
  preparedCertificate: list(SIGNED_VOTE_SCHEMA, VALIDATOR_COUNT_MAX),
  proposal: nullable(PROPOSAL_MESSAGE_SCHEMA),
  roundChange: nullable(ROUND_CHANGE_MESSAGE_SCHEMA),
})

/** A WAL record. */
export type WalRecord = Infer<typeof WAL_RECORD_SCHEMA>

/** Largest encoded WAL record. */
export const WAL_RECORD_BYTES_MAX = CONSENSUS_MESSAGE_BYTES_MAX + BLOCK_BYTES_MAX

/** Canonical bytes of a record: a view into the encoder's buffer, to be written and dropped. */
export function encodeWalRecord(record: WalRecord): Uint8Array {
  return encodeCanonicalView(WAL_RECORD_SCHEMA, record)
}

/** Decodes a record (a torn or corrupt tail gives a coded error; the driver stops replay there). */
export function decodeWalRecord(bytes: Uint8Array): Result<WalRecord, CodecError> {
  return decodeCanonical(WAL_RECORD_SCHEMA, bytes, WAL_RECORD_BYTES_MAX)
}

/** The validator's prepared state: the highest round in which it saw a quorum of PREPAREs. */
export interface Prepared {
  readonly round: number
  readonly block: Block
  readonly blockHash: Uint8Array
  readonly certificate: readonly SignedVote[]
}

/** What replay gives back for one height. */
export interface WalState {
  /** The highest round the validator reached (0 when it sent nothing). */
  readonly round: number
  readonly proposals: ReadonlyMap<number, ProposalMessage>
  readonly prepares: ReadonlyMap<number, Uint8Array>
  readonly commits: ReadonlyMap<number, Uint8Array>
  readonly roundChanges: ReadonlyMap<number, RoundChangeMessage>
  readonly prepared: Prepared | null
}

/**
 * Folds the records of `height` into the state the engine restarts with. Records of lower heights
 * are skipped. Two records that disagree about one (height, round, type) are a bug.
 * @throws {AssertionError} on a conflicting record or one above `height`.
 */
export function replayWal(records: readonly WalRecord[], height: number): WalState {
  const proposals = new Map<number, ProposalMessage>()
  const prepares = new Map<number, Uint8Array>()
  const commits = new Map<number, Uint8Array>()
  const roundChanges = new Map<number, RoundChangeMessage>()
  let prepared: Prepared | null = null
  let round = 0
  for (const r of records) {
    assert(r.height <= height, `WAL record for height ${r.height} above ${height}`)
    if (r.height < height) continue
    round = Math.max(round, r.round)
    if (r.type === 'proposal') {
      assert(r.proposal !== null, 'proposal record carries its proposal')
      proposals.set(r.round, r.proposal)
    } else if (r.type === 'roundChange') {
      assert(r.roundChange !== null, 'round change record carries its message')
      roundChanges.set(r.round, r.roundChange)
    } else {
      assert(r.blockHash !== null, `${r.type} record carries a block hash`)
      const map = r.type === 'prepare' ? prepares : commits
      const before = map.get(r.round)
      assert(!before || equalBytes(before, r.blockHash), `conflicting ${r.type} in the WAL`)
      map.set(r.round, r.blockHash)
      if (r.type === 'commit' && (prepared === null || r.round > prepared.round)) {
        assert(r.block !== null, 'commit record carries the prepared block')
        const certificate = r.preparedCertificate
        prepared = { round: r.round, block: r.block, blockHash: r.blockHash, certificate }
      }
    }
  }
  return { round, proposals, prepares, commits, roundChanges, prepared }
}
