/**
 * A small deterministic application behind the `ConsensusApp` interface, for the simulator: a
 * counter of applied txs whose state root is a hash chain over (parent root, height, tx root).
 * Txs are opaque byte strings; `val+<hex key>` / `val-<hex key>` add or remove a validator and any tx
 * starting with `bad` is invalid. A tx applies at most once. The real VM plugs in behind the same
 * interface (src/consensus/app.ts).
 */
import { hashTagged } from '../../src/codec/hash.ts'
import { merkleRoot } from '../../src/codec/merkle.ts'
import type {
  AppRejection,
  Built,
  BuildInput,
  ConsensusApp,
  Execution,
} from '../../src/consensus/app.ts'
import type { ValidatorUpdate } from '../../src/consensus/validators.ts'
import type { Block, BlockHeader } from '../../src/core/block.ts'
import { assert } from '../../src/util/assert.ts'
import { equalBytes, fromHex, fromUtf8, isHex, toHex, utf8 } from '../../src/util/bytes.ts'
import { err, ok, type Result } from '../../src/util/result.ts'

/** What the simulator needs of an app, the test app or the real VM (`vm-app.ts`). */
export interface SimApp extends ConsensusApp {
  /** Adds a tx (the bytes a block carries) to the mempool unless it is known. */
  submit(tx: Uint8Array): void
  /** Applies a decided block and returns the state root after it. */
  commit(block: Block): Uint8Array
  /** Txs waiting in the mempool (the driver compares them with the proposal size: `full`). */
  pendingTxs(): number
  /** Supply-invariant problems of the committed state (none for the test app, which has no supply). */
  invariantProblems(): string[]
}

/** Most txs the test app puts into one block. */
export const TEST_BLOCK_TXS_MAX = 16

/** The state root after applying `txRoot` at `height` on top of `parentRoot`. */
export function nextStateRoot(parentRoot: Uint8Array, height: number, txRoot: Uint8Array) {
  const h = new Uint8Array([
    height >>> 24,
    (height >>> 16) & 255,
    (height >>> 8) & 255,
    height & 255,
  ])
  return hashTagged('stateNode', parentRoot, h, txRoot)
}

/** The validator update a tx asks for, if any. */
export function validatorUpdateOf(tx: Uint8Array): ValidatorUpdate | null {
  const text = tx.length === 70 ? fromUtf8(tx) : ''
  const hex = text.slice(4)
  if (!isHex(hex) || hex.length !== 66) return null
  if (text.startsWith('val+')) return { publicKey: fromHex(hex), power: 1 }
  if (text.startsWith('val-')) return { publicKey: fromHex(hex), power: 0 }
  return null
}

/** Builds the tx that adds (`+`) or removes (`-`) a validator. */
export function validatorTx(op: '+' | '-', publicKey: Uint8Array): Uint8Array {
  return utf8(`val${op}${toHex(publicKey)}`)
}

/** The test app of one node: committed state plus the node's mempool. */
export class TestApp implements SimApp {
  private readonly applied = new Set<string>()
  private last: BlockHeader
  readonly mempool: Uint8Array[] = []

  constructor(genesis: BlockHeader) {
    this.last = genesis
  }

  /** The header of the last committed block. */
  get lastHeader(): BlockHeader {
    return this.last
  }

  /** Adds a tx to the mempool unless it is known. */
  submit(tx: Uint8Array): void {
    const id = toHex(tx)
    if (this.applied.has(id) || this.mempool.some((t) => toHex(t) === id)) return
    this.mempool.push(tx)
  }

  buildProposal(input: BuildInput): Built {
    assert(
      equalBytes(input.parent.stateRoot, this.last.stateRoot),
      'building on the committed state',
    )
    const txs = this.mempool.filter((t) => !this.applied.has(toHex(t))).slice(0, TEST_BLOCK_TXS_MAX)
    const txRoot = merkleRoot(txs)
    const stateRoot = nextStateRoot(input.parent.stateRoot, input.height, txRoot)
    const header: BlockHeader = {
      version: 1,
      chainId: input.chainId,
      height: input.height,
      round: input.round,
      time: input.time,
      proposer: input.proposer,
      parentHash: input.parentHash,
      txRoot,
      stateRoot,
      receiptsRoot: hashTagged('receiptsRoot', txRoot),
      validatorsHash: input.validatorsHash,
      nextValidatorsHash: input.nextValidatorsHash,
    }
    const block = { header, txs }
    const executed = this.executeProposal(block, input.parent)
    assert(executed.ok, 'the app builds valid blocks')
    return { block, execution: executed.value }
  }

  executeProposal(block: Block, parent: BlockHeader): Result<Execution, AppRejection> {
    assert(parent.height === this.last.height, `executing on height ${this.last.height}`)
    const seen = new Set<string>()
    const updates: ValidatorUpdate[] = []
    for (const tx of block.txs) {
      const id = toHex(tx)
      if (tx[0] === 98 && tx[1] === 97 && tx[2] === 100) {
        return err({ code: 'BLOCK_INVALID_TX', message: `invalid tx ${id.slice(0, 16)}` })
      }
      if (this.applied.has(id) || seen.has(id)) {
        return err({ code: 'BLOCK_DUPLICATE_TX', message: `tx ${id.slice(0, 16)} applied twice` })
      }
      seen.add(id)
      const update = validatorUpdateOf(tx)
      if (update) updates.push(update)
    }
    const txRoot = merkleRoot(block.txs)
    if (!equalBytes(txRoot, block.header.txRoot)) {
      return err({ code: 'BLOCK_WRONG_TX_ROOT', message: 'txRoot differs' })
    }
    const stateRoot = nextStateRoot(parent.stateRoot, block.header.height, txRoot)
    return ok({ stateRoot, validatorUpdates: updates })
  }

  pendingTxs(): number {
    return this.mempool.length
  }

  invariantProblems(): string[] {
    return []
  }

  /** Applies a decided block (the driver runs this for the `commitBlock` effect). */
  commit(block: Block): Uint8Array {
    assert(block.header.height === this.last.height + 1, 'commits in height order')
    const root = nextStateRoot(this.last.stateRoot, block.header.height, merkleRoot(block.txs))
    for (const tx of block.txs) this.applied.add(toHex(tx))
    this.last = block.header
    const keep = this.mempool.filter((t) => !this.applied.has(toHex(t)))
    this.mempool.length = 0
    this.mempool.push(...keep)
    return root
  }
}
