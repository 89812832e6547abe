/**
 * Goal: whatever sequence of adds, takes and commits arrives, the mempool never exceeds its count
 * and byte bounds, a take never returns a tx twice, never returns a committed or expired tx, and
 * respects its own count and byte limits; every pooled tx is one that was added successfully.
 * Method: fast-check command sequences over a fixed set of pre-signed txs (4 signers with mixed
 * expiries), the real VerifierPool (1 worker) and a fake committed set.
 * The door's state check decides every transfer as the VM's full dry run (`checkTx`) does: random
 * signers, recipients, point types (transferable, not, unknown) and amounts over the VM test chain.
 */
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { Mempool } from '../../src/node/mempool.ts'
import { VerifierPool } from '../../src/node/verifier.ts'
import { toHex } from '../../src/util/bytes.ts'
import { signedTransfer, signers, TEST_CHAIN_ID } from '../support/mempool-txs.ts'
import { keyPairOf } from '../../src/client/keys.ts'
import { signedTx } from '../../src/client/tx-builder.ts'
import type { SignedTx } from '../../src/codec/tx.ts'
import { authorizationPrecheck, PRECHECK_REFUSED_CODES } from '../../src/node/mempool-precheck.ts'
import { checkTx } from '../../src/vm/index.ts'
import { CHAIN, K, T0, TestChain } from '../support/vm.ts'

const keys = signers(4)
const TXS = keys.flatMap((key, k) =>
  Array.from({ length: 10 }, (_, i) => signedTransfer(key, i, 3 + ((i * 7 + k * 3) % 30))),
)
const TX_SIZE_MAX = Math.max(...TXS.map((t) => t.signedBytes.length))

const verifier = new VerifierPool(1)
afterAll(async () => {
  await verifier.close()
})

type Command =
  | { kind: 'add'; index: number[] }
  | { kind: 'take'; countMax: number; bytesMax: number; ahead: number }
  | { kind: 'commit'; fraction: number; advance: number }

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    index: fc.array(fc.nat(TXS.length - 1), { minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant('take' as const),
    countMax: fc.nat(12),
    bytesMax: fc.nat(TX_SIZE_MAX * 10),
    ahead: fc.nat(6),
  }),
  fc.record({
    kind: fc.constant('commit' as const),
    fraction: fc.nat(3),
    advance: fc.nat(4),
  }),
)

describe('mempool properties', () => {
  it('stays within bounds and never hands out a tx twice, committed or expired', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: TX_SIZE_MAX, max: TX_SIZE_MAX * 12 }),
        fc.array(command, { minLength: 1, maxLength: 25 }),
        async (countMax, bytesMax, commands) => {
          const committed = new Set<string>()
          const accepted = new Set<string>()
          const mempool = new Mempool({
            chainId: TEST_CHAIN_ID,
            verifier,
            isCommitted: (txId) => committed.has(toHex(txId)),
            txCountMax: countMax,
            bytesMax,
          })
          let height = 1
          let lastTake: string[] = []
          for (const [step, c] of commands.entries()) {
            if (c.kind === 'add') {
              const results = await Promise.all(
                c.index.map((i) => mempool.add(TXS[i]!.signedBytes, height)),
              )
              results.forEach((r, j) => {
                if (r.ok) accepted.add(toHex(TXS[c.index[j]!]!.txId))
              })
            } else if (c.kind === 'take') {
              const takeHeight = height + c.ahead
              const taken = mempool.take(c.countMax, c.bytesMax, takeHeight)
              const ids = taken.map((t) => toHex(t.txId))
              expect(new Set(ids).size, `step ${step}: duplicate in take`).toBe(ids.length)
              expect(ids.length, `step ${step}: count`).toBeLessThanOrEqual(c.countMax)
              const bytes = taken.reduce((n, t) => n + t.signedBytes.length, 0)
              expect(bytes, `step ${step}: bytes`).toBeLessThanOrEqual(c.bytesMax)
              for (const t of taken) {
                const id = toHex(t.txId)
                expect(committed.has(id), `step ${step}: committed tx ${id} taken`).toBe(false)
                expect(accepted.has(id), `step ${step}: unknown tx ${id} taken`).toBe(true)
                expect(t.expiresAtHeight, `step ${step}: expired tx taken`).toBeGreaterThanOrEqual(
                  takeHeight,
                )
              }
              lastTake = ids
            } else {
              const chosen = lastTake.filter((_, i) => i % 4 < c.fraction)
              for (const id of chosen) committed.add(id)
              height += c.advance
              mempool.onCommitted(
                TXS.filter((t) => chosen.includes(toHex(t.txId))).map((t) => t.txId),
                height,
              )
              lastTake = []
            }
            expect(mempool.size, `step ${step}: count bound`).toBeLessThanOrEqual(countMax)
            expect(mempool.bytes, `step ${step}: byte bound`).toBeLessThanOrEqual(bytesMax)
            for (const id of committed) {
              expect(mempool.get(Uint8Array.from(Buffer.from(id, 'hex'))), `step ${step}`).toBe(
                undefined,
              )
            }
          }
        },
      ),
      { numRuns: 60 },
    )
  })
})

describe('mempool state check at the door (property)', () => {
  // Over the VM test genesis: UNI, ACME, EXP and BETA are transferable, LOCK is not; NOPE is
  // unknown.
  const chain = new TestChain()
  const actors = Object.values(K).map((k) => keyPairOf(k.secretKey))
  const now = T0 + 1000n
  const precheck = authorizationPrecheck(
    CHAIN,
    () => chain.state,
    () => now,
  )
  const height = 10

  /** The reference decision: the VM's full dry run, with the codes the mempool refuses. */
  function dryRunDecision(signed: SignedTx): string | null {
    const ctx = { chainId: CHAIN, height, time: now, proposer: new Uint8Array(33) }
    const result = checkTx(chain.state, ctx, signed)
    if (result.ok || !PRECHECK_REFUSED_CODES.has(result.error.code)) return null
    return result.error.code
  }

  it('decides every transfer as the dry run does (the fast path for transferable types)', () => {
    const decisions = new Map<string | null, number>()
    fc.assert(
      fc.property(
        fc.nat(actors.length - 1),
        fc.nat(actors.length - 1),
        fc.constantFrom('UNI', 'ACME', 'EXP', 'BETA', 'LOCK', 'NOPE'),
        fc.oneof(fc.bigInt({ min: 1n, max: 1_000n }), fc.bigInt({ min: 1n, max: 10n ** 15n })),
        fc.integer({ min: 5, max: 60 }),
        (from, to, pointType, amount, expiresAtHeight) => {
          const signed = signedTx(
            actors[from]!,
            'points.transfer',
            { pointType, to: actors[to]!.address, amount },
            { chainId: CHAIN, expiresAtHeight },
          )
          const expected = dryRunDecision(signed)
          decisions.set(expected, (decisions.get(expected) ?? 0) + 1)
          expect(precheck(signed, height)?.code ?? null).toBe(expected)
        },
      ),
      { numRuns: 400 },
    )
    // Both outcomes occurred, so the comparison covered the refusal and the fast admission.
    expect(decisions.get('TX_NOT_TRANSFERABLE') ?? 0).toBeGreaterThan(0)
    expect(decisions.get(null) ?? 0).toBeGreaterThan(0)
  })
})
