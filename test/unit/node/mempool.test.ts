/**
 * Goal: each mempool rule holds: door checks with their codes, duplicates (pooled and committed),
 * one verifyBatch call for concurrent adds, the verified-signature cache, the eviction rule (the
 * heaviest signer pays; a flooder cannot starve others; a newcomer is admitted with all the
 * evictions it needs or refused with the pool unchanged), round-robin FIFO `take` with bounds and
 * expiry, `onCommitted` removal, the state check at the door (role and policy refusals), and the
 * verification window (at most `verifyWindow` signatures at the verifier, in arrival order; an add
 * a block asks for goes first, also while the queue is held); an add that fails in the verifier
 * rejects and leaves nothing under way, and an `isCommitted` may answer later.
 * Method: real signed txs from fixed keys, the real noble verifier (wrapped only to count calls or
 * to hold them) and a fake `isCommitted` set. Expected values are written out by hand from the
 * documented rules.
 */
import { describe, expect, it } from 'vitest'
import { buildSignedTx, decodeSignedTx } from '../../../src/codec/tx.ts'
import type { Tx } from '../../../src/core/tx.ts'
import { toHighS } from '../../../src/crypto/secp256k1.ts'
import { signTx } from '../../../src/crypto/tx-signature.ts'
import { nobleVerifier } from '../../../src/crypto/verifier.ts'
import { Mempool, type MempoolConfig } from '../../../src/node/mempool.ts'
import { toHex } from '../../../src/util/bytes.ts'
import {
  countingVerifier,
  gatedMempool,
  signedTransfer,
  signers,
  TEST_CHAIN_ID,
} from '../../support/mempool-txs.ts'
import { keyPairOf } from '../../../src/client/keys.ts'
import { signedTx } from '../../../src/client/tx-builder.ts'
import { authorizationPrecheck } from '../../../src/node/mempool-precheck.ts'
import { CHAIN, K, T0, TestChain } from '../../support/vm.ts'
import { sampleTx, type TestKey } from '../../support/fixtures.ts'

const [ka, kb, kc] = signers(3) as [
  ReturnType<typeof signers>[number],
  ReturnType<typeof signers>[number],
  ReturnType<typeof signers>[number],
]

function pool(
  extra: Partial<MempoolConfig> = {},
  committed = new Set<string>(),
): { mempool: Mempool; verifier: ReturnType<typeof countingVerifier>; committed: Set<string> } {
  const verifier = countingVerifier(nobleVerifier)
  const mempool = new Mempool({
    chainId: TEST_CHAIN_ID,
    verifier,
    isCommitted: (txId) => committed.has(toHex(txId)),
    ...extra,
  })
  return { mempool, verifier, committed }
}

/** A signed `points.issue` by `signer` with a voucher detail of `detailBytes` (a large tx). */
function signedIssue(signer: TestKey, detailBytes: number): Uint8Array {
  const issue = sampleTx('points.issue', signer)
  const body = { ...issue.body, encryptedDetail: new Uint8Array(detailBytes).fill(7) }
  return signTx({ ...issue, expiresAtHeight: 50, body } as Tx, signer.secretKey).signedBytes
}

function resign(signedBytes: Uint8Array, signature: Uint8Array): Uint8Array {
  const decoded = decodeSignedTx(signedBytes)
  if (!decoded.ok) throw new Error('fixture does not decode')
  return buildSignedTx(decoded.value.tx, signature).signedBytes
}

