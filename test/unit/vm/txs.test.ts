/**
 * Goal: every tx kind's success path and each of its error codes; a failed tx changes nothing but
 * its receipt and its replay-index entry.
 * Method: a fixed genesis (test/support/vm.ts); each failing tx is executed alone in a block and its
 * write set is compared with the write set of an empty block at the same height and time: the only
 * difference allowed is the tx's replay-index key. Expected values are written out by hand.
 */
import { describe, expect, it } from 'vitest'
import type { SignedTx } from '../../../src/codec/tx.ts'
import { toHex } from '../../../src/util/bytes.ts'
import { AMOUNT_MAX } from '../../../src/core/limits.ts'
import {
  SUPPLY_COUNTER_MAX,
  VALIDATORS_SCHEMA,
  checkTx,
  keys,
  readBalance,
  readValue,
  readPointType,
  peekPointType,
  readRate,
  readOrder,
  readMarket,
} from '../../../src/vm/index.ts'
import { CHAIN, K, TestChain, digest, testGenesis, tx } from '../../support/vm.ts'
import { expectFailure } from '../../support/vm-expect.ts'

function expectOk(chain: TestChain, txs: SignedTx[]): ReturnType<TestChain['block']> {
  const r = chain.block(txs)
  for (const receipt of r.receipts)
    expect(receipt.ok, `${receipt.index}: ${receipt.code} ${receipt.message}`).toBe(true)
  return r
}

const issueBody = (to: Uint8Array, amount: bigint, voucher: string, pointType = 'ACME') => ({
  pointType,
  to,
  amount,
  voucherKind: 'sales-order' as const,
  voucherRef: voucher,
  voucherDigest: digest(voucher),
  encryptedDetail: null,
})

describe('envelope checks', () => {
  it('rejects a duplicate, an expired tx, a tx too far ahead and a wrong chain', () => {
    const chain = new TestChain()
    const t = tx('account.register', K.carol, { profileDigest: null })
    expectOk(chain, [t])
    expectFailure(chain, t, 'TX_DUPLICATE', false)
    expectFailure(
      chain,
      tx('account.register', K.bob, { profileDigest: null }, 0),
      'TX_EXPIRED',
      false,
    )
    expectFailure(
      chain,
      tx('account.register', K.bob, { profileDigest: null }, 5000),
      'TX_EXPIRY_TOO_FAR',
      false,
    )
    const wrong = tx('account.register', K.bob, { profileDigest: null })
    const other = { ...wrong, tx: { ...wrong.tx, chainId: 'other-chain' } }
    expectFailure(chain, other, 'TX_WRONG_CHAIN')
  })
  it('rejects the same tx twice in one block', () => {
    const chain = new TestChain()
    const t = tx('account.register', K.carol, { profileDigest: null })
    const r = chain.block([t, t])
    expect(r.receipts.map((x) => x.code)).toEqual([null, 'TX_DUPLICATE'])
  })
})

describe('account.register / enterprise.admit / enterprise.update / member.bind', () => {
  it('registers once', () => {
    const chain = new TestChain()
    expectOk(chain, [tx('account.register', K.carol, { profileDigest: digest('p') })])
    expectFailure(
      chain,
      tx('account.register', K.carol, { profileDigest: null }),
      'TX_ALREADY_REGISTERED',
    )
  })
  it('admits and updates enterprises (operators only)', () => {
    const chain = new TestChain()
    const body = {
      enterprise: K.carol.address,
      name: 'Carol Co',
      isIssuer: true,
      isAcceptor: false,
      settlementAccount: K.carol.address,
    }
    expectFailure(chain, tx('enterprise.admit', K.alice, body), 'TX_NOT_OPERATOR')
    expectOk(chain, [tx('enterprise.admit', K.op1, body)])
    expectFailure(chain, tx('enterprise.admit', K.op2, body), 'TX_ENTERPRISE_EXISTS')
    const upd = { ...body, isAcceptor: true, active: false }
    expectFailure(chain, tx('enterprise.update', K.alice, upd), 'TX_NOT_OPERATOR')
    expectFailure(
      chain,
      tx('enterprise.update', K.op1, { ...upd, enterprise: K.bob.address }),
      'TX_UNKNOWN_ENTERPRISE',
    )
    expectOk(chain, [tx('enterprise.update', K.op1, upd)])
    // An inactive enterprise may not create types.
    const create = {
      symbol: 'CAROL',
      name: 'c',
      decimals: 0,
      expirySeconds: 0n,
      transferable: true,
      convertible: false,
      maxSupply: null,
    }
    expectFailure(chain, tx('pointType.create', K.carol, create), 'TX_NOT_ISSUER')
  })
  it('binds a registered consumer once per enterprise', () => {
    const chain = new TestChain()
    const body = { consumer: K.carol.address, memberIdDigest: digest('m-1') }
    expectFailure(chain, tx('member.bind', K.alice, body), 'TX_NOT_ENTERPRISE')
    expectFailure(chain, tx('member.bind', K.acme, body), 'TX_UNKNOWN_ACCOUNT')
    expectOk(chain, [tx('account.register', K.carol, { profileDigest: null })])
    expectOk(chain, [tx('member.bind', K.acme, body)])
    expectFailure(chain, tx('member.bind', K.acme, body), 'TX_ALREADY_BOUND')
  })
})

