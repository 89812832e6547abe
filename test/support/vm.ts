/**
 * A small VM harness for tests and benchmarks: a fixed genesis over fixed keys, unsigned tx
 * builders (the VM does not verify signatures; the caller does), and a chain that executes blocks
 * over a MemoryState and checks the invariants after every block.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { buildSignedTx, type SignedTx } from '../../src/codec/tx.ts'
import type { TxBody, TxKind, Tx } from '../../src/core/tx.ts'
import { utf8 } from '../../src/util/bytes.ts'
import {
  checkInvariants,
  executeBlock,
  genesisWriteSet,
  MemoryState,
  type BlockExecution,
  type Genesis,
} from '../../src/vm/index.ts'
import { testKey, type TestKey } from './fixtures.ts'

/** The chain id of the harness. */
export const CHAIN = 'pointsnode-test'
/** Genesis time of the harness (ms). */
export const T0 = 1_700_000_000_000n

/** Fixed actors. */
export const K = {
  op1: testKey('op1'),
  op2: testKey('op2'),
  op3: testKey('op3'),
  oracle: testKey('oracle'),
  acme: testKey('acme'),
  beta: testKey('beta'),
  shop: testKey('shop'),
  alice: testKey('alice'),
  bob: testKey('bob'),
  carol: testKey('carol'),
  val1: testKey('val1'),
  val2: testKey('val2'),
} as const

/** A genesis with three operators (quorum 2), an oracle, issuers ACME and BETA and acceptor SHOP. */
export function testGenesis(overrides: Partial<Genesis> = {}): Genesis {
  return {
    chainId: CHAIN,
    genesisTime: T0,
    validators: [K.val1.publicKey],
    operators: [K.op1.publicKey, K.op2.publicKey, K.op3.publicKey],
    operatorQuorum: 2,
    oracles: [K.oracle.publicKey],
    universal: {
      symbol: 'UNI',
      name: 'Universal',
      decimals: 2,
      expirySeconds: 0n,
      transferable: true,
    },
    enterprises: [
      {
        address: K.acme.address,
        name: 'ACME',
        isIssuer: true,
        isAcceptor: true,
        settlementAccount: K.acme.address,
      },
      {
        address: K.beta.address,
        name: 'BETA',
        isIssuer: true,
        isAcceptor: false,
        settlementAccount: K.beta.address,
      },
      {
        address: K.shop.address,
        name: 'SHOP',
        isIssuer: false,
        isAcceptor: true,
        settlementAccount: K.shop.address,
      },
    ],
    pointTypes: [
      {
        symbol: 'ACME',
        name: 'ACME points',
        issuer: K.acme.address,
        decimals: 0,
        expirySeconds: 0n,
        transferable: true,
        convertible: true,
        maxSupply: null,
      },
      {
        symbol: 'EXP',
        name: 'Expiring',
        issuer: K.acme.address,
        decimals: 0,
        expirySeconds: 10n,
        transferable: true,
        convertible: true,
        maxSupply: null,
      },
      {
        symbol: 'BETA',
        name: 'BETA points',
        issuer: K.beta.address,
        decimals: 1,
        expirySeconds: 0n,
        transferable: true,
        convertible: false,
        maxSupply: 1_000_000n,
      },
      {
        symbol: 'LOCK',
        name: 'Locked',
        issuer: K.beta.address,
        decimals: 0,
        expirySeconds: 0n,
        transferable: false,
        convertible: false,
        maxSupply: null,
      },
    ],
    balances: [
      { account: K.alice.address, pointType: 'ACME', amount: 1_000n },
      { account: K.alice.address, pointType: 'UNI', amount: 5_000n },
      { account: K.bob.address, pointType: 'BETA', amount: 2_000n },
      { account: K.bob.address, pointType: 'LOCK', amount: 100n },
    ],
    ...overrides,
  }
}

let saltCounter = 0

/** An unsigned-but-well-formed signed tx (zero signature): the VM trusts its caller's check. */
export function tx<Kd extends TxKind>(
  kind: Kd,
  signer: TestKey,
  body: TxBody<Kd>,
  expiresAtHeight = 1000,
  salt?: Uint8Array,
): SignedTx {
  const s = salt ?? sha256(utf8(`salt-${saltCounter++}`)).slice(0, 8)
  const t = {
    version: 1,
    chainId: CHAIN,
    kind,
    body,
    signerPublicKey: signer.publicKey,
    expiresAtHeight,
    salt: s,
  } as Tx
  return buildSignedTx(t, new Uint8Array(64))
}

/** A 32-byte digest of a label. */
export function digest(label: string): Uint8Array {
  return sha256(utf8(label))
}

/** A chain over a MemoryState: executes blocks, applies write sets, checks invariants. */
export class TestChain {
  readonly state = new MemoryState()
  height = 0
  time: bigint
  check: boolean

  constructor(genesis: Genesis = testGenesis(), check = true) {
    const ws = genesisWriteSet(genesis)
    if (!ws.ok) throw new Error(ws.error.message)
    this.state.apply(ws.value)
    this.time = genesis.genesisTime
    this.check = check
  }

  /** Executes the next block at `time` (default: previous + 1 s). */
  block(txs: readonly SignedTx[], time?: bigint): BlockExecution {
    this.height += 1
    this.time = time ?? this.time + 1000n
    const result = executeBlock(
      this.state,
      { chainId: CHAIN, height: this.height, time: this.time },
      txs,
    )
    this.state.apply(result.writeSet)
    if (this.check) {
      const problems = checkInvariants(this.state)
      if (problems.length > 0)
        throw new Error(`invariants at height ${this.height}: ${problems.join('; ')}`)
    }
    return result
  }
}
