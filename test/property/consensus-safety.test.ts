/**
 * Goal: consensus safety under random event orders (STYLE.md section 9): for arbitrary scenario
 * seeds, outside the fixed seed ranges of the simulation suites, no honest validators disagree,
 * sign conflicting votes or commit invalid blocks, and the chain progresses after healing.
 * Method: fast-check draws scenario seeds (which fix network schedule, crashes and Byzantine kind)
 * and runs the simulator; fast-check prints its own seed and the failing scenario seed.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { describeFailure, randomScenario, runScenario } from '../sim/scenario.ts'

describe('consensus safety under random event orders', () => {
  it('holds for arbitrary scenario seeds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1_000_000, max: 2 ** 31 - 1 }), (seed) => {
        const result = runScenario(randomScenario(seed))
        expect(result.violations, describeFailure(result)).toEqual([])
        expect(result.livenessOk, describeFailure(result)).toBe(true)
      }),
      { numRuns: 20 },
    )
  })
})