describe('mempool admission', () => {
  it('accepts a valid tx once; pooled and committed copies are duplicates', async () => {
    const { mempool, committed } = pool()
    const t1 = signedTransfer(ka, 1, 50)
    const t2 = signedTransfer(ka, 2, 50)
    expect(await mempool.add(t1.signedBytes, 10)).toEqual({ ok: true, value: { txId: t1.txId } })
    expect(mempool.has(t1.txId)).toBe(true)
    expect(mempool.isVerified(t1.txId, t1.signature)).toBe(true)
    const again = await mempool.add(t1.signedBytes, 10)
    expect(again).toMatchObject({
      ok: false,
      error: { code: 'TX_DUPLICATE', message: 'already pooled' },
    })
    committed.add(toHex(t2.txId))
    const done = await mempool.add(t2.signedBytes, 10)
    expect(done).toMatchObject({
      ok: false,
      error: { code: 'TX_DUPLICATE', message: 'already committed' },
    })
    expect(mempool.stats()).toMatchObject({ count: 1, added: 1, rejected: { TX_DUPLICATE: 2 } })
  })

  it('refuses bad input with its code', async () => {
    const { mempool, verifier } = pool()
    const good = signedTransfer(ka, 1, 50)
    const other = signedTransfer(ka, 2, 50)
    const badKey = new Uint8Array(33).fill(0xff)
    badKey[0] = 2
    const rs = new Uint8Array(64)
    rs[31] = 1
    rs[63] = 1
    const cases: [string, Uint8Array, number, string][] = [
      ['garbage', Uint8Array.of(1, 2, 3), 10, 'CODEC_MALFORMED'],
      ['empty', new Uint8Array(0), 10, 'CODEC_MALFORMED'],
      ['too large', new Uint8Array(9_000), 10, 'CODEC_TOO_LARGE'],
      [
        'wrong chain',
        signedTransfer(ka, 3, 50, { chainId: 'other-chain' }).signedBytes,
        10,
        'TX_WRONG_CHAIN',
      ],
      ['expired', good.signedBytes, 51, 'TX_EXPIRED'],
      ['expiry too far', signedTransfer(ka, 4, 5_000).signedBytes, 10, 'TX_EXPIRY_TOO_FAR'],
      ['high-S', resign(good.signedBytes, toHighS(good.signature)), 10, 'TX_HIGH_S'],
      ['foreign signature', resign(good.signedBytes, other.signature), 10, 'TX_BAD_SIGNATURE'],
      [
        'made-up signature',
        resign(signedTransfer(ka, 5, 50).signedBytes, rs),
        10,
        'TX_BAD_SIGNATURE',
      ],
    ]
    for (const [name, bytes, height, code] of cases) {
      const result = await mempool.add(bytes, height)
      expect(result.ok, name).toBe(false)
      if (!result.ok) expect(result.error.code, name).toBe(code)
    }
    const offCurve = signedTransfer(ka, 6, 50)
    const decoded = decodeSignedTx(offCurve.signedBytes)
    if (!decoded.ok) throw new Error('fixture')
    const forged = buildSignedTx({ ...decoded.value.tx, signerPublicKey: badKey }, rs).signedBytes
    expect(await mempool.add(forged, 10)).toMatchObject({ error: { code: 'TX_BAD_PUBLIC_KEY' } })
    expect(mempool.size).toBe(0)
    // Only the three signature failures reached the verifier.
    expect(verifier.calls.reduce((a, b) => a + b, 0)).toBe(3)
  })

  it('verifies concurrent adds in one batch and caches verified signatures', async () => {
    const { mempool, verifier, committed } = pool({ txCountMax: 40 })
    const txs = Array.from({ length: 40 }, (_, i) => signedTransfer(kb, i, 60))
    const results = await Promise.all(txs.map((t) => mempool.add(t.signedBytes, 1)))
    results.forEach((r, i) => {
      expect(r.ok, `tx ${i}`).toBe(true)
    })
    expect(verifier.calls).toEqual([40])
    // The pool is full and B is its only (heaviest) signer: B's next tx is verified, then refused.
    // A copy submitted concurrently is a duplicate and is not verified a second time.
    const extra = signedTransfer(kb, 100, 60)
    const [first, second] = await Promise.all([
      mempool.add(extra.signedBytes, 1),
      mempool.add(extra.signedBytes, 1),
    ])
    expect(first).toMatchObject({ ok: false, error: { code: 'MEMPOOL_FULL' } })
    expect(second).toMatchObject({ ok: false, error: { code: 'TX_DUPLICATE' } })
    expect(verifier.calls).toEqual([40, 1])
    // After room is made, the refused tx is admitted from the cache without a new verification.
    committed.add(toHex(txs[0]!.txId))
    mempool.onCommitted([txs[0]!.txId], 2)
    expect(await mempool.add(extra.signedBytes, 2)).toMatchObject({ ok: true })
    expect(verifier.calls).toEqual([40, 1])
    expect(mempool.stats()).toMatchObject({ verifiedCacheHits: 1, verifyBatches: 2, count: 40 })
  })

  it('forgets the verified pairs of committed txs, so the cache holds about the uncommitted', async () => {
    const { mempool, committed } = pool()
    const txs = Array.from({ length: 3 }, (_, i) => signedTransfer(kb, i, 60))
    for (const t of txs) expect(await mempool.add(t.signedBytes, 1)).toMatchObject({ ok: true })
    for (const t of txs) expect(mempool.isVerified(t.txId, t.signature)).toBe(true)
    committed.add(toHex(txs[1]!.txId))
    mempool.onCommitted([txs[1]!.txId], 2)
    expect(txs.map((t) => mempool.isVerified(t.txId, t.signature))).toEqual([true, false, true])
    // Another signature over the same tx id is not the verified pair.
    const other = txs[0]!.signature.slice()
    other[5] = other[5]! ^ 1
    expect(mempool.isVerified(txs[0]!.txId, other)).toBe(false)
  })
})

