/**
 * Goal (issue #8, acceptance 3 and 4): a lying node is detected. Through a proxy that alters a
 * balance, alters a proven state entry, drops certificate signatures below the quorum, swaps a block
 * for another height's, or forges a proof, the light client fails with the right coded error every
 * time; through the same proxy in honest mode every read verifies.
 * Method: a small node:http proxy on 127.0.0.1 (ephemeral port, in this file) rewrites the answers
 * of an upstream that serves the API read contract. Upstream 1 is an HTTP server over a real chain
 * built in-process (test/support/light-chain.ts) and always runs. Upstream 2 is a real node process
 * (test/support/cluster.ts, one validator): the client issues, transfers, converts, redeems and
 * places an order through it and verifies every read, then the lies are replayed against it. That
 * part skips with a visible reason only while the node does not serve GET /v1/blocks/latest (404:
 * the read routes of the API are not merged yet).
 */
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keyPairOf } from '../../../src/client/keys.ts'
import { LightClient, orThrow } from '../../../src/client/light-client.ts'
import type { ClientError } from '../../../src/client/errors.ts'
import { signedTx } from '../../../src/client/tx-builder.ts'
import { genesisValidators } from '../../../src/chain/genesis.ts'
import { decodeCanonical, encodeCanonical } from '../../../src/codec/canonical.ts'
import { quorumOf } from '../../../src/consensus/validators.ts'
import { CERTIFICATE_SCHEMA, type Validator } from '../../../src/core/block.ts'
import { demoKeys, demoStages } from '../../../src/node/demo.ts'
import { loadGenesis } from '../../../src/node/genesis-file.ts'
import { fromHex, toHex } from '../../../src/util/bytes.ts'
import type { Result } from '../../../src/util/result.ts'
import { keys as stateKeys } from '../../../src/vm/keys.ts'
import { createCluster, destroyCluster, startNode, type Cluster } from '../../support/cluster.ts'
import { serveFixture } from '../../support/light-chain.ts'
import { alice, block1Txs, CHAIN, lightChain } from '../../support/light-fixture.ts'

type Mode =
  'honest' | 'alter-balance' | 'alter-entry' | 'drop-signature' | 'swap-block' | 'forge-proof'

interface Proxy {
  readonly url: string
  mode: Mode
  close(): Promise<void>
}

/** Flips the lowest bit of the hex byte at `at` (negative: from the end). */
function flipHex(hex: string, at: number): string {
  const i = (at < 0 ? hex.length / 2 + at : at) * 2
  const byte = (parseInt(hex.slice(i, i + 2), 16) ^ 1).toString(16).padStart(2, '0')
  return hex.slice(0, i) + byte + hex.slice(i + 2)
}

/** Drops certificate seals until one fewer than `quorum` remain. */
function dropSignatures(certificateHex: unknown, quorum: number): unknown {
  if (typeof certificateHex !== 'string' || certificateHex === '') return certificateHex
  const cert = decodeCanonical(CERTIFICATE_SCHEMA, fromHex(certificateHex), 1 << 16)
  if (!cert.ok) return certificateHex
  const signatures = cert.value.signatures.slice(cert.value.signatures.length - (quorum - 1))
  return toHex(encodeCanonical(CERTIFICATE_SCHEMA, { ...cert.value, signatures }))
}

/** The answer fields the proxy rewrites. */
type Json = Partial<
  Record<'blocks' | 'certificateHex' | 'balances' | 'entries' | 'proofHex' | 'proof', unknown>
>

