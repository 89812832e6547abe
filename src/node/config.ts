/**
 * Node configuration: defaults < `<home>/config.json` < environment (`POINTSNODE_*`) < flags.
 * Spec: SPEC.md section 11; docs/operations.md#configuration. Invalid configuration is refused at
 * start with a coded error naming the field (`CONFIG_INVALID: api.port must be ...`).
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { isIP, isIPv6 } from 'node:net'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EVENT_LIMITS_DEFAULT } from '../api/events.ts'
import { BLOCK_TX_COUNT_MAX } from '../core/block.ts'
import { CHAIN_ID_PATTERN } from '../core/limits.ts'
import { err, ok, type Result } from '../util/result.ts'

/** The resolved configuration of one node. */
export interface NodeConfig {
  readonly home: string
  readonly chainId: string
  readonly api: {
    readonly host: string
    readonly port: number
    readonly corsOrigins: readonly string[]
    /** Requests per minute per client address before 429 `API_RATE_LIMITED`. */
    readonly rateLimitPerMinute: number
    /**
     * Open event streams (`/v1/events/*`) per client address before 429
     * `API_SUBSCRIBERS_PER_CLIENT`, so that one address cannot hold every one of the node's slots.
     */
    readonly eventSubscribersPerClientMax: number
    /**
     * Which peers' `X-Forwarded-For` names the client (fastify's `trustProxy`): false (default:
     * the connection's address is the client's), true (any peer), or the addresses and CIDR
     * ranges of the reverse proxies. The request rate limit and the event streams per client
     * address count that client address (ADR 0091).
     */
    readonly trustProxy: boolean | readonly string[]
    /**
     * Folder of the built web console served at `/console/` (SPEC §12); absent: not served. By
     * default the package's `dist/console` when it was built (`npm run build:console`).
     */
    readonly consoleDir?: string
  }
  readonly p2p: {
    readonly listen: string
    readonly peers: readonly string[]
    /**
     * Public keys (hex, 33 bytes) of observer nodes this node admits besides the validator set.
     * Observers follow the chain by sync and never vote (docs/operations.md#observer-nodes).
     */
    readonly observers: readonly string[]
  }
  readonly log: { readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent' }
  readonly verifier: {
    /**
     * Worker threads verifying tx signatures (libsecp256k1, ADR 0075). One per core that this node
     * may use: a lone validator on a 2-core host wants 2; four validators sharing it want 1 each.
     */
    readonly workers: number
  }
  readonly consensus: {
    /**
     * Most txs this node puts into one proposal (the protocol accepts BLOCK_TX_COUNT_MAX). Every
     * validator must check a proposal inside the round-0 timer: hosts shared by several validators
     * want smaller blocks, a validator with cores to spare may take larger ones.
     */
    readonly proposalTxsMax: number
    /**
     * How long a round-0 proposer waits after a commit for txs before it proposes, in ms, unless
     * its pool already holds a full proposal. Less gives lower latency at light load and more
     * blocks (and CPU and disk writes) when idle; every validator should use the same value.
     */
    readonly blockIntervalMs: number
  }
  readonly memory: {
    /**
     * How far V8 lets the heap grow past the live set before the next full collection, in percent
     * (`--heap-growing-percent`, set by `pointsnode start`; ADR 0072). 0 leaves it to V8, which on a
     * large host lets the heap grow to about four times the live set.
     */
    readonly heapGrowthPercent: number
  }
}

/** Why a configuration was refused. */
export interface ConfigError {
  readonly code: 'CONFIG_INVALID' | 'CONFIG_UNREADABLE'
  readonly message: string
}

/** File name of the configuration inside a node home. */
export const CONFIG_FILE = 'config.json'

/** Where `npm run build:console` puts the web console (next to this package's `src/`). */
export const CONSOLE_DIST_DIR = fileURLToPath(new URL('../../dist/console/', import.meta.url))

/** The built console's folder, or null when the console was not built. */
function builtConsoleDir(): string | null {
  return existsSync(CONSOLE_DIST_DIR) ? CONSOLE_DIST_DIR : null
}

/**
 * Defaults for a node home, as `init` and `testnet` write them into config.json. The console
 * folder is not among them: its default depends on the installation, not the home (`loadConfig`
 * takes the built console when it exists).
 */
export function defaultConfig(home: string): NodeConfig {
  return {
    home,
    chainId: 'pointsnode-local',
    api: {
      host: '127.0.0.1',
      port: 26657,
      corsOrigins: [],
      rateLimitPerMinute: 600,
      eventSubscribersPerClientMax: EVENT_LIMITS_DEFAULT.subscribersPerClientMax,
      trustProxy: false,
    },
    p2p: { listen: '/ip4/127.0.0.1/tcp/26656', peers: [], observers: [] },
    log: { level: 'info' },
    verifier: { workers: 1 },
    consensus: { proposalTxsMax: PROPOSAL_TXS_DEFAULT, blockIntervalMs: BLOCK_INTERVAL_MS_DEFAULT },
    memory: { heapGrowthPercent: HEAP_GROWTH_PERCENT_DEFAULT },
  }
}

type Overrides = Readonly<Record<string, string | undefined>>

const ENV_KEYS: Readonly<Record<string, string>> = {
  POINTSNODE_CHAIN_ID: 'chainId',
  POINTSNODE_API_HOST: 'api.host',
  POINTSNODE_API_PORT: 'api.port',
  POINTSNODE_API_RATE_LIMIT: 'api.rateLimitPerMinute',
  POINTSNODE_API_EVENT_SUBSCRIBERS_PER_CLIENT_MAX: 'api.eventSubscribersPerClientMax',
  POINTSNODE_P2P_LISTEN: 'p2p.listen',
  POINTSNODE_LOG_LEVEL: 'log.level',
  POINTSNODE_VERIFIER_WORKERS: 'verifier.workers',
  POINTSNODE_PROPOSAL_TXS_MAX: 'consensus.proposalTxsMax',
  POINTSNODE_BLOCK_INTERVAL_MS: 'consensus.blockIntervalMs',
  POINTSNODE_HEAP_GROWTH_PERCENT: 'memory.heapGrowthPercent',
}

/** Flat overrides (`api.port` → value) read from `POINTSNODE_*` environment variables. */
export function envOverrides(env: Readonly<Record<string, string | undefined>>): Overrides {
  const out: Record<string, string> = {}
  for (const [name, path] of Object.entries(ENV_KEYS)) {
    const value = env[name]
    if (value !== undefined && value !== '') out[path] = value
  }
  return out
}

const PUBLIC_KEY_HEX = /^0[23][0-9a-f]{64}$/

/**
 * Most configured observers: the gater admits at most PEER_COUNT_MAX (128) keys, and the sets of the
 * next two heights hold up to VALIDATOR_COUNT_MAX + 1 (101) validators.
 */
export const OBSERVER_COUNT_MAX = 24

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const

function invalid(message: string): Result<never, ConfigError> {
  return err({ code: 'CONFIG_INVALID', message })
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string')
}

function readFile(home: string): Result<Record<string, unknown>, ConfigError> {
  const path = join(home, CONFIG_FILE)
  if (!existsSync(path)) return ok({})
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'))
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return invalid(`${path} must hold a JSON object`)
    }
    return ok(parsed as Record<string, unknown>)
  } catch (cause) {
    return err({ code: 'CONFIG_UNREADABLE', message: `${path}: ${String(cause)}` })
  }
}

function isIntIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
}

function section(file: Record<string, unknown>, name: string): Record<string, unknown> {
  const value = file[name]
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
}

/** Loads and validates the configuration of `home`, applying env and flag overrides in that order. */
export function loadConfig(
  home: string,
  overrides: readonly Overrides[] = [],
): Result<NodeConfig, ConfigError> {
  const file = readFile(home)
  if (!file.ok) return file
  const base = defaultConfig(home)
  const api = section(file.value, 'api')
  const p2p = section(file.value, 'p2p')
  const log = section(file.value, 'log')
  const verifier = section(file.value, 'verifier')
  const consensus = section(file.value, 'consensus')
  const memory = section(file.value, 'memory')
  const flat: Record<string, unknown> = {
    chainId: file.value['chainId'] ?? base.chainId,
    'api.host': api['host'] ?? base.api.host,
    'api.port': api['port'] ?? base.api.port,
    'api.corsOrigins': api['corsOrigins'] ?? base.api.corsOrigins,
    'api.rateLimitPerMinute': api['rateLimitPerMinute'] ?? base.api.rateLimitPerMinute,
    'api.eventSubscribersPerClientMax':
      api['eventSubscribersPerClientMax'] ?? base.api.eventSubscribersPerClientMax,
    'api.trustProxy': api['trustProxy'] ?? base.api.trustProxy,
    // Absent: the built console when there is one; null: none.
    'api.consoleDir': 'consoleDir' in api ? api['consoleDir'] : builtConsoleDir(),
    'p2p.listen': p2p['listen'] ?? base.p2p.listen,
    'p2p.peers': p2p['peers'] ?? base.p2p.peers,
    'p2p.observers': p2p['observers'] ?? base.p2p.observers,
    'log.level': log['level'] ?? base.log.level,
    'verifier.workers': verifier['workers'] ?? base.verifier.workers,
    'consensus.proposalTxsMax': consensus['proposalTxsMax'] ?? base.consensus.proposalTxsMax,
    'consensus.blockIntervalMs': consensus['blockIntervalMs'] ?? base.consensus.blockIntervalMs,
    'memory.heapGrowthPercent': memory['heapGrowthPercent'] ?? base.memory.heapGrowthPercent,
  }
  for (const layer of overrides) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue
      flat[key] = NUMERIC_KEYS.has(key) ? numberOf(value) : value
    }
  }
  return validate(home, flat)
}

