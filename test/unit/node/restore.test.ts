/**
 * Goal: a restarted node resumes from its ledger (same height, same state root, keeps committing),
 * and refuses a genesis document that is not the one its chain was created from, also once the chain
 * is past height 0, with `GENESIS_MISMATCH` and without touching the store. A start that fails after
 * the stores are open (its API port taken) releases what it had started: the same home then starts.
 * Method: one real validator (LevelDB, consensus, libp2p and API on 127.0.0.1) in a temp home, started
 * and stopped in this process; the home is removed afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/node/config.ts'
import { loadGenesis } from '../../../src/node/genesis-file.ts'
import { loadNodeKey } from '../../../src/node/key-file.ts'
import { PointsNode } from '../../../src/node/node.ts'
import { createTestnet } from '../../../src/node/testnet.ts'
import type { Genesis } from '../../../src/vm/genesis.ts'
import { NodeError } from '../../../src/util/errors.ts'

const dir = mkdtempSync(join(tmpdir(), 'pointsnode-restore-'))
const home = join(dir, 'node0')
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** What `PointsNode.start` needs for the validator in `nodeHome`, quiet and with 50 ms blocks. */
function optionsFor(nodeHome: string, genesis: Genesis = loadGenesis(nodeHome)) {
  const config = loadConfig(nodeHome)
  if (!config.ok) throw new Error(config.error.message)
  return {
    config: config.value,
    genesis,
    key: loadNodeKey(nodeHome),
    log: pino({ level: 'silent' }),
    blockIntervalMs: 50,
  }
}

function start(genesis?: Genesis): Promise<PointsNode> {
  return PointsNode.start(optionsFor(home, genesis))
}

/** Polls until the node has committed `height` (a deadline, not a sleep). */
async function reach(node: PointsNode, height: number): Promise<void> {
  const deadline = Date.now() + 20_000
  while (node.height < height) {
    if (Date.now() > deadline) throw new Error(`height ${node.height} < ${height} after 20 s`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

async function startError(genesis: Genesis): Promise<unknown> {
  try {
    const node = await start(genesis)
    await node.stop()
    return null
  } catch (error) {
    return error
  }
}

describe('restart from the ledger', { timeout: 60_000 }, () => {
  it('resumes at the committed height and refuses a different genesis', async () => {
    await createTestnet(dir, 1, 'pointsnode-restore', 1_700_000_000_000n)
    const first = await start()
    await reach(first, 3)
    await first.stop()
    const stoppedAt = first.height

    const second = await start()
    expect(second.height).toBe(stoppedAt)
    await reach(second, stoppedAt + 2)
    await second.stop()
    const resumedAt = second.height

    const other: Genesis = { ...loadGenesis(home), genesisTime: 1_700_000_000_001n }
    const error = await startError(other)
    expect(error).toBeInstanceOf(NodeError)
    expect((error as NodeError).code).toBe('GENESIS_MISMATCH')

    const third = await start()
    expect(third.height).toBe(resumedAt)
    await third.stop()
  })
})

describe('a start that fails after the stores are open', { timeout: 60_000 }, () => {
  it('releases the ledger lock and the p2p port before it reports', async () => {
    const failDir = mkdtempSync(join(tmpdir(), 'pointsnode-failed-start-'))
    const failHome = join(failDir, 'node0')
    const blocker = createServer()
    try {
      await createTestnet(failDir, 1, 'pointsnode-failed-start', 1_700_000_000_000n)
      const options = optionsFor(failHome)
      await new Promise<void>((listening) => {
        blocker.listen(options.config.api.port, options.config.api.host, listening)
      })
      await expect(PointsNode.start(options)).rejects.toMatchObject({ code: 'EADDRINUSE' })
      await new Promise<void>((closed) =>
        blocker.close(() => {
          closed()
        }),
      )
      // The same home, ledger lock and p2p port: only a start that released them can succeed.
      const node = await PointsNode.start(options)
      await reach(node, 2)
      await node.stop()
      expect(node.height).toBeGreaterThanOrEqual(2)
    } finally {
      blocker.close()
      rmSync(failDir, { recursive: true, force: true })
    }
  })
})
