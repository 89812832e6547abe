/**
 * Goal: the verifiable read routes answer exactly the shapes of the light-client contract
 * (/work/API-CONTRACT.md) and what they serve verifies: headers decode to the JSON they come with,
 * certificates verify against the validator set served for the header's validatorsHash, tx and
 * receipt Merkle proofs reach the header roots, state proofs reach the state root, balances
 * recompute from the proven entries; and every bad input gets its coded 4xx.
 * Method: app.inject() against buildApi over a real Ledger + ChainApp (test/support/api-chain.ts)
 * with three committed blocks; checks use the independent verifiers (verifyCertificate,
 * verifyMerkleProof, verifyEncodedStateProof), never the read model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyEncodedStateProof } from '../../../src/client/state-proof.ts'
import { decodeCanonical } from '../../../src/codec/canonical.ts'
import { verifyMerkleProof } from '../../../src/codec/merkle.ts'
import { blockHashOf } from '../../../src/consensus/messages.ts'
import { validatorsHashOf, verifyCertificate } from '../../../src/consensus/validators.ts'
import {
  CERTIFICATE_SCHEMA,
  HEADER_SCHEMA,
  VALIDATOR_SET_SCHEMA,
  type BlockHeader,
} from '../../../src/core/block.ts'
import { verifyDigest } from '../../../src/crypto/secp256k1.ts'
import { fromHex, toHex } from '../../../src/util/bytes.ts'
import { decodeCanonical as decode } from '../../../src/codec/canonical.ts'
import { BALANCE_SCHEMA } from '../../../src/vm/schemas.ts'
import { keys } from '../../../src/vm/keys.ts'
import { apiChain, scenario, stx, type ApiChain } from '../../support/api-chain.ts'
import { CHAIN, K } from '../../support/vm.ts'

let chain: ApiChain
let txIds: string[][] = []

beforeAll(async () => {
  chain = await apiChain({ waitTimeoutMs: 300 })
  const { blocks } = await scenario(chain)
  txIds = blocks.map((b) => b.txs.map((t) => toHex(t.txId)))
})
afterAll(async () => {
  await chain.close()
})

interface Step {
  readonly sibling: string
  readonly siblingOnLeft: boolean
}
/** The response fields these tests read (all optional: each route has some). */
interface Json {
  readonly [key: string]: unknown
  readonly error?: { code: string }
  readonly validatorsHex?: string
  readonly headerHex?: string
  readonly certificateHex?: string
  readonly height?: number
  readonly blockHash?: string
  readonly txIds?: string[]
  readonly header?: Json
  readonly time?: string
  readonly stateRoot?: string
  readonly proposer?: string
  readonly blocks?: Json[]
  readonly next?: number | null
  readonly index?: number
  readonly proof?: Step[]
  readonly receiptProof?: Step[]
  readonly receiptHex?: string
  readonly receipt?: Json
  readonly signedTxHex?: string
  readonly key?: string
  readonly valueHex?: string | null
  readonly proofHex?: string
  readonly address?: string
  readonly balances?: Json[]
  readonly entries?: { key: string; valueHex: string; proofHex: string }[]
  readonly amount?: string
}
const get = async (url: string): Promise<{ status: number; body: Json }> => {
  const res = await chain.api.inject({ method: 'GET', url })
  return { status: res.statusCode, body: res.json<Json>() }
}
const expectError = async (url: string, status: number, code: string): Promise<void> => {
  const res = await get(url)
  expect(res.status, url).toBe(status)
  expect((res.body.error as { code: string }).code, url).toBe(code)
}

function headerOf(headerHex: string): BlockHeader {
  const decoded = decodeCanonical(HEADER_SCHEMA, fromHex(headerHex), 4096)
  if (!decoded.ok) throw new Error(decoded.error.message)
  return decoded.value
}

/** Checks a certificate the way a light client does, with the set served for the header. */
async function expectCertified(headerHex: string, certificateHex: string): Promise<BlockHeader> {
  const header = headerOf(headerHex)
  const set = await get(`/v1/validator-sets/${toHex(header.validatorsHash)}`)
  expect(set.status).toBe(200)
  const validators = decodeCanonical(
    VALIDATOR_SET_SCHEMA,
    fromHex(set.body.validatorsHex as string),
    8192,
  )
  if (!validators.ok) throw new Error('validator set does not decode')
  expect(toHex(validatorsHashOf(validators.value))).toBe(toHex(header.validatorsHash))
  const cert = decodeCanonical(CERTIFICATE_SCHEMA, fromHex(certificateHex), 16384)
  if (!cert.ok) throw new Error('certificate does not decode')
  const claim = { chainId: CHAIN, height: header.height, blockHash: blockHashOf(header) }
  expect(verifyCertificate(cert.value, claim, validators.value, verifyDigest).ok).toBe(true)
  return header
}