/**
 * A numeric override as a number when it is written in decimal digits; otherwise the text itself,
 * which validation refuses naming the setting (`Number('')` would be 0: a blank `--api-port`
 * must not pick any free port).
 */
function numberOf(text: string): number | string {
  return /^[0-9]+$/.test(text) ? Number(text) : text
}

const NUMERIC_KEYS: ReadonlySet<string> = new Set([
  'api.port',
  'api.rateLimitPerMinute',
  'api.eventSubscribersPerClientMax',
  'verifier.workers',
  'consensus.proposalTxsMax',
  'consensus.blockIntervalMs',
  'memory.heapGrowthPercent',
])
/**
 * Default most txs per proposal. Four validators sharing two cores checked a 5,000-tx block in more
 * than the 2 s round-0 timer, so under a backlog those heights needed extra rounds
 * (docs/BENCHMARKS.md, "Cluster").
 */
export const PROPOSAL_TXS_DEFAULT = 2_000
/** Default block interval (ms): see `consensus.blockIntervalMs`. */
export const BLOCK_INTERVAL_MS_DEFAULT = 500
/**
 * Longest configurable block interval (ms). The round-0 timer is 2 s: a proposer that waits
 * longer than it for txs leaves no time for the proposal, prepare and commit of round 0, and at
 * light load every height would need a second round.
 */
export const BLOCK_INTERVAL_MS_MAX = 1_500
/** Shortest configurable block interval (ms). */
export const BLOCK_INTERVAL_MS_MIN = 10
/**
 * Default V8 heap growth: 100 % past the live set. A 4-validator soak at 300 tx/s then held each
 * validator's RSS within ±10 % (V8's own policy let it climb to 0.6-0.8 GiB), and one validator's
 * throughput stayed within noise of V8's policy; 50 % cost about 5-8 % of it
 * (docs/BENCHMARKS.md, "Cluster", third session; ADR 0072).
 */
export const HEAP_GROWTH_PERCENT_DEFAULT = 100
/** Largest configurable heap growth (V8's own policy never grows more than 300 % past the live set). */
export const HEAP_GROWTH_PERCENT_MAX = 300
/** Most verifier worker threads per node (the pool's own bound is higher). */
export const VERIFIER_WORKERS_MAX = 16
/** Largest configurable request rate per client address and minute. */
export const API_RATE_LIMIT_MAX = 10_000_000

