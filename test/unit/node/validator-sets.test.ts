/**
 * Goal: a restarted node restores the validator sets of heights H, H + 1 and H + 2 from the
 * committed state and the receipts of blocks H and H - 1 (a change accepted in block c governs
 * from c + 2), agreeing with the sets the engine reaches by advancing commit by commit; a restore
 * that disagrees with the head header is refused; the gater admits the next two heights' sets plus
 * observers.
 * Method: hand-written sets A = {k0..k3} and B = A + k4 (one `add` accepted in block 3) and
 * A' = B - k1 (one `remove` in block 4); states and receipts are built with the real schemas; the
 * expected sets per height are written out by hand from the two-height rule.
 */
import { describe, expect, it } from 'vitest'
import { encodeCanonical } from '../../../src/codec/canonical.ts'
import { validatorsHashOf } from '../../../src/consensus/validators.ts'
import type { Validator } from '../../../src/core/block.ts'
import {
  admittedKeys,
  advanceValidatorSets,
  restoreValidatorSets,
  type ValidatorSets,
} from '../../../src/node/validator-sets.ts'
import { compareBytes, toHex } from '../../../src/util/bytes.ts'
import { keys } from '../../../src/vm/keys.ts'
import { MemoryState } from '../../../src/vm/memory-state.ts'
import { VALIDATORS_SCHEMA } from '../../../src/vm/schemas.ts'
import { RECEIPT_SCHEMA } from '../../../src/vm/types.ts'
import { testKey } from '../../support/fixtures.ts'

const k = [0, 1, 2, 3, 4, 5].map((i) => testKey(`vset-${i}`).publicKey)
const setOf = (ks: Uint8Array[]): Validator[] =>
  [...ks].sort(compareBytes).map((publicKey) => ({ publicKey, power: 1 }))
const A = setOf([k[0]!, k[1]!, k[2]!, k[3]!])
const B = setOf([k[0]!, k[1]!, k[2]!, k[3]!, k[4]!])
const C = setOf([k[0]!, k[2]!, k[3]!, k[4]!])

function stateWith(set: readonly Validator[], changedHeight: number): MemoryState {
  const state = new MemoryState()
  const value = encodeCanonical(VALIDATORS_SCHEMA, {
    publicKeys: set.map((v) => v.publicKey),
    changedHeight,
  })
  state.apply([{ key: keys.validators(), value }])
  return state
}

function voteReceipt(action: 'add' | 'remove', key: Uint8Array, executed: boolean): Uint8Array {
  return encodeCanonical(RECEIPT_SCHEMA, {
    txId: new Uint8Array(32).fill(action === 'add' ? 1 : 2),
    ok: true,
    code: null,
    events: [
      {
        type: 'validator.vote',
        attributes: [
          ['action', action],
          ['validator', toHex(key)],
          ['proposal', 'p'],
          ['votes', '1'],
          ['executed', String(executed)],
        ],
      },
    ],
    index: 0,
  })
}

// Block 2: a vote that did not reach the quorum; block 3: add k4 executed; block 4: remove k1.
const receipts = new Map<number, Uint8Array[]>([
  [1, []],
  [2, [voteReceipt('add', k[4]!, false)]],
  [3, [voteReceipt('add', k[4]!, true)]],
  [4, [voteReceipt('remove', k[1]!, true)]],
  [5, []],
  [6, []],
])
const load = (h: number) => Promise.resolve(receipts.get(h))

// The state after each block: [set, changedHeight].
const stateAfter: Record<number, [Validator[], number]> = {
  1: [A, 0],
  2: [A, 0],
  3: [B, 3],
  4: [C, 4],
  5: [C, 4],
  6: [C, 4],
}
// Written out from the rule "accepted in block c, governs from c + 2": set of height h.
const setAt: Record<number, Validator[]> = { 1: A, 2: A, 3: A, 4: A, 5: B, 6: C, 7: C, 8: C }

function header(height: number) {
  return {
    height,
    validatorsHash: validatorsHashOf(setAt[height]!),
    nextValidatorsHash: validatorsHashOf(setAt[height + 1]!),
  }
}

const hex = (sets: ValidatorSets) => ({
  last: sets.last.map((v) => toHex(v.publicKey)),
  current: sets.current.map((v) => toHex(v.publicKey)),
  next: sets.next.map((v) => toHex(v.publicKey)),
})
const hexOf = (set: Validator[]) => set.map((v) => toHex(v.publicKey))

describe('validator sets of a running node', () => {
  it('restores the sets of H, H + 1 and H + 2 at every head around two changes', async () => {
    for (let h = 1; h <= 6; h++) {
      const [set, changed] = stateAfter[h]!
      const sets = await restoreValidatorSets(load, stateWith(set, changed), header(h))
      expect(hex(sets), `head ${h}`).toEqual({
        last: hexOf(setAt[h]!),
        current: hexOf(setAt[h + 1]!),
        next: hexOf(setAt[h + 2]!),
      })
    }
  })

  it('advancing commit by commit (as the engine does) reaches the same sets', () => {
    const updates: Record<number, { publicKey: Uint8Array; power: 0 | 1 }[]> = {
      3: [{ publicKey: k[4]!, power: 1 }],
      4: [{ publicKey: k[1]!, power: 0 }],
    }
    let sets: ValidatorSets = { last: A, current: A, next: A }
    for (let h = 1; h <= 6; h++) {
      sets = advanceValidatorSets(sets, updates[h] ?? [])
      expect(hex(sets), `after block ${h}`).toEqual({
        last: hexOf(setAt[h]!),
        current: hexOf(setAt[h + 1]!),
        next: hexOf(setAt[h + 2]!),
      })
    }
  })

  it('refuses a restore that disagrees with the head header', async () => {
    // The state claims the change of block 3 but the receipts of block 3 are missing.
    const lossy = (h: number) => Promise.resolve(h === 3 ? [] : receipts.get(h))
    await expect(restoreValidatorSets(lossy, stateWith(B, 3), header(3))).rejects.toMatchObject({
      code: 'LEDGER_VALIDATORS_MISMATCH',
    })
  })

  it('admits the sets of the next two heights and the observers, each key once', () => {
    const admitted = admittedKeys({ last: A, current: A, next: B }, [k[5]!, k[0]!])
    const expected = [k[0]!, k[1]!, k[2]!, k[3]!, k[4]!, k[5]!].map(toHex).sort()
    expect(admitted.map(toHex)).toEqual(expected)
  })
})
