/**
 * Goal: a corrupted or truncated store makes start-up refuse with a clear `LEDGER_*` error, never a
 * silent divergent state (issue 5, acceptance 5).
 * Method: commit 6 blocks to a LevelDB store, tamper with it through raw key writes (delete the last
 * block, corrupt a state value, point the head past the data, ...) or by truncating LevelDB's log
 * file, then reopen and check the error code and message. For the log truncation LevelDB may drop
 * the damaged tail: then the store must be consistent at an earlier head whose state equals the
 * replay of the chain up to that head. The commit witness is tampered with too (behind, different,
 * empty as a power loss can leave it, garbled).
 */
import { mkdtemp, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeCanonical } from '../../../src/codec/canonical.ts'
import { BLOCK_SCHEMA } from '../../../src/core/block.ts'
import {
  blockKey,
  certificateKey,
  headKey,
  indexHeadKey,
  stateKey,
} from '../../../src/ledger/keys.ts'
import { openLevelKvStore } from '../../../src/ledger/kv-level.ts'
import type { KvOp, KvStore } from '../../../src/ledger/kv.ts'
import { Ledger, type LedgerWarning } from '../../../src/ledger/ledger.ts'
import { FileCommitWitness } from '../../../src/ledger/witness.ts'
import { HEAD_SCHEMA, INDEX_HEAD_SCHEMA } from '../../../src/ledger/stored.ts'
import { toHex } from '../../../src/util/bytes.ts'
import { NodeError } from '../../../src/util/errors.ts'
import type { StateEntry } from '../../../src/core/state.ts'
import {
  hashChainStateRootStandIn,
  TEST_GENESIS_HASH,
  TestChain,
} from '../../support/ledger-fixtures.ts'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

const options = { computeStateRoot: hashChainStateRootStandIn }
const BLOCKS = 6

/** A LevelDB store with BLOCKS committed blocks; returns its path and the state root per height. */
async function buildStore(): Promise<{ path: string; roots: string[]; lastState: StateEntry[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'pointsnode-integrity-'))
  dirs.push(dir)
  const path = join(dir, 'db')
  const ledger = await Ledger.open(await openLevelKvStore(path), {
    ...options,
    witness: new FileCommitWitness(`${path}.witness`),
  })
  const roots = [toHex(hashChainStateRootStandIn([]))]
  await ledger.initGenesis({
    genesisHash: TEST_GENESIS_HASH,
    writeSet: [],
    stateRoot: hashChainStateRootStandIn([]),
  })
  const chain = new TestChain('integrity')
  for (let h = 1; h <= BLOCKS; h++) {
    await ledger.commitBlock(chain.next(4))
    roots.push(toHex(chain.model.root()))
  }
  await ledger.close()
  return { path, roots, lastState: chain.model.entries() }
}

async function tamper(path: string, edit: (kv: KvStore) => Promise<KvOp[]>): Promise<void> {
  const kv = await openLevelKvStore(path)
  await kv.batch(await edit(kv), { sync: true })
  await kv.close()
}

async function expectRefusal(path: string, code: string, message: RegExp): Promise<void> {
  const kv = await openLevelKvStore(path)
  try {
    await Ledger.open(kv, options)
    expect.fail(`expected ${code}`)
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(NodeError)
    expect((e as NodeError).code).toBe(code)
    expect((e as NodeError).message).toMatch(message)
  } finally {
    await kv.close()
  }
}

const flip = (bytes: Uint8Array, at: number): Uint8Array => {
  const out = bytes.slice()
  out[at % out.length] = out[at % out.length]! ^ 0x5a
  return out
}

