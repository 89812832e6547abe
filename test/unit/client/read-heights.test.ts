/**
 * Goal: the light client binds what it reads to the chain it has verified (docs/api.md, "What is
 * verified"): a read of the head may not roll back below a height the client had verified when it
 * asked; an expected balance is proven absent under the same header as the other balances; and
 * below its anchor the client trusts the hashes it vouched for, not a retired validator set, so a
 * quorum of a retired set cannot certify a forged old header.
 * Method: a real chain built in-process (test/support/light-chain.ts) served through an in-memory
 * `fetch`; lies are rewrites of single answers, and forged headers are certified with real keys of
 * the retired set.
 */
import { describe, expect, it } from 'vitest'
import { HeaderFollower, type HeaderSource } from '../../../src/client/follower.ts'
import { LightClient } from '../../../src/client/light-client.ts'
import { encodeCanonical } from '../../../src/codec/canonical.ts'
import { encodeStateProof } from '../../../src/codec/state-proof.ts'
import { CERTIFICATE_SCHEMA, HEADER_SCHEMA, VALIDATOR_SET_SCHEMA } from '../../../src/core/block.ts'
import type { BlockHeader } from '../../../src/core/block.ts'
import { buildTree } from '../../../src/state/tree.ts'
import { fromHex, toHex } from '../../../src/util/bytes.ts'
import { ok, type Result } from '../../../src/util/result.ts'
import { keys as stateKeys } from '../../../src/vm/keys.ts'
import { NEVER_EXPIRES } from '../../../src/vm/limits.ts'
import { BALANCE_SCHEMA } from '../../../src/vm/schemas.ts'
import {
  blockView,
  certify,
  FixtureChain,
  fixtureFetch,
  headerFields,
  setOfKeys,
  sortedKeys,
  type Answer,
  type BalancesViewJson,
  type FixtureBlock,
} from '../../support/light-chain.ts'
import { alice, block1Txs, CHAIN } from '../../support/light-fixture.ts'
import { testGenesis } from '../../support/vm.ts'

const A = sortedKeys('light-val', 4)
const B = sortedKeys('light-b', 4)

const codeOf = (r: Result<unknown, { code: string }>): string => (r.ok ? 'OK' : r.error.code)

/** Block 1 empty, block 2 issues EXP to alice (block1Txs), block 3 empty; all by A. */
function lateIssueChain(): FixtureChain {
  const chain = new FixtureChain(testGenesis(), A)
  chain.commit()
  chain.commit(block1Txs())
  chain.commit()
  return chain
}

/** Blocks 1–2 by A (2 announces B), 3–5 by B. */
function changedChain(): FixtureChain {
  const chain = new FixtureChain(testGenesis(), A)
  chain.commit(block1Txs())
  chain.changeValidators(B)
  chain.commit()
  chain.commit()
  chain.commit()
  chain.commit()
  return chain
}

function clientOf(chain: FixtureChain, rewrite?: (p: string, a: Answer) => Answer): LightClient {
  return new LightClient({
    baseUrl: 'http://node.test',
    chainId: CHAIN,
    trustedValidators: setOfKeys(A),
    fetch: fixtureFetch(chain, rewrite),
  })
}

/** The contract's /v1/state answer for `keyHex`, but at `block` (an older, genuinely certified one). */
function stateViewAt(block: FixtureBlock, keyHex: string): Answer {
  const value = block.values.get(keyHex)
  return {
    status: 200,
    body: {
      height: block.header.height,
      key: keyHex,
      valueHex: value === undefined ? null : toHex(value),
      proofHex: toHex(encodeStateProof(block.tree.prove(fromHex(keyHex)))),
      ...headerFields(block),
    },
  }
}

/** A header of `height` with a forged state root, certified by a quorum of `keys`. */
function forgedAt(chain: FixtureChain, height: number, stateRoot: Uint8Array) {
  const header: BlockHeader = { ...chain.blocks[height]!.header, stateRoot }
  const certificate = certify(header, A, [0, 1, 2])
  return {
    headerHex: toHex(encodeCanonical(HEADER_SCHEMA, header)),
    certificateHex: toHex(encodeCanonical(CERTIFICATE_SCHEMA, certificate)),
  }
}

/** A header source over `chain` that counts the blocks it serves. */
function sourceOf(chain: FixtureChain): HeaderSource & { served: number } {
  const source = {
    served: 0,
    blocks(from: number, limit: number) {
      const page = chain.blocks.slice(from, from + limit).map(blockView)
      source.served += page.length
      return Promise.resolve(ok(page))
    },
    validatorSet(hash: Uint8Array) {
      const set = chain.sets.get(toHex(hash))!
      return Promise.resolve(ok<unknown>(toHex(encodeCanonical(VALIDATOR_SET_SCHEMA, set))))
    },
  }
  return source
}

