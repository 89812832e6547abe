/**
 * Goal: `pointsnode init`, `keys` and `config` behave as an operator expects: keys are created with
 * mode 0600 and never overwritten, configuration precedence is file < env < flags, and failures exit
 * with meaningful codes (2 usage, 3 configuration/key).
 * Method: spawn the real bin/pointsnode in temp homes (removed afterwards) and read its output.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const bin = new URL('../../bin/pointsnode', import.meta.url).pathname
const root = mkdtempSync(join(tmpdir(), 'pointsnode-cli-'))
afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('pointsnode init / keys / config', { timeout: 60_000 }, () => {
  const home = join(root, 'node1')

  it('init creates config.json and a 0600 node key whose address matches keys show', () => {
    const init = cli(['init', '--home', home, '--chain-id', 'acme-chain'])
    expect(init.status, init.stderr).toBe(0)
    const address = /address ([0-9a-f]{40})/.exec(init.stdout)?.[1]
    expect(address).toMatch(/^[0-9a-f]{40}$/)
    expect(statSync(join(home, 'node-key.json')).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')).chainId).toBe('acme-chain')
    const show = cli(['keys', 'show', '--home', home])
    expect(show.status).toBe(0)
    expect(JSON.parse(show.stdout).address).toBe(address)
  })

  it('refuses to overwrite an existing home or key (exit 3)', () => {
    expect(cli(['init', '--home', home]).status).toBe(3)
    const again = cli(['keys', 'create', '--home', home])
    expect(again.status).toBe(3)
    expect(again.stderr).toContain('KEY_EXISTS')
  })

  it('applies file < env < flags', () => {
    const env = { POINTSNODE_API_PORT: '7001', POINTSNODE_CHAIN_ID: 'env-chain' }
    const fromEnv = JSON.parse(cli(['config', '--home', home], env).stdout)
    expect([fromEnv.api.port, fromEnv.chainId]).toEqual([7001, 'env-chain'])
    const fromFlags = JSON.parse(cli(['config', '--home', home, '--api-port', '7002'], env).stdout)
    expect([fromFlags.api.port, fromFlags.chainId]).toEqual([7002, 'env-chain'])
    const fromFile = JSON.parse(cli(['config', '--home', home]).stdout)
    expect([fromFile.api.port, fromFile.chainId]).toEqual([26657, 'acme-chain'])
  })

  it('refuses invalid configuration with a message naming the field (exit 3)', () => {
    const bad = cli(['config', '--home', home, '--api-port', '70000'])
    expect(bad.status).toBe(3)
    expect(bad.stderr).toContain('api.port')
    const other = join(root, 'node2')
    cli(['init', '--home', other])
    writeFileSync(join(other, 'config.json'), '{"log": {"level": "loud"}}')
    const level = cli(['config', '--home', other])
    expect(level.status).toBe(3)
    expect(level.stderr).toContain('log.level')
  })

  it('refuses a node key readable by others (exit 3)', () => {
    const other = join(root, 'node3')
    expect(cli(['init', '--home', other]).status).toBe(0)
    chmodSync(join(other, 'node-key.json'), 0o644)
    const show = cli(['keys', 'show', '--home', other])
    expect(show.status).toBe(3)
    expect(show.stderr).toContain('KEY_PERMISSIONS')
  })

  it('usage errors exit 2', () => {
    expect(cli(['frobnicate']).status).toBe(2)
    expect(cli(['keys', 'show']).status).toBe(2)
    expect(cli([]).status).toBe(2)
  })
})
