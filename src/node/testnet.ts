/**
 * `pointsnode testnet`: homes for a local consortium on 127.0.0.1 — one node key, config and the
 * shared genesis per validator (and per observer node, if asked), plus the operator's key (which
 * governs the consortium) in the output folder. Ports are free ports picked at creation time.
 * Optional genesis balances of the universal point type fund accounts for trials and load tests.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { generateKeyPair, type KeyPair } from '../client/keys.ts'
import { toHex } from '../util/bytes.ts'
import type { Genesis } from '../vm/genesis.ts'
import { CONFIG_FILE, defaultConfig } from './config.ts'
import { consortiumGenesis, saveGenesis, type Funding } from './genesis-file.ts'
import { createNodeKey } from './key-file.ts'

/** What `createTestnet` made. */
export interface Testnet {
  /** Validator homes `node0..`. */
  readonly homes: readonly string[]
  /** Observer homes `observer0..`. */
  readonly observerHomes: readonly string[]
  readonly genesis: Genesis
  readonly operator: KeyPair
}

/** A free TCP port on 127.0.0.1 (bound and released; a small race that is fine on loopback). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => {
        resolve(port)
      })
    })
  })
}

/** Options of `createTestnet`. */
export interface TestnetOptions {
  /** Observer homes to create (admitted by every validator; they follow the chain). */
  readonly observers?: number
  /** Genesis balances of the universal point type (`UNI`). */
  readonly funding?: readonly Funding[]
}

/** The genesis of a fresh local consortium governed by `operator` (also its oracle). */
export function testnetGenesis(
  chainId: string,
  validators: readonly Uint8Array[],
  operator: KeyPair,
  genesisTime: bigint,
  funding: readonly Funding[] = [],
): Genesis {
  return consortiumGenesis({
    chainId,
    genesisTime,
    validators,
    operators: [operator.publicKey],
    operatorQuorum: 1,
    oracles: [operator.publicKey],
    funding,
  })
}

function writeOperatorKey(out: string): KeyPair {
  const operator = generateKeyPair()
  const operatorFile = {
    address: operator.addressHex,
    publicKey: toHex(operator.publicKey),
    secretKey: toHex(operator.secretKey),
  }
  writeFileSync(join(out, 'operator-key.json'), JSON.stringify(operatorFile, null, 2) + '\n', {
    mode: 0o600,
  })
  return operator
}

function createHome(out: string, name: string): { home: string; key: KeyPair } {
  const home = join(out, name)
  mkdirSync(home, { recursive: true, mode: 0o700 })
  return { home, key: createNodeKey(home) }
}

/**
 * Creates `count` validator homes (`node0..`) and `options.observers` observer homes
 * (`observer0..`) under `out`. Every validator lists the other validators as peers and admits the
 * observers; an observer lists every validator as a peer.
 */
export async function createTestnet(
  out: string,
  count: number,
  chainId: string,
  genesisTime: bigint,
  options: TestnetOptions = {},
): Promise<Testnet> {
  mkdirSync(out, { recursive: true, mode: 0o700 })
  const validators = Array.from({ length: count }, (_, i) => createHome(out, `node${i}`))
  const observers = Array.from({ length: options.observers ?? 0 }, (_, i) =>
    createHome(out, `observer${i}`),
  )
  const operator = writeOperatorKey(out)
  const genesis = testnetGenesis(
    chainId,
    validators.map((v) => v.key.publicKey),
    operator,
    genesisTime,
    options.funding,
  )
  const all = [...validators, ...observers]
  const ports = await Promise.all(
    all.map(async () => ({ api: await freePort(), p2p: await freePort() })),
  )
  const peerEntry = (j: number): string =>
    `${toHex(all[j]!.key.publicKey)}@/ip4/127.0.0.1/tcp/${ports[j]!.p2p}`
  const observerKeys = observers.map((o) => toHex(o.key.publicKey))
  all.forEach(({ home }, i) => {
    const peers = validators.flatMap((_, j) => (j === i ? [] : [peerEntry(j)]))
    const base = defaultConfig(home)
    const config = {
      chainId,
      api: { ...base.api, port: ports[i]!.api },
      p2p: {
        listen: `/ip4/127.0.0.1/tcp/${ports[i]!.p2p}`,
        peers,
        observers: i < count ? observerKeys : [],
      },
      log: base.log,
    }
    writeFileSync(join(home, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n')
    saveGenesis(home, genesis)
  })
  return {
    homes: validators.map((v) => v.home),
    observerHomes: observers.map((o) => o.home),
    genesis,
    operator,
  }
}
