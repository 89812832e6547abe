/**
 * Goal: `LightClient` follows the header chain from the trusted genesis set across validator set
 * changes, verifies every read (headers, txs, state, balances) and submit-and-wait, and turns every
 * lie about the chain (forged or unlinked headers, hidden set changes, a substituted validator set,
 * shifted pages, HTTP failures) into the right coded error.
 * Method: a real chain built in-process (test/support/light-chain.ts: real VM, state tree and
 * secp256k1 certificates) with two set changes, served by the API read contract through an
 * in-memory `fetch`; lies are rewrites of single answers. No sockets here (see lying-node.test.ts).
 */
import { describe, expect, it } from 'vitest'
import { LightClient, orThrow } from '../../../src/client/light-client.ts'
import { LightClientError, type ClientError } from '../../../src/client/errors.ts'
import { signedTx } from '../../../src/client/tx-builder.ts'
import { decodeCanonical, encodeCanonical } from '../../../src/codec/canonical.ts'
import { blockHashOf } from '../../../src/consensus/messages.ts'
import { validatorsHashOf } from '../../../src/consensus/validators.ts'
import { HEADER_SCHEMA, VALIDATOR_SET_SCHEMA, type BlockHeader } from '../../../src/core/block.ts'
import { fromHex, toHex } from '../../../src/util/bytes.ts'
import type { Result } from '../../../src/util/result.ts'
import {
  FixtureChain,
  fixtureFetch,
  setOfKeys,
  sortedKeys,
  type Answer,
} from '../../support/light-chain.ts'
import { alice, bob, block1Txs, CHAIN } from '../../support/light-fixture.ts'
import { testGenesis } from '../../support/vm.ts'

const A = sortedKeys('light-val', 4)
const B = sortedKeys('light-b', 4)
const C = sortedKeys('light-c', 5)

/** Blocks 1–3 by A (3 announces B), 4–5 by B (5 announces C), 6–8 by C. */
function changingChain(): FixtureChain {
  const chain = new FixtureChain(testGenesis(), A)
  chain.commit(block1Txs())
  chain.commit()
  chain.changeValidators(B)
  chain.commit()
  chain.commit()
  chain.changeValidators(C)
  chain.commit()
  chain.commit()
  chain.commit()
  chain.commit()
  return chain
}

function codeOf<T>(result: Result<T, ClientError>): string {
  return result.ok ? 'OK' : result.error.code
}

type Rewrite = (path: string, answer: Answer) => Answer

function clientOf(chain: FixtureChain, rewrite?: Rewrite): LightClient {
  return new LightClient({
    baseUrl: 'http://node.test',
    chainId: CHAIN,
    trustedValidators: setOfKeys(A),
    fetch: fixtureFetch(chain, rewrite),
  })
}

const headerHex = (h: BlockHeader): string => toHex(encodeCanonical(HEADER_SCHEMA, h))

/** Rewrites the header of `height` wherever a page of blocks carries it. */
function forgeInPages(height: number, forge: (h: BlockHeader) => BlockHeader): Rewrite {
  return (path, a) => {
    if (!path.startsWith('/v1/blocks?')) return a
    const body = a.body as { blocks: { height: number; headerHex: string }[] }
    const blocks = body.blocks.map((b) => {
      if (b.height !== height) return b
      const header = decodeCanonical(HEADER_SCHEMA, fromHex(b.headerHex), 1024)
      if (!header.ok) throw new Error('fixture: served header decodes')
      return { ...b, headerHex: headerHex(forge(header.value)) }
    })
    return { status: a.status, body: { ...body, blocks } }
  }
}

