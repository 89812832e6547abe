/**
 * The ledger: everything a node keeps on disk, behind one `KvStore`. Spec: SPEC.md section 7;
 * docs/protocol/storage.md.
 *
 * `Ledger.open` runs the integrity check (resume or refuse); `initGenesis` writes the genesis state;
 * `commitBlock` writes one block with its certificate, state changes and every index in ONE atomic
 * batch with `sync: true`. Commits are serialised; queries may run concurrently with them.
 */
import { merkleProof, type MerkleStep } from '../codec/merkle.ts'
import { decodeSignedTx } from '../codec/tx.ts'
import {
  VALIDATOR_SET_SCHEMA,
  VALIDATOR_COUNT_MAX,
  type BlockHeader,
  type CommitCertificate,
  type Validator,
} from '../core/block.ts'
import type { StateEntry, WriteSet } from '../core/state.ts'
import { assert } from '../util/assert.ts'
import { equalBytes } from '../util/bytes.ts'
import { NodeError } from '../util/errors.ts'
import {
  coreOps,
  firstOccurrenceHistory,
  firstTxOccurrences,
  headOps,
  validateCommit,
  assertWriteSet,
  validatorSetOps,
  type CommitInput,
  type ValidatorSetEntry,
} from './commit.ts'
import { checkLedgerIntegrity, streamState, type ComputeStateRoot } from './integrity.ts'
import { assertUniqueKeys, burnOps, decodeStored, recordOps } from './indexes.ts'
import {
  blockHashKey,
  headKey,
  readU32,
  receiptsKey,
  stateKey,
  txKey,
  validatorSetKey,
} from './keys.ts'
import type { KvOp, KvStore } from './kv.ts'
import type { CommitWitness } from './witness.ts'
import { LedgerQueries } from './queries.ts'
import { statsOps } from './stats.ts'
import {
  decodeOrCorrupt,
  HEAD_SCHEMA,
  loadStoredBlock,
  loadStoredCertificate,
  RECEIPTS_BYTES_MAX,
  RECEIPTS_SCHEMA,
  TX_LOCATION_SCHEMA,
  type LedgerHead,
  type StoredBlock,
} from './stored.ts'

/** Options of `Ledger.open`. */
export interface LedgerOptions {
  /** The state tree's root over a complete state (the state tree module provides it). */
  readonly computeStateRoot: ComputeStateRoot
  /**
   * Where commits are also recorded outside the database, so that a store that lost its tail is
   * refused at start-up (see witness.ts). Omitted: no such check.
   */
  readonly witness?: CommitWitness
  /**
   * Told about what `open` accepted but an operator should know (the node logs it as a warning).
   * Omitted: not reported.
   */
  readonly onWarning?: (warning: LedgerWarning) => void
}

/** Something `Ledger.open` accepted but reports. Spec: docs/protocol/storage.md#integrity-check. */
export interface LedgerWarning {
  /** `LEDGER_WITNESS_EMPTY`: the witness file has no bytes (power loss); checked as no witness. */
  readonly code: 'LEDGER_WITNESS_EMPTY'
  readonly message: string
}

/**
 * Compares the store's head with the witness.
 * @throws {NodeError} `LEDGER_TAIL_LOST` when the store is behind the witness or differs at its height.
 */
async function checkWitness(
  head: LedgerHead | null,
  witness: CommitWitness,
  onWarning: LedgerOptions['onWarning'],
): Promise<void> {
  const seen = await witness.load()
  if (seen === null) return
  if (seen === 'empty') {
    // A stale witness is accepted after a power loss (ADR 0040); an empty one is the stalest.
    const code = 'LEDGER_WITNESS_EMPTY'
    const height = head?.height ?? -1
    const message = `${code}: the commit witness is empty (lost in a power loss?); store head ${height} is not checked against it, the next commit rewrites it`
    onWarning?.({ code, message })
    return
  }
  const height = head?.height ?? -1
  const code = 'LEDGER_TAIL_LOST'
  if (height < seen.height) {
    const message = `${code}: store head is at height ${height} but height ${seen.height} was committed (the store lost its tail)`
    throw new NodeError(code, message)
  }
  if (height === seen.height && head && !equalBytes(head.blockHash, seen.blockHash)) {
    throw new NodeError(code, `${code}: block ${height} differs from the committed one`)
  }
}

