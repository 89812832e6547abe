/**
 * The start-up integrity check. Spec: docs/protocol/storage.md#integrity-check; SPEC.md section 7
 * ("on start the node checks its store and either resumes or refuses with a clear error").
 *
 * Because every commit is one atomic batch, a healthy store is always consistent at its head. Any
 * inconsistency therefore means lost or corrupted data, and the node must not continue on it: the
 * check throws a `NodeError` whose code and message name what is inconsistent.
 */
import type { StateEntry } from '../core/state.ts'
import { STATE_KEY_BYTES_MAX, STATE_VALUE_BYTES_MAX } from '../core/state.ts'
import { assert } from '../util/assert.ts'
import { equalBytes, toHex } from '../util/bytes.ts'
import { NodeError } from '../util/errors.ts'
import { INDEX_NAMES } from './indexes.ts'
import {
  blockHashKey,
  blockKey,
  certificateKey,
  indexHeadKey,
  PREFIX,
  prefixEnd,
  readU32,
} from './keys.ts'
import { scanRange, type KvStore } from './kv.ts'
import {
  decodeOrCorrupt,
  HEAD_SCHEMA,
  INDEX_HEAD_SCHEMA,
  loadStoredBlock,
  loadStoredCertificate,
  type LedgerHead,
} from './stored.ts'
import { headKey } from './keys.ts'

/** Computes the state root of a complete state (entries in ascending key order). */
export type ComputeStateRoot = (entries: readonly StateEntry[]) => Uint8Array

/** How many blocks below the head have their parent links checked at start-up. */
export const INTEGRITY_CHAIN_DEPTH = 8
/** Most state entries the ledger loads (bounds start-up memory). */
export const STATE_ENTRY_COUNT_MAX = 50_000_000

/** What the check found in a consistent store. */
export interface IntegrityReport {
  /** The head, or null for an empty (fresh) store. */
  readonly head: LedgerHead | null
  readonly stateEntryCount: number
}

function refuse(code: string, detail: string): never {
  throw new NodeError(code, `${code}: ${detail}`)
}

/**
 * Streams every persisted state entry (prefix stripped), checking sizes.
 * @throws {NodeError} `LEDGER_STATE_CORRUPT` on an entry no VM could have written.
 */
export async function* streamState(kv: KvStore): AsyncGenerator<StateEntry> {
  const end = prefixEnd(PREFIX.state)
  let count = 0
  for await (const entry of scanRange(kv, PREFIX.state, end)) {
    const key = entry.key.subarray(PREFIX.state.length)
    if (key.length === 0 || key.length > STATE_KEY_BYTES_MAX) {
      refuse('LEDGER_STATE_CORRUPT', `state key of ${key.length} bytes`)
    }
    if (entry.value.length > STATE_VALUE_BYTES_MAX) {
      refuse('LEDGER_STATE_CORRUPT', `state value of ${entry.value.length} bytes at ${toHex(key)}`)
    }
    count++
    assert(count <= STATE_ENTRY_COUNT_MAX, `more than ${STATE_ENTRY_COUNT_MAX} state entries`)
    yield { key: key.slice(), value: entry.value }
  }
}

async function checkHeadBlock(kv: KvStore, head: LedgerHead): Promise<void> {
  const h = head.height
  const stored = await loadStoredBlock(kv, h)
  if (!stored) refuse('LEDGER_HEAD_MISMATCH', `head says height ${h} but block ${h} is missing`)
  if (!equalBytes(stored.hash, head.blockHash)) {
    refuse(
      'LEDGER_HEAD_MISMATCH',
      `block ${h} hashes to ${toHex(stored.hash)} but head says ${toHex(head.blockHash)}`,
    )
  }
  if (!equalBytes(stored.block.header.stateRoot, head.stateRoot)) {
    refuse('LEDGER_HEAD_MISMATCH', `block ${h} state root differs from the head's state root`)
  }
  const cert = await loadStoredCertificate(kv, h, stored.hash)
  if (!cert) refuse('LEDGER_CERTIFICATE_MISSING', `block ${h} has no commit certificate`)
  const byHash = await kv.get(blockHashKey(stored.hash))
  if (byHash?.length !== 4 || readU32(byHash, 0) !== h) {
    refuse(
      'LEDGER_HASH_INDEX_MISMATCH',
      `block hash ${toHex(stored.hash)} does not map to height ${h}`,
    )
  }
}