describe('pointType.create / points.issue', () => {
  it('creates a type with its policy; issuers only; symbols unique', () => {
    const chain = new TestChain()
    const body = {
      symbol: 'NEW',
      name: 'n',
      decimals: 3,
      expirySeconds: 60n,
      transferable: false,
      convertible: true,
      maxSupply: 50n,
    }
    expectFailure(chain, tx('pointType.create', K.shop, body), 'TX_NOT_ISSUER')
    expectFailure(
      chain,
      tx('pointType.create', K.acme, { ...body, symbol: 'ACME' }),
      'TX_POINT_TYPE_EXISTS',
    )
    expectOk(chain, [tx('pointType.create', K.acme, body)])
    const t = readPointType(chain.state, 'NEW')!
    expect([t.decimals, t.expirySeconds, t.transferable, t.maxSupply, toHex(t.issuer)]).toEqual([
      3,
      60n,
      false,
      50n,
      toHex(K.acme.address),
    ])
  })
  it('peeks a point type from the decoded-value cache, current after each block', () => {
    const chain = new TestChain()
    const plain = { get: (k: Uint8Array) => chain.state.get(k), range: () => [] }
    expect(peekPointType(chain.state, 'ACME')!.issued).toBe(1_000n)
    expectOk(chain, [tx('points.issue', K.acme, issueBody(K.carol.address, 70n, 'v1'))])
    for (const state of [chain.state, plain]) {
      expect(peekPointType(state, 'ACME')).toEqual(readPointType(chain.state, 'ACME'))
      expect(peekPointType(state, 'ACME')!.issued).toBe(1_070n)
      expect(peekPointType(state, 'NOPE')).toBeUndefined()
    }
    expect(Object.isFrozen(peekPointType(chain.state, 'ACME')), 'shared, so frozen').toBe(true)
  })
  it('issues against a voucher once, by the issuer only, within max supply', () => {
    const chain = new TestChain()
    expectOk(chain, [tx('points.issue', K.acme, issueBody(K.carol.address, 70n, 'v1'))])
    expect(readBalance(chain.state, K.carol.address, 'ACME')).toBe(70n)
    expect(readPointType(chain.state, 'ACME')!.issued).toBe(1_070n)
    expectFailure(
      chain,
      tx('points.issue', K.acme, issueBody(K.carol.address, 1n, 'v1')),
      'TX_VOUCHER_REUSED',
    )
    expectFailure(
      chain,
      tx('points.issue', K.beta, issueBody(K.carol.address, 1n, 'v2')),
      'TX_NOT_ISSUER',
    )
    expectFailure(
      chain,
      tx('points.issue', K.acme, issueBody(K.carol.address, 1n, 'v3', 'NOPE')),
      'TX_UNKNOWN_POINT_TYPE',
    )
    expectFailure(
      chain,
      tx('points.issue', K.beta, issueBody(K.carol.address, 998_001n, 'v4', 'BETA')),
      'TX_MAX_SUPPLY',
    )
    expectOk(chain, [
      tx('points.issue', K.beta, issueBody(K.carol.address, 998_000n, 'v4', 'BETA')),
    ])
    // Universal points are issued by any operator; the same digest may back one issuance per type.
    expectFailure(
      chain,
      tx('points.issue', K.acme, issueBody(K.carol.address, 5n, 'v1', 'UNI')),
      'TX_NOT_ISSUER',
    )
    expectOk(chain, [tx('points.issue', K.op2, issueBody(K.carol.address, 5n, 'v1', 'UNI'))])
    expect(readBalance(chain.state, K.carol.address, 'UNI')).toBe(5n)
  })
  it('refuses a credit that would exceed the lots limit (one lot per distinct expiry)', () => {
    const chain = new TestChain(undefined, false)
    const long = {
      symbol: 'LONG',
      name: 'l',
      decimals: 0,
      expirySeconds: 1_000_000n,
      transferable: true,
      convertible: false,
      maxSupply: null,
    }
    expectOk(chain, [tx('pointType.create', K.acme, long)])
    for (let i = 0; i < 256; i++)
      expectOk(chain, [
        tx('points.issue', K.acme, issueBody(K.carol.address, 1n, `lot-${i}`, 'LONG')),
      ])
    expectFailure(
      chain,
      tx('points.issue', K.acme, issueBody(K.carol.address, 1n, 'lot-256', 'LONG')),
      'TX_TOO_MANY_LOTS',
    )
  })
})

