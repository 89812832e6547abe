/**
 * Seeded PRNG for the simulator (splitmix32 seeding into xorshift128): every random choice of a
 * simulation comes from here, so a seed replays a run exactly. Math.random is never used.
 */

/** A small, fast, deterministic generator of uint32 values. */
export class Prng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: number) {
    let s = seed >>> 0
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      return (z ^ (z >>> 16)) >>> 0
    }
    this.a = next()
    this.b = next()
    this.c = next()
    this.d = next() || 1
  }

  /** A uniform uint32. */
  next(): number {
    const t = this.a ^ (this.a << 11)
    this.a = this.b
    this.b = this.c
    this.c = this.d
    this.d = (this.d ^ (this.d >>> 19) ^ (t ^ (t >>> 8))) >>> 0
    return this.d
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return this.next() % n
  }

  /** A uniform integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1)
  }

  /** True with probability `p` (p in [0, 1]). */
  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!
  }

  /** 32 pseudo-random bytes. */
  bytes32(): Uint8Array {
    const out = new Uint8Array(32)
    for (let i = 0; i < 32; i += 4) {
      const v = this.next()
      out[i] = v & 255
      out[i + 1] = (v >>> 8) & 255
      out[i + 2] = (v >>> 16) & 255
      out[i + 3] = v >>> 24
    }
    return out
  }
}
