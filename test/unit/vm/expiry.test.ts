/**
 * Goal: points with a lifetime expire at exactly the first block whose time reaches their expiry,
 * wherever they are (held, transferred, escrowed); a flood of 100,000 lots due at one block time is
 * burned at most EXPIRY_BURNS_PER_BLOCK_MAX per block, in index order, over later blocks, and
 * expired-but-not-yet-burned points cannot be spent meanwhile. An order exhausted by the expiry
 * phase returns its live escrow to a holder of LOTS_PER_HOLDER_MAX lots without burning live points
 * and without failing the block.
 * Method: fixed genesis; explicit block times; balances, burn records and the supply invariant are
 * checked against hand-computed values.
 */
import { describe, expect, it } from 'vitest'
import { toHex } from '../../../src/util/bytes.ts'
import {
  EXPIRY_BURNS_PER_BLOCK_MAX,
  LOTS_PER_HOLDER_MAX,
  checkInvariants,
  readBalance,
  readLots,
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

describe("expiry phase returning an exhausted order's escrow to a full holder", () => {
  /**
   * Alice's sell order escrows 15 EXP due at T0 + 12_000 and 5 live until T0 + 13_000 (less than
   * one lot of 10). She holds 256 lots herself: `due` 1-unit lots from Bob due at T0 + 12_001 … and
   * 256 − `due` 1-unit lots live from T0 + 13_002 on. At T0 + 12_500 the expiry phase burns the
   * escrowed 15 first (earliest index entry), which exhausts the order: its 5 live points return to
   * Alice, whose 257 lots must be merged down to 256 before her own due lots are reached. Every
   * due point burns in this block and every live point stays.
   */
  function fullHolderWithExhaustedOrder(due: number): TestChain {
    const chain = new TestChain()
    const okBlock = (txs: Parameters<TestChain['block']>[0], at: bigint): void => {
      for (const r of chain.block(txs, at).receipts) expect(r.code, r.message).toBeNull()
    }
    const market = { base: 'EXP', quote: 'UNI', priceDecimals: 0, lotSize: 10n, referencePrice: 1n }
    okBlock([tx('market.create', K.op1, market)], T0 + 1_000n)
    okBlock([issue(K.alice.address, 15n, 'escrow-due')], T0 + 2_000n)
    let time = T0 + 2_001n
    for (let i = 0; i < due; i++) okBlock([issue(K.bob.address, 1n, `bob-${i}`)], time++)
    okBlock([issue(K.alice.address, 5n, 'escrow-live')], T0 + 3_000n)
    const sell = {
      market: 'EXP/UNI',
      side: 'sell' as const,
      price: 1_000n,
      quantity: 20n,
      goodTillHeight: 900,
    }
    okBlock([tx('order.place', K.alice, sell)], T0 + 3_001n)
    time = T0 + 3_002n
    for (let i = due; i < LOTS_PER_HOLDER_MAX; i++)
      okBlock([issue(K.alice.address, 1n, `alice-${i}`)], time++)
    const gift = { pointType: 'EXP', to: K.alice.address, amount: BigInt(due) }
    okBlock([tx('points.transfer', K.bob, gift)], time)
    expect(readLots(chain.state, K.alice.address, 'EXP').length).toBe(LOTS_PER_HOLDER_MAX)
    return chain
  }

  it.each([
    // Two due lots merge with each other: the later one's index entry, already read by the phase,
    // is gone when reached (it used to fail the block, and every later one).
    { due: 2, records: 2, lots: 255, first: [T0 + 13_000n, 5n] },
    // One due lot: it must not merge with the returned live lot (that burned 5 live points); the
    // two earliest live lots merge instead.
    { due: 1, records: 2, lots: 255, first: [T0 + 13_000n, 6n] },
    // Only due lots besides the returned one: two due lots merge, as with two.
    { due: 256, records: 256, lots: 1, first: [T0 + 13_000n, 5n] },
  ])('burns exactly the due points, keeps the live ones ($due due)', ({ due, ...expected }) => {
    const chain = fullHolderWithExhaustedOrder(due)
    const r = chain.block([], T0 + 12_500n)
    expect(r.burns.reduce((sum, b) => sum + b.amount, 0n)).toBe(15n + BigInt(due))
    expect(r.burns.length).toBe(expected.records)
    expect(r.burns.every((b) => b.reason === 'expiry' && b.time === T0 + 12_500n)).toBe(true)
    const lots = readLots(chain.state, K.alice.address, 'EXP')
    expect(lots[0]).toEqual(expected.first)
    expect(lots.length).toBe(expected.lots)
    expect(readBalance(chain.state, K.alice.address, 'EXP')).toBe(
      5n + BigInt(LOTS_PER_HOLDER_MAX - due),
    )
    expect(checkInvariants(chain.state)).toEqual([])
  })
})