describe('points.transfer / points.redeem', () => {
  it('transfers live points; rejects non-transferable, unknown and insufficient', () => {
    const chain = new TestChain()
    expectOk(chain, [
      tx('points.transfer', K.alice, { pointType: 'ACME', to: K.carol.address, amount: 400n }),
    ])
    expect(readBalance(chain.state, K.alice.address, 'ACME')).toBe(600n)
    expect(readBalance(chain.state, K.carol.address, 'ACME')).toBe(400n)
    expectFailure(
      chain,
      tx('points.transfer', K.alice, { pointType: 'ACME', to: K.carol.address, amount: 601n }),
      'TX_INSUFFICIENT_BALANCE',
    )
    expectFailure(
      chain,
      tx('points.transfer', K.bob, { pointType: 'LOCK', to: K.carol.address, amount: 1n }),
      'TX_NOT_TRANSFERABLE',
    )
    expectFailure(
      chain,
      tx('points.transfer', K.bob, { pointType: 'NOPE', to: K.carol.address, amount: 1n }),
      'TX_UNKNOWN_POINT_TYPE',
    )
  })
  it('redeems at an acceptor with a burn record carrying what settlement needs', () => {
    const chain = new TestChain()
    expectOk(chain, [
      tx('rate.set', K.oracle, { pointType: 'ACME', rate: 500_000_000n, sourceRef: 'r1' }),
    ])
    const t = tx('points.redeem', K.alice, {
      pointType: 'ACME',
      amount: 300n,
      acceptor: K.shop.address,
      orderRef: 'ORD-1',
    })
    const r = expectOk(chain, [t])
    expect(r.burns).toHaveLength(1)
    const b = r.burns[0]!
    expect([
      b.pointType,
      toHex(b.issuer),
      toHex(b.holder),
      b.amount,
      b.reason,
      toHex(b.acceptor!),
      b.orderRef,
    ]).toEqual([
      'ACME',
      toHex(K.acme.address),
      toHex(K.alice.address),
      300n,
      'redemption',
      toHex(K.shop.address),
      'ORD-1',
    ])
    // 300 ACME (0 decimals) × 0.5 → 150 UNI units × 10^2 minor = 15000 minor units.
    expect([b.rate, b.valueUniversal, toHex(b.txId!), b.height, b.time, b.index]).toEqual([
      500_000_000n,
      15_000n,
      toHex(t.txId),
      chain.height,
      chain.time,
      0,
    ])
    expect(readPointType(chain.state, 'ACME')!.burned).toBe(300n)
    expectFailure(
      chain,
      tx('points.redeem', K.alice, {
        pointType: 'ACME',
        amount: 1n,
        acceptor: K.beta.address,
        orderRef: 'x',
      }),
      'TX_NOT_ACCEPTOR',
    )
    expectFailure(
      chain,
      tx('points.redeem', K.alice, {
        pointType: 'ACME',
        amount: 701n,
        acceptor: K.shop.address,
        orderRef: 'x',
      }),
      'TX_INSUFFICIENT_BALANCE',
    )
    expectFailure(
      chain,
      tx('points.redeem', K.alice, {
        pointType: 'NOPE',
        amount: 1n,
        acceptor: K.shop.address,
        orderRef: 'x',
      }),
      'TX_UNKNOWN_POINT_TYPE',
    )
  })
})

