/**
 * The validator sets of a running node: restored on start from the committed state and the receipts
 * of the last two blocks, and advanced on every commit exactly as the consensus engine advances them
 * (a change accepted in block h governs heights from h + 2). The node admits the union of the sets
 * that govern the next two heights, plus configured observers, through the connection gater, and
 * stores every set a header can name in the ledger (`storedValidatorSets`).
 * Spec: SPEC.md sections 3 and 8; docs/protocol/vm.md#validator-update; docs/operations.md.
 */
import { decodeCanonical } from '../codec/canonical.ts'
import {
  applyValidatorUpdates,
  validatorsHashOf,
  type ValidatorUpdate,
} from '../consensus/validators.ts'
import type { BlockHeader, Validator } from '../core/block.ts'
import type { ValidatorSetEntry } from '../ledger/commit.ts'
import { compareBytes, equalBytes, fromHex, isHex, toHex } from '../util/bytes.ts'
import { NodeError } from '../util/errors.ts'
import type { StateReader } from '../core/state.ts'
import { keys } from '../vm/keys.ts'
import { readValue } from '../vm/queries.ts'
import { VALIDATORS_SCHEMA } from '../vm/schemas.ts'
import { RECEIPT_SCHEMA, type VmEvent } from '../vm/types.ts'

/** Most bytes of one stored receipt that is decoded here. */
const RECEIPT_DECODE_BYTES_MAX = 1 << 20

/** The sets around a committed head at height H. */
export interface ValidatorSets {
  /** The set that certified block H. */
  readonly last: readonly Validator[]
  /** The set of height H + 1. */
  readonly current: readonly Validator[]
  /** The set of height H + 2. */
  readonly next: readonly Validator[]
}

function setOf(publicKeys: readonly Uint8Array[]): Validator[] {
  return [...publicKeys]
    .sort(compareBytes)
    .map((publicKey) => ({ publicKey: new Uint8Array(publicKey), power: 1 }))
}

function attribute(event: VmEvent, name: string): string | undefined {
  return event.attributes.find(([k]) => k === name)?.[1]
}

/** Reads the stored receipts of a committed block (`Ledger.loadReceipts`). */
export type LoadReceipts = (height: number) => Promise<readonly Uint8Array[] | undefined>

/** The validator changes a committed block accepted, in block order, read from its receipts. */
export async function acceptedUpdates(
  loadReceipts: LoadReceipts,
  height: number,
): Promise<ValidatorUpdate[]> {
  if (height < 1) return []
  const receipts = (await loadReceipts(height)) ?? []
  const updates: ValidatorUpdate[] = []
  for (const bytes of receipts) {
    const receipt = decodeCanonical(RECEIPT_SCHEMA, bytes, RECEIPT_DECODE_BYTES_MAX)
    if (!receipt.ok) throw new NodeError('LEDGER_CORRUPT', `receipt at height ${height}`)
    if (!receipt.value.ok) continue
    for (const event of receipt.value.events) {
      if (event.type !== 'validator.vote' || attribute(event, 'executed') !== 'true') continue
      const action = attribute(event, 'action')
      const key = attribute(event, 'validator') ?? ''
      if (!isHex(key) || key.length !== 66 || (action !== 'add' && action !== 'remove')) {
        throw new NodeError('LEDGER_CORRUPT', `validator event at height ${height}`)
      }
      updates.push({ publicKey: fromHex(key), power: action === 'add' ? 1 : 0 })
    }
  }
  return updates
}

/** The set before `updates` were applied to `after` (undone in reverse order). */
export function undoUpdates(
  after: readonly Validator[],
  updates: readonly ValidatorUpdate[],
): Validator[] {
  let keysNow = after.map((v) => v.publicKey)
  for (const u of [...updates].reverse()) {
    keysNow =
      u.power === 1 ? keysNow.filter((k) => !equalBytes(k, u.publicKey)) : [...keysNow, u.publicKey]
  }
  return setOf(keysNow)
}

/**
 * The sets around the committed head: the state holds the set after every accepted change
 * (= the set of H + 2); the changes of blocks H and H - 1 are undone to get the sets of H + 1 and H.
 * Checked against the head header's `validatorsHash` and `nextValidatorsHash`.
 * @throws {NodeError} LEDGER_VALIDATORS_MISMATCH when the result disagrees with the header.
 */
export async function restoreValidatorSets(
  loadReceipts: LoadReceipts,
  state: StateReader,
  head: Pick<BlockHeader, 'height' | 'validatorsHash' | 'nextValidatorsHash'>,
): Promise<ValidatorSets> {
  const stored = readValue(state, VALIDATORS_SCHEMA, keys.validators())
  if (!stored) throw new NodeError('LEDGER_CORRUPT', 'no validator set in the state')
  const height = head.height
  const next = setOf(stored.publicKeys)
  const current =
    stored.changedHeight < height || height === 0
      ? next
      : undoUpdates(next, await acceptedUpdates(loadReceipts, height))
  const last =
    stored.changedHeight < height - 1 || height <= 1
      ? current
      : undoUpdates(current, await acceptedUpdates(loadReceipts, height - 1))
  if (
    height > 0 &&
    (!equalBytes(validatorsHashOf(last), head.validatorsHash) ||
      !equalBytes(validatorsHashOf(current), head.nextValidatorsHash))
  ) {
    throw new NodeError(
      'LEDGER_VALIDATORS_MISMATCH',
      `validator sets restored at height ${height} disagree with its header`,
    )
  }
  return { last, current, next }
}

/** The sets after committing a block that accepted `updates` (as the engine's `decide`). */
export function advanceValidatorSets(
  sets: ValidatorSets,
  updates: readonly ValidatorUpdate[],
): ValidatorSets {
  return {
    last: sets.current,
    current: sets.next,
    next: updates.length === 0 ? sets.next : applyValidatorUpdates(sets.next, updates),
  }
}

/** A set with its hash, as the ledger stores it for `GET /v1/validator-sets/:hash`. */
export function validatorSetEntry(validators: readonly Validator[]): ValidatorSetEntry {
  return { hash: validatorsHashOf(validators), validators }
}

/**
 * The sets the ledger stores with a commit, so every set a header can name is served by hash:
 * the block's own set and its next set (`before`), and the set its updates produce (`after.next`,
 * which the following header names as nextValidatorsHash). The ledger writes one key per hash.
 */
export function storedValidatorSets(
  before: ValidatorSets,
  after: ValidatorSets,
): ValidatorSetEntry[] {
  return [before.current, before.next, after.next].map(validatorSetEntry)
}

/** Public keys the gater admits: the sets of the next two heights and the observers, distinct. */
export function admittedKeys(sets: ValidatorSets, observers: readonly Uint8Array[]): Uint8Array[] {
  const byHex = new Map<string, Uint8Array>()
  for (const key of [...sets.current.map((v) => v.publicKey), ...sets.next.map((v) => v.publicKey)])
    byHex.set(toHex(key), key)
  for (const key of observers) byHex.set(toHex(key), key)
  return [...byHex.keys()].sort().map((hex) => byHex.get(hex)!)
}

/** True when both lists hold the same keys in the same order. */
export function sameKeys(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((k, i) => equalBytes(k, b[i]!))
}
