/**
 * The shared light-client fixture: a four-validator chain built with the real chain code
 * (test/support/light-chain.ts) whose first block holds three real signed txs (two issuances and a
 * transfer), followed by empty blocks. Expected balances are written out by hand in the tests.
 */
import { keyPairOf } from '../../src/client/keys.ts'
import { signedTx } from '../../src/client/tx-builder.ts'
import type { SignedTx } from '../../src/codec/tx.ts'
import { FixtureChain, sortedKeys } from './light-chain.ts'
import { digest, K, T0, testGenesis, CHAIN } from './vm.ts'

export { CHAIN, K, T0 }

/** Actors with real key pairs. */
export const acme = keyPairOf(K.acme.secretKey)
export const alice = keyPairOf(K.alice.secretKey)
export const bob = keyPairOf(K.bob.secretKey)

/** The txs of block 1: issue 300 EXP (expiring after 10 s) to alice, 40 ACME to bob, alice pays bob 250 ACME. */
export function block1Txs(): SignedTx[] {
  const o = { chainId: CHAIN, expiresAtHeight: 100, salt: new Uint8Array([1]) }
  return [
    signedTx(
      acme,
      'points.issue',
      {
        pointType: 'EXP',
        to: alice.address,
        amount: 300n,
        voucherKind: 'sales-order',
        voucherRef: 'SO-1',
        voucherDigest: digest('light-voucher-1'),
        encryptedDetail: null,
      },
      o,
    ),
    signedTx(
      acme,
      'points.issue',
      {
        pointType: 'ACME',
        to: bob.address,
        amount: 40n,
        voucherKind: 'sales-order',
        voucherRef: 'SO-2',
        voucherDigest: digest('light-voucher-2'),
        encryptedDetail: null,
      },
      o,
    ),
    signedTx(alice, 'points.transfer', { pointType: 'ACME', to: bob.address, amount: 250n }, o),
  ]
}

/** A fresh chain: genesis (4 validators), block 1 with `block1Txs`, blocks 2 and 3 empty. */
export function lightChain(): FixtureChain {
  const chain = new FixtureChain(testGenesis(), sortedKeys('light-val', 4))
  chain.commit(block1Txs())
  chain.commit()
  chain.commit()
  return chain
}
