/**
 * Goal: 7 validators keep agreement, identical state roots, validity and liveness after healing
 * under every fault kind, and the scripted acceptance scenarios hold (issue 6).
 * Method: 120 seeded random simulations (odd seeds) plus scripted runs; a failure prints the seed
 * and `SEED=… npm run test:sim` replays it exactly.
 */
import { describe } from 'vitest'
import { defineSimSuite, seedsOf } from './suite.ts'

describe('consensus simulation, 7 validators', () => {
  defineSimSuite(7, seedsOf(7, 1, 120))
})