const HEAP_GROWTH_INVALID = `memory.heapGrowthPercent must be an integer in 0..${HEAP_GROWTH_PERCENT_MAX} (0: V8's own)`

/**
 * The heap growth of a process that runs several nodes (`pointsnode dev`). V8's heap belongs to the
 * process, not to a node, so the nodes' config files do not set it: POINTSNODE_HEAP_GROWTH_PERCENT
 * does, checked as the config file's `memory.heapGrowthPercent` is, or else the default.
 */
export function processHeapGrowth(
  env: Readonly<Record<string, string | undefined>>,
): Result<number, ConfigError> {
  const value = envOverrides(env)['memory.heapGrowthPercent']
  if (value === undefined) return ok(HEAP_GROWTH_PERCENT_DEFAULT)
  const percent = Number(value)
  return isIntIn(percent, 0, HEAP_GROWTH_PERCENT_MAX) ? ok(percent) : invalid(HEAP_GROWTH_INVALID)
}

function validateApi(
  home: string,
  flat: Record<string, unknown>,
): Result<NodeConfig['api'], ConfigError> {
  const port = flat['api.port']
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    return invalid('api.port must be an integer in 0..65535 (0: any free port)')
  }
  const host = flat['api.host']
  if (typeof host !== 'string' || !isHost(host)) {
    return invalid('api.host must be a host name or an IP address (IPv6 without brackets)')
  }
  const cors = flat['api.corsOrigins']
  if (!isStringList(cors)) return invalid('api.corsOrigins must be a list of origins')
  const rate = flat['api.rateLimitPerMinute']
  if (!isIntIn(rate, 1, API_RATE_LIMIT_MAX)) {
    return invalid(`api.rateLimitPerMinute must be an integer in 1..${API_RATE_LIMIT_MAX}`)
  }
  const perClient = flat['api.eventSubscribersPerClientMax']
  // At most the node's own bound on event subscribers, which a larger value could not raise.
  const perClientMax = EVENT_LIMITS_DEFAULT.subscribersMax
  if (!isIntIn(perClient, 1, perClientMax)) {
    return invalid(`api.eventSubscribersPerClientMax must be an integer in 1..${perClientMax}`)
  }
  const trustProxy = flat['api.trustProxy']
  if (!isTrustProxy(trustProxy)) {
    return invalid(
      'api.trustProxy must be false, true or a list of proxy IP addresses or CIDR ranges ' +
        `(or ${PROXY_RANGE_NAMES.join(', ')})`,
    )
  }
  const consoleDir = consoleDirOf(flat['api.consoleDir'], home)
  if (!consoleDir.ok) return consoleDir
  return ok({
    host,
    port,
    corsOrigins: cors,
    rateLimitPerMinute: rate,
    eventSubscribersPerClientMax: perClient,
    trustProxy,
    ...(consoleDir.value !== null ? { consoleDir: consoleDir.value } : {}),
  })
}

/**
 * A name or an IP address to listen on. An IPv6 address is written without brackets (`::1`) and
 * without a zone (`%eth0`), which no URL can carry (`apiUrlOf` adds the brackets).
 */
function isHost(host: string): boolean {
  if (host.length === 0) return false
  return host.includes(':') ? isIPv6(host) && !host.includes('%') : !/[\s/[\]@]/.test(host)
}

