/**
 * Peer scores and bans. A peer starts at score 0; penalties subtract points; a negative score
 * recovers linearly with time; at or below the ban threshold the peer is banned for a period, during
 * which the connection gater denies it. Time comes from an injected clock so tests control it.
 * Spec: docs/protocol/p2p.md#penalties.
 */
import { assert } from '../util/assert.ts'
import {
  PEER_BAN_MS_DEFAULT,
  PEER_SCORE_BAN_THRESHOLD,
  PEER_SCORE_RECOVERY_PER_MINUTE,
} from './limits.ts'

interface ScoreEntry {
  score: number
  updatedMs: number
  bannedUntilMs: number
}

/** The outcome of a penalty. */
export interface PenaltyOutcome {
  readonly score: number
  /** True when this penalty started a ban. */
  readonly banned: boolean
}

/** Scores keyed by peer id string. */
export class PeerScores {
  private readonly entries = new Map<string, ScoreEntry>()
  private readonly now: () => number
  private readonly banMs: number

  /** `now` is the clock in ms; `banMs` the ban period. */
  constructor(now: () => number, banMs: number = PEER_BAN_MS_DEFAULT) {
    this.now = now
    this.banMs = banMs
    assert(banMs > 0, `ban period ${banMs} ms`)
  }

  /** The current score of `peer` (0 when unknown). */
  score(peer: string): number {
    const entry = this.entries.get(peer)
    if (!entry) return 0
    this.recover(entry)
    return entry.score
  }

  /** Subtracts `points` (> 0) from `peer`'s score and bans it when it reaches the threshold. */
  penalize(peer: string, points: number): PenaltyOutcome {
    assert(Number.isFinite(points) && points > 0, `penalty points ${points}`)
    const entry = this.entries.get(peer) ?? { score: 0, updatedMs: this.now(), bannedUntilMs: 0 }
    this.entries.set(peer, entry)
    this.recover(entry)
    entry.score -= points
    if (entry.score > PEER_SCORE_BAN_THRESHOLD || this.isBanned(peer)) {
      return { score: entry.score, banned: false }
    }
    entry.bannedUntilMs = this.now() + this.banMs
    return { score: entry.score, banned: true }
  }

  /** True while `peer` is banned. A ban that has expired resets the score to 0. */
  isBanned(peer: string): boolean {
    const entry = this.entries.get(peer)
    if (!entry || entry.bannedUntilMs === 0) return false
    if (this.now() < entry.bannedUntilMs) return true
    this.entries.delete(peer)
    return false
  }

  /** Number of peers currently banned. */
  bannedCount(): number {
    let count = 0
    for (const peer of [...this.entries.keys()]) if (this.isBanned(peer)) count++
    return count
  }

  private recover(entry: ScoreEntry): void {
    const nowMs = this.now()
    const elapsedMs = Math.max(0, nowMs - entry.updatedMs)
    entry.updatedMs = nowMs
    if (entry.score < 0) {
      const gain = (elapsedMs / 60_000) * PEER_SCORE_RECOVERY_PER_MINUTE
      entry.score = Math.min(0, entry.score + gain)
    }
  }
}