function rewriteAnswer(mode: Mode, path: string, body: Json, quorum: number): Json {
  switch (mode) {
    case 'honest':
    case 'swap-block':
      return body
    case 'drop-signature': {
      const blocks = Array.isArray(body.blocks)
        ? (body.blocks as Json[]).map((b) => ({
            ...b,
            certificateHex: dropSignatures(b.certificateHex, quorum),
          }))
        : body.blocks
      return { ...body, blocks, certificateHex: dropSignatures(body.certificateHex, quorum) }
    }
    case 'alter-balance': {
      if (!path.endsWith('/balances')) return body
      const [first, ...rest] = body.balances as { amount: string }[]
      const raised = { ...first!, amount: (BigInt(first!.amount) + 1n).toString() }
      return { ...body, balances: [raised, ...rest] }
    }
    case 'alter-entry': {
      if (!path.endsWith('/balances')) return body
      const [first, ...rest] = body.entries as { valueHex: string }[]
      return { ...body, entries: [{ ...first!, valueHex: flipHex(first!.valueHex, -1) }, ...rest] }
    }
    case 'forge-proof':
      return forgeProof(path, body)
  }
}

function forgeProof(path: string, body: Json): Json {
  if (path.startsWith('/v1/state/')) {
    return { ...body, proofHex: flipHex(body.proofHex as string, -1) }
  }
  if (path.endsWith('/balances')) {
    const [first, ...rest] = body.entries as { proofHex: string }[]
    return { ...body, entries: [{ ...first!, proofHex: flipHex(first!.proofHex, -1) }, ...rest] }
  }
  if (path.startsWith('/v1/txs/')) {
    const proof = body.proof as { sibling: string; siblingOnLeft: boolean }[]
    const forged =
      proof.length === 0
        ? [{ sibling: '11'.repeat(32), siblingOnLeft: false }]
        : [{ ...proof[0]!, sibling: flipHex(proof[0]!.sibling, 0) }, ...proof.slice(1)]
    return { ...body, proof: forged }
  }
  return body
}

/** `swap-block` asks the upstream for a neighbouring height instead of the requested one. */
function upstreamPath(mode: Mode, path: string): string {
  if (mode !== 'swap-block') return path
  const single = /^\/v1\/blocks\/(\d+)$/.exec(path)
  if (single) {
    const h = Number(single[1])
    return `/v1/blocks/${h === 1 ? 2 : h - 1}`
  }
  return path.replace(
    /^\/v1\/blocks\?from=(\d+)/,
    (_m, from: string) => `/v1/blocks?from=${Number(from) + 1}`,
  )
}

async function startProxy(upstream: string, quorum: number): Promise<Proxy> {
  const proxy: { mode: Mode } = { mode: 'honest' }
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const path = req.url ?? '/'
      const method = req.method ?? 'GET'
      void fetch(`${upstream}${upstreamPath(proxy.mode, path)}`, {
        method,
        ...(method === 'POST' ? { body, headers: { 'content-type': 'application/json' } } : {}),
      })
        .then(async (answer) => {
          let text = await answer.text()
          if (answer.ok) {
            const json = JSON.parse(text) as Json
            text = JSON.stringify(rewriteAnswer(proxy.mode, path, json, quorum))
          }
          res.writeHead(answer.status, { 'content-type': 'application/json' })
          res.end(text)
        })
        .catch((e: unknown) => {
          res.writeHead(502)
          res.end(JSON.stringify({ error: { code: 'PROXY', message: String(e) } }))
        })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve()
        })
      }),
  })
}

function codeOf<T>(result: Result<T, ClientError>): string {
  return result.ok ? 'OK' : `${result.error.code} (${result.error.message})`
}
const code = <T>(result: Result<T, ClientError>): string => (result.ok ? 'OK' : result.error.code)

/** What to read through the proxy. */
interface Reads {
  readonly chainId: string
  readonly trusted: readonly Validator[]
  readonly address: Uint8Array
  readonly txId: Uint8Array
  readonly stateKey: Uint8Array
}

