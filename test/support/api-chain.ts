/**
 * A real read stack for API tests: a `Ledger` over a `MemoryKvStore` and a `ChainApp` (VM + state
 * tree) built from the VM test genesis (one validator, `K.val1`), with blocks built by the app,
 * certified by a real commit seal of the validator and committed the way the node commits them
 * (receipts, index entries, validator sets). The API is `buildApi` with the node's read model; txs
 * submitted over HTTP wait in a queue until the test commits the next block.
 */
import { Registry } from 'prom-client'
import type { FastifyInstance } from 'fastify'
import { buildApi } from '../../src/api/build-api.ts'
import { buildGenesis, ChainApp, type ChainExecution } from '../../src/chain/index.ts'
import type { KeyPair } from '../../src/client/keys.ts'
import { signedTx } from '../../src/client/tx-builder.ts'
import type { SignedTx } from '../../src/codec/tx.ts'
import { blockHashOf, signVote } from '../../src/consensus/messages.ts'
import { buildCertificate, validatorsHashOf } from '../../src/consensus/validators.ts'
import type { Block, BlockHeader, Validator } from '../../src/core/block.ts'
import type { TxBody, TxKind } from '../../src/core/tx.ts'
import { signDigest } from '../../src/crypto/secp256k1.ts'
import { checkSignedTx } from '../../src/crypto/tx-signature.ts'
import { MemoryKvStore } from '../../src/ledger/kv-memory.ts'
import { Ledger } from '../../src/ledger/ledger.ts'
import { deriveIndexEntries } from '../../src/node/index-entries.ts'
import { NodeReadModel } from '../../src/node/read-model.ts'
import {
  advanceValidatorSets,
  storedValidatorSets,
  validatorSetEntry,
  type ValidatorSets,
} from '../../src/node/validator-sets.ts'
import { toConsensusUpdates } from '../../src/chain/app.ts'
import { buildTree } from '../../src/state/tree.ts'
import { toHex } from '../../src/util/bytes.ts'
import { err, ok } from '../../src/util/result.ts'
import type { TestKey } from './fixtures.ts'
import { CHAIN, K, testGenesis } from './vm.ts'

/** A test key as the client's key pair. */
export function keyPair(k: TestKey): KeyPair {
  return { ...k, addressHex: toHex(k.address) }
}

/** A signed tx of the harness chain. */
export function stx<Kd extends TxKind>(signer: TestKey, kind: Kd, body: TxBody<Kd>): SignedTx {
  return signedTx(keyPair(signer), kind, body, { chainId: CHAIN, expiresAtHeight: 1000 })
}

/** The stack under test. */
export interface ApiChain {
  readonly api: FastifyInstance
  readonly ledger: Ledger
  readonly app: ChainApp
  readonly validators: readonly Validator[]
  readonly genesisHeader: BlockHeader
  /** The node's read model over the ledger and the app (what the API serves). */
  readonly read: NodeReadModel
  /** Txs admitted over HTTP, waiting for the next block. */
  readonly pool: SignedTx[]
  /** Builds, certifies and commits the next block with `txs` (default: the pool, emptied). */
  commit(txs?: readonly SignedTx[]): Promise<ChainExecution>
  close(): Promise<void>
}

