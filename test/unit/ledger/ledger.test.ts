/**
 * Goal: `Ledger` commits blocks atomically and loads back exactly what was committed, checked on
 * load (block hash recomputed, certificate matched), and refuses inconsistent commits before writing.
 * Method: a `TestChain` builds consistent commits over a model state; we commit them to a memory
 * store and to LevelDB, reopen, and compare every load with the chain's own inputs; then we feed
 * deliberately broken commits and check that they throw and that nothing was written.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeCanonical } from '../../../src/codec/canonical.ts'
import { BLOCK_SCHEMA } from '../../../src/core/block.ts'
import { verifyMerkleProof, merkleRoot } from '../../../src/codec/merkle.ts'
import { AssertionError } from '../../../src/util/assert.ts'
import { NodeError } from '../../../src/util/errors.ts'
import { equalBytes, toHex } from '../../../src/util/bytes.ts'
import { openLevelKvStore } from '../../../src/ledger/kv-level.ts'
import { MemoryKvStore } from '../../../src/ledger/kv-memory.ts'
import { Ledger } from '../../../src/ledger/ledger.ts'
import type { KvStore } from '../../../src/ledger/kv.ts'
import type { StateEntry } from '../../../src/core/state.ts'
import {
  hashChainStateRootStandIn,
  TestChain,
  txIdsOf,
  freshLedger,
} from '../../support/ledger-fixtures.ts'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

const options = { computeStateRoot: hashChainStateRootStandIn }

async function collect(iterable: AsyncIterable<StateEntry>): Promise<StateEntry[]> {
  const out: StateEntry[] = []
  for await (const e of iterable) out.push(e)
  return out
}

describe('Ledger commits and loads', () => {
  it('persists blocks, certificates, receipts, tx locations and state across a LevelDB reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pointsnode-ledger-'))
    dirs.push(dir)
    const chain = new TestChain('reopen')
    const commits = []
    let ledger = await freshLedger(await openLevelKvStore(join(dir, 'db')))
    for (let h = 1; h <= 12; h++) {
      const input = chain.next(1 + (h % 5))
      commits.push(input)
      const head = await ledger.commitBlock(input)
      expect(head.height, `head after block ${h}`).toBe(h)
    }
    await ledger.close()
    ledger = await Ledger.open(await openLevelKvStore(join(dir, 'db')), options)
    expect(ledger.head?.height).toBe(12)
    expect(equalBytes(ledger.head!.blockHash, chain.parentHash)).toBe(true)
    for (const input of commits) {
      const h = input.block.header.height
      const stored = await ledger.loadBlock(h)
      expect(toHex(encodeCanonical(BLOCK_SCHEMA, stored!.block)), `block ${h}`).toBe(
        toHex(encodeCanonical(BLOCK_SCHEMA, input.block)),
      )
      expect(toHex(stored!.hash), `hash ${h}`).toBe(toHex(input.certificate.blockHash))
      expect((await ledger.loadBlockByHash(stored!.hash))?.block.header.height).toBe(h)
      expect(await ledger.loadCertificate(h), `certificate ${h}`).toEqual(input.certificate)
      expect(await ledger.loadReceipts(h), `receipts ${h}`).toEqual(input.receipts)
      const ids = txIdsOf(input.block)
      for (let i = 0; i < ids.length; i++) {
        expect(await ledger.loadTxLocation(ids[i]!), `tx ${h}:${i}`).toEqual({
          height: h,
          index: i,
        })
      }
    }
    expect(await collect(ledger.loadState())).toEqual(chain.model.entries())
    const [first] = chain.model.entries()
    expect(ledger.loadStateValueSync(first!.key)).toEqual(first!.value)
    expect(await ledger.loadStateValue(first!.key)).toEqual(first!.value)
    expect(await ledger.loadBlock(13)).toBeUndefined()
    await ledger.close()
  })

  it('hasHead tells a store past genesis from an empty one without opening it', async () => {
    const kv = new MemoryKvStore()
    expect(await Ledger.hasHead(kv)).toBe(false)
    const ledger = await freshLedger(kv)
    expect(await Ledger.hasHead(kv)).toBe(true)
    await ledger.commitBlock(new TestChain('has-head').next(2))
    expect(await Ledger.hasHead(kv)).toBe(true)
  })

  it('returns a tx inclusion proof that verifies against the Merkle root of the block tx ids', async () => {
    const chain = new TestChain('proof')
    const ledger = await freshLedger(new MemoryKvStore())
    const input = chain.next(7)
    await ledger.commitBlock(input)
    const ids = txIdsOf(input.block)
    const root = merkleRoot(ids)
    for (let i = 0; i < ids.length; i++) {
      const inclusion = await ledger.loadTxInclusion(ids[i]!)
      expect(inclusion?.index, `tx ${i}`).toBe(i)
      expect(inclusion?.signedTx, `tx ${i}`).toEqual(input.block.txs[i])
      expect(verifyMerkleProof(root, ids[i]!, inclusion!.proof), `proof of tx ${i}`).toBe(true)
    }
    expect(await ledger.loadTxInclusion(new Uint8Array(32))).toBeUndefined()
  })

  it('refuses inconsistent commits before writing anything', async () => {
    const kv = new MemoryKvStore()
    const chain = new TestChain('bad')
    const ledger = await freshLedger(kv)
    const good = chain.next(3)
    const sizeBefore = kv.size
    const header = good.block.header
    const broken = [
      ['wrong height', { ...good, block: { ...good.block, header: { ...header, height: 5 } } }],
      [
        'wrong parent',
        {
          ...good,
          block: { ...good.block, header: { ...header, parentHash: new Uint8Array(32) } },
        },
      ],
      [
        'certificate of another block',
        { ...good, certificate: { ...good.certificate, blockHash: new Uint8Array(32) } },
      ],
      ['unsorted write set', { ...good, writeSet: [...good.writeSet].reverse() }],
      ['burn at another height', { ...good, burns: [{ ...burnAt(9, 0, header.time) }] }],
      ['receipts count', { ...good, receipts: [] }],
      [
        'tx ids of other txs',
        { ...good, txIds: txIdsOf(good.block).map(() => new Uint8Array(32)) },
      ],
      ['one tx id short', { ...good, txIds: txIdsOf(good.block).slice(1) }],
      [
        'history of another tx',
        {
          ...good,
          indexEntries: {
            ...good.indexEntries,
            history: good.indexEntries.history.map((r) => ({ ...r, txId: new Uint8Array(32) })),
          },
        },
      ],
    ] as const
    for (const [what, input] of broken) {
      if (what === 'unsorted write set' && good.writeSet.length < 2) continue
      await expect(ledger.commitBlock(input), what).rejects.toThrow(AssertionError)
      expect(kv.size, `nothing written for ${what}`).toBe(sizeBefore)
    }
    // An assertion inside a commit is a bug, not a disk failure: the ledger stays usable. The
    // caller's tx ids (the node's execution decoded the txs) are taken when they match.
    expect(good.block.txs.length).toBeGreaterThan(0)
    await ledger.commitBlock({ ...good, txIds: txIdsOf(good.block) })
    expect(ledger.head?.height).toBe(1)
    // A tx already committed is not refused: the VM gives it a failed receipt and the block is
    // valid (test/unit/ledger/duplicate-txs.test.ts).
  })

  it('refuses further commits after a failed batch (the on-disk head is unknown)', async () => {
    const inner = new MemoryKvStore()
    let failNext = false
    const flaky: KvStore = {
      get: (k) => inner.get(k),
      getMany: (ks) => inner.getMany(ks),
      getSync: inner.getSync,
      range: (r) => inner.range(r),
      close: () => inner.close(),
      batch: (ops, o) => {
        if (!failNext) return inner.batch(ops, o)
        return Promise.reject(new NodeError('LEDGER_KV_WRITE', 'disk full'))
      },
    }
    const chain = new TestChain('flaky')
    const ledger = await freshLedger(flaky)
    await ledger.commitBlock(chain.next(1))
    failNext = true
    await expect(ledger.commitBlock(chain.next(1))).rejects.toThrow('disk full')
    failNext = false
    await expect(ledger.commitBlock(chain.next(1))).rejects.toMatchObject({ code: 'LEDGER_FAILED' })
    expect(ledger.head?.height).toBe(1)
  })

  it('sums statistics deltas per enterprise and day across blocks', async () => {
    const chain = new TestChain('stats', 3_600_000n) // one block per hour
    const ledger = await freshLedger(new MemoryKvStore())
    const enterprise = new Uint8Array(20).fill(9)
    for (let h = 1; h <= 30; h++) {
      const input = chain.next(1, {
        indexEntries: (height, time) => ({
          history: [],
          issuances: [],
          rates: [],
          auctions: [],
          stats: [
            {
              enterprise,
              time,
              issued: BigInt(height),
              redeemed: 1n,
              converted: 0n,
              expired: 2n,
              exchanged: 0n,
            },
            {
              enterprise,
              time,
              issued: 1n,
              redeemed: 0n,
              converted: 5n,
              expired: 0n,
              exchanged: 3n,
            },
          ],
        }),
      })
      await ledger.commitBlock(input)
    }
    const page = await ledger.queryEnterpriseStats(enterprise, 0, 0xffff_ffff, { limit: 10 })
    expect(page.ok).toBe(true)
    if (!page.ok) return
    // Expected totals computed here from the block times: hours 1..30 after a midnight.
    const byDay = new Map<number, bigint[]>()
    for (let h = 1; h <= 30; h++) {
      const day = Number(chain.timeAt(h) / 86_400_000n)
      const t = byDay.get(day) ?? [0n, 0n, 0n, 0n, 0n]
      byDay.set(day, [t[0]! + BigInt(h) + 1n, t[1]! + 1n, t[2]! + 5n, t[3]! + 2n, t[4]! + 3n])
    }
    expect(
      page.value.items.map((d) => [
        d.day,
        [d.issued, d.redeemed, d.converted, d.expired, d.exchanged],
      ]),
    ).toEqual([...byDay.entries()])
  })

  it('saturates a day total at 2^64 − 1 instead of refusing the commit', async () => {
    const chain = new TestChain('stats-max', 60_000n) // one block per minute: one day
    const ledger = await freshLedger(new MemoryKvStore())
    const enterprise = new Uint8Array(20).fill(7)
    const amountMax = (1n << 63n) - 1n // the most one delta counter holds
    for (let h = 1; h <= 3; h++) {
      const delta = { enterprise, issued: 1n, redeemed: 0n, converted: 0n, expired: 0n }
      const input = chain.next(1, {
        indexEntries: (_height, time) => ({
          history: [],
          issuances: [],
          rates: [],
          auctions: [],
          // Two deltas of one block, as for two point types of one issuer.
          stats: [
            { ...delta, time, exchanged: amountMax },
            { ...delta, time, exchanged: amountMax },
          ],
        }),
      })
      await ledger.commitBlock(input)
    }
    expect(ledger.head?.height).toBe(3)
    const page = await ledger.queryEnterpriseStats(enterprise, 0, 0xffff_ffff, { limit: 10 })
    expect(page.ok && page.value.items.map((d) => [d.issued, d.exchanged])).toEqual([
      [6n, (1n << 64n) - 1n],
    ])
  })

  it('rejects bad query arguments and foreign cursors as results, not exceptions', async () => {
    const ledger = await freshLedger(new MemoryKvStore())
    const address = new Uint8Array(20)
    expect(await ledger.queryAccountHistory(new Uint8Array(3), { limit: 5 })).toMatchObject({
      ok: false,
      error: { code: 'LEDGER_BAD_QUERY' },
    })
    expect(await ledger.queryAccountHistory(address, { limit: 0 })).toMatchObject({ ok: false })
    expect(await ledger.queryAccountHistory(address, { limit: 5, cursor: 'zz' })).toMatchObject({
      ok: false,
      error: { code: 'LEDGER_BAD_CURSOR' },
    })
    expect(await ledger.queryAccountHistory(address, { limit: 5, cursor: '7871' })).toMatchObject({
      ok: false,
      error: { code: 'LEDGER_BAD_CURSOR' },
    })
    expect(await ledger.queryRateHistory('lower-case', { limit: 5 })).toMatchObject({ ok: false })
    expect(await ledger.queryBurnsByTime(5n, 5n, { limit: 5 })).toMatchObject({ ok: false })
  })
})

function burnAt(height: number, index: number, time: bigint) {
  return {
    pointType: 'ACME',
    issuer: new Uint8Array(20).fill(1),
    holder: new Uint8Array(20).fill(2),
    amount: 10n,
    reason: 'expiry' as const,
    acceptor: null,
    orderRef: null,
    rate: 1_000_000_000n,
    valueUniversal: 10n,
    convertedTo: null,
    txId: null,
    height,
    time,
    index,
  }
}