describe('rate.set / points.convert', () => {
  it('sets rates (oracle only, not for universal)', () => {
    const chain = new TestChain()
    expectFailure(
      chain,
      tx('rate.set', K.alice, { pointType: 'ACME', rate: 1n, sourceRef: 's' }),
      'TX_NOT_ORACLE',
    )
    expectFailure(
      chain,
      tx('rate.set', K.oracle, { pointType: 'NOPE', rate: 1n, sourceRef: 's' }),
      'TX_UNKNOWN_POINT_TYPE',
    )
    expectFailure(
      chain,
      tx('rate.set', K.oracle, { pointType: 'UNI', rate: 1n, sourceRef: 's' }),
      'TX_UNIVERSAL_RATE',
    )
    expectOk(chain, [
      tx('rate.set', K.oracle, { pointType: 'ACME', rate: 2_500_000_000n, sourceRef: 's' }),
    ])
    expect(readRate(chain.state, 'ACME')?.rate).toBe(2_500_000_000n)
  })
  it('converts both ways at the current rate with floor rounding and minReceive', () => {
    const chain = new TestChain()
    expectFailure(
      chain,
      tx('points.convert', K.alice, {
        fromType: 'ACME',
        toType: 'UNI',
        amount: 10n,
        minReceive: 0n,
      }),
      'TX_NO_RATE',
    )
    expectOk(chain, [
      tx('rate.set', K.oracle, { pointType: 'ACME', rate: 1_333_333_333n, sourceRef: 's' }),
    ])
    // 10 ACME × 1.333333333 × 10^2 / 10^0 = 1333.333333 → 1333 UNI minor units.
    expectFailure(
      chain,
      tx('points.convert', K.alice, {
        fromType: 'ACME',
        toType: 'UNI',
        amount: 10n,
        minReceive: 1334n,
      }),
      'TX_MIN_RECEIVE',
    )
    const r = expectOk(chain, [
      tx('points.convert', K.alice, {
        fromType: 'ACME',
        toType: 'UNI',
        amount: 10n,
        minReceive: 1333n,
      }),
    ])
    expect(readBalance(chain.state, K.alice.address, 'UNI')).toBe(6_333n)
    expect([
      r.burns[0]!.reason,
      r.burns[0]!.convertedTo,
      r.burns[0]!.valueUniversal,
      r.burns[0]!.acceptor,
    ]).toEqual(['conversion', 'UNI', 1333n, null])
    // Back: 1000 UNI minor × 10^9 × 10^0 / (1333333333 × 10^2) = 7.5 → 7 ACME.
    expectOk(chain, [
      tx('points.convert', K.alice, {
        fromType: 'UNI',
        toType: 'ACME',
        amount: 1000n,
        minReceive: 7n,
      }),
    ])
    expect(readBalance(chain.state, K.alice.address, 'ACME')).toBe(997n)
    expectFailure(
      chain,
      tx('points.convert', K.alice, {
        fromType: 'UNI',
        toType: 'ACME',
        amount: 1n,
        minReceive: 0n,
      }),
      'TX_ZERO_RECEIVE',
    )
    expectFailure(
      chain,
      tx('points.convert', K.bob, { fromType: 'BETA', toType: 'UNI', amount: 1n, minReceive: 0n }),
      'TX_NOT_CONVERTIBLE',
    )
    expectFailure(
      chain,
      tx('points.convert', K.alice, {
        fromType: 'ACME',
        toType: 'BETA',
        amount: 1n,
        minReceive: 0n,
      }),
      'TX_NOT_CONVERTIBLE',
    )
    expectFailure(
      chain,
      tx('points.convert', K.alice, {
        fromType: 'ACME',
        toType: 'NOPE',
        amount: 1n,
        minReceive: 0n,
      }),
      'TX_UNKNOWN_POINT_TYPE',
    )
    expectFailure(
      chain,
      tx('points.convert', K.alice, {
        fromType: 'ACME',
        toType: 'ACME',
        amount: 1n,
        minReceive: 0n,
      }),
      'TX_SAME_POINT_TYPE',
    )
    expectFailure(
      chain,
      tx('points.convert', K.alice, {
        fromType: 'ACME',
        toType: 'UNI',
        amount: 998n,
        minReceive: 0n,
      }),
      'TX_INSUFFICIENT_BALANCE',
    )
  })
  it('respects the target max supply', () => {
    const chain = new TestChain()
    expectOk(chain, [
      tx('rate.set', K.oracle, { pointType: 'EXP', rate: 1_000_000_000n, sourceRef: 's' }),
    ])
    expectOk(chain, [
      tx('points.issue', K.beta, issueBody(K.carol.address, 998_000n, 'fill', 'BETA')),
    ])
    expect(readPointType(chain.state, 'BETA')!.issued).toBe(1_000_000n)
  })
})

