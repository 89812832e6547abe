/**
 * The `pointsnode` command line (SPEC §11): parses arguments, calls into src/node, and maps
 * failures to exit codes. Exit codes: 0 success, 1 runtime failure, 2 usage error, 3 configuration
 * or key error (the operator must fix something before retrying).
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import {
  CONFIG_FILE,
  defaultConfig,
  envOverrides,
  loadConfig,
  processHeapGrowth,
} from '../node/config.ts'
import { createNodeKey, loadNodeKey } from '../node/key-file.ts'
import { loadGenesis } from '../node/genesis-file.ts'
import { PointsNode } from '../node/node.ts'
import { createTestnet, type Funding } from '../node/testnet.ts'
import { CONSOLE_DIST_DIR, runDev } from '../node/dev.ts'
import { applyHeapGrowth, collectStartupGarbage, type StartupCollection } from '../node/heap.ts'
import { pino, type Logger } from 'pino'
import { fromHex, toHex } from '../util/bytes.ts'
import { NodeError } from '../util/errors.ts'

/** Process exit codes. */
export const EXIT = { ok: 0, failure: 1, usage: 2, config: 3 } as const

const USAGE = `usage: pointsnode <command> [options]

commands:
  init --home DIR [--chain-id ID]     create a node home: config.json and node-key.json (mode 0600)
  keys create --home DIR              create the node key (refuses to overwrite)
  keys show --home DIR                print the node's address and public key
  config --home DIR                   print the resolved configuration (file < env < flags)
  help                                this text

  testnet --validators N --out DIR [--chain-id ID] [--observers N] [--fund ADDRESS:AMOUNT ...]
                                      homes for a local consortium on 127.0.0.1 (ports picked free);
                                      observer homes that follow the chain; genesis UNI balances
  start --home DIR                    run a node; prints its API URL when ready; SIGINT/SIGTERM stop it
  status --home DIR                   height, peers, sync state and validator set of a running node
  dev [--dir DIR]                     a whole local consortium (4 validators, demo data) in one
                                      process; data in DIR (default .data/dev); prints the API URLs`

/** Output channels, injectable for tests. */
export interface Io {
  out(line: string): void
  err(line: string): void
}

const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
}

function homeOf(values: { home?: string | undefined }): string {
  if (values.home === undefined) throw new UsageError('--home DIR is required')
  return resolve(values.home)
}

class UsageError extends Error {}

function cmdInit(args: string[], io: Io): number {
  const { values } = parseArgs({
    args,
    options: { home: { type: 'string' }, 'chain-id': { type: 'string' } },
  })
  const home = homeOf(values)
  mkdirSync(home, { recursive: true, mode: 0o700 })
  const configPath = join(home, CONFIG_FILE)
  if (existsSync(configPath))
    throw new NodeError('HOME_EXISTS', `${configPath} exists; not overwriting`)
  const defaults = defaultConfig(home)
  const chainId = values['chain-id'] ?? defaults.chainId
  const checked = loadConfig(home, [{ chainId }])
  if (!checked.ok) throw new NodeError(checked.error.code, checked.error.message)
  // The home path is where the file lives, not part of it.
  const file = { chainId, api: defaults.api, p2p: defaults.p2p, log: defaults.log }
  writeFileSync(configPath, JSON.stringify(file, null, 2) + '\n', { flag: 'wx' })
  const keys = createNodeKey(home)
  io.out(`initialised ${home}`)
  io.out(`address ${keys.addressHex}`)
  return EXIT.ok
}

function cmdKeys(args: string[], io: Io): number {
  const [sub, ...rest] = args
  const { values } = parseArgs({ args: rest, options: { home: { type: 'string' } } })
  const home = homeOf(values)
  if (sub === 'create') {
    mkdirSync(home, { recursive: true, mode: 0o700 })
    const keys = createNodeKey(home)
    io.out(JSON.stringify({ address: keys.addressHex, publicKey: toHex(keys.publicKey) }))
    return EXIT.ok
  }
  if (sub === 'show') {
    const keys = loadNodeKey(home)
    io.out(JSON.stringify({ address: keys.addressHex, publicKey: toHex(keys.publicKey) }))
    return EXIT.ok
  }
  throw new UsageError(`unknown keys subcommand ${String(sub)}`)
}