describe('mempool and commits during verification', () => {
  it('asks the ledger once per add; a block that commits meanwhile refuses its txs', async () => {
    const committed = new Set<string>()
    let asked = 0
    // The verifier holds the batch until it is released, so a block can commit during it.
    const { mempool, verifier, heldCalls } = gatedMempool(nobleVerifier, {
      isCommitted: (txId) => {
        asked++
        return committed.has(toHex(txId))
      },
    })
    const [quiet, raced] = [signedTransfer(ka, 1, 50), signedTransfer(ka, 2, 50)]
    const adds = [mempool.add(quiet.signedBytes, 1), mempool.add(raced.signedBytes, 1)]
    await new Promise<void>((resolve) => setImmediate(resolve))
    expect(asked).toBe(2)
    // `raced` commits (elsewhere) while both are being verified.
    committed.add(toHex(raced.txId))
    mempool.onCommitted([raced.txId], 2)
    await heldCalls(1)
    expect(verifier.held[0]!.txIds).toEqual([toHex(quiet.txId), toHex(raced.txId)])
    verifier.held[0]!.release()
    const [a, b] = await Promise.all(adds)
    expect(a).toMatchObject({ ok: true })
    expect(b).toMatchObject({
      ok: false,
      error: { code: 'TX_DUPLICATE', message: 'already committed' },
    })
    // The commit was seen from `onCommitted`, not by asking the ledger again.
    expect(asked).toBe(2)
    expect(mempool.has(raced.txId)).toBe(false)
    expect(mempool.has(quiet.txId)).toBe(true)
    // The mark ended with its add: were the ledger to forget `raced` (as it does once a tx's
    // expiry has passed), a new add of it would be admitted (its signature from the cache), and
    // the ledger asked once more.
    committed.delete(toHex(raced.txId))
    expect(await mempool.add(raced.signedBytes, 3)).toEqual({
      ok: true,
      value: { txId: raced.txId },
    })
    expect(verifier.held).toHaveLength(1)
    expect(asked).toBe(3)
  })
})

