/**
 * Goal (issue #7: validator set changes in a running node): when the operators add a validator, the
 * running validator admits the new key in its gater as soon as it commits the accepting block (it
 * refused it before), the new validator connects, catches up and votes from two heights later, and
 * the chain of two validators keeps committing; a validator restarted after the change restores the
 * changed sets (checked against its head header) and the chain continues; `pointsnode status`
 * shows the changed set.
 * Method: two real `PointsNode`s in this process on 127.0.0.1 with LevelDB homes in a temp folder:
 * validator A from `createTestnet` (one validator), node B with its own key, the same genesis and A
 * as its peer; the operator submits `validator.update add B` to A. Observed through the nodes' p2p
 * peer lists and committed heights; polls with deadlines; nodes stopped and homes removed in afterAll.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { keyPairOf } from '../../src/client/keys.ts'
import { signedTx } from '../../src/client/tx-builder.ts'
import { runCli } from '../../src/cli/main.ts'
import { CONFIG_FILE, loadConfig } from '../../src/node/config.ts'
import { saveGenesis, loadGenesis } from '../../src/node/genesis-file.ts'
import { createNodeKey, loadNodeKey } from '../../src/node/key-file.ts'
import { PointsNode } from '../../src/node/node.ts'
import { createTestnet, freePort } from '../../src/node/testnet.ts'
import { equalBytes, fromHex, toHex } from '../../src/util/bytes.ts'
import { until } from '../support/cluster.ts'

const dir = mkdtempSync(join(tmpdir(), 'pointsnode-vchange-'))
const running = new Set<PointsNode>()
const log = pino({ level: 'silent' })

afterAll(async () => {
  for (const node of running) await node.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function start(home: string): Promise<PointsNode> {
  const config = loadConfig(home)
  if (!config.ok) throw new Error(config.error.message)
  const node = await PointsNode.start({
    config: config.value,
    genesis: loadGenesis(home),
    key: loadNodeKey(home),
    log,
    blockIntervalMs: 200,
  })
  running.add(node)
  return node
}

async function stop(node: PointsNode): Promise<void> {
  await node.stop()
  running.delete(node)
}

const admits = (node: PointsNode, key: Uint8Array) =>
  node.p2p.peers().some((p) => equalBytes(p.publicKey, key))

describe('a validator added while the chain runs', () => {
  it('is admitted on commit, votes from two heights later, and survives a restart of the other', async () => {
    await createTestnet(dir, 1, 'e2e-chain', BigInt(Date.now()))
    const homeA = join(dir, 'node0')
    const homeB = join(dir, 'newcomer')
    mkdirSync(homeB, { recursive: true, mode: 0o700 })
    const keyB = createNodeKey(homeB)
    saveGenesis(homeB, loadGenesis(homeA))
    const configA = JSON.parse(readFileSync(join(homeA, CONFIG_FILE), 'utf8')) as {
      p2p: { listen: string }
    }
    const keyA = loadNodeKey(homeA)
    writeFileSync(
      join(homeB, CONFIG_FILE),
      JSON.stringify({
        chainId: 'e2e-chain',
        api: { host: '127.0.0.1', port: await freePort(), corsOrigins: [] },
        p2p: {
          listen: `/ip4/127.0.0.1/tcp/${await freePort()}`,
          peers: [`${toHex(keyA.publicKey)}@${configA.p2p.listen}`],
          observers: [],
        },
        log: { level: 'silent' },
      }),
    )
    let a = await start(homeA)
    const b = await start(homeB)
    await until('A commits alone', () => Promise.resolve(a.height >= 2 ? true : undefined), 60_000)
    expect(admits(a, keyB.publicKey), 'A refuses B before the change').toBe(false)
    expect(b.height, 'B gets no block before the change').toBe(0)

    const operator = JSON.parse(readFileSync(join(dir, 'operator-key.json'), 'utf8')) as {
      secretKey: string
    }
    const vote = signedTx(
      keyPairOf(fromHex(operator.secretKey)),
      'validator.update',
      { action: 'add', validatorPublicKey: keyB.publicKey, proposal: 1 },
      { chainId: 'e2e-chain', expiresAtHeight: a.height + 100 },
    )
    let accepted = -1
    const off = a.onCommitted((block) => {
      if (block.txIds.includes(toHex(vote.txId))) accepted = block.height
    })
    const submitted = await a.submit(vote.signedBytes)
    expect(submitted.ok).toBe(true)
    await until('the vote is committed', () => Promise.resolve(accepted > 0 ? true : undefined))
    off()
    expect(admits(a, keyB.publicKey), 'A admits B once the accepting block is committed').toBe(true)
    // From accepted + 2 the set is {A, B}: two of two must vote, so progress past it needs B.
    await until(
      'both commit past the height the change governs',
      () =>
        Promise.resolve(a.height >= accepted + 4 && b.height >= accepted + 4 ? true : undefined),
      120_000,
    )

    // `pointsnode status` shows the changed set, as the node's head names it.
    const printed: string[] = []
    const io = { out: (line: string) => printed.push(line), err: () => undefined }
    expect(await runCli(['status', '--home', homeA], io, {})).toBe(0)
    const status = JSON.parse(printed.join('\n')) as {
      validators: string[]
      validatorsSource: string
    }
    expect(status.validatorsSource).toBe('node')
    expect(new Set(status.validators)).toEqual(new Set([keyA.publicKey, keyB.publicKey].map(toHex)))

    await stop(a)
    a = await start(homeA)
    expect(admits(a, keyB.publicKey), 'A restored the changed set').toBe(true)
    const resumed = a.height
    await until(
      'the two validators commit after A restarted',
      () => Promise.resolve(a.height >= resumed + 3 && b.height >= resumed + 3 ? true : undefined),
      120_000,
    )
  }, 400_000)
})