function cmdConfig(args: string[], io: Io, env: NodeJS.ProcessEnv): number {
  const { values } = parseArgs({
    args,
    options: {
      home: { type: 'string' },
      'api-port': { type: 'string' },
      'chain-id': { type: 'string' },
    },
  })
  const home = homeOf(values)
  const flags = { 'api.port': values['api-port'], chainId: values['chain-id'] }
  const config = loadConfig(home, [envOverrides(env), flags])
  if (!config.ok) throw new NodeError(config.error.code, config.error.message)
  io.out(JSON.stringify(config.value, null, 2))
  return EXIT.ok
}

async function cmdTestnet(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      validators: { type: 'string' },
      observers: { type: 'string' },
      out: { type: 'string' },
      'chain-id': { type: 'string' },
      fund: { type: 'string', multiple: true },
    },
  })
  const count = Number(values.validators ?? '4')
  if (!Number.isInteger(count) || count < 1 || count > 64)
    throw new UsageError('--validators must be 1..64')
  const observers = Number(values.observers ?? '0')
  if (!Number.isInteger(observers) || observers < 0 || observers > 16)
    throw new UsageError('--observers must be 0..16')
  if (values.out === undefined) throw new UsageError('--out DIR is required')
  const chainId = values['chain-id'] ?? 'pointsnode-local'
  const funding = (values.fund ?? []).map(parseFunding)
  const testnet = await createTestnet(resolve(values.out), count, chainId, BigInt(Date.now()), {
    observers,
    funding,
  })
  io.out(
    JSON.stringify({
      homes: testnet.homes,
      observers: testnet.observerHomes,
      operator: testnet.operator.addressHex,
    }),
  )
  return EXIT.ok
}

/** Parses `--fund <addressHex>:<amount>` (amount in the smallest unit, a decimal integer). */
function parseFunding(entry: string): Funding {
  const match = /^([0-9a-f]{40}):([1-9][0-9]{0,30})$/.exec(entry)
  if (!match) throw new UsageError(`--fund ${entry} is not <addressHex>:<amount>`)
  return { account: fromHex(match[1]!), amount: BigInt(match[2]!) }
}

async function cmdStart(args: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { home: { type: 'string' }, 'api-port': { type: 'string' } },
  })
  const home = homeOf(values)
  const config = loadConfig(home, [envOverrides(env), { 'api.port': values['api-port'] }])
  if (!config.ok) throw new NodeError(config.error.code, config.error.message)
  const log = pino({ level: config.value.log.level }, pino.destination(2))
  applyHeapGrowth(config.value.memory.heapGrowthPercent)
  const node = await PointsNode.start({
    config: config.value,
    genesis: loadGenesis(home),
    key: loadNodeKey(home),
    log,
  })
  logStartupCollection(log, collectStartupGarbage())
  io.out(`pointsnode API listening at ${node.apiUrl}`)
  await untilSignal(() => {
    log.info('stopping')
    return node.stop()
  })
  return EXIT.ok
}

function logStartupCollection(log: Logger, freed: StartupCollection): void {
  const mib = (bytes: number): number => Math.round(bytes / 2 ** 20)
  log.info(
    { heapUsedMiB: mib(freed.usedAfter), freedMiB: mib(freed.usedBefore - freed.usedAfter) },
    `start-up garbage collected in ${Math.round(freed.pauseMs)} ms`,
  )
}

async function untilSignal(stop: () => Promise<void>): Promise<void> {
  await new Promise<void>((done) => {
    const onSignal = (): void => {
      void stop().then(done)
    }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
  })
}

/** GETs a JSON document from the node (5 s timeout); NODE_UNREACHABLE when it does not answer. */
async function getNodeJson(url: string): Promise<unknown> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) })
    if (!res.ok) throw new Error(`HTTP ${res.status}`)
    return await res.json()
  } catch (cause) {
    throw new NodeError('NODE_UNREACHABLE', `no answer from ${url}: ${String(cause)}`)
  }
}

