/**
 * One real validator in this process for API tests: a fresh testnet home of one validator in a temp
 * folder, started with `PointsNode.start` (LevelDB, consensus, libp2p on 127.0.0.1, API on a free
 * port), and a load of valid txs (fresh keys registering accounts). Always stop it and remove it.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { generateKeyPair, type KeyPair } from '../../src/client/keys.ts'
import { signedTx } from '../../src/client/tx-builder.ts'
import type { SignedTx } from '../../src/codec/tx.ts'
import { loadConfig } from '../../src/node/config.ts'
import { loadGenesis } from '../../src/node/genesis-file.ts'
import { loadNodeKey } from '../../src/node/key-file.ts'
import { PointsNode, type NodeOptions } from '../../src/node/node.ts'
import { createTestnet } from '../../src/node/testnet.ts'

/** Chain id of the live test node. */
export const LIVE_CHAIN_ID = 'pointsnode-live'

/** A started node and its folder. */
export interface LiveNode {
  readonly node: PointsNode
  readonly dir: string
  stop(): Promise<void>
}

/** Starts one validator producing a block every `blockIntervalMs` (empty blocks too). */
export async function startLiveNode(
  blockIntervalMs = 50,
  apiRateLimit?: NodeOptions['apiRateLimit'],
): Promise<LiveNode> {
  const dir = mkdtempSync(join(tmpdir(), 'pointsnode-live-'))
  await createTestnet(dir, 1, LIVE_CHAIN_ID, BigInt(Date.now()))
  const home = join(dir, 'node0')
  const config = loadConfig(home)
  if (!config.ok) throw new Error(config.error.message)
  const node = await PointsNode.start({
    config: config.value,
    genesis: loadGenesis(home),
    key: loadNodeKey(home),
    log: pino({ level: 'silent' }),
    blockIntervalMs,
    ...(apiRateLimit ? { apiRateLimit } : {}),
  })
  return {
    node,
    dir,
    stop: async () => {
      try {
        await node.stop()
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}

/** An `account.register` tx of a fresh key (valid once, needs no funds). */
export function registerTx(node: PointsNode, key: KeyPair = generateKeyPair()): SignedTx {
  return signedTx(
    key,
    'account.register',
    { profileDigest: null },
    { chainId: LIVE_CHAIN_ID, expiresAtHeight: node.height + 500 },
  )
}
