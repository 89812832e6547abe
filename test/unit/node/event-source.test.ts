/**
 * Goal: the event streams' block source summarises committed blocks correctly and keeps its cache
 * within both bounds (blocks and txs), oldest out first, the newest block always kept, one copy per
 * height even when two readers load it at once.
 * Method: a real ledger with three committed blocks (5, 3 and 1 txs, signed here); the source's
 * ledger reads are recorded to see which heights it served from its cache.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { SignedTx } from '../../../src/codec/tx.ts'
import type { Ledger } from '../../../src/ledger/ledger.ts'
import { ledgerEventSource, type EventCacheLimits } from '../../../src/node/event-source.ts'
import { toHex } from '../../../src/util/bytes.ts'
import { apiChain, stx, type ApiChain } from '../../support/api-chain.ts'
import { K } from '../../support/vm.ts'

let chain: ApiChain | null = null
afterEach(async () => {
  await chain?.close()
  chain = null
})

/** A chain whose blocks 1, 2 and 3 hold 5, 3 and 1 txs (signed here, so their ids are known). */
async function threeBlocks(): Promise<{ chain: ApiChain; blocks: SignedTx[][] }> {
  const c = await apiChain()
  chain = c
  const transfer = (amount: bigint): SignedTx =>
    stx(K.alice, 'points.transfer', { pointType: 'ACME', to: K.bob.address, amount })
  const blocks = [
    [1n, 2n, 3n, 4n, 5n].map(transfer),
    [
      stx(K.alice, 'points.redeem', {
        pointType: 'ACME',
        amount: 1n,
        acceptor: K.shop.address,
        orderRef: 'O-1',
      }),
      transfer(6n),
      transfer(7n),
    ],
    [stx(K.bob, 'points.transfer', { pointType: 'ACME', to: K.alice.address, amount: 1n })],
  ]
  for (const txs of blocks) await c.commit(txs)
  return { chain: c, blocks }
}

/** The source over the chain's ledger, recording each height it loads from the ledger. */
function sourceOf(c: ApiChain, limits?: EventCacheLimits): { loads: number[]; block: Block } {
  const loads: number[] = []
  const ledger: Pick<Ledger, 'loadBlock'> = {
    loadBlock: (height) => {
      loads.push(height)
      return c.ledger.loadBlock(height)
    },
  }
  const source = ledgerEventSource(
    ledger,
    () => 3,
    () => () => undefined,
    limits,
  )
  return { loads, block: (height) => source.block(height) }
}
type Block = ReturnType<typeof ledgerEventSource>['block']

describe('ledgerEventSource', () => {
  it('summarises a block and its txs: ids, kinds, signer first, then counterparties', async () => {
    const { chain: c, blocks } = await threeBlocks()
    const { block } = sourceOf(c)
    const second = await block(2)
    expect(second?.height).toBe(2)
    expect(second?.txCount).toBe(3)
    const stored = await c.ledger.loadBlock(2)
    expect(second?.blockHash).toBe(toHex(stored!.hash))
    expect(second?.txs.map((t) => t.txId)).toEqual(blocks[1]!.map((t) => toHex(t.txId)))
    expect(second?.txs.map((t) => t.index)).toEqual([0, 1, 2])
    expect(second?.txs[0]?.kind).toBe('points.redeem')
    expect(second?.txs[0]?.addresses).toEqual([toHex(K.alice.address), toHex(K.shop.address)])
    expect(second?.txs[1]?.addresses).toEqual([toHex(K.alice.address), toHex(K.bob.address)])
    expect(await block(0)).toBeUndefined()
    expect(await block(4)).toBeUndefined()
  })

  it('bounds the cache by txs, oldest first, and keeps the newest block of any size', async () => {
    const { chain: c } = await threeBlocks()
    const { loads, block } = sourceOf(c, { blocksMax: 10, txsMax: 6 })
    await block(1) // {1: 5 txs}
    await block(2) // 8 txs > 6: block 1 goes
    await block(2)
    expect(loads).toEqual([1, 2])
    await block(1) // {2, 1}: 8 txs, block 2 goes
    await block(3) // {1, 3}: 6 txs, both stay
    await block(1)
    await block(3)
    expect(loads).toEqual([1, 2, 1, 3])

    const tiny = sourceOf(c, { blocksMax: 10, txsMax: 2 })
    await tiny.block(1)
    await tiny.block(1)
    expect(tiny.loads).toEqual([1])
  })

  it('bounds the cache by blocks', async () => {
    const { chain: c } = await threeBlocks()
    const { loads, block } = sourceOf(c, { blocksMax: 2, txsMax: 100 })
    for (const height of [1, 2, 3, 3, 2, 1]) await block(height)
    expect(loads).toEqual([1, 2, 3, 1])
  })

  it('keeps one copy of a block two readers load at once, counting its txs once', async () => {
    const { chain: c } = await threeBlocks()
    const { loads, block } = sourceOf(c, { blocksMax: 10, txsMax: 4 })
    const [a, b] = await Promise.all([block(2), block(2)])
    expect(a).toBe(b)
    await block(3) // {2, 3}: 4 txs; counted twice, block 2 would go
    await block(2)
    expect(loads).toEqual([2, 2, 3])
  })
})
