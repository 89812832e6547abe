/**
 * The real VM behind the simulator: a `ChainApp` (src/chain) over its own `MemoryState` and state
 * tree, with a small mempool of signed txs. Txs are real signed transfers between genesis-funded
 * users and real operator-signed `validator.update` txs, so a simulated run executes and commits
 * through the same code as a running node, and the checkers can test the VM's supply invariant.
 * Spec: docs/protocol/consensus.md#simulation; docs/protocol/chain.md.
 */
import { buildGenesis, ChainApp } from '../../src/chain/index.ts'
import { keyPairOf, type KeyPair } from '../../src/client/keys.ts'
import { signedTx } from '../../src/client/tx-builder.ts'
import { decodeSignedTx, type SignedTx } from '../../src/codec/tx.ts'
import type { AppRejection, Built, BuildInput, Execution } from '../../src/consensus/app.ts'
import { verifySignedTx } from '../../src/crypto/tx-signature.ts'
import type { Block, BlockHeader } from '../../src/core/block.ts'
import { assert } from '../../src/util/assert.ts'
import { toHex, utf8 } from '../../src/util/bytes.ts'
import type { Result } from '../../src/util/result.ts'
import { checkInvariants } from '../../src/vm/index.ts'
import type { Genesis } from '../../src/vm/genesis.ts'
import { testKey } from '../support/fixtures.ts'
import { K, testGenesis } from '../support/vm.ts'
import { TEST_BLOCK_TXS_MAX, type SimApp } from './test-app.ts'

/** Genesis-funded users of the VM simulation. */
export const VM_USERS = 6
const POINT_TYPE = 'ACME'
const FUNDING = 1_000_000n
/** Every sim tx stays valid up to this height (≤ TX_TTL_BLOCKS_MAX from genesis; runs stay below). */
const TX_EXPIRY_HEIGHT = 1000

const users: KeyPair[] = Array.from({ length: VM_USERS }, (_, i) =>
  keyPairOf(testKey(`sim-user-${i}`).secretKey),
)
const operator = keyPairOf(K.op1.secretKey)

/** The genesis document of a VM simulation with these validators (compressed public keys): the
 * shared test genesis (`test/support/vm.ts`) with one operator (quorum 1) and funded users. */
export function vmGenesis(chainId: string, time: bigint, validators: Uint8Array[]): Genesis {
  return testGenesis({
    chainId,
    genesisTime: time,
    validators,
    operators: [operator.publicKey],
    operatorQuorum: 1,
    balances: users.map((u) => ({ account: u.address, pointType: POINT_TYPE, amount: FUNDING })),
  })
}

const options = (chainId: string, label: string) => ({
  chainId,
  expiresAtHeight: TX_EXPIRY_HEIGHT,
  salt: utf8(label).slice(0, 16),
})

/** Signed tx bytes by label: signing is deterministic, so every run of a process shares them. */
const signedCache = new Map<string, Uint8Array>()
/** Signatures verified once per process (what a node's mempool cache does once per tx). */
const verifiedCache = new Set<string>()

function cached(label: string, build: () => SignedTx): Uint8Array {
  let bytes = signedCache.get(label)
  if (!bytes) {
    bytes = build().signedBytes
    signedCache.set(label, bytes)
  }
  return bytes
}

/** The `seq`-th transfer of a run: user seq → user seq+1, a small amount; deterministic bytes. */
export function vmTransferTx(chainId: string, seq: number): Uint8Array {
  const from = users[seq % VM_USERS]!
  const to = users[(seq + 1) % VM_USERS]!
  const body = { pointType: POINT_TYPE, to: to.address, amount: BigInt((seq % 7) + 1) }
  return cached(`${chainId}/t${seq}`, () =>
    signedTx(from, 'points.transfer', body, options(chainId, `t${seq}`)),
  )
}

/** The operator's `validator.update` tx adding (`+`) or removing (`-`) a validator. */
export function vmValidatorTx(
  chainId: string,
  op: '+' | '-',
  publicKey: Uint8Array,
  proposal: number,
): Uint8Array {
  const body = {
    action: op === '+' ? ('add' as const) : ('remove' as const),
    validatorPublicKey: publicKey,
    proposal,
  }
  return cached(`${chainId}/v${op}${toHex(publicKey)}/${proposal}`, () =>
    signedTx(operator, 'validator.update', body, options(chainId, `v${proposal}`)),
  )
}

/** The real-VM app of one simulated node. */
export class VmSimApp implements SimApp {
  readonly #app: ChainApp
  readonly #mempool = new Map<string, SignedTx>()
  readonly #applied = new Set<string>()

  constructor(genesis: Genesis) {
    const g = buildGenesis(genesis)
    assert(g.ok, 'the simulation genesis is valid')
    this.#app = new ChainApp(genesis.chainId, g.value.state, g.value.tree, 0, {
      selectTxs: () => [...this.#mempool.values()].slice(0, TEST_BLOCK_TXS_MAX),
      isVerified: (txId, signature) => verifiedCache.has(toHex(txId) + toHex(signature)),
    })
  }

  /** The genesis state root of `genesis`. */
  static genesisRoot(genesis: Genesis): Uint8Array {
    const g = buildGenesis(genesis)
    assert(g.ok, 'the simulation genesis is valid')
    return g.value.tree.root()
  }

  submit(tx: Uint8Array): void {
    const decoded = decodeSignedTx(tx)
    assert(decoded.ok, 'the simulation submits well-formed txs')
    const id = toHex(decoded.value.txId)
    if (this.#applied.has(id) || this.#mempool.has(id)) return
    const signatureKey = id + toHex(decoded.value.signature)
    if (!verifiedCache.has(signatureKey)) {
      assert(verifySignedTx(decoded.value), 'the simulation submits validly signed txs')
      verifiedCache.add(signatureKey)
    }
    this.#mempool.set(id, decoded.value)
  }

  buildProposal(input: BuildInput): Built {
    return this.#app.buildProposal(input)
  }

  executeProposal(block: Block, parent: BlockHeader): Result<Execution, AppRejection> {
    return this.#app.executeProposal(block, parent)
  }

  commit(block: Block): Uint8Array {
    const execution = this.#app.commit(block)
    // Funded users move small amounts and the operator's changes are valid: every tx succeeds, so
    // a failed receipt means the VM and the simulation disagree (reported with the seed).
    for (const receipt of execution.result.receipts) {
      assert(receipt.ok, `sim tx failed at ${block.header.height}: ${JSON.stringify(receipt.code)}`)
    }
    for (const tx of execution.txs) {
      const id = toHex(tx.txId)
      this.#applied.add(id)
      this.#mempool.delete(id)
    }
    return this.#app.stateRoot
  }

  pendingTxs(): number {
    return this.#mempool.size
  }

  invariantProblems(): string[] {
    return checkInvariants(this.#app.state)
  }
}
