/**
 * Light-client test support: a real chain built in-process from the production code (genesis from
 * `buildGenesis`, blocks from `ChainApp` over the real VM and state tree, commit certificates signed
 * with the validators' secp256k1 keys), and a server of the API read contract (/work/API-CONTRACT.md,
 * docs/api-client.md) over it, usable as an in-memory `fetch` or behind node:http. Validator set
 * changes are scheduled by the test (the header fields carry them; the VM is not involved).
 */
import { createServer, type Server } from 'node:http'
import { buildGenesis, ChainApp } from '../../src/chain/index.ts'
import type { ChainExecution } from '../../src/chain/app.ts'
import { encodeCanonical } from '../../src/codec/canonical.ts'
import { merkleProof } from '../../src/codec/merkle.ts'
import { encodeStateProof } from '../../src/codec/state-proof.ts'
import { decodeSignedTx, type SignedTx } from '../../src/codec/tx.ts'
import { blockHashOf, voteDigest } from '../../src/consensus/messages.ts'
import { quorumOf, validatorsHashOf } from '../../src/consensus/validators.ts'
import {
  CERTIFICATE_SCHEMA,
  HEADER_SCHEMA,
  VALIDATOR_SET_SCHEMA,
  type BlockHeader,
  type CommitCertificate,
  type Validator,
} from '../../src/core/block.ts'
import { signDigest } from '../../src/crypto/secp256k1.ts'
import type { StateTree } from '../../src/state/tree.ts'
import { compareBytes, fromHex, toHex } from '../../src/util/bytes.ts'
import type { Genesis } from '../../src/vm/genesis.ts'
import { keys as stateKeys, PREFIX } from '../../src/vm/keys.ts'
import { NEVER_EXPIRES } from '../../src/vm/limits.ts'
import { decodeCanonical } from '../../src/codec/canonical.ts'
import { BALANCE_SCHEMA } from '../../src/vm/schemas.ts'
import { encodeReceipt, type Receipt } from '../../src/vm/types.ts'
import type { FetchLike } from '../../src/client/http.ts'
import { testKey, type TestKey } from './fixtures.ts'

/** `n` validator keys from `label`, sorted by public key (index i = validator i). */
export function sortedKeys(label: string, n: number): TestKey[] {
  return Array.from({ length: n }, (_, i) => testKey(`${label}-${i}`)).sort((a, b) =>
    compareBytes(a.publicKey, b.publicKey),
  )
}

/** The set of `keys` (already sorted). */
export function setOfKeys(keys: readonly TestKey[]): Validator[] {
  return keys.map((k) => ({ publicKey: k.publicKey, power: 1 }))
}

/** A commit certificate over `header` signed by the validators at `indexes` of `keys`. */
export function certify(
  header: BlockHeader,
  keys: readonly TestKey[],
  indexes: readonly number[],
): CommitCertificate {
  const blockHash = blockHashOf(header)
  const digest = voteDigest({
    type: 'commit',
    chainId: header.chainId,
    height: header.height,
    round: header.round,
    blockHash,
  })
  const signatures: [number, Uint8Array][] = [...indexes]
    .sort((a, b) => a - b)
    .map((i) => [i, signDigest(digest, keys[i]!.secretKey)])
  return { height: header.height, round: header.round, blockHash, signatures }
}

/** One committed block of the fixture chain. */
export interface FixtureBlock {
  readonly header: BlockHeader
  /** null for genesis. */
  readonly certificate: CommitCertificate | null
  readonly txs: readonly SignedTx[]
  readonly receipts: readonly Receipt[]
  /** The state after this block (tree and values by hex key). */
  readonly tree: StateTree
  readonly values: ReadonlyMap<string, Uint8Array>
}

function snapshot(
  entries: readonly { key: Uint8Array; value: Uint8Array }[],
): Map<string, Uint8Array> {
  return new Map(entries.map((e) => [toHex(e.key), e.value]))
}