describe('mempool adds that end otherwise', () => {
  it('passes a verifier failure to the caller and frees the tx for a later add', async () => {
    let failures = 1
    const verifier: MempoolConfig['verifier'] = {
      verifyBatch: (jobs) =>
        failures-- > 0
          ? Promise.reject(new Error('verifier worker crashed'))
          : nobleVerifier.verifyBatch(jobs),
    }
    const { mempool } = pool({ verifier })
    const t1 = signedTransfer(ka, 1, 50)
    await expect(mempool.add(t1.signedBytes, 1)).rejects.toThrow('verifier worker crashed')
    expect(mempool.underWay).toBe(0)
    expect(mempool.has(t1.txId)).toBe(false)
    expect(await mempool.add(t1.signedBytes, 1)).toEqual({ ok: true, value: { txId: t1.txId } })
    expect(mempool.stats()).toMatchObject({ added: 1, count: 1 })
  })

  it('waits for an isCommitted that answers later, either way', async () => {
    const committedIds = new Set<string>()
    const { mempool } = pool({
      isCommitted: (txId) => Promise.resolve(committedIds.has(toHex(txId))),
    })
    const [t1, t2] = [signedTransfer(ka, 1, 50), signedTransfer(ka, 2, 50)]
    committedIds.add(toHex(t2.txId))
    expect(await mempool.add(t1.signedBytes, 1)).toEqual({ ok: true, value: { txId: t1.txId } })
    expect(await mempool.add(t2.signedBytes, 1)).toMatchObject({
      error: { code: 'TX_DUPLICATE', message: 'already committed' },
    })
    expect(mempool.underWay).toBe(0)
  })

  it('rejects, without throwing at the call, when the height is not a block height', async () => {
    const { mempool } = pool()
    const added = mempool.add(signedTransfer(ka, 1, 50).signedBytes, -1)
    await expect(added).rejects.toThrow(/height -1/)
    expect(mempool.underWay).toBe(0)
  })
})

describe('mempool eviction', () => {
  it('evicts the heaviest signer’s tx closest to expiry; a flooder cannot starve others', async () => {
    const { mempool } = pool({ txCountMax: 4 })
    const flood = [30, 12, 40, 20].map((expiry, i) => signedTransfer(ka, i, expiry))
    for (const t of flood) expect((await mempool.add(t.signedBytes, 1)).ok).toBe(true)
    expect(await mempool.add(signedTransfer(ka, 9, 50).signedBytes, 1)).toMatchObject({
      error: { code: 'MEMPOOL_FULL' },
    })
    const h1 = signedTransfer(kb, 1, 50)
    expect((await mempool.add(h1.signedBytes, 1)).ok).toBe(true)
    expect(mempool.has(flood[1]!.txId)).toBe(false) // expiry 12: closest
    expect(await mempool.add(signedTransfer(ka, 10, 50).signedBytes, 1)).toMatchObject({
      error: { code: 'MEMPOOL_FULL' },
    })
    expect((await mempool.add(signedTransfer(kb, 2, 50).signedBytes, 1)).ok).toBe(true)
    expect(mempool.has(flood[3]!.txId)).toBe(false) // expiry 20: next closest
    // A would hold 2 and B would hold 3: B is now refused rather than evicting A below B.
    expect(await mempool.add(signedTransfer(kb, 3, 50).signedBytes, 1)).toMatchObject({
      error: { code: 'MEMPOOL_FULL' },
    })
    // A third signer still gets in, at the cost of a tie-break: A and B both hold 2, A's key hex
    // and bytes decide deterministically; either way C is admitted.
    expect((await mempool.add(signedTransfer(kc, 1, 50).signedBytes, 1)).ok).toBe(true)
    expect(mempool.size).toBe(4)
    expect(mempool.stats()).toMatchObject({ evicted: 3 })
  })

  it('respects the byte bound', async () => {
    const sample = signedTransfer(ka, 0, 50).signedBytes.length
    const { mempool } = pool({ bytesMax: sample * 3 + 10 })
    for (let i = 0; i < 3; i++)
      expect((await mempool.add(signedTransfer(ka, i, 50).signedBytes, 1)).ok).toBe(true)
    expect(await mempool.add(signedTransfer(ka, 3, 50).signedBytes, 1)).toMatchObject({
      error: { code: 'MEMPOOL_FULL' },
    })
    expect((await mempool.add(signedTransfer(kb, 0, 50).signedBytes, 1)).ok).toBe(true)
    expect(mempool.bytes).toBeLessThanOrEqual(sample * 3 + 10)
    expect(mempool.size).toBe(3)
  })

  it('refuses a newcomer whose evictions the rule stops midway, with the pool unchanged', async () => {
    const big = signedIssue(kc, 1024)
    const smallBytes = signedTransfer(ka, 0, 50).signedBytes.length
    // The byte bound is C's large tx, and A's txs fill the pool: C fits only once every one of
    // them is gone, but the rule stops at A's last (A would hold as many txs as C), so C is
    // refused, and none of A's txs may have been evicted for it.
    const count = Math.floor(big.length / smallBytes)
    expect(count).toBeGreaterThanOrEqual(3)
    const small = Array.from({ length: count }, (_, i) => signedTransfer(ka, i, 50))
    const { mempool } = pool({ bytesMax: big.length })
    for (const t of small) expect((await mempool.add(t.signedBytes, 1)).ok).toBe(true)
    expect(await mempool.add(big, 1)).toMatchObject({ ok: false, error: { code: 'MEMPOOL_FULL' } })
    expect({ size: mempool.size, bytes: mempool.bytes, evicted: mempool.stats().evicted }).toEqual({
      size: count,
      bytes: count * smallBytes,
      evicted: 0,
    })
    for (const [i, t] of small.entries()) expect(mempool.has(t.txId), `A's tx ${i}`).toBe(true)
  })

  it('admits a newcomer that needs several evictions, taking each from the heaviest', async () => {
    const big = signedIssue(kc, 1024)
    const smallBytes = signedTransfer(ka, 0, 50).signedBytes.length
    const needed = Math.ceil(big.length / smallBytes)
    // A and B hold `needed` txs each, filling the pool by bytes; the heaviest signer alternates
    // between them as each eviction makes the other heavier, and both keep more txs than C.
    const txsA = Array.from({ length: needed }, (_, i) => signedTransfer(ka, i, 50))
    const txsB = Array.from({ length: needed }, (_, i) => signedTransfer(kb, i, 50))
    const pooled = [...txsA, ...txsB]
    const bytesMax = pooled.reduce((sum, t) => sum + t.signedBytes.length, 0)
    const { mempool } = pool({ bytesMax })
    for (const t of pooled) expect((await mempool.add(t.signedBytes, 1)).ok).toBe(true)
    expect((await mempool.add(big, 1)).ok).toBe(true)
    expect(mempool.stats().evicted).toBe(needed)
    expect(mempool.size).toBe(needed + 1)
    const lostA = txsA.filter((t) => !mempool.has(t.txId)).length
    const lostB = txsB.filter((t) => !mempool.has(t.txId)).length
    expect(lostA + lostB).toBe(needed)
    expect(Math.abs(lostA - lostB)).toBeLessThanOrEqual(1)
    expect(mempool.bytes).toBeLessThanOrEqual(bytesMax)
  })
})

