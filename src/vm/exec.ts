/**
 * The execution context shared by every tx handler and block phase: the overlay plus the typed
 * accessors that keep secondary structures consistent (the expiry index follows every change of
 * lots; supply counters follow every mint and burn). Spec: docs/protocol/vm.md#execution.
 */
import { AMOUNT_MAX, RATE_DECIMALS } from '../core/limits.ts'
import type { BurnReason, BurnRecord } from '../core/records.ts'
import { assert } from '../util/assert.ts'
import { toHex } from '../util/bytes.ts'
import { err, type Ok, type Result } from '../util/result.ts'
import { HOLDER_KIND, keyStrings, keys, type HolderKind } from './keys.ts'
import { NEVER_EXPIRES, RATE_ONE, SUPPLY_COUNTER_MAX } from './limits.ts'
import { creditLots, creditLotsCapped, debitLots, totalOf, type Debit } from './lots.ts'
import { keyString } from './memory-state.ts'
import type { Overlay } from './overlay.ts'
import {
  BALANCE_SCHEMA,
  CONFIG_SCHEMA,
  MARKER_BYTES,
  MARKER_SCHEMA,
  POINT_TYPE_SCHEMA,
  RATE_SCHEMA,
  type Config,
  type Lot,
  type PointType,
} from './schemas.ts'
import type { BlockContext, TxError, TxErrorCode, VmEvent } from './types.ts'

/** Builds a failed tx result. */
export function fail<T>(code: TxErrorCode, message: string): Result<T, TxError> {
  return err({ code, message })
}

/** The shared empty event list of txs that emit nothing (frozen: never pushed to). */
export const NO_EVENTS: VmEvent[] = Object.freeze([]) as unknown as VmEvent[]

/** The shared success of a step without a value (frozen: one object for every tx). */
export const OK_NULL: Ok<null> = Object.freeze({ ok: true, value: null })

/** The shared empty lot list (frozen). */
const NO_LOTS: readonly Lot[] = Object.freeze([])

/** Burn details beyond the holder, type and amount. */
export interface BurnDetails {
  readonly reason: BurnReason
  readonly acceptor: Uint8Array | null
  readonly orderRef: string | null
  readonly convertedTo: string | null
  readonly txId: Uint8Array | null
}

/** Mutable per-block execution state. */
export class Exec {
  readonly state: Overlay
  readonly ctx: BlockContext
  readonly config: Config
  readonly burns: BurnRecord[] = []
  readonly blockEvents: VmEvent[] = []
  /** The current tx's events; NO_EVENTS (shared, frozen) until the first emit. */
  txEvents: VmEvent[] = NO_EVENTS
  txIndex = 0
  /** Point type key strings by symbol, built once per block (the same few types recur). */
  readonly #typeKeys = new Map<string, string>()

  constructor(state: Overlay, ctx: BlockContext) {
    this.state = state
    this.ctx = ctx
    const config = state.read(CONFIG_SCHEMA, keys.config())
    assert(config !== undefined, 'state has no config: genesis missing')
    assert(config.chainId === ctx.chainId, `state chain ${config.chainId} ≠ ${ctx.chainId}`)
    this.config = config
  }

  /** Emits an event for the current tx. */
  emit(type: string, attributes: Record<string, string | bigint | number | Uint8Array>): void {
    const list: [string, string][] = []
    // for-in over an own-property object literal: insertion order, no intermediate entry arrays.
    for (const k in attributes) {
      const v = attributes[k]!
      list.push([k, typeof v === 'string' ? v : v instanceof Uint8Array ? toHex(v) : v.toString()])
    }
    if (this.txEvents === NO_EVENTS) this.txEvents = []
    this.txEvents.push({ type, attributes: list })
  }

  /** The point type `symbol`, or undefined. */
  pointType(symbol: string): PointType | undefined {
    let k = this.#typeKeys.get(symbol)
    if (k === undefined) {
      k = keyString(keys.pointType(symbol))
      this.#typeKeys.set(symbol, k)
    }
    return this.state.readK(POINT_TYPE_SCHEMA, k)
  }

  /** Saves a point type. */
  savePointType(type: PointType): void {
    assert(type.burned <= type.issued, `burned > issued for ${type.symbol}`)
    // `mint` refuses what would pass the bound, so the value always encodes.
    assert(type.issued <= SUPPLY_COUNTER_MAX, `issued ${type.issued} of ${type.symbol} overflows`)
    this.state.write(POINT_TYPE_SCHEMA, keys.pointType(type.symbol), type)
  }

  /** The lots `address` holds of `symbol`. */
  accountLots(
    address: Uint8Array,
    symbol: string,
    k = keyStrings.balance(address, symbol),
  ): readonly Lot[] {
    return this.state.readK(BALANCE_SCHEMA, k)?.lots ?? NO_LOTS
  }

  /** Replaces an account's lots, keeping the expiry index in step. */
  setAccountLots(
    address: Uint8Array,
    symbol: string,
    before: readonly Lot[],
    after: Lot[],
    k = keyStrings.balance(address, symbol),
  ): void {
    if (after.length === 0) this.state.removeK(k)
    else this.state.writeK(BALANCE_SCHEMA, k, { lots: after })
    this.reindex(HOLDER_KIND.account, address, symbol, before, after)
  }

