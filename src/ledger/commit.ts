/**
 * Validation and batch assembly of one block commit. Spec: docs/protocol/storage.md#commit-batch.
 *
 * Inputs come from this node's own consensus and VM, so a violation is a bug: every check is an
 * assertion, made before anything is written. What the block itself carries is only as trustworthy
 * as consensus and the VM make it: a tx id may occur twice in one block or again after an earlier
 * block (a valid block; the VM gives the later occurrence a failed receipt, docs/protocol/vm.md).
 * That is stored, not asserted: the tx index keeps the first location (`firstTxOccurrences`).
 */
import { encodeCanonicalView } from '../codec/canonical.ts'
import { merkleRoot } from '../codec/merkle.ts'
import { decodeSignedTx } from '../codec/tx.ts'
import {
  BLOCK_SCHEMA,
  CERTIFICATE_SCHEMA,
  VALIDATOR_SET_SCHEMA,
  type Block,
  type CommitCertificate,
  type Validator,
} from '../core/block.ts'
import type { BurnRecord } from '../core/records.ts'
import { STATE_KEY_BYTES_MAX, STATE_VALUE_BYTES_MAX, type WriteSet } from '../core/state.ts'
import { assert } from '../util/assert.ts'
import { compareBytes, equalBytes, toHex } from '../util/bytes.ts'
import { decodeStored, INDEX_NAMES } from './indexes.ts'
import {
  blockHashKey,
  blockKey,
  certificateKey,
  headKey,
  indexHeadKey,
  readU32,
  receiptsKey,
  stateKey,
  txKey,
  u32Key,
  validatorSetKey,
} from './keys.ts'
import type { KvOp } from './kv.ts'
import type { HistoryRecord, IndexEntries } from './records.ts'
import {
  blockHashOf,
  HEAD_SCHEMA,
  INDEX_HEAD_SCHEMA,
  RECEIPTS_SCHEMA,
  TX_LOCATION_SCHEMA,
  type LedgerHead,
} from './stored.ts'

/** Everything one block commit writes. */
export interface CommitInput {
  readonly block: Block
  readonly certificate: CommitCertificate
  /** The state changes of this block (unique keys, ascending). */
  readonly writeSet: WriteSet
  /** This block's burn records, `index` 0, 1, ... in order. */
  readonly burns: readonly BurnRecord[]
  /** One opaque receipt per tx, when the VM produces them. */
  readonly receipts?: readonly Uint8Array[]
  readonly indexEntries: IndexEntries
  /**
   * Validator sets to keep by hash (the sets this block's header names and the one the next header
   * will name); the caller computes each hash (`validatorsHashOf`). Rewriting a known set is harmless.
   */
  readonly validatorSets?: readonly ValidatorSetEntry[]
  /**
   * The ids of `block.txs` in order, when the caller has them (the node's execution decoded the
   * txs already); checked against the header's txRoot. Otherwise the txs are decoded here.
   */
  readonly txIds?: readonly Uint8Array[]
}

/** A validator set with its hash, as stored under `v ‖ hash`. */
export interface ValidatorSetEntry {
  readonly hash: Uint8Array
  readonly validators: readonly Validator[]
}

/** The batch operations that store validator sets by hash. */
export function validatorSetOps(sets: readonly ValidatorSetEntry[]): KvOp[] {
  const seen = new Set<string>()
  const ops: KvOp[] = []
  for (const set of sets) {
    assert(set.hash.length === 32, 'validator set hash is 32 bytes')
    assert(set.validators.length > 0, 'validator set is non-empty')
    const id = toHex(set.hash)
    if (seen.has(id)) continue
    seen.add(id)
    const value = encodeCanonicalView(VALIDATOR_SET_SCHEMA, [...set.validators])
    ops.push({ type: 'put', key: validatorSetKey(set.hash), value })
  }
  return ops
}

