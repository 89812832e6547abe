/**
 * Goal: the lint configuration really keeps I/O, the clock and randomness out of the pure core.
 * Method: write fixture files into src/vm (pure core) and src/node (not pure), run ESLint with the
 * project's own configuration on them, and check which rules fire. The fixtures are removed after.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ESLint } from 'eslint'
import { afterAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const suffix = `${process.pid}-${Date.now()}`
const files: string[] = []

function fixture(folder: string, source: string): string {
  mkdirSync(`${root}src/${folder}`, { recursive: true })
  const path = `${root}src/${folder}/lint-fixture-${suffix}.ts`
  writeFileSync(path, source)
  files.push(path)
  return path
}

afterAll(() => {
  for (const f of files) rmSync(f, { force: true })
})

async function rulesFired(path: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root })
  const [result] = await eslint.lintFiles([path])
  return (result?.messages ?? []).map((m) => m.ruleId ?? 'parse-error')
}

const IMPURE = `import { readFileSync } from 'node:fs'
export function f(): number {
  return readFileSync('x').length + Date.now() + Math.random()
}
`

describe('pure-core lint ban', () => {
  it('rejects node:fs, Date.now and Math.random inside src/vm', { timeout: 120_000 }, async () => {
    const fired = await rulesFired(fixture('vm', IMPURE))
    expect(fired).toContain('no-restricted-imports')
    expect(fired).toContain('no-restricted-globals')
    expect(fired).toContain('no-restricted-properties')
  })

  it('rejects async functions and timers inside src/consensus', { timeout: 120_000 }, async () => {
    const source = `export async function g(): Promise<void> {\n  await new Promise((r) => setTimeout(r, 1))\n}\n`
    const fired = await rulesFired(fixture('consensus', source))
    expect(fired).toContain('no-restricted-syntax')
    expect(fired).toContain('no-restricted-globals')
  })

  it('allows the same code outside the pure core (src/node)', { timeout: 120_000 }, async () => {
    const fired = await rulesFired(fixture('node', IMPURE))
    expect(fired.filter((r) => r.startsWith('no-restricted'))).toEqual([])
  })
})