/** Genesis: the initial state and the hash that block 1's `parentHash` must equal. */
export interface GenesisInput {
  readonly genesisHash: Uint8Array
  readonly writeSet: WriteSet
  readonly stateRoot: Uint8Array
  /** The genesis validator set(s) to keep by hash (`loadValidatorSet`). */
  readonly validatorSets?: readonly ValidatorSetEntry[]
}

/** A tx with what a client needs to check its inclusion against a certified header. */
export interface TxInclusion {
  readonly height: number
  readonly index: number
  /** The signed tx bytes as carried by the block. */
  readonly signedTx: Uint8Array
  readonly header: BlockHeader
  readonly certificate: CommitCertificate
  /** Merkle proof of `txId` at `index` among the block's tx ids (`txRoot = merkleRoot(txIds)`). */
  readonly proof: MerkleStep[]
}

/** The node's ledger over a `KvStore`. */
export class Ledger extends LedgerQueries {
  #head: LedgerHead | null
  #commitChain: Promise<unknown> = Promise.resolve()
  #failed: unknown = null

  readonly #witness: CommitWitness | null

  private constructor(kv: KvStore, head: LedgerHead | null, witness: CommitWitness | null) {
    super(kv)
    this.#head = head
    this.#witness = witness
  }

  /**
   * Opens the ledger after the start-up integrity check.
   * @throws {NodeError} `LEDGER_*` when the store is inconsistent (the node must not start).
   */
  static async open(kv: KvStore, options: LedgerOptions): Promise<Ledger> {
    const report = await checkLedgerIntegrity(kv, options.computeStateRoot)
    if (options.witness) await checkWitness(report.head, options.witness, options.onWarning)
    return new Ledger(kv, report.head, options.witness ?? null)
  }

  /**
   * True when `kv` holds a head record (a store past genesis), without checking anything: lets the
   * node decide what to prepare before `open` loads the whole state.
   */
  static async hasHead(kv: KvStore): Promise<boolean> {
    return (await kv.get(headKey())) !== undefined
  }

  /** The last committed head; null before genesis. */
  get head(): LedgerHead | null {
    return this.#head
  }

