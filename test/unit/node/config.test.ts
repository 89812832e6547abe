/**
 * Goal: the API request rate limit, the verifier worker count and the proposal size are configurable
 * per node (file, environment), default to 600 per minute, 1 worker and 2,000 txs, and a bad value
 * is refused with a coded error naming the field.
 * Method: real config files in a temp home read by `loadConfig`; expected values written by hand.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CONFIG_FILE, envOverrides, loadConfig } from '../../../src/node/config.ts'

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

describe('api.rateLimitPerMinute', () => {
  it('defaults to 600 and is read from the file', () => {
    const plain = loadConfig(home({}))
    expect(plain.ok && plain.value.api.rateLimitPerMinute).toBe(600)
    const set = loadConfig(home({ api: { rateLimitPerMinute: 5000 } }))
    expect(set.ok && set.value.api.rateLimitPerMinute).toBe(5000)
  })

  it('is overridden by POINTSNODE_API_RATE_LIMIT (a number from a string)', () => {
    const result = loadConfig(home({ api: { rateLimitPerMinute: 5000 } }), [
      { 'api.rateLimitPerMinute': '120' },
    ])
    expect(result.ok && result.value.api.rateLimitPerMinute).toBe(120)
  })

  it.each([0, -1, 1.5, '600', 10_000_001])('refuses %s with CONFIG_INVALID', (value) => {
    const result = loadConfig(home({ api: { rateLimitPerMinute: value } }))
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.error.code).toBe('CONFIG_INVALID')
      expect(result.error.message).toContain('api.rateLimitPerMinute')
    }
  })
})

describe('verifier.workers', () => {
  it('defaults to 1, is read from the file and from POINTSNODE_VERIFIER_WORKERS', () => {
    const plain = loadConfig(home({}))
    expect(plain.ok && plain.value.verifier.workers).toBe(1)
    const set = loadConfig(home({ verifier: { workers: 2 } }))
    expect(set.ok && set.value.verifier.workers).toBe(2)
    const env = envOverrides({ POINTSNODE_VERIFIER_WORKERS: '3' })
    expect(env).toEqual({ 'verifier.workers': '3' })
    const overridden = loadConfig(home({ verifier: { workers: 2 } }), [env])
    expect(overridden.ok && overridden.value.verifier.workers).toBe(3)
  })

  it.each([0, 17, 1.5, '2', -3])('refuses %s with CONFIG_INVALID', (value) => {
    const result = loadConfig(home({ verifier: { workers: value } }))
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.error.code).toBe('CONFIG_INVALID')
      expect(result.error.message).toContain('verifier.workers must be an integer in 1..16')
    }
  })
})

describe('consensus.proposalTxsMax', () => {
  it('defaults to 2,000, is read from the file and from POINTSNODE_PROPOSAL_TXS_MAX', () => {
    const plain = loadConfig(home({}))
    expect(plain.ok && plain.value.consensus.proposalTxsMax).toBe(2000)
    const set = loadConfig(home({ consensus: { proposalTxsMax: 5000 } }))
    expect(set.ok && set.value.consensus.proposalTxsMax).toBe(5000)
    const env = envOverrides({ POINTSNODE_PROPOSAL_TXS_MAX: '300' })
    const overridden = loadConfig(home({ consensus: { proposalTxsMax: 5000 } }), [env])
    expect(overridden.ok && overridden.value.consensus.proposalTxsMax).toBe(300)
  })

  it.each([0, 5001, 2.5, '100'])('refuses %s with CONFIG_INVALID', (value) => {
    const result = loadConfig(home({ consensus: { proposalTxsMax: value } }))
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.error.code).toBe('CONFIG_INVALID')
      expect(result.error.message).toContain(
        'consensus.proposalTxsMax must be an integer in 1..5000',
      )
    }
  })
})