describe('supply limits', () => {
  it('rejects an issuance that would push the outstanding supply past AMOUNT_MAX', () => {
    const chain = new TestChain()
    const big = (1n << 63n) - 1n - 1_000n // ACME already has 1,000 outstanding from genesis.
    expectOk(chain, [tx('points.issue', K.acme, issueBody(K.carol.address, big, 'big'))])
    expectFailure(
      chain,
      tx('points.issue', K.acme, issueBody(K.bob.address, 1n, 'one-more')),
      'TX_AMOUNT_OVERFLOW',
    )
  })
  it('rejects a mint that would push the running issued counter past its u64 bound', () => {
    // Issue-and-redeem churn: the outstanding supply never exceeds AMOUNT_MAX, but `issued` only
    // grows, to 2 × AMOUNT_MAX = SUPPLY_COUNTER_MAX − 1 after two rounds.
    const chain = new TestChain(testGenesis({ balances: [] }))
    const redeem = (n: number) =>
      tx('points.redeem', K.acme, {
        pointType: 'ACME',
        amount: AMOUNT_MAX,
        acceptor: K.shop.address,
        orderRef: `churn-${n}`,
      })
    for (const n of [0, 1]) {
      const issue = tx('points.issue', K.acme, issueBody(K.acme.address, AMOUNT_MAX, `churn-${n}`))
      expectOk(chain, [issue, redeem(n)])
    }
    expect(readPointType(chain.state, 'ACME')).toMatchObject({
      issued: SUPPLY_COUNTER_MAX - 1n,
      burned: SUPPLY_COUNTER_MAX - 1n,
    })
    const two = tx('points.issue', K.acme, issueBody(K.bob.address, 2n, 'two'))
    // A failed receipt, not a block that cannot be encoded; the mempool's dry run refuses it too.
    expectFailure(chain, two, 'TX_AMOUNT_OVERFLOW')
    const ctx = { chainId: CHAIN, height: chain.height + 1, time: chain.time + 1000n }
    const dry = checkTx(chain.state, ctx, two)
    expect(dry.ok ? 'ok' : dry.error.code).toBe('TX_AMOUNT_OVERFLOW')
    expectOk(chain, [tx('points.issue', K.acme, issueBody(K.bob.address, 1n, 'one'))])
    expect(readPointType(chain.state, 'ACME')!.issued).toBe(SUPPLY_COUNTER_MAX)
    expectFailure(
      chain,
      tx('points.issue', K.acme, issueBody(K.bob.address, 1n, 'one-more')),
      'TX_AMOUNT_OVERFLOW',
    )
  })
  it('rejects a conversion whose minted target would push its issued counter past the bound', () => {
    const chain = new TestChain(testGenesis({ balances: [] }))
    for (const n of [0, 1]) {
      expectOk(chain, [
        tx('points.issue', K.op1, issueBody(K.alice.address, AMOUNT_MAX, `uni-${n}`, 'UNI')),
        tx('points.redeem', K.alice, {
          pointType: 'UNI',
          amount: AMOUNT_MAX,
          acceptor: K.shop.address,
          orderRef: `uni-${n}`,
        }),
      ])
    }
    expectOk(chain, [
      tx('points.issue', K.acme, issueBody(K.alice.address, 10n, 'acme')),
      tx('rate.set', K.oracle, { pointType: 'ACME', rate: 1_000_000_000n, sourceRef: 's' }),
    ])
    // 1 ACME = 100 UNI minor units, but only 1 more fits the UNI counter. The failed receipt also
    // rolls back the burn of the ACME source (expectFailure compares the write sets).
    expectFailure(
      chain,
      tx('points.convert', K.alice, {
        fromType: 'ACME',
        toType: 'UNI',
        amount: 1n,
        minReceive: 0n,
      }),
      'TX_AMOUNT_OVERFLOW',
    )
  })
  it('rejects a conversion whose minted target would exceed its max supply', () => {
    const chain = new TestChain()
    const capped = {
      symbol: 'CAP',
      name: 'capped',
      decimals: 0,
      expirySeconds: 0n,
      transferable: true,
      convertible: true,
      maxSupply: 10n,
    }
    expectOk(chain, [tx('pointType.create', K.acme, capped)])
    expectOk(chain, [
      tx('rate.set', K.oracle, { pointType: 'CAP', rate: 1_000_000_000n, sourceRef: 's' }),
    ])
    // 1,100 UNI minor units = 11 UNI = 11 CAP at rate 1 > max supply 10.
    expectFailure(
      chain,
      tx('points.convert', K.alice, {
        fromType: 'UNI',
        toType: 'CAP',
        amount: 1_100n,
        minReceive: 0n,
      }),
      'TX_MAX_SUPPLY',
    )
    expectOk(chain, [
      tx('points.convert', K.alice, {
        fromType: 'UNI',
        toType: 'CAP',
        amount: 1_000n,
        minReceive: 10n,
      }),
    ])
    expect(readBalance(chain.state, K.alice.address, 'CAP')).toBe(10n)
  })
})

