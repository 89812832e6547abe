/**
 * Goal: the `pointsnode dev` demo txs all succeed when committed stage by stage.
 * Method: execute each stage as one block with the real VM over the dev genesis; check every receipt
 * and the resulting balances.
 */
import { describe, expect, it } from 'vitest'
import { buildGenesis } from '../../../src/chain/genesis.ts'
import { keyPairOf } from '../../../src/client/keys.ts'
import { demoKeys, demoStages } from '../../../src/node/demo.ts'
import { testnetGenesis } from '../../../src/node/testnet.ts'
import { checkInvariants, executeBlock, readBalance } from '../../../src/vm/index.ts'
import { testKey } from '../../support/fixtures.ts'

describe('dev demo', () => {
  it('every demo tx succeeds stage by stage', () => {
    const operator = keyPairOf(testKey('operator').secretKey)
    const genesis = testnetGenesis(
      'dev-chain',
      [testKey('v0').publicKey],
      operator,
      1_700_000_000_000n,
    )
    const g = buildGenesis(genesis)
    if (!g.ok) throw new Error(g.error.message)
    const state = g.value.state
    const keys = demoKeys()
    demoStages(operator, keys, 'dev-chain', 50).forEach((txs, i) => {
      const result = executeBlock(
        state,
        { chainId: 'dev-chain', height: i + 1, time: 1_700_000_001_000n + BigInt(i) },
        txs,
      )
      expect(
        result.receipts.map((r) => r.code ?? 'ok'),
        `stage ${i}`,
      ).toEqual(txs.map(() => 'ok'))
      state.apply(result.writeSet)
      expect(checkInvariants(state)).toEqual([])
    })
    expect(readBalance(state, keys.consumer.address, 'ACME')).toBe(10_000_000n)
    expect(readBalance(state, keys.consumer.address, 'BETA')).toBe(5_000n)
  })
})
