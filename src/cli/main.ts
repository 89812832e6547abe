/**
 * The `pointsnode` command line (SPEC §11): parses arguments, calls into src/node, and maps
 * failures to exit codes. Exit codes: 0 success, 1 runtime failure, 2 usage error, 3 configuration
 * or key error (the operator must fix something before retrying).
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { CONFIG_FILE, defaultConfig, envOverrides, loadConfig } from '../node/config.ts'
import { createNodeKey, loadNodeKey } from '../node/key-file.ts'
import { toHex } from '../util/bytes.ts'
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

The running node (start, testnet, dev, status) arrives with the node issue (#7).`

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

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export function runCli(argv: readonly string[], io: Io = processIo, env = process.env): number {
  const [command, ...args] = argv
  try {
    switch (command) {
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