describe('mempool take and commit', () => {
  it('takes round-robin across signers, FIFO per signer, within bounds, skipping expired', async () => {
    const { mempool } = pool()
    const a = [signedTransfer(ka, 1, 50), signedTransfer(ka, 2, 5), signedTransfer(ka, 3, 50)]
    const b = [signedTransfer(kb, 1, 50), signedTransfer(kb, 2, 50)]
    const c = [signedTransfer(kc, 1, 50)]
    for (const t of [...a, ...b, ...c]) expect((await mempool.add(t.signedBytes, 1)).ok).toBe(true)
    const ids = (list: { txId: Uint8Array }[]): string[] => list.map((t) => toHex(t.txId))
    const name = new Map<string, string>()
    a.forEach((t, i) => name.set(toHex(t.txId), `a${i + 1}`))
    b.forEach((t, i) => name.set(toHex(t.txId), `b${i + 1}`))
    c.forEach((t, i) => name.set(toHex(t.txId), `c${i + 1}`))
    const names = (list: { txId: Uint8Array }[]): string[] => ids(list).map((id) => name.get(id)!)
    expect(names(mempool.take(10, 1 << 20, 1))).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3'])
    // The next take starts one signer later; at height 6, a2 (expires at 5) is skipped.
    expect(names(mempool.take(10, 1 << 20, 6))).toEqual(['b1', 'c1', 'a1', 'b2', 'a3'])
    expect(names(mempool.take(2, 1 << 20, 6))).toEqual(['c1', 'a1'])
    const size = a[0]!.signedBytes.length
    expect(names(mempool.take(10, size * 2, 6))).toEqual(['a1', 'b1'])
    expect(mempool.take(0, 1 << 20, 6)).toEqual([])
    mempool.onCommitted([a[0]!.txId, b[1]!.txId], 6)
    expect(mempool.stats()).toMatchObject({ committed: 2, expired: 1, count: 3 })
    expect(new Set(names(mempool.take(10, 1 << 20, 6)))).toEqual(new Set(['a3', 'b1', 'c1']))
    // Adds are checked against at least the committed height.
    const late = signedTransfer(kc, 9, 7)
    mempool.onCommitted([], 8)
    expect(await mempool.add(late.signedBytes, 8)).toMatchObject({ error: { code: 'TX_EXPIRED' } })
  })
})