/** Every lie, each with a fresh client, and the honest run; returns `[case, code]` rows. */
async function lyingRuns(proxy: Proxy, reads: Reads): Promise<[string, string][]> {
  const fresh = () =>
    new LightClient({
      baseUrl: proxy.url,
      chainId: reads.chainId,
      trustedValidators: reads.trusted,
    })
  const rows: [string, string][] = []
  const run = async (
    mode: Mode,
    what: string,
    read: (c: LightClient) => Promise<Result<unknown, ClientError>>,
  ) => {
    proxy.mode = mode
    rows.push([`${mode}: ${what}`, code(await read(fresh()))])
  }
  const all: [string, (c: LightClient) => Promise<Result<unknown, ClientError>>][] = [
    ['head', (c) => c.getVerifiedHead()],
    ['tx', (c) => c.getVerifiedTx(reads.txId)],
    ['balances', (c) => c.getVerifiedBalances(reads.address)],
    ['state', (c) => c.getVerifiedState(reads.stateKey)],
  ]
  for (const [what, read] of all) await run('honest', what, read)
  for (const [what, read] of all) await run('drop-signature', what, read)
  await run('alter-balance', 'balances', (c) => c.getVerifiedBalances(reads.address))
  await run('alter-entry', 'balances', (c) => c.getVerifiedBalances(reads.address))
  for (const [what, read] of all.slice(1)) await run('forge-proof', what, read)
  await run('swap-block', 'head (walk)', (c) => c.getVerifiedHead())
  // A client that followed the chain honestly, then asks for block 1 again and gets block 2.
  proxy.mode = 'honest'
  const followed = fresh()
  orThrow(await followed.getVerifiedHead())
  proxy.mode = 'swap-block'
  rows.push(['swap-block: header 1', code(await followed.getVerifiedHeader(1))])
  proxy.mode = 'honest'
  return rows
}

const EXPECTED: [string, string][] = [
  ['honest: head', 'OK'],
  ['honest: tx', 'OK'],
  ['honest: balances', 'OK'],
  ['honest: state', 'OK'],
  ['drop-signature: head', 'CLIENT_BAD_CERTIFICATE'],
  ['drop-signature: tx', 'CLIENT_BAD_CERTIFICATE'],
  ['drop-signature: balances', 'CLIENT_BAD_CERTIFICATE'],
  ['drop-signature: state', 'CLIENT_BAD_CERTIFICATE'],
  ['alter-balance: balances', 'CLIENT_VALUE_MISMATCH'],
  ['alter-entry: balances', 'CLIENT_PROOF_MISMATCH'],
  ['forge-proof: tx', 'CLIENT_PROOF_MISMATCH'],
  ['forge-proof: balances', 'CLIENT_PROOF_MISMATCH'],
  ['forge-proof: state', 'CLIENT_PROOF_MISMATCH'],
  ['swap-block: head (walk)', 'CLIENT_WRONG_HEIGHT'],
  ['swap-block: header 1', 'CLIENT_WRONG_HEIGHT'],
]

describe('a lying node in front of an in-process chain', () => {
  const chain = lightChain()
  let upstream: Server
  let proxy: Proxy

  beforeAll(async () => {
    const served = await serveFixture(chain)
    upstream = served.server
    proxy = await startProxy(served.url, quorumOf(chain.genesisSet.length))
  })
  afterAll(async () => {
    await proxy.close()
    await new Promise<void>((resolve) => {
      upstream.close(() => {
        resolve()
      })
    })
  })

  it('is detected with the right code every time, and the honest proxy verifies', async () => {
    const rows = await lyingRuns(proxy, {
      chainId: CHAIN,
      trusted: chain.genesisSet,
      address: alice.address,
      txId: block1Txs()[2]!.txId,
      stateKey: stateKeys.pointType('ACME'),
    })
    expect(rows).toEqual(EXPECTED)
  })

  it('shows the error messages a user sees', async () => {
    proxy.mode = 'drop-signature'
    const client = new LightClient({
      baseUrl: proxy.url,
      chainId: CHAIN,
      trustedValidators: chain.genesisSet,
    })
    expect(codeOf(await client.getVerifiedHeader(2))).toMatch(
      /^CLIENT_BAD_CERTIFICATE \(header 2: 2 seals < quorum 3\)$/,
    )
    proxy.mode = 'honest'
  })
})

