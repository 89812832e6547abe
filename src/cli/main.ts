/**
 * The `pointsnode` command line (SPEC §11): parses arguments, calls into src/node, and maps
 * failures to exit codes. Exit codes: 0 success, 1 runtime failure, 2 usage error, 3 configuration,
 * key or genesis error (the operator must fix something before retrying).
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { buildGenesis } from '../chain/genesis.ts'
import { CHAIN_ID_PATTERN, TIME_MS_MAX } from '../core/limits.ts'
import { isValidPublicKey } from '../crypto/secp256k1.ts'
import {
  apiUrlOf,
  CONFIG_FILE,
  CONSOLE_DIST_DIR,
  defaultConfig,
  envOverrides,
  loadConfig,
  processHeapGrowth,
  type NodeConfig,
} from '../node/config.ts'
import { createNodeKey, loadNodeKey } from '../node/key-file.ts'
import {
  consortiumGenesis,
  fundingProblem,
  loadGenesis,
  saveGenesisFile,
  type Funding,
} from '../node/genesis-file.ts'
import { PointsNode } from '../node/node.ts'
import { createTestnet } from '../node/testnet.ts'
import { runDev } from '../node/dev.ts'
import { applyHeapGrowth, collectStartupGarbage, type StartupCollection } from '../node/heap.ts'
import { pino, type Logger } from 'pino'
import { fromHex, toHex } from '../util/bytes.ts'
import { NodeError } from '../util/errors.ts'
import { GENESIS_SCHEMA, type Genesis } from '../vm/genesis.ts'

/** Process exit codes. */
export const EXIT = { ok: 0, failure: 1, usage: 2, config: 3 } as const

const USAGE = `usage: pointsnode <command> [options]

commands:
  init --home DIR [--chain-id ID]     create a node home: config.json and node-key.json (mode 0600)
  keys create --home DIR              create the node key (refuses to overwrite)
  keys show --home DIR                print the node's address and public key
  config --home DIR                   print the resolved configuration (file < env < flags)
  help, --help, -h                    this text

  genesis --validator PUBKEY ... --operator PUBKEY ... --out FILE [--chain-id ID]
          [--operator-quorum N] [--oracle PUBKEY ...] [--fund ADDRESS:AMOUNT ...] [--time MS]
                                      the genesis.json of a consortium from its members' public keys
                                      (\`keys show\`); refuses to overwrite FILE; quorum required with
                                      several operators; oracles default to the operators
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

/**
 * The integer value of flag `name` (decimal digits, `min..max`), or `fallback` when it is absent.
 * A blank value is refused, never read as 0.
 */
function intFlag(
  name: string,
  value: string | undefined,
  fallback: number,
  range: { readonly min: number; readonly max: number },
): number {
  if (value === undefined) return fallback
  const n = /^[0-9]{1,9}$/.test(value) ? Number(value) : Number.NaN
  if (!(n >= range.min && n <= range.max)) {
    throw new UsageError(`${name} must be an integer in ${range.min}..${range.max}`)
  }
  return n
}

/** The genesis balances of `--fund` entries, checked in full before anything is written. */
function fundingOf(entries: readonly string[] | undefined): Funding[] {
  const funding = (entries ?? []).map(parseFunding)
  const problem = fundingProblem(funding)
  if (problem !== null) throw new UsageError(`--fund: ${problem}`)
  return funding
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
  const count = intFlag('--validators', values.validators, 4, { min: 1, max: 64 })
  const observers = intFlag('--observers', values.observers, 0, { min: 0, max: 16 })
  if (values.out === undefined) throw new UsageError('--out DIR is required')
  const chainId = values['chain-id'] ?? 'pointsnode-local'
  if (!CHAIN_ID_PATTERN.test(chainId)) {
    throw new UsageError(`--chain-id must match ${CHAIN_ID_PATTERN.source}`)
  }
  const funding = fundingOf(values.fund)
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

/**
 * Parses `--fund <addressHex>:<amount>` (amount in the smallest unit, a decimal integer; its bounds
 * are `fundingProblem`'s).
 */
function parseFunding(entry: string): Funding {
  const match = /^([0-9a-f]{40}):([0-9]{1,40})$/.exec(entry)
  if (!match) throw new UsageError(`--fund ${entry} is not <addressHex>:<amount>`)
  return { account: fromHex(match[1]!), amount: BigInt(match[2]!) }
}

/** Public keys of a repeatable flag: 33-byte compressed secp256k1 points in hex, each once. */
function publicKeysOf(name: string, entries: readonly string[] | undefined): Uint8Array[] {
  const seen = new Set<string>()
  return (entries ?? []).map((entry) => {
    const key = /^0[23][0-9a-f]{64}$/.test(entry) ? fromHex(entry) : null
    if (key === null || !isValidPublicKey(key)) {
      throw new UsageError(`${name} ${entry} is not a public key (33 bytes in hex, \`keys show\`)`)
    }
    if (seen.has(entry)) throw new UsageError(`${name} ${entry} is given twice`)
    seen.add(entry)
    return key
  })
}

/** The operator quorum: `--operator-quorum`, required when there are several operators. */
function quorumOf(value: string | undefined, operators: number): number {
  if (value === undefined && operators > 1) {
    throw new UsageError(`--operator-quorum N is required with ${operators} operators`)
  }
  return intFlag('--operator-quorum', value, 1, { min: 1, max: operators })
}

/**
 * The genesis of the `genesis` command's flags, checked as a node checks it at first start (its
 * encoding's bounds, then `buildGenesis`): what this command writes, every node accepts.
 */