describe('GET /v1/status', () => {
  it('reports the head header fields', async () => {
    const { status, body } = await get('/v1/status')
    expect(status).toBe(200)
    const head = await chain.ledger.loadBlock(3)
    const header = head!.block.header
    expect(body).toEqual({
      chainId: CHAIN,
      height: 3,
      blockHash: toHex(head!.hash),
      stateRoot: toHex(header.stateRoot),
      time: header.time.toString(),
      validatorsHash: toHex(header.validatorsHash),
      nextValidatorsHash: toHex(header.nextValidatorsHash),
    })
  })
})

describe('GET /v1/blocks/:height and /v1/blocks/latest', () => {
  it('serves a BlockView whose header, hash, certificate and tx ids agree', async () => {
    const { status, body } = await get('/v1/blocks/2')
    expect(status).toBe(200)
    expect(Object.keys(body).sort()).toEqual(
      ['blockHash', 'certificateHex', 'header', 'headerHex', 'height', 'txIds'].sort(),
    )
    const header = await expectCertified(body.headerHex as string, body.certificateHex as string)
    expect(body.height).toBe(2)
    expect(body.blockHash).toBe(toHex(blockHashOf(header)))
    expect(body.txIds).toEqual(txIds[1])
    const json = body.header as Json
    expect(json.time).toBe(header.time.toString())
    expect(json.stateRoot).toBe(toHex(header.stateRoot))
    expect(json.proposer).toBe(toHex(K.val1.publicKey))
    expect(Object.keys(json).sort()).toEqual(Object.keys(header).sort())
  })

  it('latest is the head', async () => {
    const latest = await get('/v1/blocks/latest')
    const three = await get('/v1/blocks/3')
    expect(latest.status).toBe(200)
    expect(latest.body).toEqual(three.body)
  })

  it('height 0 is the genesis header without a certificate', async () => {
    const { status, body } = await get('/v1/blocks/0')
    expect(status).toBe(200)
    expect(body.blockHash).toBe(toHex(blockHashOf(chain.genesisHeader)))
    expect(body.certificateHex).toBe('')
    expect(body.txIds).toEqual([])
  })

  it('rejects bad heights and unknown blocks', async () => {
    await expectError('/v1/blocks/4', 404, 'API_BLOCK_NOT_FOUND')
    for (const bad of ['-1', 'abc', '1.5', '01', '4294967296', '%20']) {
      await expectError(`/v1/blocks/${bad}`, 400, 'API_BAD_HEIGHT')
    }
  })
})

describe('GET /v1/blocks', () => {
  it('pages ascending with next', async () => {
    const first = await get('/v1/blocks?from=1&limit=2')
    expect(first.status).toBe(200)
    const blocks = first.body.blocks as Json[]
    expect(blocks.map((b) => b.height)).toEqual([1, 2])
    expect(first.body.next).toBe(3)
    const rest = await get('/v1/blocks?from=3')
    expect((rest.body.blocks as Json[]).map((b) => b.height)).toEqual([3])
    expect(rest.body.next).toBeNull()
    const all = await get('/v1/blocks')
    expect((all.body.blocks as Json[]).map((b) => b.height)).toEqual([0, 1, 2, 3])
    const beyond = await get('/v1/blocks?from=9')
    expect(beyond.body).toEqual({ blocks: [], next: null })
  })

  it('rejects bad from and limit values', async () => {
    await expectError('/v1/blocks?from=x', 400, 'API_BAD_HEIGHT')
    for (const limit of ['0', '101', 'ten', '-3']) {
      await expectError(`/v1/blocks?limit=${limit}`, 400, 'API_BAD_QUERY')
    }
    await expectError('/v1/blocks?other=1', 400, 'API_BAD_REQUEST')
  })
})

describe('GET /v1/validator-sets/:hash', () => {
  it('serves the genesis set by its hash', async () => {
    const hash = toHex(validatorsHashOf(chain.validators))
    const { status, body } = await get(`/v1/validator-sets/${hash}`)
    expect(status).toBe(200)
    expect(body).toEqual({
      validatorsHash: hash,
      validatorsHex: body.validatorsHex,
      validators: [{ publicKey: toHex(K.val1.publicKey), power: 1 }],
    })
    const decoded = decodeCanonical(
      VALIDATOR_SET_SCHEMA,
      fromHex(body.validatorsHex as string),
      8192,
    )
    expect(decoded.ok && toHex(validatorsHashOf(decoded.value))).toBe(hash)
  })

  it('rejects bad and unknown hashes', async () => {
    await expectError(`/v1/validator-sets/${'00'.repeat(32)}`, 404, 'API_VALIDATOR_SET_NOT_FOUND')
    await expectError('/v1/validator-sets/abcd', 400, 'API_BAD_HASH')
    await expectError(`/v1/validator-sets/${'AB'.repeat(32)}`, 400, 'API_BAD_HASH')
  })
})