describe('a lying node in front of a real node process (one validator)', () => {
  let cluster: Cluster | null = null
  let gate: string | null = null

  beforeAll(async () => {
    cluster = createCluster(1)
    await startNode(cluster.nodes[0]!)
    const latest = await fetch(`${cluster.nodes[0]!.apiUrl}/v1/blocks/latest`)
    await latest.text()
    if (latest.status === 404) {
      gate = 'GET /v1/blocks/latest answers 404: the API read routes are not in this branch yet'
      console.warn(`lying-node live test skipped: ${gate}`)
    }
  }, 60_000)
  afterAll(async () => {
    if (cluster) await destroyCluster(cluster)
  })

  it('verifies issue, transfer, convert, redeem and an order, then detects every lie', async (ctx) => {
    if (gate !== null) ctx.skip(gate)
    const node = cluster!.nodes[0]!
    const chainId = 'e2e-chain'
    const trusted = genesisValidators(loadGenesis(node.home))
    const client = new LightClient({ baseUrl: node.apiUrl, chainId, trustedValidators: trusted })
    const { consumer, acme, beta } = await liveScenario(
      client,
      node.apiUrl,
      chainId,
      cluster!.operatorKeyPath,
    )
    // Demo: 10,000,000 ACME issued to the consumer; then −1000 transferred, −1000 converted, −500 redeemed.
    const balances = orThrow(
      await client.getVerifiedBalances(consumer.address, { pointTypes: ['ACME', 'BETA'] }),
    )
    expect(balances.balances.find((b) => b.pointType === 'ACME')?.amount).toBe(9_997_500n)
    const betaBalances = orThrow(await client.getVerifiedBalances(beta.address))
    expect(betaBalances.balances.find((b) => b.pointType === 'ACME')?.amount).toBe(1000n)
    const proxy = await startProxy(node.apiUrl, quorumOf(trusted.length))
    try {
      const rows = await lyingRuns(proxy, {
        chainId,
        trusted,
        address: consumer.address,
        txId: acme.lastTxId,
        stateKey: stateKeys.pointType('ACME'),
      })
      expect(rows).toEqual(EXPECTED)
    } finally {
      await proxy.close()
    }
  }, 120_000)
})

/** Demo setup, then a transfer, a conversion, a redemption and an order, each submitted with wait and verified. */
async function liveScenario(
  client: LightClient,
  apiUrl: string,
  chainId: string,
  operatorKeyPath: string,
) {
  const operatorFile = JSON.parse(readFileSync(operatorKeyPath, 'utf8')) as { secretKey: string }
  const operator = keyPairOf(fromHex(operatorFile.secretKey))
  const keys = demoKeys()
  // Only the expiry window depends on this unverified height.
  const latest = (await (await fetch(`${apiUrl}/v1/blocks/latest`)).json()) as { height: number }
  const expiresAtHeight = latest.height + 500
  const o = { chainId, expiresAtHeight }
  const { consumer, beta, acme } = keys
  const extra = [
    signedTx(
      consumer,
      'points.transfer',
      { pointType: 'ACME', to: beta.address, amount: 1000n },
      o,
    ),
    signedTx(
      consumer,
      'points.convert',
      { fromType: 'ACME', toType: 'UNI', amount: 1000n, minReceive: 0n },
      o,
    ),
    signedTx(
      consumer,
      'points.redeem',
      { pointType: 'ACME', amount: 500n, acceptor: acme.address, orderRef: 'R-1' },
      o,
    ),
    signedTx(
      consumer,
      'order.place',
      {
        market: 'ACME/BETA',
        side: 'buy',
        price: 20n,
        quantity: 100n,
        goodTillHeight: expiresAtHeight,
      },
      o,
    ),
  ]
  let lastTxId: Uint8Array = new Uint8Array(32)
  for (const [i, tx] of [
    ...demoStages(operator, keys, chainId, expiresAtHeight).flat(),
    ...extra,
  ].entries()) {
    const submitted = orThrow(await client.submit(tx, { wait: true, timeoutMs: 60_000 }))
    expect(
      submitted.verified?.receipt.ok,
      `tx ${i} (${tx.tx.kind}) committed with an ok receipt`,
    ).toBe(true)
    lastTxId = tx.txId
  }
  return { consumer, beta, acme: { ...acme, lastTxId } }
}
