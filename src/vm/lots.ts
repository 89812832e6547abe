/**
 * Lot arithmetic: a holding of one point type is a list of lots `[expiresAt, amount]`, sorted by
 * expiry ascending with distinct expiries. Spec: docs/protocol/vm.md#lots-and-expiry.
 *
 * Debits take the earliest-expiring lots first and skip lots that have already expired but are
 * still waiting for their burn (the burn per block is bounded), so expired points are never spent.
 */
import { assert } from '../util/assert.ts'
import { LOTS_PER_HOLDER_MAX, NEVER_EXPIRES } from './limits.ts'
import type { Lot } from './schemas.ts'

/** Sum of the lots' amounts. */
export function totalOf(lots: readonly Lot[]): bigint {
  if (lots.length === 0) return 0n
  // Starting from the first amount saves a bigint allocation for the common single lot.
  let sum = lots[0]![1]
  for (let i = 1; i < lots.length; i++) sum += lots[i]![1]
  return sum
}

/** Sum of the lots that are still alive at `time` (expiresAt > time). */
export function availableAt(lots: readonly Lot[], time: bigint): bigint {
  let sum = 0n
  for (const lot of lots) if (lot[0] > time) sum += lot[1]
  return sum
}

/** Result of a debit: the lots left and the lots taken, or null if not enough is available. */
export interface Debit {
  readonly kept: Lot[]
  readonly taken: Lot[]
}

/**
 * Takes `amount` from the earliest-expiring live lots (expiresAt > time).
 * Returns null when fewer than `amount` live points are held.
 */
export function debitLots(lots: readonly Lot[], amount: bigint, time: bigint): Debit | null {
  assert(amount > 0n, `debit of ${amount}`)
  if (lots.length === 1) return debitSingle(lots[0]!, amount, time)
  const kept: Lot[] = []
  const taken: Lot[] = []
  let left = amount
  for (const lot of lots) {
    const [expiresAt, held] = lot
    if (left === 0n || expiresAt <= time) {
      kept.push(lot)
      continue
    }
    const take = held < left ? held : left
    taken.push([expiresAt, take])
    left -= take
    if (take < held) kept.push([expiresAt, held - take])
  }
  if (left > 0n) return null
  assert(totalOf(kept) + amount === totalOf(lots), 'debit conserves points')
  return { kept, taken }
}

/** `debitLots` of a single lot (the common case): no loop and no conservation sums. */
function debitSingle(lot: Lot, amount: bigint, time: bigint): Debit | null {
  const [expiresAt, held] = lot
  if (expiresAt <= time || held < amount) return null
  if (held === amount) return { kept: [], taken: [lot] }
  return { kept: [[expiresAt, held - amount]], taken: [[expiresAt, amount]] }
}

/**
 * Adds `incoming` lots to `lots`, merging equal expiries. Returns null when the result would hold
 * more than LOTS_PER_HOLDER_MAX lots.
 */
export function creditLots(lots: readonly Lot[], incoming: readonly Lot[]): Lot[] | null {
  if (incoming.length === 1 && lots.length <= 1) return creditSingle(lots[0], incoming[0]!)
  const out: Lot[] = []
  let i = 0
  let j = 0
  while (i < lots.length || j < incoming.length) {
    const a = lots[i]
    const b = incoming[j]
    let next: Lot
    if (b === undefined || (a !== undefined && a[0] < b[0])) {
      next = a!
      i++
    } else if (a === undefined || b[0] < a[0]) {
      next = b
      j++
    } else {
      next = [a[0], a[1] + b[1]]
      i++
      j++
    }
    const last = out[out.length - 1]
    if (last !== undefined && last[0] === next[0])
      out[out.length - 1] = [last[0], last[1] + next[1]]
    else out.push(next)
  }
  if (out.length > LOTS_PER_HOLDER_MAX) return null
  assert(totalOf(out) === totalOf(lots) + totalOf(incoming), 'credit conserves points')
  return out
}

