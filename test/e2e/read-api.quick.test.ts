/**
 * Goal: a real `bin/pointsnode start` process serves the read side wired in src/node/node.ts: a tx
 * submitted with `?wait=commit` answers with its location once committed; the tx, its certificate
 * (checked against the validator set the node serves for the header), its Merkle proofs and a
 * state proof all verify; the account history lists the tx.
 * Method: black box over HTTP against a one-validator testnet on 127.0.0.1; checks with the
 * independent verifiers (verifyCertificate, verifyMerkleProof, verifyEncodedStateProof).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keyPairOf } from '../../src/client/keys.ts'
import { verifyEncodedStateProof } from '../../src/client/state-proof.ts'
import { signedTx } from '../../src/client/tx-builder.ts'
import { decodeCanonical } from '../../src/codec/canonical.ts'
import { verifyMerkleProof } from '../../src/codec/merkle.ts'
import { blockHashOf } from '../../src/consensus/messages.ts'
import { verifyCertificate } from '../../src/consensus/validators.ts'
import {
  CERTIFICATE_SCHEMA,
  HEADER_SCHEMA,
  VALIDATOR_SET_SCHEMA,
  type BlockHeader,
} from '../../src/core/block.ts'
import { verifyDigest } from '../../src/crypto/secp256k1.ts'
import { fromHex, toHex } from '../../src/util/bytes.ts'
import { keys } from '../../src/vm/keys.ts'
import {
  createCluster,
  destroyCluster,
  getJson,
  startNode,
  until,
  type Cluster,
  type Health,
} from '../support/cluster.ts'

let cluster: Cluster
let url = ''
beforeAll(async () => {
  cluster = createCluster(1)
  await startNode(cluster.nodes[0]!)
  url = cluster.nodes[0]!.apiUrl
}, 120_000)
afterAll(async () => {
  // beforeAll may have failed before assigning the cluster: clean up only what exists.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  if (cluster) await destroyCluster(cluster)
})

interface Step {
  readonly sibling: string
  readonly siblingOnLeft: boolean
}
const steps = (s: readonly Step[]) =>
  s.map((x) => ({ sibling: fromHex(x.sibling), siblingOnLeft: x.siblingOnLeft }))

function decode<T>(schema: Parameters<typeof decodeCanonical<T>>[0], hex: string): T {
  const decoded = decodeCanonical(schema, fromHex(hex), 1 << 20)
  if (!decoded.ok) throw new Error(decoded.error.message)
  return decoded.value
}

async function certified(headerHex: string, certificateHex: string): Promise<BlockHeader> {
  const header = decode(HEADER_SCHEMA, headerHex)
  const set = await getJson<{ validatorsHex: string }>(
    `${url}/v1/validator-sets/${toHex(header.validatorsHash)}`,
  )
  const claim = { chainId: 'e2e-chain', height: header.height, blockHash: blockHashOf(header) }
  const checked = verifyCertificate(
    decode(CERTIFICATE_SCHEMA, certificateHex),
    claim,
    decode(VALIDATOR_SET_SCHEMA, set.validatorsHex),
    verifyDigest,
  )
  expect(checked.ok).toBe(true)
  return header
}

describe('read API of a running node', { timeout: 120_000 }, () => {
  it('wait=commit, tx proofs, state proof and history verify', async () => {
    await until('height 1', async () =>
      (await getJson<Health>(`${url}/health`)).height >= 1 ? true : undefined,
    )
    const consumer = keyPairOf(fromHex('7'.repeat(64)))
    const { height } = await getJson<{ height: number }>(`${url}/v1/status`)
    const tx = signedTx(
      consumer,
      'account.register',
      { profileDigest: null },
      { chainId: 'e2e-chain', expiresAtHeight: height + 100 },
    )
    const res = await fetch(`${url}/v1/txs?wait=commit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tx: toHex(tx.signedBytes) }),
    })
    expect(res.status).toBe(200)
    const at = (await res.json()) as { txId: string; height: number; index: number }
    expect(at.txId).toBe(toHex(tx.txId))
    expect(at.height).toBeGreaterThan(height)

    const got = await getJson<{
      height: number
      receiptHex: string
      proof: Step[]
      receiptProof: Step[]
      headerHex: string
      certificateHex: string
    }>(`${url}/v1/txs/${at.txId}`)
    expect(got.height).toBe(at.height)
    const header = await certified(got.headerHex, got.certificateHex)
    expect(verifyMerkleProof(header.txRoot, tx.txId, steps(got.proof))).toBe(true)
    const receipt = fromHex(got.receiptHex)
    expect(verifyMerkleProof(header.receiptsRoot, receipt, steps(got.receiptProof))).toBe(true)

    const key = keys.account(consumer.address)
    const state = await getJson<{
      valueHex: string | null
      proofHex: string
      headerHex: string
      certificateHex: string
    }>(`${url}/v1/state/${toHex(key)}`)
    expect(state.valueHex).not.toBeNull()
    const head = await certified(state.headerHex, state.certificateHex)
    const proof = verifyEncodedStateProof(
      head.stateRoot,
      key,
      fromHex(state.valueHex ?? ''),
      fromHex(state.proofHex),
    )
    expect(proof.ok).toBe(true)

    const history = await getJson<{ items: { txId: string }[] }>(
      `${url}/v1/accounts/${consumer.addressHex}/history`,
    )
    expect(history.items.map((i) => i.txId)).toEqual([at.txId])
  })
})