describe('mempool state check at the door', () => {
  // Over the VM test genesis: alice holds ACME but is no issuer; bob holds non-transferable LOCK.
  const chain = new TestChain()
  const at = { chainId: CHAIN, expiresAtHeight: 50 }
  const alice = keyPairOf(K.alice.secretKey)
  const bob = keyPairOf(K.bob.secretKey)
  const precheck = authorizationPrecheck(
    CHAIN,
    () => chain.state,
    () => T0 + 1000n,
  )

  it('refuses a tx whose signer lacks the role, or that breaks a policy, with the VM code', async () => {
    const { mempool, verifier } = pool({ chainId: CHAIN, precheck })
    const issue = signedTx(
      alice,
      'points.issue',
      {
        pointType: 'ACME',
        to: alice.address,
        amount: 10n,
        voucherKind: 'sales-order',
        voucherRef: 'SO-9',
        voucherDigest: new Uint8Array(32).fill(9),
        encryptedDetail: null,
      },
      at,
    )
    const locked = signedTx(
      bob,
      'points.transfer',
      { pointType: 'LOCK', to: alice.address, amount: 1n },
      at,
    )
    expect(await mempool.add(issue.signedBytes, 10)).toMatchObject({
      error: { code: 'TX_NOT_ISSUER' },
    })
    expect(await mempool.add(locked.signedBytes, 10)).toMatchObject({
      error: { code: 'TX_NOT_TRANSFERABLE' },
    })
    expect(mempool.size, 'nothing pooled').toBe(0)
    expect(verifier.calls, 'refused before the signature check').toEqual([])
  })

  it('admits an authorised tx, and one whose failure a pending tx could cure', async () => {
    const { mempool } = pool({ chainId: CHAIN, precheck })
    const transfer = signedTx(
      alice,
      'points.transfer',
      { pointType: 'ACME', to: bob.address, amount: 5n },
      at,
    )
    // More than alice holds now: a pending issuance to her could still make it good.
    const big = signedTx(
      alice,
      'points.transfer',
      { pointType: 'ACME', to: bob.address, amount: 999_999n },
      at,
    )
    expect((await mempool.add(transfer.signedBytes, 10)).ok).toBe(true)
    expect((await mempool.add(big.signedBytes, 10)).ok).toBe(true)
    expect(mempool.size).toBe(2)
  })
})

