/**
 * Goal: the command line's edges behave as documented: `--help` and `-h` (alone or after a
 * command) print the usage and exit 0; a blank numeric flag is refused naming the setting instead
 * of becoming 0 (any free port); a missing, malformed or other chain's genesis.json is a
 * configuration error (exit 3), the last one naming the chain id to set; `status` reaches a node
 * whose `api.host` is an IPv6 address (bracketed in the URL).
 * Method: the CLI run in-process (test/support/cli.ts) on homes made by `init` and `genesis`;
 * for `status`, a stand-in HTTP server on ::1 that answers `/health`.
 */
import { once } from 'node:events'
import { writeFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONFIG_FILE } from '../../../src/node/config.ts'
import { GENESIS_FILE } from '../../../src/node/genesis-file.ts'
import { cli, publicKeyOfHome } from '../../support/cli.ts'

const root = mkdtempSync(join(tmpdir(), 'pointsnode-cli-edges-'))
afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

/** A home made by `init` (chain id `chainId`) with the genesis of its own key as validator. */
async function home(name: string, chainId: string, genesisChainId = chainId): Promise<string> {
  const dir = join(root, name)
  expect((await cli(['init', '--home', dir, '--chain-id', chainId])).code).toBe(0)
  const key = await publicKeyOfHome(dir)
  const args = ['genesis', '--chain-id', genesisChainId, '--validator', key, '--operator', key]
  const made = await cli([...args, '--out', join(dir, GENESIS_FILE)])
  expect(made.code, made.err).toBe(0)
  return dir
}

function setApi(dir: string, api: Record<string, unknown>): void {
  const path = join(dir, CONFIG_FILE)
  const config = JSON.parse(readFileSync(path, 'utf8')) as { api: Record<string, unknown> }
  writeFileSync(path, JSON.stringify({ ...config, api: { ...config.api, ...api } }))
}

describe('help', () => {
  it('--help, -h and help print the usage and exit 0, also after a command', async () => {
    for (const args of [['--help'], ['-h'], ['help'], ['start', '--help'], ['genesis', '-h']]) {
      const run = await cli(args)
      expect(run.code, args.join(' ')).toBe(0)
      expect(run.out, args.join(' ')).toMatch(/^usage: pointsnode <command>/)
      expect(run.err, args.join(' ')).toBe('')
    }
    // Without a command it is still a usage error.
    expect((await cli([])).code).toBe(2)
  })
})

describe('numeric flags', () => {
  it('a blank --api-port is refused naming api.port, not taken as port 0', async () => {
    const dir = await home('blank-port', 'edge-chain')
    const run = await cli(['config', '--home', dir, '--api-port', ''])
    expect(run.code).toBe(3)
    expect(run.err).toContain('CONFIG_INVALID: api.port must be an integer')
    const fine = await cli(['config', '--home', dir, '--api-port', '7003'])
    expect(JSON.parse(fine.out).api.port).toBe(7003)
  })
})

describe('genesis.json problems are configuration errors (exit 3)', () => {
  it('a missing genesis.json', async () => {
    const dir = join(root, 'no-genesis')
    expect((await cli(['init', '--home', dir])).code).toBe(0)
    for (const command of ['status', 'start']) {
      const run = await cli([command, '--home', dir])
      expect(run.code, command).toBe(3)
      expect(run.err, command).toContain('GENESIS_INVALID')
    }
  })

  it('a malformed genesis.json', async () => {
    const dir = await home('bad-genesis', 'edge-chain')
    writeFileSync(join(dir, GENESIS_FILE), '{"format": "pointsnode-genesis/1", "canonical": "zz"}')
    const run = await cli(['start', '--home', dir])
    expect(run.code).toBe(3)
    expect(run.err).toContain('GENESIS_INVALID')
  })

  it("another chain's genesis.json names the chain id to set (init --chain-id)", async () => {
    // docs/operations.md's observer: `init` without --chain-id, then the consortium's genesis.
    const dir = await home('observer', 'pointsnode-local', 'acme-loyalty')
    const run = await cli(['start', '--home', dir])
    expect(run.code).toBe(3)
    expect(run.err).toContain('CONFIG_INVALID')
    expect(run.err).toContain('"chainId": "acme-loyalty"')
    expect(run.err).toContain('--chain-id acme-loyalty')
  })
})

describe('status with an IPv6 api.host', () => {
  let server: Server
  let port = 0
  beforeAll(async () => {
    server = createServer((request, response) => {
      const health = { height: 3, inSync: true, chainId: 'edge-chain', peers: 0 }
      if (request.url === '/health') response.setHeader('content-type', 'application/json')
      response.writeHead(request.url === '/health' ? 200 : 404)
      response.end(request.url === '/health' ? JSON.stringify(health) : '')
    })
    server.listen(0, '::1')
    await once(server, 'listening')
    const address = server.address()
    port = typeof address === 'object' && address ? address.port : 0
  })
  afterAll(() => {
    server.close()
  })

  it('asks http://[::1]:PORT and reports the node', async () => {
    const dir = await home('ipv6', 'edge-chain')
    setApi(dir, { host: '::1', port })
    const run = await cli(['status', '--home', dir])
    expect(run.code, run.err).toBe(0)
    const status = JSON.parse(run.out) as { api: string; health: { height: number } }
    expect(status.api).toBe(`http://[::1]:${port}/health`)
    expect(status.health.height).toBe(3)
  })
})
