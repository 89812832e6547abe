/**
 * Goal: many more seeded simulations than the quick suites (issue 6 acceptance 2), and exact replay
 * of one failing seed. Method: `RUNS=N` (or `npm run test:sim -- --runs N`) runs seeds
 * `FIRST_SEED..FIRST_SEED+N-1` (default 1000 runs from seed 100000); `SEED=s` (optionally with
 * `SCENARIO=name` from the failure line) replays that one run. Prints the totals.
 */
import { describe, expect, it } from 'vitest'
import type { SimResult } from './harness.ts'
import { SCRIPTED, describeFailure, randomScenario, runScenario } from './scenario.ts'

const env = process.env
const replaySeed = env['SEED'] === undefined ? null : Number(env['SEED'])
const runs = Number(env['RUNS'] ?? 1000)
const firstSeed = Number(env['FIRST_SEED'] ?? 100_000)

function summarise(results: readonly SimResult[], wallMs: number): string {
  const byN = new Map<number, { runs: number; heights: number; virtualMs: number }>()
  for (const r of results) {
    const n = r.sets[1]!.length
    const s = byN.get(n) ?? { runs: 0, heights: 0, virtualMs: 0 }
    byN.set(n, {
      runs: s.runs + 1,
      heights: s.heights + r.committedHeight,
      virtualMs: s.virtualMs + r.virtualMs,
    })
  }
  const lines = [...byN].map(
    ([n, s]) =>
      `  n=${n}: ${s.runs} runs, ${s.heights} heights decided, ${(s.virtualMs / 1000).toFixed(0)} s virtual`,
  )
  const failed = results.filter((r) => r.violations.length > 0).length
  return [
    `${results.length} simulations in ${(wallMs / 1000).toFixed(1)} s wall, ${failed} with violations`,
    ...lines,
  ].join('\n')
}

describe('consensus simulation, long', () => {
  if (replaySeed !== null) {
    const scenario = env['SCENARIO'] ?? 'random'
    it(`replays seed ${replaySeed} (${scenario})`, () => {
      const build = scenario === 'random' ? randomScenario : SCRIPTED[scenario]
      expect(build, `unknown SCENARIO ${scenario}`).toBeDefined()
      const result = runScenario(build!(replaySeed))
      console.log(
        `seed ${replaySeed}: heights ${result.heights.join(',')}, ${result.events} events, violations:`,
        result.violations,
      )
      expect(result.violations, describeFailure(result, scenario)).toEqual([])
    })
    return
  }
  it(
    `runs ${runs} seeded random simulations without a violation`,
    () => {
      const started = Date.now()
      const results: SimResult[] = []
      const failures: string[] = []
      for (let seed = firstSeed; seed < firstSeed + runs; seed++) {
        const result = runScenario(randomScenario(seed))
        results.push(result)
        if (result.violations.length > 0) failures.push(describeFailure(result))
      }
      console.log(summarise(results, Date.now() - started))
      expect(failures).toEqual([])
    },
    Math.max(60_000, runs * 2_000),
  )
})