describe('LightClient over an honest node', () => {
  const chain = changingChain()
  const client = clientOf(chain)

  it('follows the header chain across two validator set changes', async () => {
    for (let h = 1; h <= 8; h++) {
      const header = await client.getVerifiedHeader(h)
      expect(codeOf(header), `height ${h}`).toBe('OK')
      if (header.ok) {
        expect(toHex(header.value.blockHash), `height ${h}`).toBe(
          toHex(blockHashOf(chain.blocks[h]!.header)),
        )
      }
    }
    expect(client.followedSets()).toEqual([
      [0, toHex(validatorsHashOf(setOfKeys(A)))],
      [4, toHex(validatorsHashOf(setOfKeys(B)))],
      [6, toHex(validatorsHashOf(setOfKeys(C)))],
    ])
    // Older headers are checked against the set of their own height.
    expect(codeOf(await client.getVerifiedHeader(2))).toBe('OK')
    expect(codeOf(await client.getVerifiedHead())).toBe('OK')
  })

  it('jumps straight to the head from genesis (certificates only at set changes and the target)', async () => {
    const fresh = clientOf(chain)
    const head = await fresh.getVerifiedHeader(8)
    expect(codeOf(head)).toBe('OK')
    expect(fresh.verifiedHeight).toBe(8)
    expect(fresh.followedSets().map((e) => e[0])).toEqual([0, 4, 6])
  })

  it('verifies txs, state and balances under the current set', async () => {
    for (const [i, tx] of block1Txs().entries()) {
      const verified = await client.getVerifiedTx(tx.txId)
      expect(codeOf(verified), `tx ${i}`).toBe('OK')
      if (verified.ok) expect([verified.value.height, verified.value.index]).toEqual([1, i])
    }
    const balances = orThrow(
      await client.getVerifiedBalances(alice.address, { pointTypes: ['BETA'] }),
    )
    expect(balances.height).toBe(8)
    expect(balances.balances.map((b) => [b.pointType, b.amount])).toEqual([
      ['ACME', 750n],
      ['EXP', 300n],
      ['UNI', 5000n],
    ])
    const absent = orThrow(await client.getVerifiedState(`02${'ee'.repeat(20)}`))
    expect(absent.value).toBeNull()
  })

  it('submits, waits for the commit and verifies the inclusion', async () => {
    const tx = signedTx(
      bob,
      'points.transfer',
      { pointType: 'ACME', to: alice.address, amount: 90n },
      { chainId: CHAIN, expiresAtHeight: 100 },
    )
    const submitted = orThrow(await client.submit(tx, { wait: true }))
    expect(submitted.verified?.receipt.ok).toBe(true)
    expect(submitted.verified?.height).toBe(9)
    const balances = orThrow(await client.getVerifiedBalances(bob.address))
    // Bob: 40 issued + 250 from alice − 90 to alice.
    expect(balances.balances.find((b) => b.pointType === 'ACME')?.amount).toBe(200n)
  })

  it('fetches the trusted set by its hash, and refuses a set that does not hash to it', async () => {
    const byHash = new LightClient({
      baseUrl: 'http://node.test',
      chainId: CHAIN,
      trustedValidatorsHash: toHex(validatorsHashOf(setOfKeys(A))),
      fetch: fixtureFetch(chain),
    })
    expect(codeOf(await byHash.getVerifiedHeader(5))).toBe('OK')
    const lied = new LightClient({
      baseUrl: 'http://node.test',
      chainId: CHAIN,
      trustedValidatorsHash: validatorsHashOf(setOfKeys(A)),
      fetch: fixtureFetch(chain, (path, a) =>
        path.startsWith('/v1/validator-sets/')
          ? {
              status: 200,
              body: { validatorsHex: toHex(encodeCanonical(VALIDATOR_SET_SCHEMA, setOfKeys(B))) },
            }
          : a,
      ),
    })
    expect(codeOf(await lied.getVerifiedHeader(1))).toBe('CLIENT_VALIDATORS_MISMATCH')
  })
})

