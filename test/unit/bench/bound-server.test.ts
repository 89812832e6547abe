/**
 * Goal: the bound of `npm run bench:bound` is a bound on real work: its server (the node's API in
 * front of decoding, the stateless checks and one signature verification on the node's verifier
 * pool) admits exactly the txs a node's door would let through to its mempool, and refuses a tx
 * whose signature does not verify, one for another chain and bytes that are not a tx, each with
 * its own code, in request order.
 * Method: a real bound server process (one verifier worker) and a msgpack batch of signed txs over
 * HTTP; the expected ids come from the client tx builder, the expected codes from the documented
 * error table. The server process is killed after the test, also when it fails.
 */
import { Agent } from 'node:http'
import { afterAll, describe, expect, it } from 'vitest'
import { postBatch, startBoundServer, type BoundServer } from '../../../bench/bound-lib.ts'
import { benchAccounts, killGroup } from '../../../bench/cluster-lib.ts'
import { API_TX_BATCH_SCHEMA } from '../../../src/api/tx-batch.ts'
import { signedTx } from '../../../src/client/tx-builder.ts'
import { encodeCanonical } from '../../../src/codec/canonical.ts'
import { toHex } from '../../../src/util/bytes.ts'

const CHAIN = 'bound-test'
const servers: BoundServer[] = []
const agent = new Agent({ keepAlive: true })
afterAll(() => {
  agent.destroy()
  for (const s of servers) killGroup(s.pid)
})

describe('bench:bound server', () => {
  it('admits valid txs and refuses a bad signature, another chain and non-tx bytes', async () => {
    const server = await startBoundServer(1, CHAIN)
    servers.push(server)
    const [alice, bob] = benchAccounts(7, 2)
    if (!alice || !bob) throw new Error('two bench accounts')
    const transfer = (chainId: string, n: number) =>
      signedTx(
        alice,
        'points.transfer',
        { pointType: 'UNI', to: bob.address, amount: 1n },
        { chainId, expiresAtHeight: 100, salt: Uint8Array.of(n) },
      )
    const good = [transfer(CHAIN, 1), transfer(CHAIN, 2)]
    // The last byte of the signature changed: still low-S and well formed, but it does not verify.
    const forged = transfer(CHAIN, 3).signedBytes.slice()
    forged[forged.length - 1]! ^= 1
    const otherChain = transfer('another-chain', 4)
    const frame = encodeCanonical(API_TX_BATCH_SCHEMA, [
      good[0]!.signedBytes,
      forged,
      otherChain.signedBytes,
      // A msgpack integer, not a signed tx.
      Uint8Array.of(5),
      good[1]!.signedBytes,
    ])
    const results = await postBatch(agent, server.url, frame)
    expect(results.map((r) => r.txId ?? r.error?.code)).toEqual([
      toHex(good[0]!.txId),
      'TX_BAD_SIGNATURE',
      'TX_WRONG_CHAIN',
      'CODEC_SHAPE',
      toHex(good[1]!.txId),
    ])
  })
})