  /** Runs `task` after every earlier commit; after a failed write, refuses (the head is unknown). */
  async #serialise<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#commitChain.then(() => {
      if (this.#failed !== null) {
        throw new NodeError('LEDGER_FAILED', 'an earlier commit failed; restart the node', {
          cause: this.#failed,
        })
      }
      return task()
    })
    // The chain only orders commits; each caller sees its own commit's outcome.
    this.#commitChain = run.then(
      () => undefined,
      () => undefined,
    )
    return run
  }

  async #writeHead(ops: KvOp[], head: LedgerHead): Promise<LedgerHead> {
    ops.push(...headOps(head))
    assertUniqueKeys(ops)
    try {
      await this.kv.batch(ops, { sync: true })
    } catch (cause) {
      // Whether the batch reached the disk is unknown: refuse to continue on a guessed head.
      this.#failed = cause
      throw cause
    }
    // Pair assertion: what was written reads back as the head.
    const back = await this.kv.get(headKey())
    assert(back !== undefined, 'head record reads back after commit')
    const decoded = decodeOrCorrupt(HEAD_SCHEMA, back, 256, 'LEDGER_HEAD_CORRUPT', 'head record')
    assert(decoded.height === head.height && equalBytes(decoded.blockHash, head.blockHash), 'head')
    this.#head = decoded
    try {
      await this.#witness?.save({ height: decoded.height, blockHash: decoded.blockHash })
    } catch (cause) {
      // The block is committed, but the witness is stale: stop here rather than drift further.
      this.#failed = cause
      throw cause
    }
    return decoded
  }

  /**
   * Writes the genesis state (height 0) into an empty ledger.
   * @throws {AssertionError} when the ledger already has a head.
   */
  initGenesis(genesis: GenesisInput): Promise<LedgerHead> {
    return this.#serialise(async () => {
      assert(this.#head === null, 'genesis into a ledger that already has a head')
      assert(genesis.genesisHash.length === 32 && genesis.stateRoot.length === 32, 'hash sizes')
      assertWriteSet(genesis.writeSet)
      const ops: KvOp[] = genesis.writeSet.map((c) =>
        c.value === null
          ? { type: 'del', key: stateKey(c.key) }
          : { type: 'put', key: stateKey(c.key), value: c.value },
      )
      ops.push(...validatorSetOps(genesis.validatorSets ?? []))
      const head = {
        version: 1,
        height: 0,
        blockHash: genesis.genesisHash,
        stateRoot: genesis.stateRoot,
      }
      return this.#writeHead(ops, head)
    })
  }

  /**
   * Commits one block: block, certificate, receipts, tx locations, state changes, burns, every index
   * and the new head in ONE atomic batch with `sync: true`. A tx id that is already committed, or
   * occurs earlier in the block, is stored with its block but keeps its first location.
   * Spec: docs/protocol/storage.md#commit-batch.
   * @throws {AssertionError} when the input is inconsistent with itself or the head.
   * @throws {NodeError} `LEDGER_KV_WRITE` when the store fails (the ledger then refuses further commits).
   */
  commitBlock(input: CommitInput): Promise<LedgerHead> {
    return this.#serialise(async () => {
      const head = this.#head
      assert(head !== null, 'commitBlock before genesis')
      const { blockHash, txIds } = validateCommit(input, head)
      const height = input.block.header.height
      // A tx id committed before, or earlier in this block, is valid content (the VM gave it a
      // failed receipt): the block is stored whole, the index keeps the first location.
      const stored = await this.kv.getMany(txIds.map(txKey))
      const first = firstTxOccurrences(txIds, stored, height)
      const ops = coreOps(input, blockHash, txIds, first)
      const history = firstOccurrenceHistory(input.indexEntries.history, txIds, first)
      ops.push(...burnOps(input.burns), ...recordOps({ ...input.indexEntries, history }))
      ops.push(...validatorSetOps(input.validatorSets ?? []))
      ops.push(...(await statsOps(this.kv, input.indexEntries.stats)))
      const stateRoot = input.block.header.stateRoot
      return this.#writeHead(ops, { version: 1, height, blockHash, stateRoot })
    })
  }

  /**
   * The block at `height` with its recomputed hash, or undefined.
   * @throws {NodeError} `LEDGER_BLOCK_CORRUPT` on corrupt data.
   */
  loadBlock(height: number): Promise<StoredBlock | undefined> {
    return loadStoredBlock(this.kv, height)
  }

  /** The block with hash `hash`, or undefined. */
  async loadBlockByHash(hash: Uint8Array): Promise<StoredBlock | undefined> {
    if (hash.length !== 32) return undefined
    const value = await this.kv.get(blockHashKey(hash))
    if (value === undefined) return undefined
    const stored = await this.loadBlock(readU32(value, 0))
    if (!stored || !equalBytes(stored.hash, hash)) {
      throw new NodeError(
        'LEDGER_CORRUPT',
        'LEDGER_CORRUPT: block hash index points to another block',
      )
    }
    return stored
  }

  /**
   * The commit certificate of block `height`, checked against the block's recomputed hash.
   * @throws {NodeError} `LEDGER_CERTIFICATE_MISMATCH` when it certifies another block.
   */
  async loadCertificate(height: number): Promise<CommitCertificate | undefined> {
    const stored = await this.loadBlock(height)
    return stored ? loadStoredCertificate(this.kv, height, stored.hash) : undefined
  }

  /** The receipts of block `height` (undefined when none were stored). */
  async loadReceipts(height: number): Promise<Uint8Array[] | undefined> {
    const value = await this.kv.get(receiptsKey(height))
    if (value === undefined) return undefined
    const code = 'LEDGER_CORRUPT'
    return decodeOrCorrupt(RECEIPTS_SCHEMA, value, RECEIPTS_BYTES_MAX, code, `receipts ${height}`)
  }

  /**
   * Where tx `txId` was first committed: `(height, index)`, or undefined. A later occurrence of the
   * same id (failed receipt) is not indexed.
   */
  async loadTxLocation(txId: Uint8Array): Promise<{ height: number; index: number } | undefined> {
    if (txId.length !== 32) return undefined
    const value = await this.kv.get(txKey(txId))
    if (value === undefined) return undefined
    const [height, index] = decodeStored(TX_LOCATION_SCHEMA, value, 'tx location')
    return { height, index }
  }

  /**
   * A committed tx with its certified header and Merkle inclusion proof, or undefined.
   * @throws {NodeError} `LEDGER_CORRUPT` when the location does not hold that tx.
   */
  async loadTxInclusion(txId: Uint8Array): Promise<TxInclusion | undefined> {
    const at = await this.loadTxLocation(txId)
    if (!at) return undefined
    const stored = await this.loadBlock(at.height)
    const certificate = await this.loadCertificate(at.height)
    const signedTx = stored?.block.txs[at.index]
    if (!stored || !certificate || !signedTx) {
      throw new NodeError(
        'LEDGER_CORRUPT',
        `LEDGER_CORRUPT: tx location ${at.height}:${at.index} is empty`,
      )
    }
    const txIds = stored.block.txs.map((bytes) => {
      const decoded = decodeSignedTx(bytes)
      if (!decoded.ok)
        throw new NodeError('LEDGER_CORRUPT', `LEDGER_CORRUPT: block ${at.height} tx`)
      return decoded.value.txId
    })
    assert(equalBytes(txIds[at.index]!, txId), 'tx location holds the tx')
    const proof = merkleProof(txIds, at.index)
    return { ...at, signedTx, header: stored.block.header, certificate, proof }
  }

  /**
   * The validator set stored under `hash` (see `CommitInput.validatorSets`), or undefined.
   * @throws {NodeError} `LEDGER_CORRUPT` when the stored value does not decode.
   */
  async loadValidatorSet(hash: Uint8Array): Promise<Validator[] | undefined> {
    if (hash.length !== 32) return undefined
    const value = await this.kv.get(validatorSetKey(hash))
    if (value === undefined) return undefined
    const bytesMax = VALIDATOR_COUNT_MAX * 40 + 16
    return decodeOrCorrupt(VALIDATOR_SET_SCHEMA, value, bytesMax, 'LEDGER_CORRUPT', 'validator set')
  }

  /** Streams the persisted state (ascending keys), for rebuilding the in-memory state and tree. */
  loadState(): AsyncIterable<StateEntry> {
    return streamState(this.kv)
  }

  /** One state value, or undefined. */
  loadStateValue(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.kv.get(stateKey(key))
  }

  /**
   * One state value, read synchronously.
   * @throws {AssertionError} when the store has no synchronous reads.
   */
  loadStateValueSync(key: Uint8Array): Uint8Array | undefined {
    assert(this.kv.getSync !== undefined, 'this store has no synchronous reads')
    return this.kv.getSync(stateKey(key))
  }

  /** Waits for pending commits and closes the store. */
  async close(): Promise<void> {
    await this.#commitChain
    await this.kv.close()
  }
}

/** Re-exported so callers need one import for commits. */
export type { CommitInput, ValidatorSetEntry }
