/**
 * Genesis: the chain's initial parameters and state (validators, operators and their quorum,
 * oracles, the universal point type, optional enterprises, point types and balances), its
 * canonical schema, and the write set that creates the initial state.
 * Spec: SPEC.md section 2; docs/protocol/vm.md#genesis.
 */
import {
  bigint,
  bool,
  bytes,
  list,
  nullable,
  str,
  struct,
  u32,
  type Infer,
} from '../codec/schema.ts'
import { VALIDATOR_COUNT_MAX } from '../core/block.ts'
import {
  AMOUNT_MAX,
  CHAIN_ID_PATTERN,
  DECIMALS_MAX,
  EXPIRY_SECONDS_MAX,
  NAME_LENGTH_MAX,
  SYMBOL_PATTERN,
  TIME_MS_MAX,
} from '../core/limits.ts'
import type { WriteSet } from '../core/state.ts'
import { addressOf, isValidPublicKey } from '../crypto/secp256k1.ts'
import { compareBytes, toHex } from '../util/bytes.ts'
import { err, ok, type Result } from '../util/result.ts'
import { Exec } from './exec.ts'
import { keys } from './keys.ts'
import { GENESIS_BALANCES_MAX, GENESIS_LIST_MAX } from './limits.ts'
import { MemoryState } from './memory-state.ts'
import { Overlay } from './overlay.ts'
import {
  CONFIG_SCHEMA,
  ENTERPRISE_SCHEMA,
  ROLE_SCHEMA,
  VALIDATORS_SCHEMA,
  type PointType,
} from './schemas.ts'
import { mint } from './tx-points.ts'

const symbol = str(16, SYMBOL_PATTERN)
const pubkey = bytes(33)
const address = bytes(20)

/** Canonical schema of a genesis document. */
export const GENESIS_SCHEMA = struct('genesis', {
  chainId: str(32, CHAIN_ID_PATTERN),
  genesisTime: bigint(0n, TIME_MS_MAX),
  validators: list(pubkey, VALIDATOR_COUNT_MAX),
  operators: list(pubkey, 1000),
  operatorQuorum: u32(1, 1000),
  oracles: list(pubkey, 1000),
  universal: struct('universal', {
    symbol,
    name: str(NAME_LENGTH_MAX),
    decimals: u32(0, DECIMALS_MAX),
    expirySeconds: bigint(0n, EXPIRY_SECONDS_MAX),
    transferable: bool(),
  }),
  enterprises: list(
    struct('genesisEnterprise', {
      address,
      name: str(NAME_LENGTH_MAX),
      isIssuer: bool(),
      isAcceptor: bool(),
      settlementAccount: address,
    }),
    GENESIS_LIST_MAX,
  ),
  pointTypes: list(
    struct('genesisPointType', {
      symbol,
      name: str(NAME_LENGTH_MAX),
      issuer: address,
      decimals: u32(0, DECIMALS_MAX),
      expirySeconds: bigint(0n, EXPIRY_SECONDS_MAX),
      transferable: bool(),
      convertible: bool(),
      maxSupply: nullable(bigint(1n, AMOUNT_MAX)),
    }),
    GENESIS_LIST_MAX,
  ),
  balances: list(
    struct('genesisBalance', {
      account: address,
      pointType: symbol,
      amount: bigint(1n, AMOUNT_MAX),
    }),
    GENESIS_BALANCES_MAX,
  ),
})

/** A genesis document. The universal type's issuer is the first operator's address. */
export type Genesis = Infer<typeof GENESIS_SCHEMA>

/** Why a genesis was rejected. */
export interface GenesisError {
  readonly code: 'GENESIS_INVALID'
  readonly message: string
}

function invalid(message: string): Result<WriteSet, GenesisError> {
  return err({ code: 'GENESIS_INVALID', message })
}

function distinct(items: readonly Uint8Array[]): boolean {
  return new Set(items.map(toHex)).size === items.length
}

