/**
 * Per-enterprise statistics per UTC day. Spec: SPEC.md section 9 (platform statistics);
 * docs/protocol/storage.md#indexes.
 *
 * A block's deltas are summed per (enterprise, day) and added to the stored totals inside the commit
 * (commits are serialised, so the read-modify-write cannot race with another commit).
 */
import { encodeCanonical } from '../codec/canonical.ts'
import { BIGINT_MAX } from '../codec/schema.ts'
import { assert } from '../util/assert.ts'
import { compareBytes } from '../util/bytes.ts'
import { dayOf, decodeStored, statsKey } from './indexes.ts'
import type { KvOp, KvStore } from './kv.ts'
import { STATS_COUNTERS, STATS_DAY_SCHEMA, type StatsDay, type StatsDelta } from './records.ts'

/**
 * Adds the counters of `delta` to `total`, each saturating at `BIGINT_MAX` (2^64 − 1, the largest
 * the stored record holds): an enterprise with several point types, or points traded back and
 * forth, can pass it within a day, and a statistic must never stop a commit.
 */
export function addStats(
  total: StatsDay,
  delta: Pick<StatsDelta, (typeof STATS_COUNTERS)[number]>,
): StatsDay {
  const out = { ...total }
  for (const counter of STATS_COUNTERS) {
    const sum = total[counter] + delta[counter]
    out[counter] = sum > BIGINT_MAX ? BIGINT_MAX : sum
  }
  return out
}

/** An all-zero day. */
export function emptyStatsDay(enterprise: Uint8Array, day: number): StatsDay {
  return { enterprise, day, issued: 0n, redeemed: 0n, converted: 0n, expired: 0n, exchanged: 0n }
}

/**
 * The puts that add one block's deltas to the stored day totals, in key order.
 * @throws {NodeError} `LEDGER_CORRUPT` when a stored total does not decode.
 */
export async function statsOps(kv: KvStore, deltas: readonly StatsDelta[]): Promise<KvOp[]> {
  const days = new Map<string, { key: Uint8Array; total: StatsDay }>()
  for (const delta of deltas) {
    const day = dayOf(delta.time)
    const key = statsKey(delta.enterprise, day)
    const id = key.join(',')
    const current = days.get(id) ?? { key, total: emptyStatsDay(delta.enterprise, day) }
    days.set(id, { key, total: addStats(current.total, delta) })
  }
  const pending = [...days.values()].sort((a, b) => compareBytes(a.key, b.key))
  const stored = await kv.getMany(pending.map((p) => p.key))
  return pending.map(({ key, total }, i) => {
    const value = stored[i]
    const base = value === undefined ? null : decodeStored(STATS_DAY_SCHEMA, value, 'stats day')
    if (base) assert(base.day === total.day, `stored stats day ${base.day} under day ${total.day}`)
    const merged = base ? addStats(base, total) : total
    return { type: 'put', key, value: encodeCanonical(STATS_DAY_SCHEMA, merged) }
  })
}
