/**
 * The demo consortium of `pointsnode dev`: two enterprises with their point types, rates, a market
 * between them and points issued to a demo consumer, built as signed txs in stages (each stage
 * depends on the one before being committed). Deterministic keys so the README can name them.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { keyPairOf, type KeyPair } from '../client/keys.ts'
import { signedTx } from '../client/tx-builder.ts'
import type { SignedTx } from '../codec/tx.ts'
import { utf8 } from '../util/bytes.ts'

/** The demo's key pairs (derived from fixed labels: for local trials only, never for real value). */
export interface DemoKeys {
  readonly acme: KeyPair
  readonly beta: KeyPair
  readonly consumer: KeyPair
}

/** Derives the demo keys. */
export function demoKeys(): DemoKeys {
  const key = (label: string): KeyPair => keyPairOf(sha256(utf8(`pointsnode-dev-demo/${label}`)))
  return { acme: key('acme'), beta: key('beta'), consumer: key('consumer') }
}

type Options = { readonly chainId: string; readonly expiresAtHeight: number }

const voucher = (ref: string): Uint8Array => sha256(utf8(`demo-voucher/${ref}`))

function admissions(operator: KeyPair, keys: DemoKeys, o: Options): SignedTx[] {
  const admit = (k: KeyPair, name: string): SignedTx =>
    signedTx(
      operator,
      'enterprise.admit',
      {
        enterprise: k.address,
        name,
        isIssuer: true,
        isAcceptor: true,
        settlementAccount: k.address,
      },
      o,
    )
  return [
    admit(keys.acme, 'ACME Retail'),
    admit(keys.beta, 'Beta Airlines'),
    signedTx(keys.consumer, 'account.register', { profileDigest: null }, o),
  ]
}

function pointTypes(keys: DemoKeys, o: Options): SignedTx[] {
  return [
    signedTx(
      keys.acme,
      'pointType.create',
      {
        symbol: 'ACME',
        name: 'ACME points',
        decimals: 2,
        expirySeconds: 31_536_000n,
        transferable: true,
        convertible: true,
        maxSupply: null,
      },
      o,
    ),
    signedTx(
      keys.beta,
      'pointType.create',
      {
        symbol: 'BETA',
        name: 'Beta miles',
        decimals: 0,
        expirySeconds: 0n,
        transferable: true,
        convertible: true,
        maxSupply: 1_000_000_000n,
      },
      o,
    ),
  ]
}

function ratesMarketAndIssuance(operator: KeyPair, keys: DemoKeys, o: Options): SignedTx[] {
  const { acme, beta, consumer } = keys
  return [
    signedTx(
      operator,
      'rate.set',
      { pointType: 'ACME', rate: 10_000_000n, sourceRef: 'demo: 1 ACME = 0.01 UNI' },
      o,
    ),
    signedTx(
      operator,
      'rate.set',
      { pointType: 'BETA', rate: 50_000_000n, sourceRef: 'demo: 1 BETA = 0.05 UNI' },
      o,
    ),
    signedTx(
      operator,
      'market.create',
      { base: 'ACME', quote: 'BETA', priceDecimals: 2, lotSize: 100n, referencePrice: 20n },
      o,
    ),
    signedTx(
      acme,
      'points.issue',
      {
        pointType: 'ACME',
        to: consumer.address,
        amount: 10_000_000n,
        voucherKind: 'marketing-contract',
        voucherRef: 'DEMO-MC-1',
        voucherDigest: voucher('acme-1'),
        encryptedDetail: null,
      },
      o,
    ),
    signedTx(
      beta,
      'points.issue',
      {
        pointType: 'BETA',
        to: consumer.address,
        amount: 5_000n,
        voucherKind: 'sales-order',
        voucherRef: 'DEMO-SO-1',
        voucherDigest: voucher('beta-1'),
        encryptedDetail: null,
      },
      o,
    ),
  ]
}

/** The demo txs in stages; `operator` is the genesis operator (also the oracle). */
export function demoStages(
  operator: KeyPair,
  keys: DemoKeys,
  chainId: string,
  expiresAtHeight: number,
): SignedTx[][] {
  const o = { chainId, expiresAtHeight }
  return [
    admissions(operator, keys, o),
    pointTypes(keys, o),
    ratesMarketAndIssuance(operator, keys, o),
  ]
}