/** `creditLots` of one lot into at most one lot (the common case; 2 ≤ LOTS_PER_HOLDER_MAX). */
function creditSingle(lot: Lot | undefined, incoming: Lot): Lot[] {
  if (lot === undefined) return [incoming]
  if (lot[0] === incoming[0]) return [[lot[0], lot[1] + incoming[1]]]
  return lot[0] < incoming[0] ? [lot, incoming] : [incoming, lot]
}

/** The lot expiry of points credited at `time` under a policy of `expirySeconds` (0: never). */
export function expiryFor(time: bigint, expirySeconds: bigint): bigint {
  assert(time >= 0n && expirySeconds >= 0n, 'negative time or lifetime')
  return expirySeconds === 0n ? NEVER_EXPIRES : time + expirySeconds * 1000n
}

/** Removes the lot with expiry `expiresAt`; returns the remaining lots and the removed amount. */
export function removeLot(
  lots: readonly Lot[],
  expiresAt: bigint,
): { kept: Lot[]; amount: bigint } {
  const kept: Lot[] = []
  let amount = 0n
  for (const lot of lots) {
    if (lot[0] === expiresAt) amount += lot[1]
    else kept.push(lot)
  }
  return { kept, amount }
}

/** Expiries (excluding NEVER_EXPIRES) present in `lots`. */
export function expiriesOf(lots: readonly Lot[]): bigint[] {
  const out: bigint[] = []
  for (const lot of lots) if (lot[0] !== NEVER_EXPIRES) out.push(lot[0])
  return out
}

/**
 * Like `creditLots`, but never fails: used by block phases (auction settlement, escrow returns),
 * which cannot reject. While more than LOTS_PER_HOLDER_MAX lots remain, the two earliest lots are
 * merged under the earlier expiry (the merged points expire sooner, never later), except that a
 * due lot (expiresAt ≤ time) never merges with a live one, which would burn live points at once:
 * when exactly one lot is due, the two earliest live lots are merged instead.
 * Spec: docs/protocol/vm.md#lots-and-expiry.
 */
export function creditLotsCapped(
  lots: readonly Lot[],
  incoming: readonly Lot[],
  time: bigint,
): Lot[] {
  const merged = creditLots(lots, incoming)
  if (merged !== null) return merged
  const combined = creditLotsUnbounded(lots, incoming)
  // Lots ascend by expiry, so the due lots are the first `dueCount`.
  let dueCount = 0
  while (dueCount < combined.length && combined[dueCount]![0] <= time) dueCount++
  while (combined.length > LOTS_PER_HOLDER_MAX) {
    // Two due lots, or two live lots: more than 256 lots leave at least one such pair.
    const at = dueCount === 1 ? 1 : 0
    const first = combined[at]!
    const second = combined[at + 1]!
    // Lots ascend: the second due means both are; the first live means both are.
    const bothDue = second[0] <= time
    const bothLive = first[0] > time
    assert(bothDue || bothLive, `merging due lot ${first[0]} with live lot ${second[0]}`)
    combined.splice(at, 2, [first[0], first[1] + second[1]])
    if (at === 0 && dueCount > 0) dueCount--
  }
  assert(totalOf(combined) === totalOf(lots) + totalOf(incoming), 'capped credit conserves points')
  assert(
    availableAt(combined, time) === availableAt(lots, time) + availableAt(incoming, time),
    'capped credit keeps live points live',
  )
  return combined
}

function creditLotsUnbounded(lots: readonly Lot[], incoming: readonly Lot[]): Lot[] {
  const byExpiry = new Map<bigint, bigint>()
  for (const lot of [...lots, ...incoming])
    byExpiry.set(lot[0], (byExpiry.get(lot[0]) ?? 0n) + lot[1])
  const expiries = [...byExpiry.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return expiries.map((e): Lot => [e, byExpiry.get(e)!])
}
