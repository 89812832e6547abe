/**
 * Goal: `blockIntervalMs` is the longest a proposer waits for txs. A node whose mempool holds a full
 * proposal (`consensus.proposalTxsMax` txs) proposes at once, in round 0 of the height, instead of
 * waiting out the interval; with fewer txs it still waits.
 * Method: one real validator with a 60 s block interval and 3-tx proposals. Its round-0 timer (2 s)
 * ends long before the interval, so a height whose proposer waited is decided in round 1 with the
 * proposal of that round. Right after a commit, submit one tx (the block that takes it must come
 * from round 1), then, after the next commit, three (the block must come from round 0). The round is
 * read from the stored commit certificate.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/node/config.ts'
import { loadGenesis } from '../../../src/node/genesis-file.ts'
import { loadNodeKey } from '../../../src/node/key-file.ts'
import { PointsNode } from '../../../src/node/node.ts'
import { createTestnet } from '../../../src/node/testnet.ts'
import { toHex } from '../../../src/util/bytes.ts'
import { LIVE_CHAIN_ID, registerTx } from '../../support/live-node.ts'

const dir = mkdtempSync(join(tmpdir(), 'pointsnode-full-block-'))
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** Resolves with the height of the next block the node commits. */
function nextCommit(node: PointsNode): Promise<number> {
  return new Promise((resolve) => {
    const stop = node.onCommitted((block) => {
      stop()
      resolve(block.height)
    })
  })
}

/** Submits `count` fresh txs right after the next commit; resolves with the height holding them. */
async function committedAfterNextBlock(node: PointsNode, count: number): Promise<number> {
  await nextCommit(node)
  const txs = Array.from({ length: count }, () => registerTx(node))
  const ids = new Set(txs.map((tx) => toHex(tx.txId)))
  const holding = new Promise<number>((resolve) => {
    const stop = node.onCommitted((block) => {
      if (block.txIds.some((id) => ids.has(id))) {
        expect(
          block.txIds.filter((id) => ids.has(id)),
          'all in one block',
        ).toHaveLength(count)
        stop()
        resolve(block.height)
      }
    })
  })
  for (const tx of txs) expect((await node.submit(tx.signedBytes)).ok).toBe(true)
  return holding
}

async function roundOf(node: PointsNode, height: number): Promise<number> {
  const certificate = await node.ledger.loadCertificate(height)
  expect(certificate, `certificate of height ${height}`).toBeDefined()
  return certificate!.round
}

describe('a full mempool ends the block interval', () => {
  it('proposes a full block in round 0 and waits with a partial one', async () => {
    await createTestnet(dir, 1, LIVE_CHAIN_ID, BigInt(Date.now()))
    const home = join(dir, 'node0')
    const config = loadConfig(home)
    if (!config.ok) throw new Error(config.error.message)
    const node = await PointsNode.start({
      config: { ...config.value, consensus: { ...config.value.consensus, proposalTxsMax: 3 } },
      genesis: loadGenesis(home),
      key: loadNodeKey(home),
      log: pino({ level: 'silent' }),
      blockIntervalMs: 60_000,
    })
    try {
      const partial = await committedAfterNextBlock(node, 1)
      expect(await roundOf(node, partial), 'one tx of three: the proposer waited').toBe(1)
      const full = await committedAfterNextBlock(node, 3)
      expect(await roundOf(node, full), 'a full proposal: proposed at once').toBe(0)
      expect(node.mempool.size).toBe(0)
    } finally {
      await node.stop()
    }
  }, 30_000)
})
