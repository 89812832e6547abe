/**
 * Goal: the light client stays browser-safe: everything `src/client/index.ts` imports, transitively,
 * is in the pure core or the client and uses no Node built-in and no server library.
 * Method: follow the relative `import`/`export ... from` specifiers from the client's index through
 * the source files and collect the folders and package names reached.
 */
import { readFileSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(dirname(new URL(import.meta.url).pathname), '../../..')
const SPECIFIER = /^(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm

function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>()
  const packages = new Set<string>()
  const visit = (path: string): void => {
    if (files.has(path)) return
    files.add(path)
    for (const match of readFileSync(path, 'utf8').matchAll(SPECIFIER)) {
      const target = match[1]!
      if (target.startsWith('.')) visit(normalize(join(dirname(path), target)))
      else packages.add(target)
    }
  }
  visit(join(ROOT, entry))
  return { files, packages }
}

describe('light client import graph', () => {
  it('reaches only the pure core, the client, noble and msgpackr', () => {
    const { files, packages } = importGraph('src/client/index.ts')
    const folders = new Set([...files].map((f) => relative(join(ROOT, 'src'), f).split('/')[0]))
    expect(files.size, 'the walk found the client files').toBeGreaterThan(10)
    const allowed = new Set(['client', 'codec', 'consensus', 'core', 'crypto', 'util', 'vm'])
    for (const folder of folders) expect(allowed.has(folder!), `folder src/${folder}`).toBe(true)
    for (const name of packages) {
      expect(name.startsWith('@noble/') || name === 'msgpackr', `package ${name}`).toBe(true)
    }
  })
})