/** Asserts that `writeSet` has unique ascending keys of legal sizes. */
export function assertWriteSet(writeSet: WriteSet): void {
  for (let i = 0; i < writeSet.length; i++) {
    const change = writeSet[i]!
    assert(
      change.key.length > 0 && change.key.length <= STATE_KEY_BYTES_MAX,
      `write ${i}: key size`,
    )
    if (change.value !== null) {
      assert(change.value.length <= STATE_VALUE_BYTES_MAX, `write ${i}: value size`)
    }
    if (i > 0) {
      assert(compareBytes(writeSet[i - 1]!.key, change.key) < 0, `write ${i}: keys not ascending`)
    }
  }
}

function assertRecords(input: CommitInput, height: number): void {
  const time = input.block.header.time
  input.burns.forEach((b, i) => {
    assert(b.height === height, `burn ${i}: height ${b.height}, block ${height}`)
    assert(b.index === i, `burn ${i}: index ${b.index}`)
    assert(b.time === time, `burn ${i}: time ${b.time}, block time ${time}`)
  })
  const { history, issuances, rates, auctions, stats } = input.indexEntries
  const txCount = input.block.txs.length
  history.forEach((r, i) => {
    assert(r.height === height, `history ${i}: height ${r.height}, block ${height}`)
    assert(r.index < txCount, `history ${i}: tx index ${r.index} of ${txCount}`)
  })
  for (const [name, list] of [
    ['issuance', issuances],
    ['rate', rates],
    ['auction', auctions],
  ] as const) {
    list.forEach((r, i) => {
      assert(r.height === height, `${name} ${i}: height ${r.height}, block ${height}`)
      assert(r.time === time, `${name} ${i}: time ${r.time}, block time ${time}`)
    })
  }
  stats.forEach((s, i) => {
    assert(s.time === time, `stats ${i}: time ${s.time}, block time ${time}`)
  })
}

/**
 * Checks a commit against the current head and returns the new block's hash and tx ids.
 * @throws {AssertionError} on any inconsistency (a bug in the caller).
 */
export function validateCommit(
  input: CommitInput,
  head: LedgerHead,
): { blockHash: Uint8Array; txIds: Uint8Array[] } {
  const { header } = input.block
  assert(
    header.height === head.height + 1,
    `commit height ${header.height} after head ${head.height}`,
  )
  assert(
    equalBytes(header.parentHash, head.blockHash),
    `block ${header.height}: parent hash mismatch`,
  )
  const blockHash = blockHashOf(header)
  const cert = input.certificate
  assert(cert.height === header.height, `certificate height ${cert.height} ≠ ${header.height}`)
  assert(equalBytes(cert.blockHash, blockHash), `certificate is for block ${toHex(cert.blockHash)}`)
  assert(cert.signatures.length > 0, 'certificate has no signatures')
  if (input.receipts) {
    assert(input.receipts.length === input.block.txs.length, 'one receipt per tx')
  }
  assertWriteSet(input.writeSet)
  assertRecords(input, header.height)
  const txIds = input.txIds ?? decodeTxIds(input.block)
  if (input.txIds) {
    assert(txIds.length === input.block.txs.length, 'one tx id per tx')
    assert(equalBytes(merkleRoot(txIds), header.txRoot), `block ${header.height}: tx ids ≠ txRoot`)
  }
  return { blockHash, txIds: [...txIds] }
}

function decodeTxIds(block: Block): Uint8Array[] {
  return block.txs.map((signed, i) => {
    const decoded = decodeSignedTx(signed)
    assert(decoded.ok, `block ${block.header.height} tx ${i} does not decode`)
    return decoded.value.txId
  })
}

/**
 * For each tx of a block at `height`, whether it is the first committed occurrence of its id: true
 * unless `stored[i]` (the `t ‖ txId` value read before the commit) names an earlier block or the
 * same id occurs earlier in this block. Spec: docs/protocol/storage.md#commit-batch.
 * @throws {AssertionError} when a stored location is not below `height`.
 * @throws {NodeError} `LEDGER_CORRUPT` when a stored location does not decode.
 */