describe('start-up integrity check', () => {
  it('resumes a healthy store', async () => {
    const { path, roots } = await buildStore()
    const ledger = await Ledger.open(await openLevelKvStore(path), options)
    expect(ledger.head?.height).toBe(BLOCKS)
    expect(toHex(ledger.head!.stateRoot)).toBe(roots[BLOCKS])
    await ledger.close()
  })

  it('refuses when the last block is deleted', async () => {
    const { path } = await buildStore()
    await tamper(path, () => Promise.resolve([{ type: 'del', key: blockKey(BLOCKS) }]))
    await expectRefusal(
      path,
      'LEDGER_HEAD_MISMATCH',
      /^LEDGER_HEAD_MISMATCH: head says height 6 but block 6 is missing$/,
    )
  })

  it('refuses when the head points past the data', async () => {
    const { path } = await buildStore()
    await tamper(path, async (kv) => {
      const head = await Ledger.open(kv, options).then((l) => l.head!)
      const value = encodeCanonical(HEAD_SCHEMA, { ...head, height: BLOCKS + 3 })
      return [{ type: 'put', key: headKey(), value }]
    })
    await expectRefusal(path, 'LEDGER_HEAD_MISMATCH', /head says height 9 but block 9 is missing/)
  })

  it('refuses when a state value is corrupted', async () => {
    const { path, lastState } = await buildStore()
    const victim = lastState[1]!
    await tamper(path, () =>
      Promise.resolve([{ type: 'put', key: stateKey(victim.key), value: flip(victim.value, 3) }]),
    )
    await expectRefusal(
      path,
      'LEDGER_STATE_ROOT_MISMATCH',
      /state root recomputed from \d+ entries is [0-9a-f]{64} but head 6 says/,
    )
  })

  it('refuses when a state entry is lost', async () => {
    const { path, lastState } = await buildStore()
    await tamper(path, () => Promise.resolve([{ type: 'del', key: stateKey(lastState[0]!.key) }]))
    await expectRefusal(path, 'LEDGER_STATE_ROOT_MISMATCH', /state root recomputed/)
  })

  it('refuses when the last block bytes are corrupted', async () => {
    const { path } = await buildStore()
    await tamper(path, async (kv) => {
      const value = (await kv.get(blockKey(BLOCKS)))!
      // Byte 40 lies inside the header's hashes: the block still decodes but hashes differently.
      return [{ type: 'put', key: blockKey(BLOCKS), value: flip(value, 60) }]
    })
    await expectRefusal(
      path,
      'LEDGER_HEAD_MISMATCH',
      /block 6 hashes to [0-9a-f]{64} but head says/,
    )
  })

  it('refuses when the last block is truncated', async () => {
    const { path } = await buildStore()
    await tamper(path, async (kv) => {
      const value = (await kv.get(blockKey(BLOCKS)))!
      return [{ type: 'put', key: blockKey(BLOCKS), value: value.subarray(0, value.length - 7) }]
    })
    await expectRefusal(path, 'LEDGER_BLOCK_CORRUPT', /block 6 does not decode/)
  })

  it('refuses when a block below the head breaks the chain', async () => {
    const { path } = await buildStore()
    await tamper(path, async (kv) => [
      { type: 'put', key: blockKey(BLOCKS - 2), value: (await kv.get(blockKey(1)))! },
    ])
    await expectRefusal(path, 'LEDGER_BLOCK_CORRUPT', /block stored at height 4 says height 1/)
    // A well-formed block 4 of another chain: decodes, right height, wrong parent link.
    const other = new TestChain('another-chain')
    let foreign = other.next(2)
    while (other.height < BLOCKS - 2) foreign = other.next(2)
    const value = encodeCanonical(BLOCK_SCHEMA, foreign.block)
    await tamper(path, () => Promise.resolve([{ type: 'put', key: blockKey(BLOCKS - 2), value }]))
    await expectRefusal(path, 'LEDGER_CHAIN_BROKEN', /block 5 does not link to block 4/)
  })

  it('refuses when the certificate is missing or certifies another block', async () => {
    const { path } = await buildStore()
    await tamper(path, () => Promise.resolve([{ type: 'del', key: certificateKey(BLOCKS) }]))
    await expectRefusal(path, 'LEDGER_CERTIFICATE_MISSING', /block 6 has no commit certificate/)
    await tamper(path, async (kv) => [
      { type: 'put', key: certificateKey(BLOCKS), value: (await kv.get(certificateKey(2)))! },
    ])
    await expectRefusal(path, 'LEDGER_CERTIFICATE_MISMATCH', /certificate 6 is for height 2/)
  })

  it('refuses when an index head lags', async () => {
    const { path } = await buildStore()
    await tamper(path, () =>
      Promise.resolve([
        { type: 'put', key: indexHeadKey('burns'), value: encodeCanonical(INDEX_HEAD_SCHEMA, 5) },
      ]),
    )
    await expectRefusal(path, 'LEDGER_INDEX_MISMATCH', /index burns is at height 5 but head says 6/)
  })

  it('refuses when a block is stored beyond the head', async () => {
    const { path } = await buildStore()
    await tamper(path, async (kv) => [
      { type: 'put', key: blockKey(BLOCKS + 1), value: (await kv.get(blockKey(BLOCKS)))! },
    ])
    await expectRefusal(path, 'LEDGER_TAIL_BEYOND_HEAD', /block 7 is stored but head says height 6/)
  })

  it('refuses a corrupted head record and data without a head', async () => {
    const { path } = await buildStore()
    await tamper(path, () =>
      Promise.resolve([{ type: 'put', key: headKey(), value: Uint8Array.of(0x93, 1) }]),
    )
    await expectRefusal(path, 'LEDGER_HEAD_CORRUPT', /head record does not decode/)
    await tamper(path, () => Promise.resolve([{ type: 'del', key: headKey() }]))
    await expectRefusal(path, 'LEDGER_NO_HEAD', /holds data but no head record/)
  })

  it('never opens a truncated log into a divergent state, and refuses it with the witness', async () => {
    const { path, roots } = await buildStore()
    const logs = (await readdir(path)).filter((f) => f.endsWith('.log'))
    expect(logs.length).toBeGreaterThan(0)
    for (const log of logs) {
      const size = (await stat(join(path, log))).size
      await truncate(join(path, log), Math.floor(size * 0.6))
    }
    // Without the witness: LevelDB may drop the damaged tail; the store must then be exactly the
    // chain at an earlier head (never a mix), or be refused.
    let kv: KvStore | null = null
    try {
      kv = await openLevelKvStore(path)
      const ledger = await Ledger.open(kv, options)
      const head = ledger.head
      expect(head, 'a truncated store is either refused or has a head').not.toBeNull()
      expect(head!.height).toBeLessThan(BLOCKS)
      expect(toHex(head!.stateRoot)).toBe(roots[head!.height])
      const state: StateEntry[] = []
      for await (const e of ledger.loadState()) state.push(e)
      expect(toHex(hashChainStateRootStandIn(state))).toBe(roots[head!.height])
    } catch (e) {
      expect(e, String(e)).toBeInstanceOf(NodeError)
      expect((e as NodeError).code).toMatch(/^LEDGER_/)
    } finally {
      await kv?.close()
    }
    // With the witness the lost tail is detected and start-up refuses.
    kv = await openLevelKvStore(path)
    const open = Ledger.open(kv, { ...options, witness: new FileCommitWitness(`${path}.witness`) })
    await expect(open).rejects.toThrow(
      /^LEDGER_TAIL_LOST: store head is at height \d but height 6 was committed/,
    )
    await kv.close()
  })

  it('accepts a witness behind the store (killed between batch and witness write)', async () => {
    const { path } = await buildStore()
    const witness = new FileCommitWitness(`${path}.witness`)
    const ledger = await Ledger.open(await openLevelKvStore(path), { ...options, witness })
    await witness.save({ height: 4, blockHash: (await ledger.loadBlock(4))!.hash })
    await ledger.close()
    const again = await Ledger.open(await openLevelKvStore(path), { ...options, witness })
    expect(again.head?.height).toBe(BLOCKS)
    await again.close()
    await witness.save({ height: BLOCKS, blockHash: new Uint8Array(32) })
    const kv = await openLevelKvStore(path)
    await expect(Ledger.open(kv, { ...options, witness })).rejects.toThrow(
      /block 6 differs from the committed one/,
    )
    await kv.close()
  })

  it('accepts an empty witness (power loss) as no record, warns, and rewrites it on commit', async () => {
    const { path } = await buildStore()
    // What a rename can leave when the file's data never reached the disk (XFS; ext4 with
    // noauto_da_alloc): the name, no bytes.
    await truncate(`${path}.witness`, 0)
    const witness = new FileCommitWitness(`${path}.witness`)
    expect(await witness.load()).toBe('empty')
    const warnings: LedgerWarning[] = []
    const onWarning = (w: LedgerWarning): void => {
      warnings.push(w)
    }
    const ledger = await Ledger.open(await openLevelKvStore(path), {
      ...options,
      witness,
      onWarning,
    })
    expect(ledger.head?.height).toBe(BLOCKS)
    expect(warnings.map((w) => w.code)).toEqual(['LEDGER_WITNESS_EMPTY'])
    expect(warnings[0]!.message).toMatch(/^LEDGER_WITNESS_EMPTY: .*store head 6 is not checked/)
    const chain = new TestChain('integrity')
    for (let h = 1; h <= BLOCKS; h++) chain.next(4)
    await ledger.commitBlock(chain.next(4))
    expect(await witness.load()).toEqual({ height: BLOCKS + 1, blockHash: chain.parentHash })
    await ledger.close()
  })

  it('still refuses a witness that has bytes but does not parse', async () => {
    const { path } = await buildStore()
    const witness = new FileCommitWitness(`${path}.witness`)
    for (const text of ['6 ab', '\n', 'x'.repeat(80)]) {
      await writeFile(`${path}.witness`, text)
      const kv = await openLevelKvStore(path)
      await expect(Ledger.open(kv, { ...options, witness }), JSON.stringify(text)).rejects.toThrow(
        /^LEDGER_WITNESS_CORRUPT: .* does not parse/,
      )
      await kv.close()
    }
  })
})
