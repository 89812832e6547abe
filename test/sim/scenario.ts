/**
 * Scenarios for the simulator: a seed fully determines a run (validator count, faults, schedule).
 * `randomScenario(seed)` draws every fault kind; the scripted builders cover the acceptance cases
 * (f+1 crashed, validator set changes). `runSeed` runs one and formats a failure with its seed.
 */
import { faultMax } from '../../src/consensus/validators.ts'
import type { TimeoutConfig } from '../../src/consensus/types.ts'
import { BYZANTINE_KINDS, type ByzantineKind } from './byzantine.ts'
import { Simulation, type SimOptions, type SimResult } from './harness.ts'
import { Prng } from './prng.ts'
import { TEST_BLOCK_TXS_MAX } from './test-app.ts'

/** Timer settings of the simulated chains (ms). */
export const SIM_TIMEOUTS: TimeoutConfig = {
  roundBaseMs: 400,
  roundMaxMs: 6400,
  blockIntervalMs: 100,
  createEmptyBlocks: true,
}

const BASE: Omit<SimOptions, 'seed' | 'validators'> = {
  followers: 0,
  byzantine: [],
  crashes: [],
  crashMidEffects: true,
  dropRate: 0,
  dupRate: 0,
  delayMinMs: 5,
  delayMaxMs: 50,
  partitions: [],
  clockSkewMs: 200,
  chaosMs: 5000,
  livenessMs: 40_000,
  livenessHeights: 3,
  crypto: 'fast',
  wire: false,
  txIntervalMs: 150,
  proposalTxsMax: TEST_BLOCK_TXS_MAX,
  validatorChanges: [],
  timeouts: SIM_TIMEOUTS,
  downAtStart: [],
  restartAtMs: 0,
  app: 'test',
}

/** Options for `randomScenario` that are not derived from the seed. */
export interface ScenarioChoice {
  readonly crypto?: 'fast' | 'real'
}

/** Validator count of a seed's scenario: even seeds run 4 validators, odd seeds 7. */
export function validatorsOfSeed(seed: number): 4 | 7 {
  return seed % 2 === 0 ? 4 : 7
}

/** The app of a seed's scenario: one seed in five of each validator count runs the real VM. */
export function appOfSeed(seed: number): 'test' | 'vm' {
  return seed % 10 < 2 ? 'vm' : 'test'
}

/** Byzantine kind of a seed's scenario: the kinds take turns along the seeds of one parity. */
export function byzantineKindOfSeed(seed: number): ByzantineKind {
  return BYZANTINE_KINDS[Math.floor(seed / 2) % BYZANTINE_KINDS.length]!
}

/**
 * Pool size that makes `txsAvailable` full in a seed's scenario: one seed in three proposes as
 * soon as one tx waits, so full-pool signals often meet a decision replayed from the buffer.
 */
export function proposalTxsMaxOfSeed(seed: number): number {
  return seed % 3 === 0 ? 1 : TEST_BLOCK_TXS_MAX
}

/** A random scenario with every kind of fault, fully determined by `seed`. */
export function randomScenario(seed: number, choice: ScenarioChoice = {}): SimOptions {
  const prng = new Prng(seed)
  const n = validatorsOfSeed(seed)
  const f = faultMax(n)
  const followers = prng.chance(0.25) ? 1 : 0
  const total = n + followers
  const byzCount = prng.chance(0.7) ? f : prng.int(f + 1)
  const byzantine = Array.from({ length: byzCount }, (_, i) => ({
    node: i * 2 + 1 < n ? i * 2 + 1 : i,
    kind: byzantineKindOfSeed(seed),
  }))
  const byzNodes = new Set(byzantine.map((b) => b.node))
  const honest = Array.from({ length: total }, (_, i) => i).filter((i) => !byzNodes.has(i))
  const chaosMs = 5000
  const crashes = Array.from({ length: prng.int(f + 2) }, () => ({
    node: prng.pick(honest),
    atMs: prng.range(300, chaosMs - 500),
    downMs: prng.range(200, 3000),
  }))
  const partitions = prng.chance(0.5)
    ? Array.from({ length: prng.range(1, 3) }, () => ({
        atMs: prng.range(200, chaosMs - 500),
        ms: prng.range(300, 2000),
        mask: prng.range(1, (1 << total) - 2),
      }))
    : []
  const validatorChanges: SimOptions['validatorChanges'][number][] = []
  if (followers > 0) {
    validatorChanges.push({ atMs: prng.range(300, 2000), op: '+', node: n })
    const removable = honest.filter((i) => i < n)
    validatorChanges.push({ atMs: prng.range(2500, 4500), op: '-', node: prng.pick(removable) })
  }
  const delayMinMs = prng.range(1, 20)
  return {
    ...BASE,
    seed,
    validators: n,
    followers,
    byzantine,
    crashes,
    dropRate: prng.pick([0, 0.05, 0.15, 0.3]),
    dupRate: prng.pick([0, 0.05, 0.2]),
    delayMinMs,
    delayMaxMs: delayMinMs + prng.range(10, 150),
    partitions,
    chaosMs,
    crypto: choice.crypto ?? 'fast',
    wire: prng.chance(0.1),
    validatorChanges,
    app: appOfSeed(seed),
    proposalTxsMax: proposalTxsMaxOfSeed(seed),
  }
}

