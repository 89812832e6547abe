/**
 * Test fixtures for the ledger: a seeded PRNG, a deterministic STAND-IN state root (a sorted hash
 * chain, not the real state tree), and a `TestChain` that builds consistent commits (blocks with
 * decodable txs, certificates, write sets derived from the tx ids, burns and index records) while
 * keeping a model of the state, so tests can replay blocks independently of the ledger.
 */
import { merkleRoot } from '../../src/codec/merkle.ts'
import { sha256 } from '@noble/hashes/sha2.js'
import { encodeCanonical } from '../../src/codec/canonical.ts'
import { buildSignedTx, decodeSignedTx } from '../../src/codec/tx.ts'
import {
  HEADER_SCHEMA,
  type Block,
  type BlockHeader,
  type CommitCertificate,
} from '../../src/core/block.ts'
import type { BurnRecord } from '../../src/core/records.ts'
import type { StateEntry, WriteSet } from '../../src/core/state.ts'
import { hashTagged } from '../../src/codec/hash.ts'
import { compareBytes, concatBytes, toHex, utf8 } from '../../src/util/bytes.ts'
import type { CommitInput } from '../../src/ledger/commit.ts'
import type { KvStore } from '../../src/ledger/kv.ts'
import { Ledger } from '../../src/ledger/ledger.ts'
import type { HistoryRecord, IndexEntries } from '../../src/ledger/records.ts'

/** mulberry32: a small seeded PRNG for tests. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * STAND-IN for the state tree's root (tests only): sha256 hash chain over the entries in ascending
 * key order, each as `len(key) ‖ key ‖ len(value) ‖ value`. Deterministic and order-checked.
 */
export function hashChainStateRootStandIn(entries: readonly StateEntry[]): Uint8Array {
  let h = sha256(utf8('stand-in-state-root'))
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!
    if (i > 0 && compareBytes(entries[i - 1]!.key, e.key) >= 0)
      throw new Error('entries not sorted')
    const lens = new Uint8Array(8)
    new DataView(lens.buffer).setUint32(0, e.key.length)
    new DataView(lens.buffer).setUint32(4, e.value.length)
    h = sha256(concatBytes(h, lens, e.key, e.value))
  }
  return h
}

/** A state model: hex key → value, applied from write sets. */
export class ModelState {
  readonly map = new Map<string, StateEntry>()

  apply(writeSet: WriteSet): void {
    for (const c of writeSet) {
      if (c.value === null) this.map.delete(toHex(c.key))
      else this.map.set(toHex(c.key), { key: c.key, value: c.value })
    }
  }

  entries(): StateEntry[] {
    return [...this.map.values()].sort((a, b) => compareBytes(a.key, b.key))
  }

  root(): Uint8Array {
    return hashChainStateRootStandIn(this.entries())
  }
}

/** The genesis hash every test chain starts from. */
export const TEST_GENESIS_HASH = sha256(utf8('test-genesis'))
/** Block time of height 0; block h has time `TEST_TIME0 + h * blockMs`. */
export const TEST_TIME0 = 1_764_547_200_000n // 2025-12-01T00:00:00Z

/** A ledger on `kv` at the test genesis (empty state), with the stand-in state root. */
export async function freshLedger(kv: KvStore): Promise<Ledger> {
  const ledger = await Ledger.open(kv, { computeStateRoot: hashChainStateRootStandIn })
  await ledger.initGenesis({
    genesisHash: TEST_GENESIS_HASH,
    writeSet: [],
    stateRoot: hashChainStateRootStandIn([]),
  })
  return ledger
}

/** A decodable signed tx whose id depends on `label` (signature bytes are not checked here). */
export function testSignedTx(label: string): Uint8Array {
  const salt = sha256(utf8(label))
  const tx = {
    version: 1,
    chainId: 'testnet',
    kind: 'account.register' as const,
    body: { profileDigest: null },
    signerPublicKey: concatBytes(Uint8Array.of(2), sha256(utf8(`pk/${label}`))),
    expiresAtHeight: 1000,
    salt,
  }
  return buildSignedTx(tx, new Uint8Array(64).fill(7)).signedBytes
}

/** Tx ids of a block's txs. */
export function txIdsOf(block: Block): Uint8Array[] {
  return block.txs.map((s) => {
    const d = decodeSignedTx(s)
    if (!d.ok) throw new Error('test block tx does not decode')
    return d.value.txId
  })
}