describe('market.create / order.place / order.cancel', () => {
  const market = {
    base: 'ACME',
    quote: 'UNI',
    priceDecimals: 2,
    lotSize: 10n,
    referencePrice: 150n,
  }
  it('creates markets (operator, transferable types, once)', () => {
    const chain = new TestChain()
    expectFailure(chain, tx('market.create', K.alice, market), 'TX_NOT_OPERATOR')
    expectFailure(
      chain,
      tx('market.create', K.op1, { ...market, quote: 'NOPE' }),
      'TX_UNKNOWN_POINT_TYPE',
    )
    expectFailure(
      chain,
      tx('market.create', K.op1, { ...market, quote: 'LOCK' }),
      'TX_NOT_TRANSFERABLE',
    )
    expectFailure(
      chain,
      tx('market.create', K.op1, { ...market, quote: 'ACME' }),
      'TX_SAME_POINT_TYPE',
    )
    expectOk(chain, [tx('market.create', K.op1, market)])
    expectFailure(chain, tx('market.create', K.op2, market), 'TX_MARKET_EXISTS')
  })
  it('escrows orders, cancels by owner only, and releases at good-till', () => {
    const chain = new TestChain()
    expectOk(chain, [tx('market.create', K.op1, market)])
    const place = (signer = K.alice, over = {}) =>
      tx('order.place', signer, {
        market: 'ACME/UNI',
        side: 'buy' as const,
        price: 155n,
        quantity: 30n,
        goodTillHeight: 10,
        ...over,
      })
    expectFailure(chain, place(K.alice, { market: 'ACME/BETA' }), 'TX_UNKNOWN_MARKET')
    expectFailure(chain, place(K.alice, { quantity: 35n }), 'TX_LOT_SIZE')
    expectFailure(chain, place(K.bob), 'TX_INSUFFICIENT_BALANCE')
    expectFailure(chain, place(K.alice, { goodTillHeight: 1 }), 'TX_BAD_GOOD_TILL')
    const buy = place()
    expectOk(chain, [buy])
    // Escrow = ceil(30 × 155 / 100) = ceil(46.5) = 47 UNI minor units.
    expect(readBalance(chain.state, K.alice.address, 'UNI')).toBe(4_953n)
    expect(readOrder(chain.state, buy.txId)?.escrow).toEqual([[(1n << 64n) - 1n, 47n]])
    expectFailure(chain, tx('order.cancel', K.bob, { orderId: buy.txId }), 'TX_NOT_ORDER_OWNER')
    expectFailure(
      chain,
      tx('order.cancel', K.alice, { orderId: digest('none') }),
      'TX_UNKNOWN_ORDER',
    )
    const cancelled = expectOk(chain, [tx('order.cancel', K.alice, { orderId: buy.txId })])
    expect(cancelled.receipts[0]?.events.map((e) => e.type)).toEqual(['order.ended'])
    expect(cancelled.receipts[0]?.events[0]?.attributes).toContainEqual(['returned', '47'])
    expect(readBalance(chain.state, K.alice.address, 'UNI')).toBe(5_000n)
    expect(readOrder(chain.state, buy.txId)).toBeUndefined()
    const sell = place(K.alice, { side: 'sell', price: 900n, goodTillHeight: chain.height + 2 })
    expectOk(chain, [sell])
    expect(readBalance(chain.state, K.alice.address, 'ACME')).toBe(970n)
    chain.block([])
    expect(readOrder(chain.state, sell.txId)).toBeUndefined()
    expect(readBalance(chain.state, K.alice.address, 'ACME')).toBe(1_000n)
    expect(readMarket(chain.state, 'ACME', 'UNI')?.openOrders).toBe(0)
  })
})

