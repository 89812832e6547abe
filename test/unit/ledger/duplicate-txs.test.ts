/**
 * Goal: a block whose tx id occurs twice in it, or was committed in an earlier block, is valid
 * (docs/protocol/chain.md, vm.md: the later occurrence gets a failed receipt) and the ledger commits
 * it whole, without asserting; the tx index `t ‖ txId`, account history, inclusion proofs and the
 * read model's tx lookup keep the first location; the start-up integrity check accepts the store
 * (docs/protocol/storage.md#commit-batch, ADR 0082). Before, `commitBlock` asserted on such a block,
 * so every validator stopped at the same height, and again after a restart.
 * Method: (1) commits built like `TestChain.next` but with chosen txs, on a memory store and on
 * LevelDB reopened, compared with the first positions computed here; (2) the node's path: a
 * proposer's `ChainApp` builds the block, a second validator's `ChainApp` validates it
 * (`executeProposal`, what decides its vote), and the block is committed with the node's index
 * entries (`deriveIndexEntries`) and read back through `NodeReadModel`.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { buildGenesis, ChainApp } from '../../../src/chain/index.ts'
import { signedTx } from '../../../src/client/tx-builder.ts'
import { verifyMerkleProof } from '../../../src/codec/merkle.ts'
import { decodeSignedTx, type SignedTx } from '../../../src/codec/tx.ts'
import type { CommitInput } from '../../../src/ledger/commit.ts'
import { openLevelKvStore } from '../../../src/ledger/kv-level.ts'
import { MemoryKvStore } from '../../../src/ledger/kv-memory.ts'
import { Ledger } from '../../../src/ledger/ledger.ts'
import { toHex } from '../../../src/util/bytes.ts'
import { apiChain, keyPair, stx } from '../../support/api-chain.ts'
import {
  hashChainStateRootStandIn,
  TestChain,
  testSignedTx,
  freshLedger,
} from '../../support/ledger-fixtures.ts'
import { CHAIN, K, testGenesis } from '../../support/vm.ts'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

const options = { computeStateRoot: hashChainStateRootStandIn }

/** The id of a test tx. */
function id(signed: Uint8Array): Uint8Array {
  const decoded = decodeSignedTx(signed)
  if (!decoded.ok) throw new Error('test tx does not decode')
  return decoded.value.txId
}

/** The next commit of `chain` with exactly `txs`, giving their ids as the node does. */
function nextWith(chain: TestChain, txs: readonly Uint8Array[]): CommitInput {
  return { ...chain.nextWith(txs), txIds: txs.map(id) }
}

/** The history positions `[height, index]` of the account a test tx's history record names. */
async function historyOf(ledger: Ledger, txId: Uint8Array): Promise<number[][]> {
  const page = await ledger.queryAccountHistory(txId.slice(0, 20), { limit: 100 })
  if (!page.ok) throw new Error(page.error.message)
  return page.value.items.map((r) => [r.height, r.index])
}

