/**
 * Goal: the start-up collection (src/node/heap.ts, ADR 0072) really runs a full collection on this
 * Node (it relies on `--expose-gc` being honoured when set at run time) and exposes no `gc` global.
 * Tier: unit (one process; V8 itself, no mock).
 */
import { describe, expect, it } from 'vitest'
import { collectStartupGarbage } from '../../../src/node/heap.ts'

/** Unreachable as soon as it returns: about 40 MB of small objects. */
function makeGarbage(): number {
  let held: { index: number; text: string }[] | null = []
  for (let i = 0; i < 400_000; i++) held.push({ index: i, text: `garbage ${i}` })
  const count = held.length
  held = null
  return count
}

describe('collectStartupGarbage', () => {
  it('frees unreachable objects and reports the heap before and after', () => {
    expect(makeGarbage()).toBe(400_000)
    const freed = collectStartupGarbage()
    expect(freed.usedBefore - freed.usedAfter).toBeGreaterThan(20 * 2 ** 20)
    expect(freed.pauseMs).toBeGreaterThanOrEqual(0)
  })

  it('leaves no gc global behind, here or in contexts created later', async () => {
    collectStartupGarbage()
    expect('gc' in globalThis).toBe(false)
    const { runInNewContext } = await import('node:vm')
    expect(runInNewContext('typeof gc')).toBe('undefined')
  })
})
