/**
 * The verifiable read routes: status, blocks with certificates, validator sets, txs with inclusion
 * proofs, state proofs and proven balances. Their shapes are the contract with the light client
 * (src/client): /work/API-CONTRACT.md, restated in docs/api.md. Spec: SPEC §9, §10.
 */
import type { FastifyInstance } from 'fastify'
import { encodeCanonical } from '../codec/canonical.ts'
import { toJson } from '../codec/json.ts'
import type { MerkleStep } from '../codec/merkle.ts'
import {
  CERTIFICATE_SCHEMA,
  HEADER_SCHEMA,
  VALIDATOR_SET_SCHEMA,
  type CommitCertificate,
} from '../core/block.ts'
import { STATE_KEY_BYTES_MAX } from '../core/state.ts'
import { isHex, fromHex, toHex } from '../util/bytes.ts'
import type { BalancesRead, BlockRead, CertifiedHeader, ReadModel } from './read-model.ts'
import {
  BALANCES_JSON,
  BLOCKS_PAGE,
  BLOCK_VIEW,
  STATE_JSON,
  STATUS_JSON,
  TX_JSON,
  VALIDATOR_SET_JSON,
  errors,
  params,
} from './read-schemas.ts'
import { parseAddress, parseBytes, parseU32, sendError } from './route-input.ts'

/** Default and largest page of `GET /v1/blocks`. */
export const BLOCKS_LIMIT_DEFAULT = 20
/** Largest page of `GET /v1/blocks`. */
export const BLOCKS_LIMIT_MAX = 100

function certificateHex(certificate: CommitCertificate | null): string {
  return certificate ? toHex(encodeCanonical(CERTIFICATE_SCHEMA, certificate)) : ''
}

/** `headerHex` and `certificateHex` of a certified header. */
export function certifiedHex(c: CertifiedHeader): { headerHex: string; certificateHex: string } {
  return {
    headerHex: toHex(encodeCanonical(HEADER_SCHEMA, c.header)),
    certificateHex: certificateHex(c.certificate),
  }
}

/** The contract's BlockView. */
export function blockView(b: BlockRead): Record<string, unknown> {
  return {
    height: b.header.height,
    blockHash: toHex(b.blockHash),
    ...certifiedHex(b),
    header: toJson(b.header),
    txIds: b.txIds.map(toHex),
  }
}

function proofView(steps: readonly MerkleStep[]): { sibling: string; siblingOnLeft: boolean }[] {
  return steps.map((s) => ({ sibling: toHex(s.sibling), siblingOnLeft: s.siblingOnLeft }))
}

