/**
 * Harness of the console's browser tests: builds the console bundle, starts the in-process dev
 * consortium (src/node/dev.ts) on 127.0.0.1 ephemeral ports serving it at `/console/`, a plain static
 * server on another origin (for the CORS test) and headless Chromium through playwright-core.
 * `stop()` closes all of it and is safe to call after a partial start.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { extname, join } from 'node:path'
import { pino } from 'pino'
import { chromium, type Browser, type Page } from 'playwright-core'
import { buildConsole } from '../../scripts/build-console.ts'
import type { PointsNode } from '../../src/node/node.ts'
import { runDev } from '../../src/node/dev.ts'

/** Chromium's path: `CHROMIUM_PATH`, or `chromium` / `chromium-browser` on the PATH. */
export function chromiumPath(): string {
  const fromEnv = process.env['CHROMIUM_PATH']
  if (fromEnv !== undefined && existsSync(fromEnv)) return fromEnv
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const found = execFileSync('which', [name], { encoding: 'utf8' }).trim()
      if (found !== '') return found
    } catch {
      // not on the PATH
    }
  }
  throw new Error('Chromium not found: apt-get install -y chromium (or set CHROMIUM_PATH)')
}

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
}

function staticServer(dir: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname
    const file = join(dir, path === '/' ? 'index.html' : path.replace(/^\/+/, ''))
    if (!file.startsWith(dir) || !existsSync(file)) {
      response.writeHead(404).end()
      return
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' })
    response.end(readFileSync(file))
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      resolve({ server, origin: `http://127.0.0.1:${port}` })
    })
  })
}

/** A running harness. */
export interface ConsoleHarness {
  readonly dir: string
  readonly nodes: PointsNode[]
  /** Validator 0's API (it serves the console at `/console/`). */
  readonly apiUrl: string
  /** The other origin serving the same console files. */
  readonly otherOrigin: string
  readonly browser: Browser
  newPage(): Promise<Page>
  stop(): Promise<void>
}

/** Starts everything; on a failure part-way it stops what started, then rethrows. */
export async function startConsoleHarness(): Promise<ConsoleHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'pointsnode-console-'))
  let nodes: PointsNode[] = []
  let server: Server | null = null
  let browser: Browser | null = null
  const stop = async (): Promise<void> => {
    await browser?.close().catch(() => undefined)
    for (const node of nodes) await node.stop().catch(() => undefined)
    await new Promise((resolve) => {
      if (server) server.close(resolve)
      else resolve(undefined)
    })
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const consoleDir = await buildConsole(join(dir, 'console'))
    const other = await staticServer(consoleDir)
    server = other.server
    const log = pino({ level: 'silent' })
    nodes = await runDev(join(dir, 'dev'), log, { consoleDir, corsOrigins: [other.origin] })
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] })
    const b = browser
    return {
      dir,
      nodes,
      apiUrl: nodes[0]!.apiUrl,
      otherOrigin: other.origin,
      browser: b,
      newPage: async () => {
        const context = await b.newContext({
          viewport: { width: 1280, height: 800 },
          acceptDownloads: true,
        })
        return context.newPage()
      },
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}
