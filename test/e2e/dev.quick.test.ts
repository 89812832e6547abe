/**
 * Goal: `pointsnode dev` (what `npm start` runs) brings up a working local consortium with demo data
 * and prints where each API is; a bad POINTSNODE_HEAP_GROWTH_PERCENT is refused before anything starts.
 * Method: spawn the real CLI with a temp data folder, read the printed URLs, poll /health on every
 * validator until they agree on a height past the demo stages, then stop it with SIGINT.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { reportsAtCommonHeight, until } from '../support/cluster.ts'

const BIN = new URL('../../bin/pointsnode', import.meta.url).pathname
const dir = mkdtempSync(join(tmpdir(), 'pointsnode-dev-'))
const child = spawn(process.execPath, [BIN, 'dev', '--dir', dir], {
  stdio: ['ignore', 'pipe', 'pipe'],
})
let stdout = ''
child.stdout.on('data', (chunk: Buffer) => {
  stdout += chunk.toString()
})
afterAll(async () => {
  if (child.exitCode === null) {
    const ended = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await ended
  }
  rmSync(dir, { recursive: true, force: true })
})

describe('pointsnode dev', { timeout: 120_000 }, () => {
  it('prints four API URLs, commits the demo data, and all validators agree', async () => {
    const urls = await until(
      'four API URLs',
      () => {
        const found = [...stdout.matchAll(/listening at (http:\/\/127\.0\.0\.1:\d+)/g)].map(
          (m) => m[1]!,
        )
        return Promise.resolve(found.length === 4 ? found : undefined)
      },
      90_000,
    )
    expect(existsSync(join(dir, 'demo-accounts.json'))).toBe(true)
    const reports = await reportsAtCommonHeight(urls, 4)
    expect(new Set(reports.map((h) => h.stateRoot)).size).toBe(1)
    expect(new Set(reports.map((h) => h.blockHash)).size).toBe(1)
  })

  it('stops cleanly on SIGINT', async () => {
    const ended = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => {
        resolve(code)
      }),
    )
    child.kill('SIGINT')
    expect(await ended).toBe(0)
  })
})

describe('pointsnode dev with a bad heap growth', { timeout: 30_000 }, () => {
  it('refuses POINTSNODE_HEAP_GROWTH_PERCENT out of range with exit 3 and creates nothing', async () => {
    const empty = join(dir, 'refused')
    const bad = spawn(process.execPath, [BIN, 'dev', '--dir', empty], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, POINTSNODE_HEAP_GROWTH_PERCENT: '301' },
    })
    let stderr = ''
    bad.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const code = await new Promise<number | null>((resolve) => bad.once('exit', resolve))
    expect(code).toBe(3)
    expect(stderr).toContain('CONFIG_INVALID')
    expect(stderr).toContain('memory.heapGrowthPercent must be an integer in 0..300')
    expect(existsSync(empty)).toBe(false)
  })
})
