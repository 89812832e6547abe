/**
 * Goal: the ledger keeps every validator set a header can name. Each commit stores the block's set,
 * its next set and the set after the block's updates (`storedValidatorSets`), and the ledger
 * serves them by hash; unknown or malformed hashes give undefined.
 * Method: a real Ledger over a MemoryKvStore; the node's sets advanced commit by commit with
 * updates that add and remove keys; expected sets built by hand (sorted keys), hashes by
 * validatorsHashOf.
 */
import { describe, expect, it } from 'vitest'
import { validatorsHashOf } from '../../../src/consensus/validators.ts'
import type { Validator } from '../../../src/core/block.ts'
import {
  advanceValidatorSets,
  storedValidatorSets,
  type ValidatorSets,
} from '../../../src/node/validator-sets.ts'
import { toConsensusUpdates } from '../../../src/chain/app.ts'
import { compareBytes, toHex } from '../../../src/util/bytes.ts'
import type { BlockExecution } from '../../../src/vm/types.ts'
import { testKey } from '../../support/fixtures.ts'
import { apiChain } from '../../support/api-chain.ts'

const keys = ['v1', 'v2', 'v3'].map(testKey).sort((a, b) => compareBytes(a.publicKey, b.publicKey))
const setOf = (...ks: typeof keys): Validator[] =>
  ks
    .map((k) => ({ publicKey: k.publicKey, power: 1 as const }))
    .sort((a, b) => compareBytes(a.publicKey, b.publicKey))
const execution = (updates: BlockExecution['validatorUpdates']): { result: BlockExecution } => ({
  result: {
    writeSet: [],
    receipts: [],
    burns: [],
    auctions: [],
    validatorUpdates: updates,
    events: [],
  },
})

describe('storedValidatorSets', () => {
  it('yields the current, next and following sets, commit by commit', () => {
    const [a, b, c] = keys as [(typeof keys)[0], (typeof keys)[0], (typeof keys)[0]]
    let sets: ValidatorSets = { last: setOf(a, b), current: setOf(a, b), next: setOf(a, b) }
    const commit = (updates: BlockExecution['validatorUpdates']) => {
      const after = advanceValidatorSets(sets, toConsensusUpdates(execution(updates).result))
      const stored = storedValidatorSets(sets, after)
      sets = after
      return stored
    }
    const add = [{ action: 'add' as const, publicKey: c.publicKey, effectiveHeight: 3 }]
    const first = commit(add)
    expect(first.map((e) => e.validators)).toEqual([setOf(a, b), setOf(a, b), setOf(a, b, c)])
    for (const [i, e] of first.entries()) {
      expect(toHex(e.hash), `entry ${i}`).toBe(toHex(validatorsHashOf(e.validators)))
    }
    const remove = [{ action: 'remove' as const, publicKey: a.publicKey, effectiveHeight: 4 }]
    const second = commit(remove)
    expect(second.map((e) => e.validators)).toEqual([setOf(a, b), setOf(a, b, c), setOf(b, c)])
    const third = commit([])
    expect(third.map((e) => e.validators)).toEqual([setOf(a, b, c), setOf(b, c), setOf(b, c)])
  })
})

describe('Ledger.loadValidatorSet', () => {
  it('serves the genesis set and the sets stored with commits, by hash', async () => {
    const chain = await apiChain()
    try {
      const genesisHash = validatorsHashOf(chain.validators)
      expect(await chain.ledger.loadValidatorSet(genesisHash)).toEqual(chain.validators)
      await chain.commit([])
      expect(await chain.ledger.loadValidatorSet(genesisHash)).toEqual(chain.validators)
      expect(await chain.ledger.loadValidatorSet(new Uint8Array(32))).toBeUndefined()
      expect(await chain.ledger.loadValidatorSet(new Uint8Array(5))).toBeUndefined()
    } finally {
      await chain.close()
    }
  })
})