describe('reads of the head', () => {
  const expKeyHex = toHex(stateKeys.balance(alice.address, 'EXP'))

  it('refuses a state read answered below the height already verified', async () => {
    const chain = lateIssueChain()
    const client = clientOf(chain, (path, a) =>
      path === `/v1/state/${expKeyHex}` ? stateViewAt(chain.blocks[1]!, expKeyHex) : a,
    )
    expect(codeOf(await client.getVerifiedHead())).toBe('OK')
    expect(client.verifiedHeight).toBe(3)
    expect(codeOf(await client.getVerifiedState(expKeyHex))).toBe('CLIENT_STALE')
  })

  it('a read of the head moves the verified height to it', async () => {
    const chain = lateIssueChain()
    const client = clientOf(chain)
    const state = await client.getVerifiedState(expKeyHex)
    expect(state.ok && state.value.height).toBe(3)
    expect(client.verifiedHeight).toBe(3)
  })

  it('does not let an absence proven at an older height hide a balance', async () => {
    const chain = lateIssueChain()
    let balanceReads = 0
    const client = clientOf(chain, (path, a) => {
      if (path.endsWith('/balances')) {
        balanceReads += 1
        const body = a.body as BalancesViewJson
        const balances = body.balances.filter((b) => b.pointType !== 'EXP')
        const entries = body.entries.filter((e) => e.key !== expKeyHex)
        return { status: 200, body: { ...body, balances, entries } }
      }
      // Height 1 is before EXP was issued: a genuine proof of absence, of the wrong height.
      return path === `/v1/state/${expKeyHex}` ? stateViewAt(chain.blocks[1]!, expKeyHex) : a
    })
    const read = await client.getVerifiedBalances(alice.address, { pointTypes: ['EXP'] })
    expect(codeOf(read)).toBe('CLIENT_STALE')
    expect(balanceReads).toBe(3) // BALANCE_READ_ATTEMPTS
  })

  it('reads the balances again when the head moves before an absence proof', async () => {
    const chain = lateIssueChain()
    let balanceReads = 0
    const client = clientOf(chain, (path, a) => {
      if (path.endsWith('/balances')) {
        balanceReads += 1
        // The first answer is of height 3; a block commits before the absence proof is asked for.
        if (balanceReads === 1) chain.commit()
      }
      return a
    })
    const read = await client.getVerifiedBalances(alice.address, { pointTypes: ['BETA'] })
    expect(codeOf(read)).toBe('OK')
    expect(read.ok && read.value.height).toBe(4)
    expect(balanceReads).toBe(2)
  })

  it('accepts a concurrent read of a height below one another read verified meanwhile', async () => {
    const chain = lateIssueChain()
    const client = clientOf(chain, (path, a) =>
      path === `/v1/state/${expKeyHex}` ? stateViewAt(chain.blocks[2]!, expKeyHex) : a,
    )
    // Both ask before either has verified anything; the head read walks to 3 while the state read
    // was answered at 2, a header that walk vouched for.
    const [state, head] = await Promise.all([
      client.getVerifiedState(expKeyHex),
      client.getVerifiedHead(),
    ])
    expect(codeOf(head)).toBe('OK')
    expect(state.ok && state.value.height).toBe(2)
    expect(client.verifiedHeight).toBe(3)
  })

  it('refuses balances under a header the retired set forged at an old height', async () => {
    const chain = changedChain()
    const key = stateKeys.balance(alice.address, 'UNI')
    const value = encodeCanonical(BALANCE_SCHEMA, { lots: [[NEVER_EXPIRES, 10n ** 15n]] })
    const tree = buildTree([{ key, value }])
    const forged = forgedAt(chain, 2, tree.root())
    let lie = false
    const client = clientOf(chain, (path, a) => {
      if (!lie || !path.endsWith('/balances')) return a
      const amount = (10n ** 15n).toString()
      const body = {
        height: 2,
        address: toHex(alice.address),
        balances: [{ pointType: 'UNI', amount, lots: [{ amount, expiresAt: null }] }],
        entries: [
          {
            key: toHex(key),
            valueHex: toHex(value),
            proofHex: toHex(encodeStateProof(tree.prove(key))),
          },
        ],
        ...forged,
      }
      return { status: 200, body }
    })
    expect(codeOf(await client.getVerifiedHead())).toBe('OK')
    expect(client.followedSets().map((e) => e[0])).toEqual([0, 3])
    lie = true
    expect(codeOf(await client.getVerifiedBalances(alice.address))).toBe('CLIENT_STALE')
  })
})

describe('headers below the anchor', () => {
  const chain = changedChain()
  const forged = forgedAt(chain, 1, new Uint8Array(32).fill(7))
  const genuine = (h: number) => headerFields(chain.blocks[h]!)

  it('must have the hash the follower vouched for at their height', async () => {
    const follower = new HeaderFollower(CHAIN, setOfKeys(A), sourceOf(chain))
    expect(codeOf(await follower.advanceTo(5))).toBe('OK')
    const real = genuine(1)
    expect(codeOf(await follower.verify(real.headerHex, real.certificateHex, 1))).toBe('OK')
    // A quorum of A (retired at height 3) certifies the forged header, and it is refused.
    const lie = await follower.verify(forged.headerHex, forged.certificateHex, 1)
    expect(codeOf(lie)).toBe('CLIENT_CHAIN_MISMATCH')
  })

  it('of a retired set, without a kept hash, must link up to a vouched header', async () => {
    const source = sourceOf(chain)
    const follower = new HeaderFollower(CHAIN, setOfKeys(A), source, { recentHashes: 0 })
    expect(codeOf(await follower.advanceTo(5))).toBe('OK')
    source.served = 0
    const real = genuine(1)
    expect(codeOf(await follower.verify(real.headerHex, real.certificateHex, 1))).toBe('OK')
    expect(source.served).toBe(1) // header 2: the checkpoint where A announced B
    const lie = await follower.verify(forged.headerHex, forged.certificateHex, 1)
    expect(codeOf(lie)).toBe('CLIENT_CHAIN_MISMATCH')
  })

  it('of the set in charge now need only its certificate', async () => {
    const source = sourceOf(chain)
    const follower = new HeaderFollower(CHAIN, setOfKeys(A), source, { recentHashes: 0 })
    expect(codeOf(await follower.advanceTo(5))).toBe('OK')
    source.served = 0
    const real = genuine(4)
    expect(codeOf(await follower.verify(real.headerHex, real.certificateHex, 4))).toBe('OK')
    expect(source.served).toBe(0)
  })
})