describe('mempool verification window', () => {
  /**
   * `count` transfers of `signer` added at once to a gated mempool with `verifyWindow`, once the
   * first verifier call holds its share of them.
   */
  async function addedAtOnce(signer: typeof ka, count: number, verifyWindow: number) {
    const gated = gatedMempool(nobleVerifier, { verifyWindow })
    const txs = Array.from({ length: count }, (_, i) => signedTransfer(signer, i, 60))
    const adds = txs.map((t) => gated.mempool.add(t.signedBytes, 1))
    await gated.heldCalls(1)
    return { ...gated, txs, ids: txs.map((t) => toHex(t.txId)), adds }
  }

  it('keeps at most verifyWindow signatures at the verifier, sent in arrival order', async () => {
    const { mempool, verifier, heldCalls, ids, adds } = await addedAtOnce(ka, 10, 4)
    expect(verifier.held[0]!.txIds).toEqual(ids.slice(0, 4))
    expect(mempool.stats().pending).toBeGreaterThanOrEqual(10)
    verifier.held[0]!.release()
    await heldCalls(2)
    expect(verifier.held[1]!.txIds).toEqual(ids.slice(4, 8))
    verifier.held[1]!.release()
    await heldCalls(3)
    expect(verifier.held[2]!.txIds).toEqual(ids.slice(8))
    verifier.held[2]!.release()
    for (const r of await Promise.all(adds)) expect(r.ok).toBe(true)
    expect(mempool.size).toBe(10)
    expect(mempool.stats()).toMatchObject({ pending: 0, verifyBatches: 3, verifiedSignatures: 10 })
  })

  it('sends an add a block asks for ahead of the queue and past the window, also while held', async () => {
    const { mempool, verifier, heldCalls, txs, ids, adds } = await addedAtOnce(kb, 6, 2)
    expect(verifier.held[0]!.txIds).toEqual(ids.slice(0, 2))
    const release = mempool.holdQueue()
    // t4 waits in the queue behind t2 and t3; a block needs it now.
    const verdict = mempool.verification(txs[4]!.txId, txs[4]!.signature)
    expect(verdict).toBeDefined()
    await heldCalls(2)
    expect(verifier.held[1]!.txIds).toEqual([ids[4]])
    verifier.held[1]!.release()
    expect(await verdict).toBe(true)
    expect(mempool.isVerified(txs[4]!.txId, txs[4]!.signature)).toBe(true)
    // The window has room once t0 and t1 are verified, but the queue is held: nothing else goes.
    verifier.held[0]!.release()
    expect((await adds[0]!).ok).toBe(true)
    expect((await adds[4]!).ok).toBe(true)
    expect(verifier.held.length).toBe(2)
    release()
    release() // a second call does nothing
    await heldCalls(3)
    expect(verifier.held[2]!.txIds).toEqual([ids[2], ids[3]])
    verifier.held[2]!.release()
    await heldCalls(4)
    expect(verifier.held[3]!.txIds).toEqual([ids[5]])
    verifier.held[3]!.release()
    for (const r of await Promise.all(adds)) expect(r.ok).toBe(true)
    expect(mempool.stats()).toMatchObject({ pending: 0, verifiedSignatures: 6 })
  })

  it('counts queued adds once against the pending bound', async () => {
    const { mempool, verifier, heldCalls } = gatedMempool(nobleVerifier, {
      verifyWindow: 1,
      pendingMax: 3,
    })
    const txs = Array.from({ length: 4 }, (_, i) => signedTransfer(kc, i, 60))
    // One add at the verifier and two queued behind the window: three under way, the bound.
    const adds = [mempool.add(txs[0]!.signedBytes, 1)]
    await heldCalls(1)
    for (const t of txs.slice(1, 3)) {
      adds.push(mempool.add(t.signedBytes, 1))
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(mempool.stats().pending).toBe(3)
    expect(await mempool.add(txs[3]!.signedBytes, 1)).toMatchObject({
      ok: false,
      error: { code: 'MEMPOOL_FULL', message: '3 txs are waiting for verification' },
    })
    for (let i = 1; i <= 3; i++) {
      verifier.held[i - 1]!.release()
      if (i < 3) await heldCalls(i + 1)
    }
    for (const r of await Promise.all(adds)) expect(r.ok).toBe(true)
    // With the three done, the fourth is admitted.
    const fourth = mempool.add(txs[3]!.signedBytes, 1)
    await heldCalls(4)
    verifier.held[3]!.release()
    expect(await fourth).toMatchObject({ ok: true })
    expect(mempool.stats().pending).toBe(0)
  })

  it('refuses a window or a pending bound that is not a positive integer', () => {
    for (const value of [0, -1, 1.5, Number.NaN]) {
      expect(() => pool({ verifyWindow: value }), String(value)).toThrow(/verifyWindow/)
      expect(() => pool({ pendingMax: value }), String(value)).toThrow(/pendingMax/)
    }
  })
})