/**
 * The write set a test block implies, derived from its tx ids only (so a replay needs only the
 * stored blocks): each tx writes or deletes key `[0x10, id[0] % keySpace]`, value `id[1..9]`.
 */
export function writeSetFromTxIds(txIds: readonly Uint8Array[], keySpace = 200): WriteSet {
  const byKey = new Map<number, Uint8Array | null>()
  for (const id of txIds) {
    const k = id[0]! % keySpace
    byKey.set(k, id[9]! < 48 ? null : id.slice(1, 9))
  }
  return [...byKey.entries()]
    .sort(([a], [b]) => a - b)
    .map(([k, value]) => ({ key: Uint8Array.of(0x10, k), value }))
}

/** Builds a header with the given fields and fixed filler hashes (txRoot: given, or filler). */
export function testHeader(
  height: number,
  parentHash: Uint8Array,
  time: bigint,
  stateRoot: Uint8Array,
  txRoot?: Uint8Array,
): BlockHeader {
  const filler = sha256(utf8('filler'))
  return {
    version: 1,
    chainId: 'testnet',
    height,
    round: 0,
    time,
    proposer: concatBytes(Uint8Array.of(3), filler),
    parentHash,
    txRoot: txRoot ?? filler,
    stateRoot,
    receiptsRoot: filler,
    validatorsHash: filler,
    nextValidatorsHash: filler,
  }
}

/** A one-signature certificate for `header` (signatures are not checked by the ledger). */
export function testCertificate(header: BlockHeader): CommitCertificate {
  const blockHash = hashTagged('header', encodeCanonical(HEADER_SCHEMA, header))
  return {
    height: header.height,
    round: header.round,
    blockHash,
    signatures: [[0, new Uint8Array(64).fill(1)]],
  }
}

/** Extra per-block content for `TestChain.next`. */
export interface BlockExtras {
  readonly burns?: (height: number, time: bigint) => BurnRecord[]
  readonly indexEntries?: (
    height: number,
    time: bigint,
    txIds: readonly Uint8Array[],
  ) => IndexEntries
}

/** Builds a consistent chain of commits over a model state. */
export class TestChain {
  height = 0
  parentHash: Uint8Array = TEST_GENESIS_HASH
  readonly model = new ModelState()

  readonly label: string
  readonly blockMs: bigint

  constructor(label: string, blockMs = 1000n) {
    this.label = label
    this.blockMs = blockMs
  }

  timeAt(height: number): bigint {
    return TEST_TIME0 + BigInt(height) * this.blockMs
  }

  /** The next commit with `txCount` fresh txs, advancing the chain and the model. */
  next(txCount: number, extras: BlockExtras = {}): CommitInput {
    const height = this.height + 1
    const txs = Array.from({ length: txCount }, (_, i) =>
      testSignedTx(`${this.label}/${height}/${i}`),
    )
    return this.nextWith(txs, extras)
  }

  /**
   * The next commit with exactly `txs` (signed test txs, repeats allowed), advancing the chain and
   * the model: one history record per tx, address = the id's first 20 bytes.
   */
  nextWith(txs: readonly Uint8Array[], extras: BlockExtras = {}): CommitInput {
    const height = this.height + 1
    const time = this.timeAt(height)
    const txIds = txs.map((s) => {
      const d = decodeSignedTx(s)
      if (!d.ok) throw new Error('tx')
      return d.value.txId
    })
    const writeSet = writeSetFromTxIds(txIds)
    this.model.apply(writeSet)
    const header = testHeader(height, this.parentHash, time, this.model.root(), merkleRoot(txIds))
    const certificate = testCertificate(header)
    this.height = height
    this.parentHash = certificate.blockHash
    const history: HistoryRecord[] = txIds.map((txId, index) => ({
      address: txId.slice(0, 20),
      txId,
      height,
      index,
      kind: 'account.register',
    }))
    return {
      block: { header, txs: [...txs] },
      certificate,
      writeSet,
      burns: extras.burns?.(height, time) ?? [],
      receipts: txs.map((_, i) => Uint8Array.of(i & 0xff)),
      indexEntries: extras.indexEntries?.(height, time, txIds) ?? {
        history,
        issuances: [],
        rates: [],
        auctions: [],
        stats: [],
      },
    }
  }
}
