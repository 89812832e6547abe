/**
 * Builds the web console (console/ plus the browser-safe light client in src/client) into
 * `dist/console/` with esbuild: one ES module bundle, the page and the stylesheet. The node serves
 * that folder at `/console/` (docs/console.md). Run: `npm run build:console`.
 */
import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Where the console is built by default. */
export const CONSOLE_OUT_DIR = join(ROOT, 'dist', 'console')

/** Bundles the console into `outDir` (created if missing); returns `outDir`. */
export async function buildConsole(outDir: string = CONSOLE_OUT_DIR): Promise<string> {
  mkdirSync(outDir, { recursive: true })
  await build({
    entryPoints: [join(ROOT, 'console', 'main.ts')],
    outfile: join(outDir, 'main.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    minify: true,
    logLevel: 'warning',
  })
  for (const file of ['index.html', 'style.css']) {
    copyFileSync(join(ROOT, 'console', file), join(outDir, file))
  }
  return outDir
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = await buildConsole()
  process.stdout.write(`console built into ${out}\n`)
}