describe('validator.update', () => {
  it('needs the operator quorum of distinct votes for the same proposal', () => {
    const chain = new TestChain()
    const body = { action: 'add' as const, validatorPublicKey: K.val2.publicKey, proposal: 1 }
    expectFailure(chain, tx('validator.update', K.alice, body), 'TX_NOT_OPERATOR')
    const first = expectOk(chain, [tx('validator.update', K.op1, body)])
    expect(first.validatorUpdates).toEqual([])
    expectFailure(chain, tx('validator.update', K.op1, body), 'TX_ALREADY_VOTED')
    const second = expectOk(chain, [tx('validator.update', K.op2, body)])
    expect(second.validatorUpdates).toEqual([
      { action: 'add', publicKey: K.val2.publicKey, effectiveHeight: chain.height + 2 },
    ])
    expectFailure(chain, tx('validator.update', K.op3, body), 'TX_PROPOSAL_CLOSED')
    expectFailure(
      chain,
      tx('validator.update', K.op3, { ...body, proposal: 2 }),
      'TX_VALIDATOR_EXISTS',
    )
    const remove = { action: 'remove' as const, validatorPublicKey: K.alice.publicKey, proposal: 3 }
    expectFailure(chain, tx('validator.update', K.op1, remove), 'TX_UNKNOWN_VALIDATOR')
    const rm = { action: 'remove' as const, validatorPublicKey: K.val1.publicKey, proposal: 4 }
    expectOk(chain, [tx('validator.update', K.op1, rm)])
    expectOk(chain, [tx('validator.update', K.op2, rm)])
    const last = { action: 'remove' as const, validatorPublicKey: K.val2.publicKey, proposal: 5 }
    expectOk(chain, [tx('validator.update', K.op1, last)])
    expectFailure(chain, tx('validator.update', K.op2, last), 'TX_VALIDATOR_SET_LIMIT')
  })
  it('refuses a key that is not a curve point before recording the vote', () => {
    // 02 ‖ x with x = 5 is 33 bytes, as the schema asks, but no curve point has that x: no node
    // could turn it into a peer id or verify a vote with it.
    const offCurve = new Uint8Array(33)
    offCurve[0] = 2
    offCurve[32] = 5
    const chain = new TestChain()
    const add = { action: 'add' as const, validatorPublicKey: offCurve, proposal: 1 }
    const remove = { action: 'remove' as const, validatorPublicKey: offCurve, proposal: 2 }
    expectFailure(chain, tx('validator.update', K.alice, add), 'TX_NOT_OPERATOR')
    expectFailure(chain, tx('validator.update', K.op1, add), 'TX_BAD_PUBLIC_KEY')
    expectFailure(chain, tx('validator.update', K.op1, remove), 'TX_BAD_PUBLIC_KEY')
    // The operator quorum (2 of 3) voting in turn changes nothing either.
    const first = chain.block([tx('validator.update', K.op1, add)])
    const second = chain.block([tx('validator.update', K.op2, add)])
    expect([first.receipts[0]?.code, second.receipts[0]?.code]).toEqual([
      'TX_BAD_PUBLIC_KEY',
      'TX_BAD_PUBLIC_KEY',
    ])
    expect(second.validatorUpdates).toEqual([])
    const set = readValue(chain.state, VALIDATORS_SCHEMA, keys.validators())
    expect(set?.publicKeys).toEqual([K.val1.publicKey])
  })
})
