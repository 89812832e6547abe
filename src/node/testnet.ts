/**
 * `pointsnode testnet`: homes for a local consortium on 127.0.0.1 — one node key, config and the
 * shared genesis per validator, plus the operator's key (which governs the consortium) in the output
 * folder. Ports are free ports picked at creation time.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { generateKeyPair, type KeyPair } from '../client/keys.ts'
import { toHex } from '../util/bytes.ts'
import type { Genesis } from '../vm/genesis.ts'
import { CONFIG_FILE, defaultConfig } from './config.ts'
import { saveGenesis } from './genesis-file.ts'
import { createNodeKey } from './key-file.ts'

/** What `createTestnet` made. */
export interface Testnet {
  readonly homes: readonly string[]
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

/** The genesis of a fresh local consortium governed by `operator`. */
export function testnetGenesis(
  chainId: string,
  validators: readonly Uint8Array[],
  operator: KeyPair,
  genesisTime: bigint,
): Genesis {
  return {
    chainId,
    genesisTime,
    validators: [...validators],
    operators: [operator.publicKey],
    operatorQuorum: 1,
    oracles: [operator.publicKey],
    universal: {
      symbol: 'UNI',
      name: 'Universal points',
      decimals: 2,
      expirySeconds: 0n,
      transferable: true,
    },
    enterprises: [],
    pointTypes: [],
    balances: [],
  }
}

/** Creates `count` validator homes under `out`. */
export async function createTestnet(
  out: string,
  count: number,
  chainId: string,
  genesisTime: bigint,
): Promise<Testnet> {
  mkdirSync(out, { recursive: true, mode: 0o700 })
  const homes: string[] = []
  const keys: KeyPair[] = []
  for (let i = 0; i < count; i++) {
    const home = join(out, `node${i}`)
    mkdirSync(home, { recursive: true, mode: 0o700 })
    homes.push(home)
    keys.push(createNodeKey(home))
  }
  const operator = generateKeyPair()
  const operatorFile = {
    address: operator.addressHex,
    publicKey: toHex(operator.publicKey),
    secretKey: toHex(operator.secretKey),
  }
  writeFileSync(join(out, 'operator-key.json'), JSON.stringify(operatorFile, null, 2) + '\n', {
    mode: 0o600,
  })
  const genesis = testnetGenesis(
    chainId,
    keys.map((k) => k.publicKey),
    operator,
    genesisTime,
  )
  const ports = await Promise.all(
    homes.map(async () => ({ api: await freePort(), p2p: await freePort() })),
  )
  homes.forEach((home, i) => {
    const peers = homes.flatMap((_, j) =>
      j === i ? [] : [`${toHex(keys[j]!.publicKey)}@/ip4/127.0.0.1/tcp/${ports[j]!.p2p}`],
    )
    const base = defaultConfig(home)
    const config = {
      chainId,
      api: { ...base.api, port: ports[i]!.api },
      p2p: { listen: `/ip4/127.0.0.1/tcp/${ports[i]!.p2p}`, peers },
      log: base.log,
    }
    writeFileSync(join(home, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n')
    saveGenesis(home, genesis)
  })
  return { homes, genesis, operator }
}