/**
 * The validator set the node's head names (`/v1/status` → `/v1/validator-sets/:hash`), so that a
 * set changed by `validator.update` shows; the genesis set when the node has no read API.
 */
async function currentValidators(
  base: string,
  genesis: readonly Uint8Array[],
): Promise<{ validators: string[]; validatorsSource: 'node' | 'genesis' }> {
  try {
    const status = (await getNodeJson(`${base}/v1/status`)) as { validatorsHash: string }
    const set = (await getNodeJson(`${base}/v1/validator-sets/${status.validatorsHash}`)) as {
      validators: { publicKey: string }[]
    }
    return { validators: set.validators.map((v) => v.publicKey), validatorsSource: 'node' }
  } catch {
    return { validators: genesis.map((v) => toHex(v)), validatorsSource: 'genesis' }
  }
}

async function cmdStatus(args: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({ args, options: { home: { type: 'string' } } })
  const home = homeOf(values)
  const config = loadConfig(home, [envOverrides(env)])
  if (!config.ok) throw new NodeError(config.error.code, config.error.message)
  const genesis = loadGenesis(home)
  const base = `http://${config.value.api.host}:${config.value.api.port}`
  const url = `${base}/health`
  const health = await getNodeJson(url)
  const set = await currentValidators(base, genesis.validators)
  io.out(JSON.stringify({ api: url, health, ...set }, null, 2))
  return EXIT.ok
}

async function cmdDev(args: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({ args, options: { dir: { type: 'string' } } })
  const dir = resolve(values.dir ?? '.data/dev')
  const heapGrowth = processHeapGrowth(env)
  if (!heapGrowth.ok) throw new NodeError(heapGrowth.error.code, heapGrowth.error.message)
  const log = pino({ level: 'warn' }, pino.destination(2))
  io.out(`starting the dev consortium in ${dir} ...`)
  applyHeapGrowth(heapGrowth.value)
  const nodes = await runDev(dir, log)
  logStartupCollection(log, collectStartupGarbage())
  nodes.forEach((node, i) => {
    io.out(`validator ${i}: pointsnode API listening at ${node.apiUrl}`)
  })
  if (existsSync(CONSOLE_DIST_DIR)) io.out(`web console: ${nodes[0]!.apiUrl}/console/`)
  else io.out('web console: not built (run `npm run build:console`)')
  io.out(
    `demo accounts: ${join(dir, 'demo-accounts.json')}; operator key: ${join(dir, 'operator-key.json')}`,
  )
  io.out('press Ctrl-C to stop')
  await untilSignal(async () => {
    for (const node of nodes) await node.stop()
  })
  return EXIT.ok
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function runCli(
  argv: readonly string[],
  io: Io = processIo,
  env = process.env,
): Promise<number> {
  const [command, ...args] = argv
  try {
    switch (command) {
      case 'testnet':
        return await cmdTestnet(args, io)
      case 'start':
        return await cmdStart(args, io, env)
      case 'dev':
        return await cmdDev(args, io, env)
      case 'status':
        return await cmdStatus(args, io, env)
      case 'init':
        return cmdInit(args, io)
      case 'keys':
        return cmdKeys(args, io)
      case 'config':
        return cmdConfig(args, io, env)
      case 'help':
      case undefined:
        io.out(USAGE)
        return command === undefined ? EXIT.usage : EXIT.ok
      default:
        throw new UsageError(`unknown command ${command}`)
    }
  } catch (error) {
    return reportFailure(error, io)
  }
}

function reportFailure(error: unknown, io: Io): number {
  if (error instanceof UsageError || (error instanceof TypeError && 'code' in error)) {
    io.err(`error: ${error.message}`)
    io.err(USAGE)
    return EXIT.usage
  }
  if (error instanceof NodeError) {
    io.err(`error ${error.code}: ${error.message}`)
    return error.code.startsWith('CONFIG_') ||
      error.code.startsWith('KEY_') ||
      error.code === 'HOME_EXISTS'
      ? EXIT.config
      : EXIT.failure
  }
  throw error
}
