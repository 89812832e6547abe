/**
 * Consensus simulation throughput: decided heights per second of virtual time and of wall time, for
 * 4 and 7 validators, on a clean network (5-50 ms delays, 100 ms block interval) and under the
 * random fault scenarios of the test suite. The "fast" rows use the simulator's keyed-hash
 * signatures, the "secp256k1" rows real signing and verification (noble) with the wire codec.
 * Run: `npm run bench:sim`.
 */
import type { SimOptions } from '../test/sim/harness.ts'
import {
  randomScenario,
  runScenario,
  validatorChangeScenario,
  validatorsOfSeed,
} from '../test/sim/scenario.ts'

interface Row {
  readonly name: string
  readonly heights: number
  readonly virtualS: number
  readonly wallS: number
}

function clean(n: 4 | 7, virtualMs: number, crypto: 'fast' | 'real'): SimOptions {
  return {
    ...validatorChangeScenario(1, n),
    followers: 0,
    validatorChanges: [],
    chaosMs: virtualMs,
    livenessMs: 0,
    livenessHeights: 0,
    crypto,
    wire: crypto === 'real',
  }
}

function measure(name: string, scenarios: readonly SimOptions[]): Row {
  const started = performance.now()
  let heights = 0
  let virtualMs = 0
  for (const s of scenarios) {
    const r = runScenario(s)
    if (r.violations.length > 0) throw new Error(`${name}: ${r.violations.join('; ')}`)
    heights += r.committedHeight
    virtualMs += r.virtualMs
  }
  return { name, heights, virtualS: virtualMs / 1000, wallS: (performance.now() - started) / 1000 }
}

const rows: Row[] = []
runScenario(clean(4, 2000, 'fast')) // warm-up
for (const n of [4, 7] as const) {
  rows.push(measure(`n=${n} clean, fast signatures`, [clean(n, 60_000, 'fast')]))
  rows.push(measure(`n=${n} clean, secp256k1 + wire codec`, [clean(n, 10_000, 'real')]))
  const seeds: number[] = []
  for (let s = 500_000; seeds.length < 40; s++) if (validatorsOfSeed(s) === n) seeds.push(s)
  rows.push(
    measure(
      `n=${n} random faults (40 seeds), fast`,
      seeds.map((s) => randomScenario(s)),
    ),
  )
}

console.log('| scenario | heights | virtual s | wall s | heights / virtual s | heights / wall s |')
console.log('|---|---:|---:|---:|---:|---:|')
for (const r of rows) {
  const perVirtual = (r.heights / r.virtualS).toFixed(2)
  const perWall = (r.heights / r.wallS).toFixed(1)
  console.log(
    `| ${r.name} | ${r.heights} | ${r.virtualS.toFixed(1)} | ${r.wallS.toFixed(2)} | ${perVirtual} | ${perWall} |`,
  )
}