describe('LightClient against lies about the header chain', () => {
  const chain = changingChain()

  it('rejects a substituted next validator set', async () => {
    const client = clientOf(chain, (path, a) =>
      path.startsWith('/v1/validator-sets/')
        ? {
            status: 200,
            body: { validatorsHex: toHex(encodeCanonical(VALIDATOR_SET_SCHEMA, setOfKeys(C))) },
          }
        : a,
    )
    const result = await client.getVerifiedHeader(6)
    expect(codeOf(result)).toBe('CLIENT_VALIDATORS_MISMATCH')
  })

  it('rejects a forged header inside a page (it does not link) and at the target (no certificate)', async () => {
    const forge = (h: BlockHeader) => ({ ...h, stateRoot: new Uint8Array(32).fill(7) })
    const inside = clientOf(chain, forgeInPages(2, forge))
    expect(codeOf(await inside.getVerifiedHeader(8))).toBe('CLIENT_CHAIN_MISMATCH')
    const atTarget = clientOf(chain, forgeInPages(8, forge))
    const result = await atTarget.getVerifiedHeader(8)
    expect(codeOf(result)).toBe('CLIENT_BAD_CERTIFICATE')
    // A failed walk moves nothing: the honest data still verifies afterwards.
    expect(atTarget.verifiedHeight).toBe(5)
  })

  it('detects a hidden validator set change', async () => {
    // Header 3 forged to announce no change: its hash changes, so header 4 no longer links.
    const hide = (h: BlockHeader) => ({ ...h, nextValidatorsHash: h.validatorsHash })
    const client = clientOf(chain, forgeInPages(3, hide))
    expect(codeOf(await client.getVerifiedHeader(5))).toBe('CLIENT_CHAIN_MISMATCH')
    // Header 4 forged to name the old set: its certificate (by B) does not verify under A.
    const claimOld = (h: BlockHeader) => ({ ...h, validatorsHash: validatorsHashOf(setOfKeys(A)) })
    const other = clientOf(chain, forgeInPages(4, claimOld))
    expect(codeOf(await other.getVerifiedHeader(4))).toBe('CLIENT_VALIDATORS_MISMATCH')
  })

  it('rejects shifted pages, a swapped block and a header of another chain', async () => {
    const shifted = clientOf(chain, (path, a) => {
      if (!path.startsWith('/v1/blocks?')) return a
      const body = a.body as { blocks: unknown[] }
      return { status: 200, body: { ...body, blocks: body.blocks.slice(1) } }
    })
    expect(codeOf(await shifted.getVerifiedHeader(3))).toBe('CLIENT_WRONG_HEIGHT')
    let swap = false
    const swapped = clientOf(chain, (path, a) =>
      swap && path === '/v1/blocks/2' ? fixtureAnswer(chain, '/v1/blocks/3') : a,
    )
    expect(codeOf(await swapped.getVerifiedHeader(8))).toBe('OK')
    swap = true
    expect(codeOf(await swapped.getVerifiedHeader(2))).toBe('CLIENT_WRONG_HEIGHT')
    const otherChain = new LightClient({
      baseUrl: 'http://node.test',
      chainId: 'another-chain',
      trustedValidators: setOfKeys(A),
      fetch: fixtureFetch(chain),
    })
    expect(codeOf(await otherChain.getVerifiedHeader(1))).toBe('CLIENT_CHAIN_MISMATCH')
  })

  it('maps HTTP failures to coded errors and throws them only through orThrow', async () => {
    const status =
      (code: number, body: unknown): Rewrite =>
      () => ({ status: code, body })
    const failing = clientOf(chain, status(500, { error: { code: 'API_INTERNAL', message: 'x' } }))
    const r = await failing.getVerifiedHeader(1)
    expect(codeOf(r)).toBe('CLIENT_HTTP')
    expect(r.ok ? null : [r.error.status, r.error.nodeCode]).toEqual([500, 'API_INTERNAL'])
    const missing = await clientOf(chain).getVerifiedTx('ab'.repeat(32))
    expect(codeOf(missing)).toBe('CLIENT_NOT_FOUND')
    const rejected = clientOf(
      chain,
      status(422, { error: { code: 'API_TX_INVALID', message: 'no' } }),
    )
    const tx = block1Txs()[0]!
    const sub = await rejected.submit(tx)
    expect(sub.ok ? null : [sub.error.code, sub.error.nodeCode]).toEqual([
      'CLIENT_REJECTED',
      'API_TX_INVALID',
    ])
    const thrown = await clientOf(chain, status(200, 'not an object')).getVerifiedHeader(1)
    expect(codeOf(thrown)).toBe('CLIENT_MALFORMED')
    expect(() => orThrow(thrown)).toThrow(LightClientError)
    expect(codeOf(await clientOf(chain).getVerifiedHeader(0))).toBe('CLIENT_BAD_ARGUMENT')
    expect(codeOf(await clientOf(chain).getVerifiedTx('xyz'))).toBe('CLIENT_BAD_ARGUMENT')
  })
})

function fixtureAnswer(chain: FixtureChain, path: string): Answer {
  let captured: Answer = { status: 500, body: null }
  void fixtureFetch(chain, (_p, a) => (captured = a))(`http://node.test${path}`)
  return captured
}
