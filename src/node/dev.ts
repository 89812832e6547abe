/**
 * `pointsnode dev` (and `npm start`): a complete local consortium in one process — four validators
 * with their own LevelDB homes under one folder, on 127.0.0.1, and on first start the demo
 * enterprises, point types, rates, market and balances (src/node/demo.ts).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { keyPairOf } from '../client/keys.ts'
import { fromHex, toHex } from '../util/bytes.ts'
import { NodeError } from '../util/errors.ts'
import { CONSOLE_DIST_DIR, loadConfig } from './config.ts'
import { demoKeys, demoStages } from './demo.ts'
import { loadGenesis } from './genesis-file.ts'
import { loadNodeKey } from './key-file.ts'
import { PointsNode } from './node.ts'
import { createTestnet } from './testnet.ts'

/** Validators of the dev consortium. */
export const DEV_VALIDATORS = 4
const DEV_CHAIN_ID = 'pointsnode-dev'

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new NodeError('DEV_TIMEOUT', `timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Submits the demo stages through node 0, waiting for each stage to commit. */
async function seedDemo(nodes: readonly PointsNode[], dir: string, log: Logger): Promise<void> {
  const node = nodes[0]!
  const operatorFile = JSON.parse(readFileSync(join(dir, 'operator-key.json'), 'utf8')) as {
    secretKey: string
  }
  const operator = keyPairOf(fromHex(operatorFile.secretKey))
  const keys = demoKeys()
  for (const [i, stage] of demoStages(operator, keys, DEV_CHAIN_ID, node.height + 600).entries()) {
    for (const tx of stage) {
      const result = await node.submit(tx.signedBytes)
      if (!result.ok)
        throw new NodeError('DEV_DEMO_FAILED', `demo stage ${i}: ${result.error.code}`)
    }
    await waitFor(`demo stage ${i}`, () => node.mempool.size === 0, 30_000)
    const target = node.height + 1
    await waitFor(`block after stage ${i}`, () => node.height >= target, 30_000)
  }
  const summary = {
    acme: keys.acme.addressHex,
    beta: keys.beta.addressHex,
    consumer: keys.consumer.addressHex,
  }
  writeFileSync(
    join(dir, 'demo-accounts.json'),
    JSON.stringify({ ...summary, consumerSecretKey: toHex(keys.consumer.secretKey) }, null, 2) +
      '\n',
    { mode: 0o600 },
  )
  log.info(summary, 'demo data committed')
}

/** Options of `runDev`: the console folder to serve (default: the build, when present) and CORS. */
export interface DevOptions {
  readonly consoleDir?: string
  readonly corsOrigins?: readonly string[]
}

/** Starts (creating on first use) the dev consortium under `dir`; returns the running nodes. */
export async function runDev(
  dir: string,
  log: Logger,
  options: DevOptions = {},
): Promise<PointsNode[]> {
  const consoleDir =
    options.consoleDir ?? (existsSync(CONSOLE_DIST_DIR) ? CONSOLE_DIST_DIR : undefined)
  const fresh = !existsSync(join(dir, 'node0'))
  if (fresh) await createTestnet(dir, DEV_VALIDATORS, DEV_CHAIN_ID, BigInt(Date.now()))
  const nodes: PointsNode[] = []
  for (let i = 0; i < DEV_VALIDATORS; i++) {
    const home = join(dir, `node${i}`)
    const config = loadConfig(home)
    if (!config.ok) throw new NodeError(config.error.code, config.error.message)
    const cors = options.corsOrigins ?? config.value.api.corsOrigins
    const child = log.child({ node: i })
    nodes.push(
      await PointsNode.start({
        config: { ...config.value, api: { ...config.value.api, corsOrigins: cors } },
        ...(consoleDir !== undefined ? { consoleDir } : {}),
        genesis: loadGenesis(home),
        key: loadNodeKey(home),
        log: child,
      }),
    )
  }
  if (fresh) await seedDemo(nodes, dir, log)
  return nodes
}
