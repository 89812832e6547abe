/**
 * Fixtures for consensus unit tests: fixed validator keys with real secp256k1 signers, a genesis
 * block, validation contexts and engines wired to the simulator's test app.
 */
import { Consensus } from '../../src/consensus/consensus.ts'
import type { Signer } from '../../src/consensus/messages.ts'
import type { Effect, TimeoutConfig } from '../../src/consensus/types.ts'
import type { ValidationContext } from '../../src/consensus/validation.ts'
import { validatorsHashOf } from '../../src/consensus/validators.ts'
import type { WalRecord } from '../../src/consensus/wal.ts'
import { merkleRoot } from '../../src/codec/merkle.ts'
import type { Block, Validator } from '../../src/core/block.ts'
import { signDigest, verifyDigest } from '../../src/crypto/secp256k1.ts'
import { compareBytes } from '../../src/util/bytes.ts'
import { TestApp } from '../sim/test-app.ts'
import { testKey, type TestKey } from './fixtures.ts'

/** Chain id of the unit-test chain. */
export const CHAIN = 'unit'
/** Genesis time; engines in tests run at `NOW`. */
export const GENESIS_TIME = 1_700_000_000_000n
export const NOW = GENESIS_TIME + 10_000n

/** `n` validator keys, sorted by public key (index i = validator i of the set). */
export function validatorKeys(n: number): TestKey[] {
  return Array.from({ length: n }, (_, i) => testKey(`consensus-unit-${i}`)).sort((a, b) =>
    compareBytes(a.publicKey, b.publicKey),
  )
}

/** The set of `keys`. */
export function setOf(keys: readonly TestKey[]): Validator[] {
  return keys.map((k) => ({ publicKey: k.publicKey, power: 1 }))
}

/** A real secp256k1 signer. */
export function signerOf(key: TestKey): Signer {
  return { publicKey: key.publicKey, signDigest: (d) => signDigest(d, key.secretKey) }
}

/** The genesis block of a chain with validator set `set`. */
export function genesisOf(set: readonly Validator[]): Block {
  const zero = new Uint8Array(32)
  const vh = validatorsHashOf(set)
  return {
    header: {
      version: 1,
      chainId: CHAIN,
      height: 0,
      round: 0,
      time: GENESIS_TIME,
      proposer: new Uint8Array(33),
      parentHash: zero,
      txRoot: merkleRoot([]),
      stateRoot: zero,
      receiptsRoot: zero,
      validatorsHash: vh,
      nextValidatorsHash: vh,
    },
    txs: [],
  }
}

/** A validation context at height 1, round `round`. */
export function contextOf(set: readonly Validator[], round = 0): ValidationContext {
  return { chainId: CHAIN, height: 1, round, validators: set, verify: verifyDigest }
}

/** Timers used by engine tests. */
export const UNIT_TIMEOUTS: TimeoutConfig = {
  roundBaseMs: 1000,
  roundMaxMs: 8000,
  blockIntervalMs: 0,
  createEmptyBlocks: true,
}

/** An engine of validator `key` at genesis, with its own test app. */
export function engineOf(
  key: TestKey,
  set: readonly Validator[],
  wal: readonly WalRecord[] = [],
): { engine: Consensus; app: TestApp } {
  const genesis = genesisOf(set)
  const app = new TestApp(genesis.header)
  const engine = new Consensus({
    chainId: CHAIN,
    signer: signerOf(key),
    verify: verifyDigest,
    app,
    timeouts: UNIT_TIMEOUTS,
    chain: {
      lastBlock: genesis,
      lastCertificate: null,
      lastValidators: set,
      validators: set,
      nextValidators: set,
    },
    wal,
  })
  return { engine, app }
}

/** The effects of one type. */
export function effectsOf<T extends Effect['type']>(
  effects: readonly Effect[],
  type: T,
): Extract<Effect, { type: T }>[] {
  return effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type)
}