// Validator keys become peer ids and verify votes; operator and oracle keys are the signers the
// chain's roles are bound to. A key that is not a curve point can never be used, and a validator
// one stops every node at start, so each must be a point. Spec: docs/protocol/vm.md#genesis.
function offCurveKey(g: Genesis): string | null {
  const roles = [
    ['validator', g.validators],
    ['operator', g.operators],
    ['oracle', g.oracles],
  ] as const
  for (const [role, publicKeys] of roles)
    for (const [i, k] of publicKeys.entries())
      if (!isValidPublicKey(k)) return `${role} key ${i} is not a curve point`
  return null
}

function checkGenesis(g: Genesis): string | null {
  if (g.validators.length === 0) return 'no validators'
  if (g.operators.length === 0) return 'no operators'
  if (g.operatorQuorum > g.operators.length) return 'operator quorum exceeds operators'
  if (!distinct(g.validators) || !distinct(g.operators) || !distinct(g.oracles))
    return 'duplicate key'
  const offCurve = offCurveKey(g)
  if (offCurve !== null) return offCurve
  if (!distinct(g.enterprises.map((e) => e.address))) return 'duplicate enterprise'
  const symbols = [g.universal.symbol, ...g.pointTypes.map((t) => t.symbol)]
  if (new Set(symbols).size !== symbols.length) return 'duplicate point type symbol'
  const issuers = new Set(g.enterprises.filter((e) => e.isIssuer).map((e) => toHex(e.address)))
  for (const t of g.pointTypes)
    if (!issuers.has(toHex(t.issuer))) return `issuer of ${t.symbol} is not an issuer`
  for (const b of g.balances)
    if (!symbols.includes(b.pointType)) return `balance of unknown ${b.pointType}`
  return null
}

function writeRoles(state: Overlay, g: Genesis, platform: Uint8Array): void {
  state.write(CONFIG_SCHEMA, keys.config(), {
    chainId: g.chainId,
    universalSymbol: g.universal.symbol,
    platformAccount: platform,
    operatorQuorum: g.operatorQuorum,
    genesisTime: g.genesisTime,
  })
  const validators = [...g.validators].sort(compareBytes)
  state.write(VALIDATORS_SCHEMA, keys.validators(), { publicKeys: validators, changedHeight: 0 })
  for (const k of g.operators)
    state.write(ROLE_SCHEMA, keys.operator(addressOf(k)), { publicKey: k })
  for (const k of g.oracles) state.write(ROLE_SCHEMA, keys.oracle(addressOf(k)), { publicKey: k })
  for (const e of g.enterprises) {
    state.write(ENTERPRISE_SCHEMA, keys.enterprise(e.address), {
      name: e.name,
      isIssuer: e.isIssuer,
      isAcceptor: e.isAcceptor,
      settlementAccount: e.settlementAccount,
      active: true,
      admittedHeight: 0,
    })
  }
}

/**
 * The write set that creates the initial state from `genesis` (over an empty state).
 * Returns GENESIS_INVALID for inconsistent documents.
 */
export function genesisWriteSet(g: Genesis): Result<WriteSet, GenesisError> {
  const problem = checkGenesis(g)
  if (problem !== null) return invalid(problem)
  const state = new Overlay(new MemoryState())
  const platform = addressOf(g.operators[0]!)
  writeRoles(state, g, platform)
  const x = new Exec(state, { chainId: g.chainId, height: 0, time: g.genesisTime })
  const u = g.universal
  const types: PointType[] = [
    {
      ...u,
      issuer: platform,
      convertible: true,
      maxSupply: null,
      issued: 0n,
      burned: 0n,
      createdHeight: 0,
    },
    ...g.pointTypes.map((t) => ({ ...t, issued: 0n, burned: 0n, createdHeight: 0 })),
  ]
  for (const t of types) x.savePointType(t)
  for (const b of g.balances) {
    const type = x.pointType(b.pointType)!
    const minted = mint(x, type, b.account, b.amount)
    if (!minted.ok) return invalid(`balance of ${b.pointType}: ${minted.error.message}`)
  }
  return ok(state.writeSet())
}