async function checkRecentChain(kv: KvStore, head: LedgerHead): Promise<void> {
  const lowest = Math.max(1, head.height - INTEGRITY_CHAIN_DEPTH)
  let child = await loadStoredBlock(kv, head.height)
  for (let h = head.height - 1; h >= lowest && child; h--) {
    const parent = await loadStoredBlock(kv, h)
    if (!parent) refuse('LEDGER_CHAIN_BROKEN', `block ${h} is missing below head ${head.height}`)
    if (!equalBytes(parent.hash, child.block.header.parentHash)) {
      refuse('LEDGER_CHAIN_BROKEN', `block ${h + 1} does not link to block ${h}`)
    }
    child = parent
  }
}

async function checkNothingBeyond(kv: KvStore, head: LedgerHead): Promise<void> {
  for (const [name, prefix, keyOf] of [
    ['block', PREFIX.block, blockKey],
    ['certificate', PREFIX.certificate, certificateKey],
  ] as const) {
    const end = prefixEnd(prefix)
    assert(end !== null, 'prefix end exists')
    const beyond = await kv.range({ gt: keyOf(head.height), lt: end, limit: 1 })
    const first = beyond[0]
    if (first) {
      const h = readU32(first.key, prefix.length)
      refuse(
        'LEDGER_TAIL_BEYOND_HEAD',
        `${name} ${h} is stored but head says height ${head.height}`,
      )
    }
  }
}

async function checkIndexHeads(kv: KvStore, head: LedgerHead): Promise<void> {
  const values = await kv.getMany(INDEX_NAMES.map(indexHeadKey))
  INDEX_NAMES.forEach((name, i) => {
    const value = values[i]
    if (value === undefined) refuse('LEDGER_INDEX_MISMATCH', `index ${name} has no head record`)
    const at = decodeOrCorrupt(
      INDEX_HEAD_SCHEMA,
      value,
      16,
      'LEDGER_INDEX_MISMATCH',
      `index head ${name}`,
    )
    if (at !== head.height) {
      refuse(
        'LEDGER_INDEX_MISMATCH',
        `index ${name} is at height ${at} but head says ${head.height}`,
      )
    }
  })
}

async function checkStateRoot(
  kv: KvStore,
  head: LedgerHead,
  computeStateRoot: ComputeStateRoot,
): Promise<number> {
  const entries: StateEntry[] = []
  for await (const entry of streamState(kv)) entries.push(entry)
  const root = computeStateRoot(entries)
  if (!equalBytes(root, head.stateRoot)) {
    refuse(
      'LEDGER_STATE_ROOT_MISMATCH',
      `state root recomputed from ${entries.length} entries is ${toHex(root)} ` +
        `but head ${head.height} says ${toHex(head.stateRoot)}`,
    )
  }
  return entries.length
}

/**
 * Checks the store at start-up: head record against the last block (hash recomputed), certificate,
 * hash index, the last `INTEGRITY_CHAIN_DEPTH` parent links, nothing stored beyond the head, every
 * index head, and the state root recomputed from the persisted state.
 * @throws {NodeError} `LEDGER_*` naming the first inconsistency found.
 */
export async function checkLedgerIntegrity(
  kv: KvStore,
  computeStateRoot: ComputeStateRoot,
): Promise<IntegrityReport> {
  const headValue = await kv.get(headKey())
  if (headValue === undefined) {
    const any = await kv.range({ limit: 1 })
    if (any.length > 0) refuse('LEDGER_NO_HEAD', 'the store holds data but no head record')
    return { head: null, stateEntryCount: 0 }
  }
  const head = decodeOrCorrupt(HEAD_SCHEMA, headValue, 256, 'LEDGER_HEAD_CORRUPT', 'head record')
  if (head.height > 0) {
    await checkHeadBlock(kv, head)
    await checkRecentChain(kv, head)
  }
  await checkNothingBeyond(kv, head)
  await checkIndexHeads(kv, head)
  const stateEntryCount = await checkStateRoot(kv, head, computeStateRoot)
  return { head, stateEntryCount }
}
