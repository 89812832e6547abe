/**
 * `genesis.json` in a node home: the canonical encoding of the genesis document (the source of
 * truth, identical on every member) and a JSON view of it for people. Loading checks both agree.
 * Also the genesis of a consortium from its members' public keys (`pointsnode genesis`, `testnet`).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { decodeCanonical, encodeCanonical } from '../codec/canonical.ts'
import { toJson } from '../codec/json.ts'
import { AMOUNT_MAX } from '../core/limits.ts'
import { fromHex, isHex, toHex } from '../util/bytes.ts'
import { NodeError } from '../util/errors.ts'
import { GENESIS_SCHEMA, type Genesis } from '../vm/genesis.ts'
import { GENESIS_BALANCES_MAX } from '../vm/limits.ts'

/** File name of the genesis document in a node home. */
export const GENESIS_FILE = 'genesis.json'
/** Largest canonical genesis: 1 M balance entries take about 40 MiB. */
const GENESIS_BYTES_MAX = 64 * 1024 * 1024
const FORMAT = 'pointsnode-genesis/1'

/** A genesis balance of the universal point type. */
export interface Funding {
  readonly account: Uint8Array
  readonly amount: bigint
}

/** Symbol of the universal point type that `consortiumGenesis` creates. */
export const UNIVERSAL_SYMBOL = 'UNI'

/** What `consortiumGenesis` builds a genesis from. */
export interface ConsortiumParams {
  readonly chainId: string
  readonly genesisTime: bigint
  readonly validators: readonly Uint8Array[]
  /** Operator public keys; the first one's address is the platform account. */
  readonly operators: readonly Uint8Array[]
  readonly operatorQuorum: number
  readonly oracles: readonly Uint8Array[]
  /** Genesis balances of the universal point type. */
  readonly funding?: readonly Funding[]
}

/**
 * The genesis of a consortium: its validators, operators, quorum and oracles, the universal point
 * type `UNI` (2 decimals, no expiry, transferable), no enterprises or other point types yet (the
 * operators admit them by tx), and the funded balances. The document is not checked here:
 * `buildGenesis` (src/chain/genesis.ts) does, and `fundingProblem` checks the funding alone.
 */
export function consortiumGenesis(params: ConsortiumParams): Genesis {
  return {
    chainId: params.chainId,
    genesisTime: params.genesisTime,
    validators: [...params.validators],
    operators: [...params.operators],
    operatorQuorum: params.operatorQuorum,
    oracles: [...params.oracles],
    universal: {
      symbol: UNIVERSAL_SYMBOL,
      name: 'Universal points',
      decimals: 2,
      expirySeconds: 0n,
      transferable: true,
    },
    enterprises: [],
    pointTypes: [],
    balances: (params.funding ?? []).map((f) => ({
      account: f.account,
      pointType: UNIVERSAL_SYMBOL,
      amount: f.amount,
    })),
  }
}

/**
 * Why genesis balances of the universal type cannot be minted, or null when they can: each amount
 * in 1..AMOUNT_MAX, at most GENESIS_BALANCES_MAX of them, and their sum (the type's supply; one
 * account may be funded twice) at most AMOUNT_MAX. Checked before anything is written.
 */
export function fundingProblem(funding: readonly Funding[]): string | null {
  if (funding.length > GENESIS_BALANCES_MAX) {
    return `${funding.length} genesis balances > ${GENESIS_BALANCES_MAX}`
  }
  let supply = 0n
  for (const [i, f] of funding.entries()) {
    if (f.amount < 1n || f.amount > AMOUNT_MAX) {
      return `balance ${i}: amount ${f.amount} is not in 1..${AMOUNT_MAX}`
    }
    supply += f.amount
    if (supply > AMOUNT_MAX) {
      return `balances 0..${i} add up to ${supply} ${UNIVERSAL_SYMBOL}, more than ${AMOUNT_MAX}`
    }
  }
  return null
}

/**
 * Writes `genesis` into `home` (replacing a genesis.json there).
 * @throws {NodeError} GENESIS_UNWRITABLE when the file cannot be written.
 */
export function saveGenesis(home: string, genesis: Genesis): void {
  saveGenesisFile(join(home, GENESIS_FILE), genesis)
}

/**
 * Writes `genesis` to the file `path` (a `genesis.json` to copy into every home).
 * @throws {NodeError} GENESIS_EXISTS when `options.exclusive` and `path` exists (nothing is
 *   written), GENESIS_UNWRITABLE when the file cannot be written.
 */
export function saveGenesisFile(
  path: string,
  genesis: Genesis,
  options: { readonly exclusive?: boolean } = {},
): void {
  const canonical = toHex(encodeCanonical(GENESIS_SCHEMA, genesis))
  const body = { format: FORMAT, canonical, view: toJson(genesis) }
  try {
    const flag = options.exclusive === true ? 'wx' : 'w'
    writeFileSync(path, JSON.stringify(body, null, 2) + '\n', { flag })
  } catch (cause) {
    if ((cause as { code?: unknown }).code === 'EEXIST') {
      throw new NodeError('GENESIS_EXISTS', `${path} exists; not overwriting`, { cause })
    }
    throw new NodeError('GENESIS_UNWRITABLE', `cannot write ${path}: ${String(cause)}`, { cause })
  }
}

/**
 * Loads the genesis of `home`.
 * @throws {NodeError} GENESIS_INVALID when missing, malformed, or when the view disagrees.
 */
export function loadGenesis(home: string): Genesis {
  const path = join(home, GENESIS_FILE)
  let parsed: { format?: unknown; canonical?: unknown; view?: unknown }
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as typeof parsed
  } catch (cause) {
    throw new NodeError('GENESIS_INVALID', `cannot read ${path}`, { cause })
  }
  const hex = parsed.canonical
  if (parsed.format !== FORMAT || typeof hex !== 'string' || !isHex(hex)) {
    throw new NodeError('GENESIS_INVALID', `${path} is not a ${FORMAT} document`)
  }
  const decoded = decodeCanonical(GENESIS_SCHEMA, fromHex(hex), GENESIS_BYTES_MAX)
  if (!decoded.ok) throw new NodeError('GENESIS_INVALID', `${path}: ${decoded.error.message}`)
  if (JSON.stringify(toJson(decoded.value)) !== JSON.stringify(parsed.view)) {
    throw new NodeError('GENESIS_INVALID', `${path}: the view does not match the canonical genesis`)
  }
  return decoded.value
}
