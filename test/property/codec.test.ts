/**
 * Goal: the tx codec is a bijection on valid txs and admits no malleable variants.
 * Method: fast-check generates random valid txs of every kind (arbitraries written from the spec's
 * field rules, independent of the codec's schemas); we check decode(encode(x)) = x, that the encoding
 * is canonical, and that any single-byte mutation is rejected or decodes to a different tx and txId.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeSignedTx, decodeTx, encodeTx, txIdOf } from '../../src/codec/tx.ts'
import { TX_KINDS, type Tx, type TxKind } from '../../src/core/tx.ts'
import { equalBytes } from '../../src/util/bytes.ts'
import { signTx, verifySignedTx } from '../../src/crypto/tx-signature.ts'
import { testKey } from '../support/fixtures.ts'

const RUNS = 300
const u8 = (n: number) => fc.uint8Array({ minLength: n, maxLength: n })
const address = u8(20)
const digest = u8(32)
const symbol = fc.stringMatching(/^[A-Z0-9][A-Z0-9._-]{0,15}$/)
const text = (max: number) => fc.string({ maxLength: max, unit: 'binary' })
const amount = fc.bigInt(1n, (1n << 63n) - 1n)
const u32 = fc.nat({ max: 0xffff_ffff })

const bodies: { [K in TxKind]: fc.Arbitrary<unknown> } = {
  'account.register': fc.record({ profileDigest: fc.option(digest, { nil: null }) }),
  'enterprise.admit': fc.record({
    enterprise: address,
    name: text(64),
    isIssuer: fc.boolean(),
    isAcceptor: fc.boolean(),
    settlementAccount: address,
  }),
  'enterprise.update': fc.record({
    enterprise: address,
    name: text(64),
    isIssuer: fc.boolean(),
    isAcceptor: fc.boolean(),
    settlementAccount: address,
    active: fc.boolean(),
  }),
  'member.bind': fc.record({ consumer: address, memberIdDigest: digest }),
  'pointType.create': fc.record({
    symbol,
    name: text(64),
    decimals: fc.nat({ max: 18 }),
    expirySeconds: fc.bigInt(0n, 3_153_600_000n),
    transferable: fc.boolean(),
    convertible: fc.boolean(),
    maxSupply: fc.option(amount, { nil: null }),
  }),
  'points.issue': fc.record({
    pointType: symbol,
    to: address,
    amount,
    voucherKind: fc.constantFrom('marketing-contract', 'sales-order'),
    voucherRef: text(128),
    voucherDigest: digest,
    encryptedDetail: fc.option(fc.uint8Array({ minLength: 1, maxLength: 300 }), { nil: null }),
  }),
  'points.transfer': fc.record({ pointType: symbol, to: address, amount }),
  'rate.set': fc.record({ pointType: symbol, rate: amount, sourceRef: text(128) }),
  'points.convert': fc.record({
    fromType: symbol,
    toType: symbol,
    amount,
    minReceive: fc.bigInt(0n, (1n << 63n) - 1n),
  }),
  'points.redeem': fc.record({ pointType: symbol, amount, acceptor: address, orderRef: text(128) }),
  'market.create': fc.record({
    base: symbol,
    quote: symbol,
    priceDecimals: fc.nat({ max: 12 }),
    lotSize: amount,
    referencePrice: amount,
  }),
  'order.place': fc.record({
    market: fc.tuple(symbol, symbol).map(([a, b]) => `${a}/${b}`),
    side: fc.constantFrom('buy', 'sell'),
    price: amount,
    quantity: amount,
    goodTillHeight: u32,
  }),
  'order.cancel': fc.record({ orderId: digest }),
  'validator.update': fc.record({
    action: fc.constantFrom('add', 'remove'),
    validatorPublicKey: u8(33),
    proposal: u32,
  }),
}

const signer = testKey('property-signer')
const txOf = (kind: TxKind) =>
  fc
    .record({
      body: bodies[kind],
      chainId: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,31}$/),
      expiresAtHeight: u32,
      salt: fc.uint8Array({ maxLength: 32 }),
    })
    .map(
      ({ body, chainId, expiresAtHeight, salt }) =>
        ({
          version: 1,
          chainId,
          kind,
          body,
          signerPublicKey: signer.publicKey,
          expiresAtHeight,
          salt,
        }) as Tx,
    )

describe('tx codec properties', () => {
  for (const kind of TX_KINDS) {
    it(`${kind}: decode(encode(x)) = x and the encoding is canonical`, () => {
      fc.assert(
        fc.property(txOf(kind), (tx) => {
          const bytes = encodeTx(tx)
          const decoded = decodeTx(bytes)
          expect(decoded.ok ? 'ok' : decoded.error.message).toBe('ok')
          if (!decoded.ok) return
          expect(decoded.value).toEqual(tx)
          expect(equalBytes(encodeTx(decoded.value), bytes)).toBe(true)
        }),
        { numRuns: RUNS },
      )
    })

    it(`${kind}: any single-byte mutation is rejected or changes the tx and its id`, () => {
      fc.assert(
        fc.property(txOf(kind), fc.nat(), fc.integer({ min: 1, max: 255 }), (tx, at, delta) => {
          const bytes = encodeTx(tx)
          const mutated = bytes.slice()
          const i = at % bytes.length
          mutated[i] = (mutated[i]! + delta) & 0xff
          const decoded = decodeTx(mutated)
          if (!decoded.ok) return
          expect(decoded.value).not.toEqual(tx)
          expect(equalBytes(txIdOf(mutated), txIdOf(bytes))).toBe(false)
          expect(equalBytes(encodeTx(decoded.value), mutated)).toBe(true)
        }),
        { numRuns: RUNS },
      )
    })
  }

  it('a mutated signed envelope never keeps the txId with a different signature that verifies', () => {
    fc.assert(
      fc.property(
        txOf('points.transfer'),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (tx, at, delta) => {
          const signed = signTx(tx, signer.secretKey)
          const mutated = signed.signedBytes.slice()
          const i = at % mutated.length
          mutated[i] = (mutated[i]! + delta) & 0xff
          const decoded = decodeSignedTx(mutated)
          if (!decoded.ok) return
          const sameId = equalBytes(decoded.value.txId, signed.txId)
          // Only the signature bytes can change while the id stays: such a signature must not verify.
          if (sameId) expect(verifySignedTx(decoded.value)).toBe(false)
        },
      ),
      { numRuns: RUNS },
    )
  })
})