describe('GET /v1/txs/:txId', () => {
  it('serves the tx, its receipt and proofs that reach the certified header roots', async () => {
    const txId = txIds[1]![2]!
    const { status, body } = await get(`/v1/txs/${txId}`)
    expect(status).toBe(200)
    expect(body.height).toBe(2)
    expect(body.index).toBe(2)
    const header = await expectCertified(body.headerHex as string, body.certificateHex as string)
    const step = (s: { sibling: string; siblingOnLeft: boolean }) => ({
      sibling: fromHex(s.sibling),
      siblingOnLeft: s.siblingOnLeft,
    })
    const proof = (body.proof as { sibling: string; siblingOnLeft: boolean }[]).map(step)
    expect(verifyMerkleProof(header.txRoot, fromHex(txId), proof)).toBe(true)
    const receiptProof = (body.receiptProof as { sibling: string; siblingOnLeft: boolean }[]).map(
      step,
    )
    const receiptHex = body.receiptHex as string
    expect(verifyMerkleProof(header.receiptsRoot, fromHex(receiptHex), receiptProof)).toBe(true)
    expect(body.receipt).toMatchObject({ txId, ok: true, code: null, index: 2 })
    const stored = await chain.ledger.loadBlock(2)
    expect(body.signedTxHex).toBe(toHex(stored!.block.txs[2]!))
  })

  it('shows a failed tx with its error code', async () => {
    const { body } = await get(`/v1/txs/${txIds[2]![0]!}`)
    expect(body.receipt).toMatchObject({ ok: false, code: 'TX_NOT_TRANSFERABLE' })
  })

  it('rejects bad and unknown ids', async () => {
    await expectError(`/v1/txs/${'11'.repeat(32)}`, 404, 'API_TX_NOT_FOUND')
    await expectError('/v1/txs/xyz', 400, 'API_BAD_HASH')
    await expectError(`/v1/txs/${'11'.repeat(33)}`, 400, 'API_BAD_HASH')
  })
})

describe('GET /v1/state/:keyHex', () => {
  it('proves a present key against the certified head state root', async () => {
    const key = keys.balance(K.bob.address, 'ACME')
    const { status, body } = await get(`/v1/state/${toHex(key)}`)
    expect(status).toBe(200)
    expect(body.height).toBe(3)
    expect(body.key).toBe(toHex(key))
    const header = await expectCertified(body.headerHex as string, body.certificateHex as string)
    const value = fromHex(body.valueHex as string)
    expect(toHex(value)).toBe(toHex(chain.app.state.get(key)!))
    const checked = verifyEncodedStateProof(
      header.stateRoot,
      key,
      value,
      fromHex(body.proofHex as string),
    )
    expect(checked.ok).toBe(true)
  })

  it('proves an absent key', async () => {
    const key = keys.balance(K.carol.address, 'ACME')
    const { body } = await get(`/v1/state/${toHex(key)}`)
    expect(body.valueHex).toBeNull()
    const header = headerOf(body.headerHex as string)
    const checked = verifyEncodedStateProof(
      header.stateRoot,
      key,
      null,
      fromHex(body.proofHex as string),
    )
    expect(checked.ok).toBe(true)
  })

  it('rejects keys that are not hex or too long', async () => {
    await expectError('/v1/state/zz', 400, 'API_BAD_KEY')
    await expectError('/v1/state/abc', 400, 'API_BAD_KEY')
    await expectError(`/v1/state/${'00'.repeat(129)}`, 414, 'API_URI_TOO_LONG')
    const longest = await get(`/v1/state/${'00'.repeat(128)}`)
    expect(longest.status).toBe(200)
    expect(longest.body.valueHex).toBeNull()
  })
})

