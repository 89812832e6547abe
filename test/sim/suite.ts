/**
 * The shared body of the quick simulation suites: many seeded random runs of one validator count
 * plus the scripted acceptance scenarios, with coverage checks so a generator change cannot
 * silently drop a fault kind.
 */
import { expect, it } from 'vitest'
import { faultMax } from '../../src/consensus/validators.ts'
import { blockHashOf } from '../../src/consensus/messages.ts'
import { validatorsHashOf, verifyCertificate } from '../../src/consensus/validators.ts'
import { equalBytes } from '../../src/util/bytes.ts'
import { BYZANTINE_KINDS } from './byzantine.ts'
import type { SimResult } from './harness.ts'
import { SIM_CHAIN_ID } from './harness.ts'
import { fastCrypto } from './crypto.ts'
import {
  SCRIPTED,
  describeFailure,
  randomScenario,
  runScenario,
  validatorsOfSeed,
} from './scenario.ts'

/** Seeds of `n` validators: `count` seeds starting at `first` with the right parity. */
export function seedsOf(n: 4 | 7, first: number, count: number): number[] {
  const seeds: number[] = []
  for (let s = first; seeds.length < count; s++) if (validatorsOfSeed(s) === n) seeds.push(s)
  return seeds
}

/** Defines the random runs and scripted scenarios of `n` validators. */
export function defineSimSuite(n: 4 | 7, seeds: readonly number[]): void {
  const results: SimResult[] = []
  it(`runs ${seeds.length} seeded random simulations of ${n} validators without a violation`, () => {
    for (const seed of seeds) {
      const opts = randomScenario(seed)
      const result = runScenario(opts)
      results.push(result)
      expect(result.violations, describeFailure(result)).toEqual([])
      expect(result.livenessOk, describeFailure(result)).toBe(true)
    }
    const kinds = new Set(seeds.flatMap((s) => randomScenario(s).byzantine.map((b) => b.kind)))
    expect([...kinds].sort(), 'every Byzantine kind ran').toEqual([...BYZANTINE_KINDS].sort())
    const opts = seeds.map((s) => randomScenario(s))
    expect(
      opts.some((o) => o.byzantine.length === faultMax(n)),
      'f Byzantine',
    ).toBe(true)
    expect(
      opts.some((o) => o.partitions.length > 0),
      'partitions',
    ).toBe(true)
    expect(
      opts.some((o) => o.dropRate > 0 && o.dupRate > 0),
      'drops and duplicates',
    ).toBe(true)
    expect(
      opts.some((o) => o.wire),
      'wire encoding',
    ).toBe(true)
    expect(
      opts.some((o) => o.app === 'vm'),
      'the real VM',
    ).toBe(true)
    expect(
      opts.some((o) => o.proposalTxsMax === 1),
      'full-pool signals',
    ).toBe(true)
    expect(
      results.reduce((a, r) => a + r.restarts, 0),
      'restarts from the WAL',
    ).toBeGreaterThan(0)
    expect(
      results.reduce((a, r) => a + r.midEffectCrashes, 0),
      'mid-effect crashes',
    ).toBeGreaterThan(0)
  })

  it(`replays a seed of ${n} validators exactly and names the seed on failure`, () => {
    const seed = seeds[seeds.length - 1]!
    const a = runScenario(randomScenario(seed))
    const b = runScenario(randomScenario(seed))
    expect(b.events).toBe(a.events)
    expect(b.heights).toEqual(a.heights)
    expect(b.chain.map((s) => blockHashOf(s.block.header))).toEqual(
      a.chain.map((s) => blockHashOf(s.block.header)),
    )
    const text = describeFailure({ ...a, violations: ['example'] })
    expect(text).toContain(`SEED=${seed} npm run test:sim`)
  })

  it(`runs ${n} validators with real secp256k1 signatures and the wire codec`, () => {
    const seed = seedsOf(n, 2, 1)[0]!
    const result = runScenario(SCRIPTED['real-crypto']!(seed))
    expect(result.violations, describeFailure(result, 'real-crypto')).toEqual([])
    expect(result.livenessOk, describeFailure(result, 'real-crypto')).toBe(true)
  })

  it(`commits nothing with f+1 of ${n} validators crashed, and no violation`, () => {
    const result = runScenario(SCRIPTED[`crashed-f+1-${n}`]!(1))
    expect(result.violations, describeFailure(result, `crashed-f+1-${n}`)).toEqual([])
    expect(result.heights.every((h) => h === 0)).toBe(true)
  })

  it(`resumes progress once the f+1 crashed of ${n} validators restart`, () => {
    const result = runScenario(SCRIPTED[`crashed-f+1-restart-${n}`]!(2))
    expect(result.violations, describeFailure(result, `crashed-f+1-restart-${n}`)).toEqual([])
    expect(result.heightAtHeal).toBe(0)
    expect(result.livenessOk).toBe(true)
    expect(Math.min(...result.heights)).toBeGreaterThanOrEqual(3)
  })

  it.each(['', 'vm-'])(
    `hands over to a changed validator set of ${n + 1} and back to ${n} at height h + 2 (%sapp)`,
    (prefix) => {
      checkValidatorChange(n, `${prefix}validator-change-${n}`)
    },
  )
}

function checkValidatorChange(n: 4 | 7, label: string): void {
  {
    const result = runScenario(SCRIPTED[label]!(3))
    expect(result.violations, describeFailure(result, label)).toEqual([])
    const sizes = result.sets.map((s) => s.length)
    expect(sizes).toContain(n + 1)
    expect(sizes[sizes.length - 1]).toBe(n)
    // The set grows exactly two heights after the block that carried the add tx.
    const addHeight = result.chain.findIndex((s) => s.updates.some((u) => u.power === 1)) + 1
    expect(addHeight).toBeGreaterThan(0)
    expect(sizes[addHeight + 1]).toBe(n)
    expect(sizes[addHeight + 2]).toBe(n + 1)
    // Every header names the set of its height and every certificate, old ones included, verifies
    // against that set (the harness checks each store again at the end of the run).
    const verify = fastCrypto().verify
    for (const { block, certificate } of result.chain) {
      const h = block.header.height
      const set = result.sets[h]!
      expect(equalBytes(block.header.validatorsHash, validatorsHashOf(set)), `h=${h}`).toBe(true)
      const claim = { chainId: SIM_CHAIN_ID, height: h, blockHash: blockHashOf(block.header) }
      expect(verifyCertificate(certificate, claim, set, verify).ok, `certificate h=${h}`).toBe(true)
    }
  }
}