describe('Ledger commits blocks with duplicate tx ids', () => {
  it('stores a block that carries a tx twice; the index and history keep its first position', async () => {
    const chain = new TestChain('dup-in-block')
    const ledger = await freshLedger(new MemoryKvStore())
    const [a, b] = [testSignedTx('dup/a'), testSignedTx('dup/b')]
    const input = nextWith(chain, [b, a, b, a, a])
    await ledger.commitBlock(input)
    expect(ledger.head?.height).toBe(1)
    expect(await ledger.loadTxLocation(id(a))).toEqual({ height: 1, index: 1 })
    expect(await ledger.loadTxLocation(id(b))).toEqual({ height: 1, index: 0 })
    expect(await historyOf(ledger, id(a))).toEqual([[1, 1]])
    expect(await historyOf(ledger, id(b))).toEqual([[1, 0]])
    // The block is stored whole, every occurrence with its receipt.
    expect((await ledger.loadBlock(1))?.block.txs).toEqual(input.block.txs)
    expect(await ledger.loadReceipts(1)).toEqual(input.receipts)
    const inclusion = await ledger.loadTxInclusion(id(a))
    expect(inclusion?.index).toBe(1)
    expect(verifyMerkleProof(input.block.header.txRoot, id(a), inclusion!.proof)).toBe(true)
  })

  it('stores blocks that replay committed txs; their location, history and proof stay first', async () => {
    const chain = new TestChain('dup-later')
    const ledger = await freshLedger(new MemoryKvStore())
    const [a, b, c] = [testSignedTx('later/a'), testSignedTx('later/b'), testSignedTx('later/c')]
    await ledger.commitBlock(nextWith(chain, [a, b]))
    const second = nextWith(chain, [c, a])
    await ledger.commitBlock(second)
    await ledger.commitBlock(nextWith(chain, [b, b, c]))
    expect(ledger.head?.height).toBe(3)
    expect(await ledger.loadTxLocation(id(a))).toEqual({ height: 1, index: 0 })
    expect(await ledger.loadTxLocation(id(b))).toEqual({ height: 1, index: 1 })
    expect(await ledger.loadTxLocation(id(c))).toEqual({ height: 2, index: 0 })
    for (const [tx, at] of [
      [a, [[1, 0]]],
      [b, [[1, 1]]],
      [c, [[2, 0]]],
    ] as const) {
      expect(await historyOf(ledger, id(tx)), toHex(id(tx))).toEqual(at)
    }
    expect((await ledger.loadBlock(2))?.block.txs).toEqual([c, a])
    expect(await ledger.loadReceipts(2)).toEqual(second.receipts)
    expect((await ledger.loadTxInclusion(id(b)))?.header.height).toBe(1)
  })

  it('reopens such a store from LevelDB: the integrity check accepts it, locations persist', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pointsnode-dup-'))
    dirs.push(dir)
    const chain = new TestChain('dup-reopen')
    let ledger = await freshLedger(await openLevelKvStore(join(dir, 'db')))
    const [a, b] = [testSignedTx('reopen/a'), testSignedTx('reopen/b')]
    await ledger.commitBlock(nextWith(chain, [a, a]))
    await ledger.commitBlock(nextWith(chain, [b, a]))
    await ledger.close()
    ledger = await Ledger.open(await openLevelKvStore(join(dir, 'db')), options)
    expect(ledger.head?.height).toBe(2)
    expect(await ledger.loadTxLocation(id(a))).toEqual({ height: 1, index: 0 })
    expect(await ledger.loadTxLocation(id(b))).toEqual({ height: 2, index: 0 })
    // Commits go on after the reopen, a replay included.
    await ledger.commitBlock(nextWith(chain, [b]))
    expect(ledger.head?.height).toBe(3)
    expect(await ledger.loadTxLocation(id(b))).toEqual({ height: 2, index: 0 })
    await ledger.close()
  })
})

/**
 * The node's commit path (test/support/api-chain.ts: a real `ChainApp`, ledger and read model),
 * with a second validator accepting each block before it is committed.
 */
async function nodePath() {
  const other = buildGenesis(testGenesis())
  if (!other.ok) throw new Error(other.error.message)
  const validator = new ChainApp(CHAIN, other.value.state, other.value.tree, 0, {
    selectTxs: () => [],
    isVerified: () => false,
  })
  const chain = await apiChain({
    beforeCommit: (block, parent) => {
      const height = block.header.height
      expect(validator.executeProposal(block, parent).ok, `validator accepts ${height}`).toBe(true)
      validator.commit(block)
    },
  })
  /** Proposes `txs`, has the other validator accept it, and commits it as the node does. */
  const decideAndCommit = async (txs: readonly SignedTx[]) =>
    (await chain.commit(txs)).result.receipts.map((r) => r.code)
  return { ledger: chain.ledger, read: chain.read, decideAndCommit, close: () => chain.close() }
}

describe('the node commits what the validators accept', () => {
  it('a tx twice, a replay and a replay after expiry: stored, served at the first location', async () => {
    const { ledger, read, decideAndCommit, close } = await nodePath()
    const register = stx(K.carol, 'account.register', { profileDigest: null })
    // Expires after block 1: its replay in block 2 is outside its window.
    const rate = signedTx(
      keyPair(K.oracle),
      'rate.set',
      { pointType: 'ACME', rate: 10_000_000n, sourceRef: 'r1' },
      { chainId: CHAIN, expiresAtHeight: 1 },
    )
    expect(await decideAndCommit([register, rate, register])).toEqual([null, null, 'TX_DUPLICATE'])
    expect(await decideAndCommit([rate, register])).toEqual(['TX_EXPIRED', 'TX_DUPLICATE'])
    expect(ledger.head?.height).toBe(2)

    const tx = await read.tx(register.txId)
    expect([tx?.height, tx?.index]).toEqual([1, 0])
    expect(tx?.receiptView).toMatchObject({ ok: true, code: null })
    expect((await read.tx(rate.txId))?.receiptView).toMatchObject({ ok: true, index: 1 })
    expect(await read.waitForTx(rate.txId, 0)).toEqual({ height: 1, index: 1 })
    const history = await read.history(K.carol.address, { cursor: null, limit: 100 })
    expect(history.ok && history.value.items).toEqual([
      { txId: toHex(register.txId), height: 1, index: 0, kind: 'account.register' },
    ])
    const rates = await read.rateHistory('ACME', { cursor: null, limit: 100 })
    expect(rates.ok && rates.value.items.map((r) => r['height'])).toEqual([1])
    // The later occurrences stay in their blocks, with their failed receipts.
    expect((await read.block(2))?.txIds.map(toHex)).toEqual([rate.txId, register.txId].map(toHex))
    await close()
  })
})
