/**
 * Goal: the API request rate limit, the event streams per client address, the verifier worker
 * count, the proposal size and the heap growth are configurable per node (file, environment),
 * default to 600 per minute, 8 streams, 1 worker, 2,000 txs and 100 %, and a bad value is refused
 * with a coded error naming the field.
 * The heap growth of `pointsnode dev` (one process, four nodes) comes from the environment alone.
 * Method: real config files in a temp home read by `loadConfig`; expected values written by hand.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  CONFIG_FILE,
  envOverrides,
  loadConfig,
  processHeapGrowth,
} from '../../../src/node/config.ts'

const homes: string[] = []
function home(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'pointsnode-config-'))
  homes.push(dir)
  writeFileSync(join(dir, CONFIG_FILE), JSON.stringify(config))
  return dir
}
afterEach(() => {
  for (const dir of homes.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** Each integer setting: its section and key, default, environment variable and bounds. */
const INTEGER_SETTINGS = [
  {
    section: 'api',
    key: 'rateLimitPerMinute',
    fallback: 600,
    env: 'POINTSNODE_API_RATE_LIMIT',
    good: [1, 5000],
    bad: [0, -1, 1.5, '600', 10_000_001],
    refusal: 'api.rateLimitPerMinute must be an integer in 1..10000000',
  },
  {
    section: 'api',
    key: 'eventSubscribersPerClientMax',
    fallback: 8,
    env: 'POINTSNODE_API_EVENT_SUBSCRIBERS_PER_CLIENT_MAX',
    good: [1, 256],
    bad: [0, 257, 2.5, '8'],
    refusal: 'api.eventSubscribersPerClientMax must be an integer in 1..256',
  },
  {
    section: 'verifier',
    key: 'workers',
    fallback: 1,
    env: 'POINTSNODE_VERIFIER_WORKERS',
    good: [2, 16],
    bad: [0, 17, 1.5, '2', -3],
    refusal: 'verifier.workers must be an integer in 1..16',
  },
  {
    section: 'consensus',
    key: 'proposalTxsMax',
    fallback: 2000,
    env: 'POINTSNODE_PROPOSAL_TXS_MAX',
    good: [1, 5000],
    bad: [0, 5001, 2.5, '100'],
    refusal: 'consensus.proposalTxsMax must be an integer in 1..5000',
  },
  {
    section: 'consensus',
    key: 'blockIntervalMs',
    fallback: 500,
    env: 'POINTSNODE_BLOCK_INTERVAL_MS',
    good: [10, 1500],
    bad: [9, 1501, 250.5, '250', -500],
    refusal: 'consensus.blockIntervalMs must be an integer in 10..1500',
  },
  {
    section: 'memory',
    key: 'heapGrowthPercent',
    fallback: 100,
    env: 'POINTSNODE_HEAP_GROWTH_PERCENT',
    good: [0, 300],
    bad: [-1, 301, 12.5, '50'],
    refusal: 'memory.heapGrowthPercent must be an integer in 0..300',
  },
] as const

/** The value of `section.key` in a loaded configuration, or undefined when it was refused. */
function valueOf(result: ReturnType<typeof loadConfig>, section: string, key: string): unknown {
  if (!result.ok) return undefined
  return (result.value as unknown as Record<string, Record<string, unknown>>)[section]?.[key]
}

describe.each(INTEGER_SETTINGS)('$section.$key', (s) => {
  const file = (value: unknown): string => home({ [s.section]: { [s.key]: value } })

  it('has its default, is read from the file, and the environment overrides the file', () => {
    expect(valueOf(loadConfig(home({})), s.section, s.key)).toBe(s.fallback)
    for (const value of s.good)
      expect(valueOf(loadConfig(file(value)), s.section, s.key)).toBe(value)
    const env = envOverrides({ [s.env]: String(s.good[0]) })
    expect(env).toEqual({ [`${s.section}.${s.key}`]: String(s.good[0]) })
    expect(valueOf(loadConfig(file(s.good[1]), [env]), s.section, s.key)).toBe(s.good[0])
  })

  it('refuses out-of-range, fractional and string values with CONFIG_INVALID naming the field', () => {
    for (const value of s.bad) {
      const result = loadConfig(file(value))
      expect(result.ok, String(value)).toBe(false)
      if (!result.ok) {
        expect(result.error.code).toBe('CONFIG_INVALID')
        expect(result.error.message).toContain(s.refusal)
      }
    }
  })
})

describe('processHeapGrowth (pointsnode dev)', () => {
  it('is 100 without the variable, and reads POINTSNODE_HEAP_GROWTH_PERCENT', () => {
    expect(processHeapGrowth({})).toEqual({ ok: true, value: 100 })
    expect(processHeapGrowth({ POINTSNODE_HEAP_GROWTH_PERCENT: '' })).toEqual({
      ok: true,
      value: 100,
    })
    expect(processHeapGrowth({ POINTSNODE_HEAP_GROWTH_PERCENT: '0' })).toEqual({
      ok: true,
      value: 0,
    })
    expect(processHeapGrowth({ POINTSNODE_HEAP_GROWTH_PERCENT: '250' })).toEqual({
      ok: true,
      value: 250,
    })
  })

  it('refuses what the config file would refuse, with the same message', () => {
    for (const value of ['-1', '301', '12.5', 'fifty']) {
      const result = processHeapGrowth({ POINTSNODE_HEAP_GROWTH_PERCENT: value })
      expect(result.ok, value).toBe(false)
      if (!result.ok) {
        expect(result.error.code).toBe('CONFIG_INVALID')
        expect(result.error.message).toContain(
          'memory.heapGrowthPercent must be an integer in 0..300',
        )
      }
    }
  })
})
