/**
 * Verified balances (SPEC §10; API contract `GET /v1/accounts/:address/balances`): every served state
 * entry is proven against the certified header's stateRoot, the balances are recomputed from the
 * proven bytes with the VM's own key layout and value schema (src/vm/keys.ts, src/vm/schemas.ts),
 * and the node's JSON numbers are only compared, never used. Browser-safe and pure.
 */
import { decodeCanonical } from '../codec/canonical.ts'
import { SYMBOL_PATTERN } from '../core/limits.ts'
import { STATE_VALUE_BYTES_MAX } from '../core/state.ts'
import { equalBytes, toHex } from '../util/bytes.ts'
import { ok, type Result } from '../util/result.ts'
import { keys, PREFIX, SYMBOL_KEY_BYTES } from '../vm/keys.ts'
import { NEVER_EXPIRES } from '../vm/limits.ts'
import { BALANCE_SCHEMA, type Lot } from '../vm/schemas.ts'
import { clientErr, type ClientError } from './errors.ts'
import { verifyStateEntry, type VerifiedHeader } from './verify.ts'

/** Most entries accepted in one balances answer. */
export const BALANCE_ENTRIES_MAX = 1024

/** One lot: an amount and its expiry (UNIX ms), null when it never expires. */
export interface VerifiedLot {
  readonly amount: bigint
  readonly expiresAt: bigint | null
}

/** A balance recomputed from proven state. */
export interface VerifiedBalance {
  readonly pointType: string
  /** Every lot held, including lots expired but not yet burned (the VM's `readBalance`). */
  readonly amount: bigint
  /** The lots still alive at the header's time (`expiresAt > header.time`). */
  readonly available: bigint
  readonly lots: readonly VerifiedLot[]
}

/** The balances of one address at one certified height. */
export interface VerifiedBalances {
  readonly address: Uint8Array
  readonly height: number
  readonly blockHash: Uint8Array
  /** The header's time (UNIX ms): what `available` is measured at. */
  readonly time: bigint
  /** Sorted by point type symbol (state key order). */
  readonly balances: readonly VerifiedBalance[]
}

/** The symbol of a balance key of `address`, or null when `key` is not one. */
export function balanceKeySymbol(key: Uint8Array, address: Uint8Array): string | null {
  if (key.length !== 1 + 20 + SYMBOL_KEY_BYTES || key[0] !== PREFIX.balance) return null
  if (!equalBytes(key.subarray(1, 21), address)) return null
  let symbol = ''
  for (let i = 21; i < key.length && key[i] !== 0; i++) symbol += String.fromCharCode(key[i]!)
  if (!SYMBOL_PATTERN.test(symbol)) return null
  // Rebuilding the key rejects anything after the zero padding.
  return equalBytes(keys.balance(address, symbol), key) ? symbol : null
}

function balanceOf(pointType: string, lots: readonly Lot[], time: bigint): VerifiedBalance {
  let amount = 0n
  let available = 0n
  for (const [expiresAt, held] of lots) {
    amount += held
    if (expiresAt > time) available += held
  }
  const out = lots.map(([expiresAt, held]) => ({
    amount: held,
    expiresAt: expiresAt === NEVER_EXPIRES ? null : expiresAt,
  }))
  return { pointType, amount, available, lots: out }
}

interface EntryJson {
  readonly key?: unknown
  readonly valueHex?: unknown
  readonly proofHex?: unknown
}

function provenBalance(
  header: VerifiedHeader,
  address: Uint8Array,
  entry: EntryJson,
): Result<VerifiedBalance | null, ClientError> {
  const proven = verifyStateEntry(header, entry.key, entry.valueHex ?? null, entry.proofHex)
  if (!proven.ok) return proven
  const symbol = balanceKeySymbol(proven.value.key, address)
  if (symbol === null) {
    const message = `entry ${toHex(proven.value.key)} is not a balance key of the address`
    return clientErr('CLIENT_MALFORMED', message)
  }
  if (proven.value.value === null) return ok(null)
  const decoded = decodeCanonical(BALANCE_SCHEMA, proven.value.value, STATE_VALUE_BYTES_MAX)
  if (!decoded.ok) {
    const message = `balance value of ${symbol}: ${decoded.error.message}`
    return clientErr('CLIENT_MALFORMED', message, { cause: decoded.error.code })
  }
  return ok(balanceOf(symbol, decoded.value.lots, header.header.time))
}

