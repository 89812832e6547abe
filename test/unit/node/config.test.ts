/**
 * Goal: the API request rate limit, the event streams per client address, the verifier worker
 * count, the proposal size and the heap growth are configurable per node (file, environment),
 * default to 600 per minute, 8 streams, 1 worker, 2,000 txs and 100 %, and a bad value is refused
 * with a coded error naming the field.
 * The heap growth of `pointsnode dev` (one process, four nodes) comes from the environment alone.
 * A blank or non-decimal numeric override is refused, not read as 0; `api.host` takes IPv6
 * addresses (bracketed in the API URL); `api.trustProxy` (default false) takes only what fastify
 * takes as a proxy list; `api.consoleDir` is a folder relative to the home, null, or by default
 * the built console.
 * Method: real config files in a temp home read by `loadConfig`; expected values written by hand.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  apiUrlOf,
  CONFIG_FILE,
  CONSOLE_DIST_DIR,
  envOverrides,
  loadConfig,
  processHeapGrowth,
  TRUST_PROXY_ENTRIES_MAX,
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

describe('numeric overrides (environment, flags)', () => {
  it('take decimal digits and refuse blank or other text naming the field, never reading 0', () => {
    const dir = home({})
    const port = (value: string): unknown =>
      valueOf(loadConfig(dir, [{ 'api.port': value }]), 'api', 'port')
    expect(port('7001')).toBe(7001)
    for (const value of ['', ' ', '0x10', '1e3', ' 7001', '-1', '12.5']) {
      const result = loadConfig(dir, [{ 'api.port': value }])
      expect(result.ok, JSON.stringify(value)).toBe(false)
      if (!result.ok) expect(result.error.message).toContain('api.port must be an integer')
    }
  })
})

describe('api.host', () => {
  it('takes names and IPv4 or IPv6 addresses, and refuses brackets and zones', () => {
    for (const host of ['127.0.0.1', 'localhost', '0.0.0.0', '::1', '::', 'fd00::7'])
      expect(valueOf(loadConfig(home({ api: { host } })), 'api', 'host'), host).toBe(host)
    for (const host of ['', '[::1]', 'fe80::1%eth0', '1:2', 'a b', 'http://x', 7]) {
      const result = loadConfig(home({ api: { host } }))
      expect(result.ok, String(host)).toBe(false)
      if (!result.ok) expect(result.error.message).toContain('api.host must be')
    }
  })

  it('apiUrlOf brackets an IPv6 address', () => {
    expect(apiUrlOf('127.0.0.1', 26657)).toBe('http://127.0.0.1:26657')
    expect(apiUrlOf('::1', 26657)).toBe('http://[::1]:26657')
    expect(new URL(apiUrlOf('::', 80)).hostname).toBe('[::]')
  })
})

describe('api.trustProxy', () => {
  it('is false by default and takes true, false or a list of proxy addresses and ranges', () => {
    expect(valueOf(loadConfig(home({})), 'api', 'trustProxy')).toBe(false)
    const good = [
      true,
      false,
      [],
      ['10.0.0.5'],
      ['10.0.0.0/8', '192.168.1.0/24', '::1', 'fd00::/8', '::ffff:127.0.0.1'],
      ['loopback', 'uniquelocal', 'linklocal'],
    ]
    for (const trustProxy of good) {
      const loaded = valueOf(loadConfig(home({ api: { trustProxy } })), 'api', 'trustProxy')
      expect(loaded, JSON.stringify(trustProxy)).toEqual(trustProxy)
    }
  })

  it('refuses anything fastify would not take as a proxy list, naming the field', () => {
    const bad = [
      'true',
      1,
      [''],
      ['proxy.example'],
      ['10.0.0.0/33'],
      ['10.0.0.0/0'],
      ['::1/129'],
      ['10.0.0.0/8/1'],
      ['10.0.0.0/'],
      ['fe80::1%eth0'],
      [10],
      Array.from({ length: TRUST_PROXY_ENTRIES_MAX + 1 }, (_, i) => `10.0.0.${i % 250}`),
    ]
    for (const trustProxy of bad) {
      const result = loadConfig(home({ api: { trustProxy } }))
      expect(result.ok, JSON.stringify(trustProxy)).toBe(false)
      if (!result.ok) expect(result.error.message).toContain('api.trustProxy must be')
    }
  })
})

describe('api.consoleDir', () => {
  it('defaults to the built console when there is one', () => {
    const loaded = valueOf(loadConfig(home({})), 'api', 'consoleDir')
    expect(loaded).toBe(existsSync(CONSOLE_DIST_DIR) ? CONSOLE_DIST_DIR : undefined)
  })

  it('takes a folder, relative to the home or absolute, or null for none', () => {
    const dir = home({ api: { consoleDir: 'console' } })
    mkdirSync(join(dir, 'console'))
    expect(valueOf(loadConfig(dir), 'api', 'consoleDir')).toBe(join(dir, 'console'))
    const absolute = home({ api: { consoleDir: join(dir, 'console') } })
    expect(valueOf(loadConfig(absolute), 'api', 'consoleDir')).toBe(join(dir, 'console'))
    const none = loadConfig(home({ api: { consoleDir: null } }))
    expect(none.ok && !('consoleDir' in none.value.api)).toBe(true)
  })

  it('refuses a missing folder, a file and a value that is not a path', () => {
    const dir = home({})
    writeFileSync(join(dir, 'file.txt'), 'not a folder')
    const cases: [unknown, string][] = [
      ['missing', 'is not a folder'],
      ['file.txt', 'is not a folder'],
      ['', 'api.consoleDir must be a folder'],
      [false, 'api.consoleDir must be a folder'],
      [7, 'api.consoleDir must be a folder'],
    ]
    for (const [consoleDir, message] of cases) {
      writeFileSync(join(dir, CONFIG_FILE), JSON.stringify({ api: { consoleDir } }))
      const result = loadConfig(dir)
      expect(result.ok, String(consoleDir)).toBe(false)
      if (!result.ok) expect(result.error.message, String(consoleDir)).toContain(message)
    }
  })
})