/** A real chain in memory. */
export class FixtureChain {
  readonly chainId: string
  readonly blocks: FixtureBlock[] = []
  readonly sets = new Map<string, Validator[]>()
  readonly #app: ChainApp
  #keys: TestKey[]
  #nextKeys: TestKey[]
  #mempool: SignedTx[] = []

  /** Genesis from `genesis` with the validators replaced by `keys` (sorted). */
  constructor(genesis: Genesis, keys: TestKey[]) {
    const g = buildGenesis({ ...genesis, validators: keys.map((k) => k.publicKey) })
    if (!g.ok) throw new Error(g.error.message)
    this.chainId = genesis.chainId
    this.#keys = keys
    this.#nextKeys = keys
    this.#remember(keys)
    this.blocks.push({
      header: g.value.block.header,
      certificate: null,
      txs: [],
      receipts: [],
      tree: g.value.tree,
      values: snapshot(g.value.state.entries()),
    })
    this.#app = new ChainApp(genesis.chainId, g.value.state, g.value.tree, 0, {
      selectTxs: () => this.#mempool,
      isVerified: () => false,
    })
  }

  /** The validator keys of the next block. */
  get keys(): readonly TestKey[] {
    return this.#keys
  }

  /** The committed head. */
  get head(): FixtureBlock {
    return this.blocks.at(-1)!
  }

  /** The genesis validator set. */
  get genesisSet(): Validator[] {
    return this.sets.get(toHex(this.blocks[0]!.header.validatorsHash))!
  }

  #remember(keys: readonly TestKey[]): void {
    const set = setOfKeys(keys)
    this.sets.set(toHex(validatorsHashOf(set)), set)
  }

  /** The next block announces `keys` as the set of the block after it. */
  changeValidators(keys: TestKey[]): void {
    this.#nextKeys = keys
    this.#remember(keys)
  }

  /** Executes and commits a block with `txs`, certified by `signers` validators (a quorum by default). */
  commit(txs: readonly SignedTx[] = [], signers?: number): FixtureBlock {
    const parent = this.head.header
    const setHash = validatorsHashOf(setOfKeys(this.#keys))
    this.#mempool = [...txs]
    const height = parent.height + 1
    const built = this.#app.buildProposal({
      chainId: this.chainId,
      height,
      round: 0,
      time: parent.time + 1000n,
      proposer: this.#keys[height % this.#keys.length]!.publicKey,
      parent,
      parentHash: blockHashOf(parent),
      validatorsHash: setHash,
      nextValidatorsHash: validatorsHashOf(setOfKeys(this.#nextKeys)),
    })
    const execution: ChainExecution = this.#app.commit(built.block)
    const count = signers ?? quorumOf(this.#keys.length)
    const indexes = Array.from({ length: count }, (_, i) => i)
    const block: FixtureBlock = {
      header: built.block.header,
      certificate: certify(built.block.header, this.#keys, indexes),
      txs: execution.txs,
      receipts: execution.result.receipts,
      tree: execution.tree,
      values: snapshot(this.#app.state.entries()),
    }
    this.blocks.push(block)
    this.#keys = this.#nextKeys
    this.#mempool = []
    return block
  }

  /** Where `txId` was committed. */
  findTx(txIdHex: string): { block: FixtureBlock; index: number } | null {
    for (const block of this.blocks) {
      const index = block.txs.findIndex((t) => toHex(t.txId) === txIdHex)
      if (index >= 0) return { block, index }
    }
    return null
  }
}

/** Header and certificate hex of a block, as the contract serves them. */
export function headerFields(block: FixtureBlock): { headerHex: string; certificateHex: string } {
  return {
    headerHex: toHex(encodeCanonical(HEADER_SCHEMA, block.header)),
    certificateHex: block.certificate
      ? toHex(encodeCanonical(CERTIFICATE_SCHEMA, block.certificate))
      : '',
  }
}

/** A BlockView of the contract. */
export function blockView(block: FixtureBlock): Record<string, unknown> {
  const h = block.header
  return {
    height: h.height,
    blockHash: toHex(blockHashOf(h)),
    ...headerFields(block),
    header: { height: h.height, chainId: h.chainId, time: h.time.toString() },
    txIds: block.txs.map((t) => toHex(t.txId)),
  }
}

const stepsJson = (steps: ReturnType<typeof merkleProof>) =>
  steps.map((s) => ({ sibling: toHex(s.sibling), siblingOnLeft: s.siblingOnLeft }))

/** A Merkle step as served. */
export interface StepJson {
  sibling: string
  siblingOnLeft: boolean
}

/** The contract's tx answer. */
export interface TxViewJson {
  txId: string
  height: number
  index: number
  signedTxHex: string
  receiptHex: string
  receipt: { ok: boolean }
  proof: StepJson[]
  receiptProof: StepJson[]
  headerHex: string
  certificateHex: string
}

/** The contract's state answer. */
export interface StateViewJson {
  height: number
  key: string
  valueHex: string | null
  proofHex: string
  headerHex: string
  certificateHex: string
}

/** The contract's balances answer. */
export interface BalancesViewJson {
  height: number
  address: string
  balances: {
    pointType: string
    amount: string
    lots: { amount: string; expiresAt: string | null }[]
  }[]
  entries: { key: string; valueHex: string; proofHex: string }[]
  headerHex: string
  certificateHex: string
}

/** GET /v1/txs/:txId of the contract. */
export function txView(chain: FixtureChain, txIdHex: string): TxViewJson | null {
  const found = chain.findTx(txIdHex)
  if (!found) return null
  const { block, index } = found
  const receipts = block.receipts.map(encodeReceipt)
  return {
    txId: txIdHex,
    height: block.header.height,
    index,
    signedTxHex: toHex(block.txs[index]!.signedBytes),
    receiptHex: toHex(receipts[index]!),
    receipt: { ok: block.receipts[index]!.ok },
    proof: stepsJson(
      merkleProof(
        block.txs.map((t) => t.txId),
        index,
      ),
    ),
    receiptProof: stepsJson(merkleProof(receipts, index)),
    ...headerFields(block),
  }
}

/** GET /v1/state/:keyHex of the contract (at the head). */
export function stateView(chain: FixtureChain, keyHex: string): StateViewJson {
  const head = chain.head
  const key = fromHex(keyHex)
  const value = head.values.get(keyHex)
  return {
    height: head.header.height,
    key: keyHex,
    valueHex: value === undefined ? null : toHex(value),
    proofHex: toHex(encodeStateProof(head.tree.prove(key))),
    ...headerFields(head),
  }
}

/** GET /v1/accounts/:address/balances of the contract (at the head). */
export function balancesView(chain: FixtureChain, addressHex: string): BalancesViewJson {
  const head = chain.head
  const address = fromHex(addressHex)
  const prefix = stateKeys.raw(PREFIX.balance, address)
  const entries: BalancesViewJson['entries'] = []
  const balances: BalancesViewJson['balances'] = []
  for (const [keyHex, value] of [...head.values].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const key = fromHex(keyHex)
    if (key.length !== prefix.length + 16 || compareBytes(key.subarray(0, 21), prefix) !== 0) {
      continue
    }
    entries.push({
      key: toHex(key),
      valueHex: toHex(value),
      proofHex: toHex(encodeStateProof(head.tree.prove(key))),
    })
    const decoded = decodeCanonical(BALANCE_SCHEMA, value, 1 << 20)
    if (!decoded.ok) throw new Error('fixture: bad balance value')
    let amount = 0n
    const lots = decoded.value.lots.map(([expiresAt, held]) => {
      amount += held
      return {
        amount: held.toString(),
        expiresAt: expiresAt === NEVER_EXPIRES ? null : expiresAt.toString(),
      }
    })
    let symbol = ''
    for (let i = 21; i < key.length && key[i] !== 0; i++) symbol += String.fromCharCode(key[i]!)
    balances.push({ pointType: symbol, amount: amount.toString(), lots })
  }
  return {
    height: head.header.height,
    address: addressHex,
    balances,
    entries,
    ...headerFields(head),
  }
}

/** A JSON answer. */
export interface Answer {
  readonly status: number
  readonly body: unknown
}

const notFound = (code: string): Answer => ({
  status: 404,
  body: { error: { code, message: 'not found' } },
})

function blocksPage(chain: FixtureChain, query: URLSearchParams): Answer {
  const from = Number(query.get('from') ?? '0')
  const limit = Math.min(Number(query.get('limit') ?? '20'), 100)
  const blocks = chain.blocks.slice(from, from + limit).map(blockView)
  const next = from + limit < chain.blocks.length ? from + limit : null
  return { status: 200, body: { blocks, next } }
}

function getRoute(chain: FixtureChain, path: string, query: URLSearchParams): Answer {
  const parts = path.split('/').filter((p) => p !== '')
  const [v1, area, id, sub] = parts
  if (v1 !== 'v1') return notFound('API_NOT_FOUND')
  if (area === 'blocks' && id === undefined) return blocksPage(chain, query)
  if (area === 'blocks' && id === 'latest') return { status: 200, body: blockView(chain.head) }
  if (area === 'blocks') {
    const block = chain.blocks[Number(id)]
    return block ? { status: 200, body: blockView(block) } : notFound('API_BLOCK_NOT_FOUND')
  }
  if (area === 'validator-sets' && id !== undefined) {
    const set = chain.sets.get(id)
    if (!set) return notFound('API_NOT_FOUND')
    const validatorsHex = toHex(encodeCanonical(VALIDATOR_SET_SCHEMA, set))
    return { status: 200, body: { validatorsHash: id, validatorsHex, validators: [] } }
  }
  if (area === 'txs' && id !== undefined) {
    const view = txView(chain, id)
    return view ? { status: 200, body: view } : notFound('API_TX_NOT_FOUND')
  }
  if (area === 'state' && id !== undefined) return { status: 200, body: stateView(chain, id) }
  if (area === 'accounts' && id !== undefined && sub === 'balances') {
    return { status: 200, body: balancesView(chain, id) }
  }
  return notFound('API_NOT_FOUND')
}

function postTx(chain: FixtureChain, body: string, query: URLSearchParams): Answer {
  const { tx } = JSON.parse(body) as { tx: string }
  const decoded = decodeSignedTx(fromHex(tx))
  if (!decoded.ok) {
    return { status: 400, body: { error: { code: 'API_BAD_TX', message: 'bad tx' } } }
  }
  const txId = toHex(decoded.value.txId)
  if (query.get('wait') !== 'commit') return { status: 202, body: { txId } }
  const block = chain.commit([decoded.value])
  return { status: 200, body: { txId, height: block.header.height, index: 0 } }
}

/** Answers one request of the contract from `chain` (POST /v1/txs commits a block at once). */
export function answer(chain: FixtureChain, method: string, url: string, body = ''): Answer {
  const parsed = new URL(url, 'http://fixture')
  if (method === 'POST' && parsed.pathname === '/v1/txs') {
    return postTx(chain, body, parsed.searchParams)
  }
  return getRoute(chain, parsed.pathname, parsed.searchParams)
}

/** A `fetch` answering from `chain` in memory; `rewrite` may alter each answer (a lying node). */
export function fixtureFetch(
  chain: FixtureChain,
  rewrite: (path: string, answer: Answer) => Answer = (_p, a) => a,
): FetchLike {
  return (url, init) => {
    const path = url.replace(/^https?:\/\/[^/]+/, '')
    const body = typeof init?.body === 'string' ? init.body : ''
    const a = rewrite(path, answer(chain, init?.method ?? 'GET', url, body))
    const text = JSON.stringify(a.body)
    return Promise.resolve({
      status: a.status,
      ok: a.status >= 200 && a.status < 300,
      text: () => Promise.resolve(text),
    })
  }
}

/** Serves `chain` over HTTP on 127.0.0.1 (ephemeral port). */
export async function serveFixture(chain: FixtureChain): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const a = answer(chain, req.method ?? 'GET', req.url ?? '/', body)
      res.writeHead(a.status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(a.body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return { url: `http://127.0.0.1:${port}`, server }
}
