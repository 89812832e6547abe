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

/** How many runs had each fault kind and app, so a report can say what the runs covered. */
function describeMix(first: number, count: number): string {
  const tally = new Map<string, number>()
  const bump = (key: string): void => {
    tally.set(key, (tally.get(key) ?? 0) + 1)
  }
  for (let seed = first; seed < first + count; seed++) {
    const o = randomScenario(seed)
    const f = Math.floor((o.validators - 1) / 3)
    if (o.byzantine.length === f) bump(`f Byzantine (${o.byzantine[0]?.kind ?? 'none'})`)
    else if (o.byzantine.length > 0) bump(`< f Byzantine`)
    if (o.app === 'vm') bump('real VM')
    if (o.crashes.length > 0) bump('crash/restart')
    if (o.partitions.length > 0) bump('partitions')
    if (o.validatorChanges.length > 0) bump('validator changes')
    if (o.dropRate > 0) bump('message drops')
    if (o.wire) bump('wire codec')
  }
  return [...tally]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `  ${k}: ${v} runs`)
    .join('\n')
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
      console.log(describeMix(firstSeed, runs))
      expect(failures).toEqual([])
    },
    Math.max(60_000, runs * 2_000),
  )
})
