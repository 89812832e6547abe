/**
 * Goal: `pointsnode start` serves the web console at `/console/` from `api.consoleDir` (SPEC §12:
 * the console is served by the node), on a home set up as docs/operations.md describes for real
 * machines (`init`, `keys show`, `genesis` from the collected key, copied into the home), which
 * then commits blocks.
 * Method: a real `bin/pointsnode start` process (test/support/cluster.ts) on 127.0.0.1 with free
 * ports, its console folder a temp folder named relative to the home; black box over HTTP.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONFIG_FILE } from '../../../src/node/config.ts'
import { GENESIS_FILE } from '../../../src/node/genesis-file.ts'
import { cli, publicKeyOfHome } from '../../support/cli.ts'
import { killNode, startNode, until, type NodeProcess } from '../../support/cluster.ts'

const root = mkdtempSync(join(tmpdir(), 'pointsnode-start-console-'))
const home = join(root, 'member')
const PAGE = '<!doctype html><title>console served by start</title>'
const node: NodeProcess = { home, child: null, apiUrl: '', stderr: '' }

beforeAll(async () => {
  expect((await cli(['init', '--home', home, '--chain-id', 'console-chain'])).code).toBe(0)
  const key = await publicKeyOfHome(home)
  const args = ['genesis', '--chain-id', 'console-chain', '--validator', key, '--operator', key]
  const made = await cli([...args, '--out', join(root, GENESIS_FILE)])
  expect(made.code, made.err).toBe(0)
  writeFileSync(join(home, GENESIS_FILE), readFileSync(join(root, GENESIS_FILE)))
  mkdirSync(join(root, 'console-build'))
  writeFileSync(join(root, 'console-build', 'index.html'), PAGE)
  const path = join(home, CONFIG_FILE)
  const config = JSON.parse(readFileSync(path, 'utf8')) as Record<string, Record<string, unknown>>
  config['api'] = { ...config['api'], port: 0, consoleDir: '../console-build' }
  config['p2p'] = { ...config['p2p'], listen: '/ip4/127.0.0.1/tcp/0' }
  writeFileSync(path, JSON.stringify(config))
  await startNode(node)
  // startNode waits up to 180 s for a slow start on a loaded machine.
}, 200_000)

afterAll(async () => {
  await killNode(node, 'SIGTERM')
  rmSync(root, { recursive: true, force: true })
})

describe('pointsnode start', { timeout: 120_000 }, () => {
  it('serves api.consoleDir at /console/', async () => {
    const res = await fetch(`${node.apiUrl}/console/`)
    expect(res.status, node.stderr).toBe(200)
    expect(await res.text()).toBe(PAGE)
    const bare = await fetch(`${node.apiUrl}/console`, { redirect: 'manual' })
    expect([bare.status, bare.headers.get('location')]).toEqual([301, '/console/'])
  })

  it('commits blocks from the genesis that `pointsnode genesis` wrote', async () => {
    const height = await until('height 2', async () => {
      const health = (await (await fetch(`${node.apiUrl}/health`)).json()) as { height: number }
      return health.height >= 2 ? health.height : undefined
    })
    expect(height).toBeGreaterThanOrEqual(2)
  })
})