/**
 * Proves every served entry against `header.stateRoot` and recomputes the balances of `address`
 * from the proven values. An entry served with `valueHex: null` is a proven absence (no balance).
 */
export function verifyBalanceEntries(
  header: VerifiedHeader,
  address: Uint8Array,
  entries: unknown,
): Result<VerifiedBalances, ClientError> {
  if (!Array.isArray(entries) || entries.length > BALANCE_ENTRIES_MAX) {
    return clientErr('CLIENT_MALFORMED', 'entries is not a bounded list')
  }
  const balances: VerifiedBalance[] = []
  const seen = new Set<string>()
  for (const entry of entries as unknown[]) {
    if (typeof entry !== 'object' || entry === null) {
      return clientErr('CLIENT_MALFORMED', 'an entry is not an object')
    }
    const balance = provenBalance(header, address, entry)
    if (!balance.ok) return balance
    const key = (entry as EntryJson).key as string
    if (seen.has(key)) return clientErr('CLIENT_MALFORMED', `entry ${key} served twice`)
    seen.add(key)
    if (balance.value !== null) balances.push(balance.value)
  }
  balances.sort((a, b) => (a.pointType < b.pointType ? -1 : a.pointType > b.pointType ? 1 : 0))
  const { height } = header.header
  return ok({ address, height, blockHash: header.blockHash, time: header.header.time, balances })
}

interface BalanceJson {
  readonly pointType?: unknown
  readonly amount?: unknown
  readonly lots?: unknown
}

function lotsEqual(proven: readonly VerifiedLot[], served: unknown): boolean {
  if (!Array.isArray(served) || served.length !== proven.length) return false
  return (served as unknown[]).every((item, i) => {
    const lot = item as { amount?: unknown; expiresAt?: unknown } | null
    const want = proven[i]!
    const expiresAt = want.expiresAt === null ? null : want.expiresAt.toString()
    return lot?.amount === want.amount.toString() && lot.expiresAt === expiresAt
  })
}

/** The served lots are all proven lots, or the proven lots alive at `time`. */
function lotsAgree(proven: readonly VerifiedLot[], served: unknown, time: bigint): boolean {
  const alive = proven.filter((l) => l.expiresAt === null || l.expiresAt > time)
  return lotsEqual(proven, served) || lotsEqual(alive, served)
}

/**
 * Compares the node's JSON balances with the proven ones: the same point types, each amount equal
 * to the proven total (or to the amount available at the header's time), each lot equal.
 * A mismatch is `CLIENT_VALUE_MISMATCH`: the node's JSON is lying or inconsistent.
 */
export function checkServedBalances(
  proven: VerifiedBalances,
  served: unknown,
): Result<true, ClientError> {
  if (!Array.isArray(served)) return clientErr('CLIENT_MALFORMED', 'balances is not a list')
  const byType = new Map(proven.balances.map((b) => [b.pointType, b]))
  if (served.length !== byType.size) {
    const message = `node lists ${served.length} balances, the proofs show ${byType.size}`
    return clientErr('CLIENT_VALUE_MISMATCH', message)
  }
  for (const item of served as unknown[]) {
    const b = item as BalanceJson | null
    const want = typeof b?.pointType === 'string' ? byType.get(b.pointType) : undefined
    if (!want) return clientErr('CLIENT_VALUE_MISMATCH', 'node lists an unproven balance')
    const amounts = [want.amount.toString(), want.available.toString()]
    if (typeof b?.amount !== 'string' || !amounts.includes(b.amount)) {
      const message = `node says ${want.pointType} = ${String(b?.amount)}, the proof shows ${want.amount}`
      return clientErr('CLIENT_VALUE_MISMATCH', message)
    }
    if (b.lots !== undefined && !lotsAgree(want.lots, b.lots, proven.time)) {
      return clientErr('CLIENT_VALUE_MISMATCH', `node's lots of ${want.pointType} differ`)
    }
  }
  return ok(true)
}
