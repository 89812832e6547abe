/**
 * Goal: 4 validators keep agreement, identical state roots, validity and liveness after healing
 * under every fault kind, and the scripted acceptance scenarios hold (issue 6).
 * Method: 180 seeded random simulations (even seeds) plus scripted runs; a failure prints the seed
 * and `SEED=… npm run test:sim` replays it exactly.
 */
import { describe } from 'vitest'
import { defineSimSuite, seedsOf } from './suite.ts'

describe('consensus simulation, 4 validators', () => {
  defineSimSuite(4, seedsOf(4, 1, 180))
})