  /** Keeps the expiry index equal to the set of (expiry, holder, type) with a lot. */
  reindex(
    kind: HolderKind,
    holder: Uint8Array,
    symbol: string,
    before: readonly Lot[],
    after: readonly Lot[],
  ): void {
    // Both lists ascend by expiry with distinct expiries: one merge finds the differences.
    let i = 0
    let j = 0
    let last = -1n
    while (i < before.length || j < after.length) {
      const a = i < before.length ? before[i]![0] : null
      const b = j < after.length ? after[j]![0] : null
      const next = a !== null && (b === null || a <= b) ? a : b!
      assert(next >= last, 'lots ascend by expiry')
      last = next
      if (a === next && b === next) {
        i++
        j++
      } else if (a === next) {
        if (a !== NEVER_EXPIRES) this.state.removeK(keyStrings.expiry(a, kind, holder, symbol))
        i++
      } else {
        if (next !== NEVER_EXPIRES)
          this.state.writeK(
            MARKER_SCHEMA,
            keyStrings.expiry(next, kind, holder, symbol),
            0,
            MARKER_BYTES,
          )
        j++
      }
    }
  }

  /** Debits an account's live lots, earliest expiry first. */
  debitAccount(address: Uint8Array, symbol: string, amount: bigint): Result<Debit, TxError> {
    const k = keyStrings.balance(address, symbol)
    const before = this.accountLots(address, symbol, k)
    const debit = debitLots(before, amount, this.ctx.time)
    if (debit === null) {
      return fail(
        'TX_INSUFFICIENT_BALANCE',
        `needed ${amount} ${symbol}, available ${liveTotal(before, this.ctx.time)}`,
      )
    }
    this.setAccountLots(address, symbol, before, debit.kept, k)
    return { ok: true, value: debit }
  }

  /** Credits lots to an account (lots keep their expiry). */
  creditAccount(address: Uint8Array, symbol: string, lots: readonly Lot[]): Result<null, TxError> {
    const k = keyStrings.balance(address, symbol)
    const before = this.accountLots(address, symbol, k)
    const after = creditLots(before, lots)
    if (after === null)
      return fail('TX_TOO_MANY_LOTS', `account would hold too many lots of ${symbol}`)
    if (totalOf(after) > AMOUNT_MAX)
      return fail('TX_AMOUNT_OVERFLOW', `balance of ${symbol} overflows`)
    this.setAccountLots(address, symbol, before, after, k)
    return OK_NULL
  }

  /** Credits lots to an account from a block phase, which cannot fail (see creditLotsCapped). */
  creditAccountCapped(address: Uint8Array, symbol: string, lots: readonly Lot[]): void {
    if (lots.length === 0) return
    const before = this.accountLots(address, symbol)
    const after = creditLotsCapped(before, lots, this.ctx.time)
    assert(totalOf(after) <= AMOUNT_MAX, `balance of ${symbol} overflows in a block phase`)
    this.setAccountLots(address, symbol, before, after)
  }

  /** The current rate of `symbol` to universal points (RATE_ONE for universal), or null. */
  rateOf(symbol: string): bigint | null {
    if (symbol === this.config.universalSymbol) return RATE_ONE
    return this.state.read(RATE_SCHEMA, keys.rate(symbol))?.rate ?? null
  }

  /** Records a burn of `amount` of `type` held by `holder` and counts it in the type's supply. */
  burn(type: PointType, holder: Uint8Array, amount: bigint, details: BurnDetails): PointType {
    assert(amount > 0n, 'burn of nothing')
    // Only minted points burn, so burned ≤ issued ≤ SUPPLY_COUNTER_MAX: `burned` needs no check.
    assert(type.burned + amount <= type.issued, `burn of ${amount} ${type.symbol} exceeds issued`)
    const rate = this.rateOf(type.symbol) ?? 0n
    const universal = this.pointType(this.config.universalSymbol)
    assert(universal !== undefined, 'universal type missing')
    const valueUniversal = convertAmount(
      amount,
      rate,
      type.decimals,
      universal.decimals,
      'toUniversal',
    )
    this.burns.push({
      pointType: type.symbol,
      issuer: type.issuer,
      holder,
      amount,
      reason: details.reason,
      acceptor: details.acceptor,
      orderRef: details.orderRef,
      rate,
      valueUniversal: valueUniversal > AMOUNT_MAX ? AMOUNT_MAX : valueUniversal,
      convertedTo: details.convertedTo,
      txId: details.txId,
      height: this.ctx.height,
      time: this.ctx.time,
      index: this.burns.length,
    })
    const updated = { ...type, burned: type.burned + amount }
    this.savePointType(updated)
    return updated
  }
}

function liveTotal(lots: readonly Lot[], time: bigint): bigint {
  let sum = 0n
  for (const lot of lots) if (lot[0] > time) sum += lot[1]
  return sum
}

const TEN = 10n

/**
 * Converts between a type and universal points at `rate` (RATE_DECIMALS fixed point, universal
 * minor units per source minor unit scaled by the decimals). Always rounds down.
 * - toUniversal: `floor(amount × rate × 10^uniDec / (10^9 × 10^srcDec))`
 * - fromUniversal: `floor(amount × 10^9 × 10^tgtDec / (rate × 10^uniDec))`
 */
export function convertAmount(
  amount: bigint,
  rate: bigint,
  typeDecimals: number,
  universalDecimals: number,
  direction: 'toUniversal' | 'fromUniversal',
): bigint {
  assert(amount >= 0n && rate >= 0n, 'negative conversion input')
  const scale = TEN ** BigInt(RATE_DECIMALS)
  if (direction === 'toUniversal') {
    return (
      (amount * rate * TEN ** BigInt(universalDecimals)) / (scale * TEN ** BigInt(typeDecimals))
    )
  }
  assert(rate > 0n, 'conversion from universal at rate 0')
  return (amount * scale * TEN ** BigInt(typeDecimals)) / (rate * TEN ** BigInt(universalDecimals))
}