function registerChainRoutes(app: FastifyInstance, read: ReadModel): void {
  app.get(
    '/v1/status',
    { schema: { description: 'The head: height, hashes, time.', response: { 200: STATUS_JSON } } },
    async () => {
      const { header, blockHash } = await read.head()
      return {
        chainId: header.chainId,
        height: header.height,
        blockHash: toHex(blockHash),
        stateRoot: toHex(header.stateRoot),
        time: header.time.toString(),
        validatorsHash: toHex(header.validatorsHash),
        nextValidatorsHash: toHex(header.nextValidatorsHash),
      }
    },
  )
  app.get(
    '/v1/blocks/latest',
    { schema: { description: 'The head block.', response: { 200: BLOCK_VIEW } } },
    async () => blockView(await read.head()),
  )
  app.get(
    '/v1/blocks/:height',
    {
      schema: {
        description: 'A block by height, with its commit certificate.',
        params: params('height'),
        response: { 200: BLOCK_VIEW, ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const { height } = request.params as { height: string }
      const h = parseU32(height, 'API_BAD_HEIGHT', 'height')
      if (!h.ok) return sendError(reply, h.error)
      const block = await read.block(h.value)
      if (!block)
        return sendError(reply, { code: 'API_BLOCK_NOT_FOUND', message: `no block ${h.value}` })
      return blockView(block)
    },
  )
  registerBlocksRoute(app, read)
}

function registerBlocksRoute(app: FastifyInstance, read: ReadModel): void {
  const querystring = {
    type: 'object',
    additionalProperties: false,
    properties: {
      from: { type: 'string', description: 'first height (default 0)' },
      limit: { type: 'string', description: `1..${BLOCKS_LIMIT_MAX} (default 20)` },
    },
  }
  app.get(
    '/v1/blocks',
    {
      schema: {
        description: 'Blocks in ascending height order.',
        querystring,
        response: { 200: BLOCKS_PAGE, ...errors(400) },
      },
    },
    async (request, reply) => {
      const q = request.query as { from?: string; limit?: string }
      const from =
        q.from === undefined
          ? { ok: true as const, value: 0 }
          : parseU32(q.from, 'API_BAD_HEIGHT', 'from')
      if (!from.ok) return sendError(reply, from.error)
      const limit =
        q.limit === undefined
          ? { ok: true as const, value: BLOCKS_LIMIT_DEFAULT }
          : parseU32(q.limit, 'API_BAD_QUERY', 'limit')
      if (!limit.ok || limit.value < 1 || limit.value > BLOCKS_LIMIT_MAX) {
        return sendError(reply, {
          code: 'API_BAD_QUERY',
          message: `limit must be 1..${BLOCKS_LIMIT_MAX}`,
        })
      }
      const head = (await read.head()).header.height
      const blocks = []
      for (let h = from.value; h <= head && blocks.length < limit.value; h++) {
        const block = await read.block(h)
        if (!block) break
        blocks.push(blockView(block))
      }
      const last = from.value + blocks.length
      return { blocks, next: blocks.length > 0 && last <= head ? last : null }
    },
  )
}

function registerProofRoutes(app: FastifyInstance, read: ReadModel): void {
  app.get(
    '/v1/validator-sets/:hash',
    {
      schema: {
        description: 'A validator set by its hash (validatorsHash of a header).',
        params: params('hash'),
        response: { 200: VALIDATOR_SET_JSON, ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const hash = parseBytes((request.params as { hash: string }).hash, 32, 'API_BAD_HASH', 'hash')
      if (!hash.ok) return sendError(reply, hash.error)
      const set = await read.validatorSet(hash.value)
      if (!set)
        return sendError(reply, {
          code: 'API_VALIDATOR_SET_NOT_FOUND',
          message: 'unknown validator set',
        })
      return {
        validatorsHash: toHex(hash.value),
        validatorsHex: toHex(encodeCanonical(VALIDATOR_SET_SCHEMA, set)),
        validators: set.map((v) => ({ publicKey: toHex(v.publicKey), power: v.power })),
      }
    },
  )
  app.get(
    '/v1/txs/:txId',
    {
      schema: {
        description: 'A committed tx with its receipt and inclusion proofs.',
        params: params('txId'),
        response: { 200: TX_JSON, ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const txId = parseBytes((request.params as { txId: string }).txId, 32, 'API_BAD_HASH', 'txId')
      if (!txId.ok) return sendError(reply, txId.error)
      const tx = await read.tx(txId.value)
      if (!tx) return sendError(reply, { code: 'API_TX_NOT_FOUND', message: 'tx is not committed' })
      return {
        txId: toHex(tx.txId),
        height: tx.height,
        index: tx.index,
        signedTxHex: toHex(tx.signedTx),
        receiptHex: toHex(tx.receipt),
        receipt: tx.receiptView,
        proof: proofView(tx.proof),
        receiptProof: proofView(tx.receiptProof),
        ...certifiedHex(tx),
      }
    },
  )
  registerStateRoutes(app, read)
}

function registerStateRoutes(app: FastifyInstance, read: ReadModel): void {
  app.get(
    '/v1/state/:keyHex',
    {
      schema: {
        description: 'The value of one state key at the head with its proof.',
        params: params('keyHex'),
        response: { 200: STATE_JSON, ...errors(400) },
      },
    },
    async (request, reply) => {
      const { keyHex } = request.params as { keyHex: string }
      if (keyHex.length === 0 || keyHex.length > STATE_KEY_BYTES_MAX * 2 || !isHex(keyHex)) {
        const message = `key must be 1..${STATE_KEY_BYTES_MAX} bytes of lowercase hex`
        return sendError(reply, { code: 'API_BAD_KEY', message })
      }
      const s = await read.state(fromHex(keyHex))
      return {
        height: s.header.height,
        key: keyHex,
        valueHex: s.entry.value ? toHex(s.entry.value) : null,
        proofHex: toHex(s.entry.proof),
        ...certifiedHex(s),
      }
    },
  )
  app.get(
    '/v1/accounts/:address/balances',
    {
      schema: {
        description: 'Every balance of an account with its lots, and the proven state entries.',
        params: params('address'),
        response: { 200: BALANCES_JSON, ...errors(400) },
      },
    },
    async (request, reply) => {
      const address = parseAddress((request.params as { address: string }).address)
      if (!address.ok) return sendError(reply, address.error)
      const b = await read.balances(address.value)
      // The read model hands out one object per (address, height): its answer is serialised once.
      let body = balancesJson.get(b)
      if (body === undefined) {
        body = JSON.stringify(balancesView(b, address.value))
        balancesJson.set(b, body)
      }
      return reply.type('application/json; charset=utf-8').send(body)
    },
  )
}

/**
 * Serialised balance answers by the read they came from. The read model caches a `BalancesRead` per
 * (address, height), so a hot account's answer is built and stringified once per block; entries go
 * with their read (a WeakMap holds no read alive).
 */
const balancesJson = new WeakMap<BalancesRead, string>()

/** The contract's balance answer (BALANCES_JSON), fields in schema order. */
function balancesView(b: BalancesRead, address: Uint8Array): Record<string, unknown> {
  return {
    height: b.header.height,
    address: toHex(address),
    balances: b.balances.map((x) => ({
      pointType: x.pointType,
      amount: x.amount.toString(),
      lots: x.lots.map((l) => ({
        amount: l.amount.toString(),
        expiresAt: l.expiresAt === null ? null : l.expiresAt.toString(),
      })),
    })),
    entries: b.entries.map((e) => ({
      key: toHex(e.key),
      valueHex: e.value ? toHex(e.value) : '',
      proofHex: toHex(e.proof),
    })),
    ...certifiedHex(b),
  }
}

/** Registers the verifiable read routes over `read`. */
export function registerVerifiableRoutes(app: FastifyInstance, read: ReadModel): void {
  registerChainRoutes(app, read)
  registerProofRoutes(app, read)
}