/** f + 1 validators down from the start; restarted at `restartAtMs` (0: never). */
export function crashedQuorumScenario(seed: number, n: 4 | 7, restartAtMs: number): SimOptions {
  const f = faultMax(n)
  return {
    ...BASE,
    seed,
    validators: n,
    crashMidEffects: false,
    downAtStart: Array.from({ length: f + 1 }, (_, i) => i),
    restartAtMs: restartAtMs > 0 ? restartAtMs : 1e12,
    chaosMs: restartAtMs > 0 ? restartAtMs : 8000,
    livenessHeights: restartAtMs > 0 ? 3 : 0,
  }
}

/** Adds a follower as validator, then removes an original one, on a clean network. */
export function validatorChangeScenario(seed: number, n: 4 | 7): SimOptions {
  return {
    ...BASE,
    seed,
    validators: n,
    followers: 1,
    crashMidEffects: false,
    chaosMs: 4000,
    livenessHeights: 5,
    validatorChanges: [
      { atMs: 500, op: '+', node: n },
      { atMs: 2000, op: '-', node: 0 },
    ],
  }
}

/** Runs one scenario; `describeFailure` gives the replay line. */
export function runScenario(opts: SimOptions): SimResult {
  const sim = new Simulation(opts)
  try {
    return sim.run()
  } catch (cause) {
    // An assertion (a bug) is a failure like any violation: report it with the seed.
    const message = cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)
    return { ...sim.partialResult(), violations: [`exception: ${message}`] }
  }
}

/** The message printed for a failing run: the seed and how to replay it. */
export function describeFailure(result: SimResult, label = 'random'): string {
  const replay =
    label === 'random' ? `SEED=${result.seed}` : `SEED=${result.seed} SCENARIO=${label}`
  return (
    `simulation failed (seed ${result.seed}, scenario ${label}): ${result.violations.join('; ')}\n` +
    `replay: ${replay} npm run test:sim`
  )
}

/** The scripted scenarios, by name (for replay with SCENARIO=name). */
export const SCRIPTED: Readonly<Record<string, (seed: number) => SimOptions>> = {
  'crashed-f+1-4': (seed) => crashedQuorumScenario(seed, 4, 0),
  'crashed-f+1-7': (seed) => crashedQuorumScenario(seed, 7, 0),
  'crashed-f+1-restart-4': (seed) => crashedQuorumScenario(seed, 4, 6000),
  'crashed-f+1-restart-7': (seed) => crashedQuorumScenario(seed, 7, 6000),
  'validator-change-4': (seed) => validatorChangeScenario(seed, 4),
  'validator-change-7': (seed) => validatorChangeScenario(seed, 7),
  'vm-validator-change-4': (seed) => ({ ...validatorChangeScenario(seed, 4), app: 'vm' }),
  'vm-validator-change-7': (seed) => ({ ...validatorChangeScenario(seed, 7), app: 'vm' }),
  'real-crypto': (seed) => ({ ...randomScenario(seed, { crypto: 'real' }), wire: true }),
}
