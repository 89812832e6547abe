/**
 * Goal: the CI closing line reflects vitest's JSON report and CI fails whenever a test (or a static
 * check) failed, or when no report exists.
 * Method: run scripts/ci-summary.mjs as a child process on hand-written reports.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const dir = mkdtempSync(join(tmpdir(), 'ci-summary-'))
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})
const script = new URL('../../../scripts/ci-summary.mjs', import.meta.url).pathname

function run(report: object | null, staticFailed = '0'): { status: number | null; out: string } {
  const file = join(dir, `r-${Math.random().toString(36).slice(2)}.json`)
  if (report) writeFileSync(file, JSON.stringify(report))
  const result = spawnSync(process.execPath, [script, file, staticFailed], { encoding: 'utf8' })
  return { status: result.status, out: result.stdout.trim() }
}

describe('ci summary', () => {
  it('passes and prints the counts when every test passed', () => {
    expect(run({ numPassedTests: 12, numFailedTests: 0, success: true })).toEqual({
      status: 0,
      out: 'tests: 12 passed, 0 failed',
    })
  })

  it('fails when a test failed', () => {
    expect(run({ numPassedTests: 11, numFailedTests: 1, success: false })).toEqual({
      status: 1,
      out: 'tests: 11 passed, 1 failed',
    })
  })

  it('fails when a suite failed to load although no single test failed', () => {
    expect(run({ numPassedTests: 5, numFailedTests: 0, success: false })).toEqual({
      status: 1,
      out: 'tests: 5 passed, 1 failed',
    })
  })

  it('fails when a static check failed', () => {
    expect(run({ numPassedTests: 5, numFailedTests: 0, success: true }, '1')).toEqual({
      status: 1,
      out: 'tests: 5 passed, 1 failed',
    })
  })

  it('fails without a report or with no tests run', () => {
    expect(run(null).status).toBe(1)
    expect(run({ numPassedTests: 0, numFailedTests: 0, success: true }).status).toBe(1)
  })
})
