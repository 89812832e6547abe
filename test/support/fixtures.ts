/**
 * Deterministic test fixtures: fixed secret keys and sample transactions of every kind.
 * Keys are derived from a label so tests and golden vectors never depend on randomness.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { addressOf, publicKeyOf } from '../../src/crypto/secp256k1.ts'
import type { Tx, TxBody, TxKind } from '../../src/core/tx.ts'
import { utf8 } from '../../src/util/bytes.ts'

/** A fixed test key pair derived from `label`. */
export interface TestKey {
  readonly secretKey: Uint8Array
  readonly publicKey: Uint8Array
  readonly address: Uint8Array
}

/** Derives a fixed key pair from a label (sha256 of the label is a valid scalar for any label used here). */
export function testKey(label: string): TestKey {
  const secretKey = sha256(utf8(`pointsnode-test-key/${label}`))
  const publicKey = publicKeyOf(secretKey)
  return { secretKey, publicKey, address: addressOf(publicKey) }
}

const bytes32 = (label: string): Uint8Array => sha256(utf8(label))

/** One sample body per kind, with every optional field set where `full` is true. */
export function sampleBodies(full: boolean): { [K in TxKind]: TxBody<K> } {
  const alice = testKey('alice').address
  const acme = testKey('acme').address
  return {
    'account.register': { profileDigest: full ? bytes32('profile') : null },
    'enterprise.admit': {
      enterprise: acme,
      name: 'ACME Retail',
      isIssuer: true,
      isAcceptor: true,
      settlementAccount: acme,
    },
    'enterprise.update': {
      enterprise: acme,
      name: 'ACME Retail Group',
      isIssuer: true,
      isAcceptor: false,
      settlementAccount: alice,
      active: true,
    },
    'member.bind': { consumer: alice, memberIdDigest: bytes32('member-42') },
    'pointType.create': {
      symbol: 'ACME',
      name: 'ACME points',
      decimals: 2,
      expirySeconds: full ? 31_536_000n : 0n,
      transferable: true,
      convertible: true,
      maxSupply: full ? 1_000_000_000n : null,
    },
    'points.issue': {
      pointType: 'ACME',
      to: alice,
      amount: 10_000n,
      voucherKind: 'sales-order',
      voucherRef: 'SO-2026-0001',
      voucherDigest: bytes32('voucher-1'),
      encryptedDetail: full ? utf8('sealed-detail') : null,
    },
    'points.transfer': { pointType: 'ACME', to: acme, amount: 250n },
    'rate.set': { pointType: 'ACME', rate: 1_250_000_000n, sourceRef: 'board-2026-11' },
    'points.convert': { fromType: 'ACME', toType: 'UNI', amount: 400n, minReceive: 490n },
    'points.redeem': { pointType: 'UNI', amount: 300n, acceptor: acme, orderRef: 'ORD-7' },
    'market.create': {
      base: 'ACME',
      quote: 'BETA',
      priceDecimals: 2,
      lotSize: 100n,
      referencePrice: 150n,
    },
    'order.place': {
      market: 'ACME/BETA',
      side: 'buy',
      price: 152n,
      quantity: 1_000n,
      goodTillHeight: 500,
    },
    'order.cancel': { orderId: bytes32('order-1') },
    'validator.update': {
      action: 'add',
      validatorPublicKey: testKey('validator-5').publicKey,
      proposal: 1,
    },
  }
}

/** A sample unsigned tx of `kind`, signed by `signer`. */
export function sampleTx(kind: TxKind, signer: TestKey, full = true): Tx {
  return {
    version: 1,
    chainId: 'pointsnode-test',
    kind,
    body: sampleBodies(full)[kind],
    signerPublicKey: signer.publicKey,
    expiresAtHeight: 100,
    salt: full ? bytes32('salt').slice(0, 8) : new Uint8Array(0),
  } as Tx
}