/** Builds the stack at genesis (height 0, nothing committed). */
export async function apiChain(
  options: {
    waitTimeoutMs?: number
    /** Called with each built block before it is committed (e.g. another validator's check). */
    beforeCommit?: (block: Block, parent: BlockHeader) => void
  } = {},
): Promise<ApiChain> {
  const g = buildGenesis(testGenesis())
  if (!g.ok) throw new Error(g.error.message)
  const genesis = g.value
  const ledger = await Ledger.open(new MemoryKvStore(), {
    computeStateRoot: (entries) => buildTree(entries).root(),
  })
  await ledger.initGenesis({
    genesisHash: blockHashOf(genesis.block.header),
    writeSet: genesis.writeSet,
    stateRoot: genesis.tree.root(),
    validatorSets: [validatorSetEntry(genesis.validators)],
  })
  let selected: readonly SignedTx[] = []
  const app = new ChainApp(CHAIN, genesis.state, genesis.tree, 0, {
    selectTxs: () => selected,
    isVerified: () => false,
  })
  const pool: SignedTx[] = []
  let sets: ValidatorSets = {
    last: genesis.validators,
    current: genesis.validators,
    next: genesis.validators,
  }
  const validatorsHash = validatorsHashOf(genesis.validators)
  let parent = genesis.block.header
  const commit = async (txs?: readonly SignedTx[]): Promise<ChainExecution> => {
    selected = txs ?? pool.splice(0, pool.length)
    const height = parent.height + 1
    const built = app.buildProposal({
      chainId: CHAIN,
      height,
      round: 0,
      time: parent.time + 1000n,
      proposer: K.val1.publicKey,
      parent,
      parentHash: blockHashOf(parent),
      validatorsHash,
      nextValidatorsHash: validatorsHash,
    })
    const { block } = built
    options.beforeCommit?.(block, parent)
    const execution = app.commit(block)
    const after = advanceValidatorSets(sets, toConsensusUpdates(execution.result))
    const signer = {
      publicKey: K.val1.publicKey,
      signDigest: (d: Uint8Array) => signDigest(d, K.val1.secretKey),
    }
    const blockHash = blockHashOf(block.header)
    const seal = signVote(signer, { type: 'commit', chainId: CHAIN, height, round: 0, blockHash })
    await ledger.commitBlock({
      block,
      certificate: buildCertificate([seal], genesis.validators),
      writeSet: execution.result.writeSet,
      burns: execution.result.burns,
      receipts: execution.receipts,
      indexEntries: deriveIndexEntries(block.header, execution),
      validatorSets: storedValidatorSets(sets, after),
    })
    sets = after
    parent = block.header
    return execution
  }
  const read = new NodeReadModel({
    ledger,
    chain: app,
    genesisBlock: genesis.block,
    headerWaitMs: 1000,
  })
  const api = await buildApi({
    chainId: CHAIN,
    metrics: new Registry(),
    health: () => ({
      height: app.height,
      inSync: true,
      chainId: CHAIN,
      peers: 0,
      blockHash: toHex(blockHashOf(parent)),
      stateRoot: toHex(app.stateRoot),
      mempoolTxs: pool.length,
    }),
    submitTx: async (bytes) => {
      const checked = checkSignedTx(bytes, CHAIN, app.height + 1)
      if (!checked.ok) return err(checked.error)
      const id = toHex(checked.value.txId)
      const committed = (await ledger.loadTxLocation(checked.value.txId)) !== undefined
      if (committed || pool.some((t) => toHex(t.txId) === id)) {
        return err({ code: 'TX_DUPLICATE', message: 'already pooled or committed' })
      }
      pool.push(checked.value)
      return ok({ txId: checked.value.txId })
    },
    read,
    rateLimit: { max: 1_000_000, timeWindowMs: 60_000 },
    ...(options.waitTimeoutMs !== undefined ? { waitTimeoutMs: options.waitTimeoutMs } : {}),
  })
  return {
    api,
    ledger,
    app,
    validators: genesis.validators,
    genesisHeader: genesis.block.header,
    read,
    pool,
    commit,
    close: async () => {
      await api.close()
      await ledger.close()
    },
  }
}

/**
 * Market ACME/BETA with one resting sell order, then `emptyBlocks` empty blocks: the market's call
 * auction runs, and is recorded, in every one of them.
 */
export async function restingOrderMarket(chain: ApiChain, emptyBlocks: number): Promise<void> {
  await chain.commit([
    stx(K.op1, 'market.create', {
      base: 'ACME',
      quote: 'BETA',
      priceDecimals: 0,
      lotSize: 10n,
      referencePrice: 2n,
    }),
  ])
  await chain.commit([
    stx(K.alice, 'order.place', {
      market: 'ACME/BETA',
      side: 'sell',
      price: 3n,
      quantity: 20n,
      goodTillHeight: 2000,
    }),
  ])
  for (let i = 0; i < emptyBlocks; i++) await chain.commit([])
}

/** A voucher digest of the scenario. */
export const VOUCHER_1 = new Uint8Array(32).fill(0xa1)

/**
 * The scenario most tests read: block 1 sets rates (ACME twice), creates market ACME/BETA and
 * issues 500 ACME to bob against `VOUCHER_1`; block 2 has alice redeem 100 ACME at SHOP, transfer
 * 50 ACME to bob and place a sell order on ACME/BETA; block 3 has a tx that fails in the VM.
 */
export async function scenario(chain: ApiChain): Promise<{ blocks: ChainExecution[] }> {
  const b1 = await chain.commit([
    stx(K.oracle, 'rate.set', { pointType: 'ACME', rate: 10_000_000n, sourceRef: 'r1' }),
    stx(K.oracle, 'rate.set', { pointType: 'BETA', rate: 20_000_000n, sourceRef: 'r2' }),
    stx(K.op1, 'market.create', {
      base: 'ACME',
      quote: 'BETA',
      priceDecimals: 0,
      lotSize: 10n,
      referencePrice: 2n,
    }),
    stx(K.acme, 'points.issue', {
      pointType: 'ACME',
      to: K.bob.address,
      amount: 500n,
      voucherKind: 'sales-order',
      voucherRef: 'SO-1',
      voucherDigest: VOUCHER_1,
      encryptedDetail: null,
    }),
    stx(K.oracle, 'rate.set', { pointType: 'ACME', rate: 11_000_000n, sourceRef: 'r3' }),
  ])
  const b2 = await chain.commit([
    stx(K.alice, 'points.redeem', {
      pointType: 'ACME',
      amount: 100n,
      acceptor: K.shop.address,
      orderRef: 'ORDER-1',
    }),
    stx(K.alice, 'points.transfer', { pointType: 'ACME', to: K.bob.address, amount: 50n }),
    stx(K.alice, 'order.place', {
      market: 'ACME/BETA',
      side: 'sell',
      price: 3n,
      quantity: 20n,
      goodTillHeight: 500,
    }),
  ])
  const b3 = await chain.commit([
    stx(K.bob, 'points.transfer', { pointType: 'LOCK', to: K.alice.address, amount: 1n }),
  ])
  return { blocks: [b1, b2, b3] }
}