function genesisOfFlags(values: {
  readonly 'chain-id'?: string | undefined
  readonly validator?: string[] | undefined
  readonly operator?: string[] | undefined
  readonly 'operator-quorum'?: string | undefined
  readonly oracle?: string[] | undefined
  readonly fund?: string[] | undefined
  readonly time?: string | undefined
}): Genesis {
  const chainId = values['chain-id'] ?? 'pointsnode-local'
  if (!CHAIN_ID_PATTERN.test(chainId)) {
    throw new UsageError(`--chain-id must match ${CHAIN_ID_PATTERN.source}`)
  }
  const validators = publicKeysOf('--validator', values.validator)
  if (validators.length === 0) throw new UsageError('--validator PUBKEY is required')
  const operators = publicKeysOf('--operator', values.operator)
  if (operators.length === 0) throw new UsageError('--operator PUBKEY is required')
  const oracles = values.oracle === undefined ? operators : publicKeysOf('--oracle', values.oracle)
  const time = values.time ?? String(Date.now())
  if (!/^[0-9]{1,13}$/.test(time) || BigInt(time) > TIME_MS_MAX) {
    throw new UsageError(`--time must be milliseconds since 1970 in 0..${TIME_MS_MAX}`)
  }
  const genesis = consortiumGenesis({
    chainId,
    genesisTime: BigInt(time),
    validators,
    operators,
    operatorQuorum: quorumOf(values['operator-quorum'], operators.length),
    oracles,
    funding: fundingOf(values.fund),
  })
  const fault = GENESIS_SCHEMA.check(GENESIS_SCHEMA.toWire(genesis))
  if (fault) throw new UsageError(`genesis: $${fault.path} is not ${fault.expected}`)
  const built = buildGenesis(genesis)
  if (!built.ok) throw new UsageError(`genesis: ${built.error.code} ${built.error.message}`)
  return genesis
}

/** `pointsnode genesis`: writes the genesis.json that every member copies into its home. */
function cmdGenesis(args: string[], io: Io): number {
  const { values } = parseArgs({
    args,
    options: {
      'chain-id': { type: 'string' },
      validator: { type: 'string', multiple: true },
      operator: { type: 'string', multiple: true },
      'operator-quorum': { type: 'string' },
      oracle: { type: 'string', multiple: true },
      fund: { type: 'string', multiple: true },
      time: { type: 'string' },
      out: { type: 'string' },
    },
  })
  if (values.out === undefined) throw new UsageError('--out FILE is required')
  const genesis = genesisOfFlags(values)
  const out = resolve(values.out)
  saveGenesisFile(out, genesis, { exclusive: true })
  io.out(
    JSON.stringify({
      genesis: out,
      chainId: genesis.chainId,
      genesisTime: String(genesis.genesisTime),
      validators: genesis.validators.length,
      operators: genesis.operators.length,
      operatorQuorum: genesis.operatorQuorum,
      oracles: genesis.oracles.length,
      balances: genesis.balances.length,
    }),
  )
  return EXIT.ok
}

/**
 * Refuses a home whose configured chain id is not its genesis's, saying how to fix it (the node
 * refuses it too, without the hint).
 */
function checkChainId(config: NodeConfig, genesis: Genesis): void {
  if (config.chainId === genesis.chainId) return
  throw new NodeError(
    'CONFIG_INVALID',
    `chainId ${config.chainId} differs from genesis.json's ${genesis.chainId}: set "chainId": ` +
      `"${genesis.chainId}" in ${join(config.home, CONFIG_FILE)} (\`init --chain-id ` +
      `${genesis.chainId}\` writes it; POINTSNODE_CHAIN_ID overrides it)`,
  )
}

async function cmdStart(args: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { home: { type: 'string' }, 'api-port': { type: 'string' } },
  })
  const home = homeOf(values)
  const config = loadConfig(home, [envOverrides(env), { 'api.port': values['api-port'] }])
  if (!config.ok) throw new NodeError(config.error.code, config.error.message)
  const genesis = loadGenesis(home)
  checkChainId(config.value, genesis)
  const key = loadNodeKey(home)
  const log = pino({ level: config.value.log.level }, pino.destination(2))
  applyHeapGrowth(config.value.memory.heapGrowthPercent)
  const { consoleDir } = config.value.api
  const node = await PointsNode.start({
    config: config.value,
    genesis,
    key,
    log,
    ...(consoleDir !== undefined ? { consoleDir } : {}),
  })
  logStartupCollection(log, collectStartupGarbage())
  io.out(`pointsnode API listening at ${node.apiUrl}`)
  if (consoleDir !== undefined) io.out(`web console: ${node.apiUrl}/console/`)
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
  const base = apiUrlOf(config.value.api.host, config.value.api.port)
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
  // `pointsnode <command> --help` too: the usage covers every command.
  if (args.includes('--help') || args.includes('-h')) {
    io.out(USAGE)
    return EXIT.ok
  }
  try {
    switch (command) {
      case 'genesis':
        return cmdGenesis(args, io)
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
      case '--help':
      case '-h':
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

/**
 * Codes of errors the operator fixes in the home before retrying (exit 3): its configuration, its
 * key, its genesis.json (missing, malformed, another chain's, or a store of another genesis).
 */
const CONFIG_ERROR_PREFIXES = ['CONFIG_', 'KEY_', 'GENESIS_'] as const

function reportFailure(error: unknown, io: Io): number {
  if (error instanceof UsageError || (error instanceof TypeError && 'code' in error)) {
    io.err(`error: ${error.message}`)
    io.err(USAGE)
    return EXIT.usage
  }
  if (error instanceof NodeError) {
    io.err(`error ${error.code}: ${error.message}`)
    return CONFIG_ERROR_PREFIXES.some((prefix) => error.code.startsWith(prefix)) ||
      error.code === 'HOME_EXISTS'
      ? EXIT.config
      : EXIT.failure
  }
  throw error
}