describe('GET /v1/accounts/:address/balances', () => {
  it('serves balances with lots that recompute from the proven entries', async () => {
    const url = `/v1/accounts/${toHex(K.alice.address)}/balances`
    const { status, body } = await get(url)
    expect(status).toBe(200)
    expect(body.address).toBe(toHex(K.alice.address))
    const header = await expectCertified(body.headerHex as string, body.certificateHex as string)
    // alice: 1,000 ACME at genesis − 100 redeemed − 50 transferred − 20 escrowed; 5,000 UNI.
    expect(body.balances).toEqual([
      { pointType: 'ACME', amount: '830', lots: [{ amount: '830', expiresAt: null }] },
      { pointType: 'UNI', amount: '5000', lots: [{ amount: '5000', expiresAt: null }] },
    ])
    const entries = body.entries as { key: string; valueHex: string; proofHex: string }[]
    expect(entries.map((e) => e.key)).toEqual([
      toHex(keys.balance(K.alice.address, 'ACME')),
      toHex(keys.balance(K.alice.address, 'UNI')),
    ])
    for (const [i, e] of entries.entries()) {
      const value = fromHex(e.valueHex)
      const proven = verifyEncodedStateProof(
        header.stateRoot,
        fromHex(e.key),
        value,
        fromHex(e.proofHex),
      )
      expect(proven.ok, `entry ${i}`).toBe(true)
      const lots = decode(BALANCE_SCHEMA, value, 16384)
      const sum = lots.ok ? lots.value.lots.reduce((s, l) => s + l[1], 0n) : -1n
      expect(sum.toString(), `entry ${i}`).toBe((body.balances as Json[])[i]!.amount)
    }
  })

  it('an unknown account has no balances', async () => {
    const { status, body } = await get(`/v1/accounts/${toHex(K.carol.address)}/balances`)
    expect(status).toBe(200)
    expect(body.balances).toEqual([])
    expect(body.entries).toEqual([])
  })

  it('answers the same bytes at one height and a new answer after the next block', async () => {
    const url = `/v1/accounts/${toHex(K.alice.address)}/balances`
    const first = await chain.api.inject({ method: 'GET', url })
    const again = await chain.api.inject({ method: 'GET', url })
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(again.body).toBe(first.body)
    const before = first.json<Json>()
    await chain.commit([])
    const after = (await get(url)).body
    expect(after.height).toBe((before.height as number) + 1)
    expect(after.headerHex).not.toBe(before.headerHex)
    expect(after.balances).toEqual(before.balances)
    await expectCertified(after.headerHex as string, after.certificateHex as string)
  })

  it('rejects bad addresses', async () => {
    for (const bad of ['00', 'zz'.repeat(20), 'AB'.repeat(20), '00'.repeat(21)]) {
      await expectError(`/v1/accounts/${bad}/balances`, 400, 'API_BAD_ADDRESS')
    }
  })
})

describe('POST /v1/txs?wait=commit', () => {
  const post = (tx: Uint8Array, query = '?wait=commit') =>
    chain.api.inject({ method: 'POST', url: `/v1/txs${query}`, payload: { tx: toHex(tx) } })

  it('answers with the location once the tx is committed', async () => {
    const signed = stx(K.bob, 'points.transfer', {
      pointType: 'BETA',
      to: K.carol.address,
      amount: 5n,
    })
    const pending = post(signed.signedBytes)
    // The handler has pooled the tx when the pool is non-empty; then commit it.
    const deadline = Date.now() + 5000
    while (chain.pool.length === 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    expect(chain.pool.length).toBe(1)
    const block = await chain.commit()
    const res = await pending
    expect(res.statusCode).toBe(200)
    const committed = { txId: toHex(signed.txId), height: chain.app.height, index: 0 }
    expect(block.txs.map((t) => toHex(t.txId))).toEqual([committed.txId])
    expect(res.json()).toEqual(committed)
    // Submitting the committed tx again is a duplicate; with wait it still answers the location.
    const again = await post(signed.signedBytes)
    expect(again.statusCode).toBe(200)
    expect(again.json()).toEqual(committed)
    const plain = await post(signed.signedBytes, '')
    expect(plain.statusCode).toBe(409)
  })

  it('times out with 504 API_WAIT_TIMEOUT when nothing commits', async () => {
    const signed = stx(K.bob, 'points.transfer', {
      pointType: 'BETA',
      to: K.carol.address,
      amount: 6n,
    })
    const res = await post(signed.signedBytes)
    expect(res.statusCode).toBe(504)
    expect(res.json<{ error: { code: string } }>().error.code).toBe('API_WAIT_TIMEOUT')
    chain.pool.splice(0, chain.pool.length)
  })

  it('without wait answers 202; a bad wait value is a 400', async () => {
    const signed = stx(K.bob, 'points.transfer', {
      pointType: 'BETA',
      to: K.carol.address,
      amount: 7n,
    })
    const res = await post(signed.signedBytes, '')
    expect(res.statusCode).toBe(202)
    chain.pool.splice(0, chain.pool.length)
    const bad = await post(signed.signedBytes, '?wait=forever')
    expect(bad.statusCode).toBe(400)
    expect(bad.json<{ error: { code: string } }>().error.code).toBe('API_BAD_REQUEST')
  })
})