export function firstTxOccurrences(
  txIds: readonly Uint8Array[],
  stored: readonly (Uint8Array | undefined)[],
  height: number,
): boolean[] {
  assert(
    stored.length === txIds.length,
    `${stored.length} stored locations for ${txIds.length} txs`,
  )
  // Bucketed by the id's first four bytes (ids are hashes), compared byte by byte within a bucket:
  // no string is allocated per tx (see `assertUniqueKeys`).
  const firstByBucket = new Map<number, number[]>()
  return txIds.map((txId, i) => {
    assert(txId.length === 32, `tx ${i}: id of ${txId.length} bytes`)
    const value = stored[i]
    if (value !== undefined) {
      // Pair assertion: what an earlier commit wrote reads back as a location below this block.
      const [at] = decodeStored(TX_LOCATION_SCHEMA, value, 'tx location')
      assert(at < height, `tx ${i} is stored at height ${at}, not below block ${height}`)
      return false
    }
    const bucket = readU32(txId, 0)
    const earlier = firstByBucket.get(bucket)
    if (earlier === undefined) {
      firstByBucket.set(bucket, [i])
      return true
    }
    if (earlier.some((j) => equalBytes(txIds[j]!, txId))) return false
    earlier.push(i)
    return true
  })
}

/**
 * The history records of the txs that are the first occurrence of their id (`first`): a later
 * occurrence is not listed again, so every history entry names the location `t ‖ txId` holds.
 * @throws {AssertionError} when a record's tx id is not the id of the tx at its index.
 */
export function firstOccurrenceHistory(
  history: readonly HistoryRecord[],
  txIds: readonly Uint8Array[],
  first: readonly boolean[],
): HistoryRecord[] {
  assert(first.length === txIds.length, `${first.length} flags for ${txIds.length} txs`)
  return history.filter((record, i) => {
    const txId = txIds[record.index]
    assert(txId !== undefined, `history ${i}: tx index ${record.index} of ${txIds.length}`)
    assert(equalBytes(record.txId, txId), `history ${i}: tx id differs from tx ${record.index}`)
    return first[record.index] === true
  })
}

/**
 * The batch operations of the block itself, its txs, state changes, index heads and head. A tx gets
 * a `t ‖ txId` location only when it is the first occurrence of its id (`first`, from
 * `firstTxOccurrences`); a later occurrence stays in the block with its receipt.
 */
export function coreOps(
  input: CommitInput,
  blockHash: Uint8Array,
  txIds: readonly Uint8Array[],
  first: readonly boolean[],
): KvOp[] {
  assert(first.length === txIds.length, `${first.length} flags for ${txIds.length} txs`)
  const height = input.block.header.height
  const ops: KvOp[] = [
    { type: 'put', key: blockKey(height), value: encodeCanonicalView(BLOCK_SCHEMA, input.block) },
    { type: 'put', key: blockHashKey(blockHash), value: u32Key(height) },
    {
      type: 'put',
      key: certificateKey(height),
      value: encodeCanonicalView(CERTIFICATE_SCHEMA, input.certificate),
    },
  ]
  if (input.receipts) {
    const value = encodeCanonicalView(RECEIPTS_SCHEMA, [...input.receipts])
    ops.push({ type: 'put', key: receiptsKey(height), value })
  }
  txIds.forEach((txId, index) => {
    if (!first[index]) return
    const value = encodeCanonicalView(TX_LOCATION_SCHEMA, [height, index])
    ops.push({ type: 'put', key: txKey(txId), value })
  })
  for (const change of input.writeSet) {
    ops.push(
      change.value === null
        ? { type: 'del', key: stateKey(change.key) }
        : { type: 'put', key: stateKey(change.key), value: change.value },
    )
  }
  return ops
}

/** The index heads and head record that close every commit batch. */
export function headOps(head: LedgerHead): KvOp[] {
  const ops: KvOp[] = INDEX_NAMES.map((name) => ({
    type: 'put',
    key: indexHeadKey(name),
    value: encodeCanonicalView(INDEX_HEAD_SCHEMA, head.height),
  }))
  ops.push({ type: 'put', key: headKey(), value: encodeCanonicalView(HEAD_SCHEMA, head) })
  return ops
}