/** The API's base URL for a listener on `host`:`port` (an IPv6 address in brackets). */
export function apiUrlOf(host: string, port: number): string {
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`
}

/** Names of address ranges that fastify's `trustProxy` list accepts besides addresses. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'] as const
/** Most entries of `api.trustProxy`. */
export const TRUST_PROXY_ENTRIES_MAX = 64

/** An IP address, or an address and a prefix length (1..32, IPv6 1..128), or a range's name. */
function isProxyEntry(entry: string): boolean {
  if ((PROXY_RANGE_NAMES as readonly string[]).includes(entry)) return true
  const [address = '', prefix, ...rest] = entry.split('/')
  const family = address.includes('%') ? 0 : isIP(address)
  if (family === 0 || rest.length > 0) return false
  if (prefix === undefined) return true
  const bits = /^[0-9]{1,3}$/.test(prefix) ? Number(prefix) : 0
  return bits >= 1 && bits <= (family === 4 ? 32 : 128)
}

function isTrustProxy(value: unknown): value is boolean | string[] {
  if (typeof value === 'boolean') return true
  return isStringList(value) && value.length <= TRUST_PROXY_ENTRIES_MAX && value.every(isProxyEntry)
}

/** The console folder: a path (relative to the home) of an existing folder, or null for none. */
function consoleDirOf(value: unknown, home: string): Result<string | null, ConfigError> {
  if (value === null) return ok(null)
  if (typeof value !== 'string' || value.length === 0) {
    return invalid('api.consoleDir must be a folder (absolute or relative to the home) or null')
  }
  const dir = resolve(home, value)
  // existsSync first: it answers false instead of throwing for a path that cannot be read.
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    return invalid(`api.consoleDir: ${dir} is not a folder`)
  }
  return ok(dir)
}

function validate(home: string, flat: Record<string, unknown>): Result<NodeConfig, ConfigError> {
  const chainId = flat['chainId']
  if (typeof chainId !== 'string' || !CHAIN_ID_PATTERN.test(chainId)) {
    return invalid(`chainId must match ${CHAIN_ID_PATTERN.source}`)
  }
  const api = validateApi(home, flat)
  if (!api.ok) return api
  const listen = flat['p2p.listen']
  if (typeof listen !== 'string' || !listen.startsWith('/'))
    return invalid('p2p.listen must be a multiaddr')
  const peers = flat['p2p.peers']
  if (!isStringList(peers)) return invalid('p2p.peers must be a list of multiaddrs')
  const observers = flat['p2p.observers']
  if (!isStringList(observers) || !observers.every((o) => PUBLIC_KEY_HEX.test(o))) {
    return invalid('p2p.observers must be a list of 33-byte public keys in lowercase hex')
  }
  if (observers.length > OBSERVER_COUNT_MAX) {
    return invalid(`p2p.observers holds at most ${OBSERVER_COUNT_MAX} keys`)
  }
  const level = flat['log.level']
  if (typeof level !== 'string' || !(LOG_LEVELS as readonly string[]).includes(level)) {
    return invalid(`log.level must be one of ${LOG_LEVELS.join(', ')}`)
  }
  const workers = flat['verifier.workers']
  if (!isIntIn(workers, 1, VERIFIER_WORKERS_MAX)) {
    return invalid(`verifier.workers must be an integer in 1..${VERIFIER_WORKERS_MAX}`)
  }
  const proposalTxsMax = flat['consensus.proposalTxsMax']
  if (!isIntIn(proposalTxsMax, 1, BLOCK_TX_COUNT_MAX)) {
    return invalid(`consensus.proposalTxsMax must be an integer in 1..${BLOCK_TX_COUNT_MAX}`)
  }
  const blockIntervalMs = flat['consensus.blockIntervalMs']
  if (!isIntIn(blockIntervalMs, BLOCK_INTERVAL_MS_MIN, BLOCK_INTERVAL_MS_MAX)) {
    const range = `${BLOCK_INTERVAL_MS_MIN}..${BLOCK_INTERVAL_MS_MAX}`
    return invalid(`consensus.blockIntervalMs must be an integer in ${range}`)
  }
  const heapGrowthPercent = flat['memory.heapGrowthPercent']
  if (!isIntIn(heapGrowthPercent, 0, HEAP_GROWTH_PERCENT_MAX)) return invalid(HEAP_GROWTH_INVALID)
  return ok({
    home,
    chainId,
    api: api.value,
    p2p: { listen, peers, observers },
    log: { level: level as NodeConfig['log']['level'] },
    verifier: { workers },
    consensus: { proposalTxsMax, blockIntervalMs },
    memory: { heapGrowthPercent },
  })
}
