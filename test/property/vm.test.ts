/**
 * Goal: under random tx sequences over random blocks, after every block the supply invariant holds
 * for every type (issued − burned = Σ balances + Σ escrow), no lot is non-positive, the expiry
 * index matches the lots, and two independent states fed the same blocks produce identical write
 * sets, receipts, burns and state bytes.
 * Method: fast-check (1,000 runs; the seed is printed on failure) generates blocks of txs from a
 * small vocabulary of actors, types, amounts and vouchers so that successes and every kind of
 * failure both occur; blocks advance time by up to 8 s (the EXP type lives 10 s).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { SignedTx } from '../../src/codec/tx.ts'
import { toHex } from '../../src/util/bytes.ts'
import { checkInvariants, encodeReceipt, type BlockExecution } from '../../src/vm/index.ts'
import type { TestKey } from '../support/fixtures.ts'
import { K, T0, TestChain, digest, tx } from '../support/vm.ts'

const HOLDERS = [K.alice, K.bob, K.carol, K.acme, K.shop] as const
const SYMBOLS = ['ACME', 'EXP', 'BETA', 'LOCK', 'UNI'] as const

type Op =
  | { k: 'issue'; issuer: number; sym: number; to: number; amount: bigint; voucher: number }
  | { k: 'transfer'; from: number; sym: number; to: number; amount: bigint }
  | { k: 'redeem'; from: number; sym: number; amount: bigint; acceptor: number }
  | { k: 'convert'; from: number; sym: number; back: boolean; amount: bigint }
  | { k: 'rate'; sym: number; rate: bigint }
  | {
      k: 'place'
      from: number
      market: number
      sell: boolean
      price: bigint
      lots: bigint
      till: number
    }
  | { k: 'cancel'; from: number; which: number }
  | { k: 'vote'; op: number; add: boolean; proposal: number }

const ix = (n: number) => fc.integer({ min: 0, max: n - 1 })
const amount = fc.bigInt({ min: 1n, max: 3_000n })
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    k: fc.constant('issue' as const),
    issuer: ix(3),
    sym: ix(5),
    to: ix(5),
    amount,
    voucher: ix(6),
  }),
  fc.record({ k: fc.constant('transfer' as const), from: ix(5), sym: ix(5), to: ix(5), amount }),
  fc.record({
    k: fc.constant('redeem' as const),
    from: ix(5),
    sym: ix(5),
    amount,
    acceptor: ix(5),
  }),
  fc.record({
    k: fc.constant('convert' as const),
    from: ix(5),
    sym: ix(5),
    back: fc.boolean(),
    amount,
  }),
  fc.record({
    k: fc.constant('rate' as const),
    sym: ix(5),
    rate: fc.bigInt({ min: 1n, max: 5_000_000_000n }),
  }),
  // Orders are weighted up so that books cross and auctions trade often.
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('place' as const),
      from: ix(5),
      market: ix(2),
      sell: fc.boolean(),
      // Near both markets' reference prices (20 and 3 ticks), so that books often cross.
      price: fc.bigInt({ min: 1n, max: 40n }),
      lots: fc.bigInt({ min: 1n, max: 20n }),
      till: ix(4),
    }),
  },
  fc.record({ k: fc.constant('cancel' as const), from: ix(5), which: ix(8) }),
  fc.record({ k: fc.constant('vote' as const), op: ix(3), add: fc.boolean(), proposal: ix(2) }),
)
const blocksArb = fc.array(
  fc.record({ dt: fc.bigInt({ min: 1n, max: 8_000n }), ops: fc.array(opArb, { maxLength: 8 }) }),
  { minLength: 1, maxLength: 6 },
)

const ISSUERS: readonly TestKey[] = [K.acme, K.beta, K.op1]
const OPERATORS: readonly TestKey[] = [K.op1, K.op2, K.op3]
const MARKETS = ['ACME/UNI', 'EXP/UNI'] as const

function build(op: Op, height: number, placed: SignedTx[]): SignedTx {
  const sym = (i: number) => SYMBOLS[i]!
  switch (op.k) {
    case 'issue':
      return tx('points.issue', ISSUERS[op.issuer]!, {
        pointType: sym(op.sym),
        to: HOLDERS[op.to]!.address,
        amount: op.amount,
        voucherKind: 'sales-order',
        voucherRef: 'v',
        voucherDigest: digest(`v${op.voucher}`),
        encryptedDetail: null,
      })
    case 'transfer':
      return tx('points.transfer', HOLDERS[op.from]!, {
        pointType: sym(op.sym),
        to: HOLDERS[op.to]!.address,
        amount: op.amount,
      })
    case 'redeem':
      return tx('points.redeem', HOLDERS[op.from]!, {
        pointType: sym(op.sym),
        amount: op.amount,
        acceptor: HOLDERS[op.acceptor]!.address,
        orderRef: 'o',
      })
    case 'convert':
      return tx(
        'points.convert',
        HOLDERS[op.from]!,
        op.back
          ? { fromType: 'UNI', toType: sym(op.sym), amount: op.amount, minReceive: 0n }
          : { fromType: sym(op.sym), toType: 'UNI', amount: op.amount, minReceive: 0n },
      )
    case 'rate':
      return tx('rate.set', K.oracle, { pointType: sym(op.sym), rate: op.rate, sourceRef: 'r' })
    case 'place': {
      const t = tx('order.place', HOLDERS[op.from]!, {
        market: MARKETS[op.market]!,
        side: op.sell ? 'sell' : 'buy',
        price: op.price,
        quantity: op.lots * 10n,
        goodTillHeight: height + op.till,
      })
      placed.push(t)
      return t
    }
    case 'cancel': {
      const target = placed[op.which % Math.max(1, placed.length)]
      return tx('order.cancel', HOLDERS[op.from]!, { orderId: target?.txId ?? digest('none') })
    }
    case 'vote':
      return tx('validator.update', OPERATORS[op.op]!, {
        action: op.add ? 'add' : 'remove',
        validatorPublicKey: K.val2.publicKey,
        proposal: op.proposal,
      })
  }
}

function fingerprint(r: BlockExecution): string {
  const ws = r.writeSet
    .map((c) => `${toHex(c.key)}=${c.value === null ? '-' : toHex(c.value)}`)
    .join(',')
  const receipts = r.receipts.map((x) => toHex(encodeReceipt(x))).join(',')
  const burns = r.burns
    .map((b) => `${b.pointType}:${toHex(b.holder)}:${b.amount}:${b.reason}:${b.index}`)
    .join(',')
  const auctions = r.auctions
    .map((a) => `${a.market}:${a.price}:${a.volume}:${a.quoteVolume}`)
    .join(',')
  return `${ws}|${receipts}|${burns}|${auctions}`
}

describe('vm properties', () => {
  it('keeps supply, non-negativity and determinism over random blocks', () => {
    const outcomes = new Map<string, number>()
    const count = (key: string): void => {
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1)
    }
    fc.assert(
      fc.property(blocksArb, (blocks) => {
        const a = new TestChain()
        const b = new TestChain(undefined, false)
        const setup = [
          tx('market.create', K.op1, {
            base: 'ACME',
            quote: 'UNI',
            priceDecimals: 1,
            lotSize: 10n,
            referencePrice: 20n,
          }),
          tx('market.create', K.op1, {
            base: 'EXP',
            quote: 'UNI',
            priceDecimals: 0,
            lotSize: 10n,
            referencePrice: 3n,
          }),
          tx('rate.set', K.oracle, { pointType: 'ACME', rate: 700_000_000n, sourceRef: 's' }),
          ...[K.bob, K.carol].flatMap((holder) =>
            (['EXP', 'ACME', 'UNI'] as const).map((pointType) =>
              tx('points.issue', pointType === 'UNI' ? K.op1 : K.acme, {
                pointType,
                to: holder.address,
                amount: 500n,
                voucherKind: 'sales-order',
                voucherRef: 'x',
                voucherDigest: digest(`setup-${toHex(holder.address)}`),
                encryptedDetail: null,
              }),
            ),
          ),
        ]
        expect(fingerprint(a.block(setup, T0 + 1_000n))).toBe(
          fingerprint(b.block(setup, T0 + 1_000n)),
        )
        const placed: SignedTx[] = []
        for (const [i, block] of blocks.entries()) {
          const txs = block.ops.map((op) => build(op, a.height + 1, placed))
          const time = a.time + block.dt
          const ra = a.block(txs, time) // a checks the invariants after every block
          const rb = b.block(txs, time)
          expect(fingerprint(ra), `block ${i}`).toBe(fingerprint(rb))
          for (const [j, r] of ra.receipts.entries()) count(`${txs[j]!.tx.kind}:${r.code ?? 'ok'}`)
          for (const burn of ra.burns) count(`burn:${burn.reason}`)
          for (const auction of ra.auctions) if (auction.volume > 0n) count('auction:traded')
        }
        expect(checkInvariants(b.state)).toEqual([])
        const bytesA = a.state
          .entries()
          .map((e) => toHex(e.key) + toHex(e.value))
          .join()
        const bytesB = b.state
          .entries()
          .map((e) => toHex(e.key) + toHex(e.value))
          .join()
        expect(bytesA).toBe(bytesB)
      }),
      { numRuns: 1_000 },
    )
    // The generator must reach the success path of every generated kind and every burn reason.
    const kinds = [
      'points.issue',
      'points.transfer',
      'points.redeem',
      'points.convert',
      'rate.set',
      'order.place',
      'order.cancel',
      'validator.update',
    ]
    for (const kind of kinds)
      expect(outcomes.get(`${kind}:ok`) ?? 0, `${kind} succeeded`).toBeGreaterThan(0)
    for (const reason of ['expiry', 'redemption', 'conversion'])
      expect(outcomes.get(`burn:${reason}`) ?? 0, reason).toBeGreaterThan(0)
    expect(outcomes.get('points.transfer:TX_INSUFFICIENT_BALANCE') ?? 0).toBeGreaterThan(0)
    expect(outcomes.get('auction:traded') ?? 0, 'auctions traded').toBeGreaterThan(20)
  })
})
