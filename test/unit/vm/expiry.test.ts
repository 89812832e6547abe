/**
 * Goal: points with a lifetime expire at exactly the first block whose time reaches their expiry,
 * wherever they are (held, transferred, escrowed); a flood of 100,000 lots due at one block time is
 * burned at most EXPIRY_BURNS_PER_BLOCK_MAX per block, in index order, over later blocks, and
 * expired-but-not-yet-burned points cannot be spent meanwhile.
 * Method: fixed genesis; explicit block times; balances, burn records and the supply invariant are
 * checked against hand-computed values.
 */
import { describe, expect, it } from 'vitest'
import { toHex } from '../../../src/util/bytes.ts'
import {
  EXPIRY_BURNS_PER_BLOCK_MAX,
  checkInvariants,
  readBalance,
  readOrder,
  readPointType,
} from '../../../src/vm/index.ts'
import { K, T0, TestChain, digest, testGenesis, tx } from '../../support/vm.ts'

const issue = (to: Uint8Array, amount: bigint, voucher: string) =>
  tx('points.issue', K.acme, {
    pointType: 'EXP',
    to,
    amount,
    voucherKind: 'marketing-contract',
    voucherRef: voucher,
    voucherDigest: digest(voucher),
    encryptedDetail: null,
  })

describe('expiry', () => {
  it('burns held, transferred and escrowed lots at exactly the first block at or past expiry', () => {
    const chain = new TestChain()
    const market = { base: 'EXP', quote: 'UNI', priceDecimals: 0, lotSize: 10n, referencePrice: 1n }
    chain.block([tx('market.create', K.op1, market)], T0 + 1_000n)
    chain.block([issue(K.carol.address, 100n, 'e1')], T0 + 2_000n) // expires at T0 + 12_000
    chain.block(
      [tx('points.transfer', K.carol, { pointType: 'EXP', to: K.bob.address, amount: 40n })],
      T0 + 5_000n,
    )
    const sell = tx('order.place', K.bob, {
      market: 'EXP/UNI',
      side: 'sell',
      price: 1_000n,
      quantity: 20n,
      goodTillHeight: 100,
    })
    chain.block([sell], T0 + 6_000n)
    const before = chain.block([], T0 + 11_999n)
    expect(before.burns).toEqual([])
    expect([
      readBalance(chain.state, K.carol.address, 'EXP'),
      readBalance(chain.state, K.bob.address, 'EXP'),
    ]).toEqual([60n, 20n])
    expect(readOrder(chain.state, sell.txId)?.quantity).toBe(20n)
    const at = chain.block([], T0 + 12_000n)
    const burned = at.burns.map((b) => [toHex(b.holder), b.amount, b.reason, b.time])
    const holders = [K.bob.address, K.carol.address].map(toHex).sort()
    // Index order at one expiry: account lots (holder kind 0) by address, then escrow (kind 1).
    expect(burned).toEqual([
      ...holders.map((h) => [h, h === toHex(K.bob.address) ? 20n : 60n, 'expiry', T0 + 12_000n]),
      [toHex(K.bob.address), 20n, 'expiry', T0 + 12_000n],
    ])
    expect(readOrder(chain.state, sell.txId)).toBeUndefined()
    expect(readPointType(chain.state, 'EXP')).toMatchObject({ issued: 100n, burned: 100n })
  })

  it('drains 100,000 lots due at one time over later blocks, in order, bounded per block', () => {
    const count = 100_000
    const holder = (i: number): Uint8Array => {
      const a = new Uint8Array(20)
      a[16] = (i >>> 24) & 255
      a[17] = (i >>> 16) & 255
      a[18] = (i >>> 8) & 255
      a[19] = i & 255
      return a
    }
    // Synthetic holders 00..00‖i sort before every real key's address, in index order.
    const balances = Array.from({ length: count }, (_, i) => ({
      account: holder(i),
      pointType: 'EXP',
      amount: 1n + BigInt(i % 7),
    }))
    expect(K.carol.address[0]).not.toBe(0)
    balances.push({ account: K.carol.address, pointType: 'EXP', amount: 3n })
    const chain = new TestChain(testGenesis({ balances }), false)
    // A later lot (expires at T0 + 11_000) must burn after every genesis lot (T0 + 10_000).
    chain.block([issue(K.carol.address, 5n, 'late')], T0 + 1_000n)
    // Carol's lots are due in the first drain block but burned only in the last: she cannot spend them.
    const blockedSpend = tx('points.transfer', K.carol, {
      pointType: 'EXP',
      to: K.bob.address,
      amount: 1n,
    })
    const order: string[] = []
    let blocks = 0
    let spendCode: string | null | undefined = 'unset'
    while (readPointType(chain.state, 'EXP')!.burned < readPointType(chain.state, 'EXP')!.issued) {
      const r = chain.block(blocks === 0 ? [blockedSpend] : [], T0 + 20_000n + BigInt(blocks))
      if (blocks === 0) spendCode = r.receipts[0]?.code
      expect(r.burns.length, `block ${blocks}`).toBeLessThanOrEqual(EXPIRY_BURNS_PER_BLOCK_MAX)
      for (const b of r.burns) order.push(toHex(b.holder))
      blocks++
      expect(blocks, 'drain terminates').toBeLessThan(20)
    }
    expect(spendCode).toBe('TX_INSUFFICIENT_BALANCE')
    expect(blocks).toBe(Math.ceil((count + 2) / EXPIRY_BURNS_PER_BLOCK_MAX))
    const expected = [...balances.map((b) => toHex(b.account)), toHex(K.carol.address)]
    expect(expected.length).toBe(count + 2)
    expect(order.length).toBe(expected.length)
    expect(
      order.every((h, i) => h === expected[i]),
      'burn order is the index order',
    ).toBe(true)
    expect(checkInvariants(chain.state)).toEqual([])
    // About 10 s of CPU (100,001 genesis lots, 11 drain blocks); headroom for a shared machine.
  }, 120_000)
})
