/**
 * Vitest assertions shared by the VM unit tests (kept apart from test/support/vm.ts, which the
 * benchmarks import outside vitest).
 */
import { expect } from 'vitest'
import type { SignedTx } from '../../src/codec/tx.ts'
import { toHex } from '../../src/util/bytes.ts'
import { executeBlock, keys, type TxErrorCode } from '../../src/vm/index.ts'
import { CHAIN, type TestChain } from './vm.ts'

/**
 * Executes `signed` alone in the next block of `chain` (without applying it) and asserts that it
 * fails with `code` and changes nothing but its receipt: its write set equals that of an empty
 * block at the same height and time, except for the tx's replay-index key (present iff
 * `replayed`), and it burns nothing an empty block would not.
 */
export function expectFailure(
  chain: TestChain,
  signed: SignedTx,
  code: TxErrorCode,
  replayed = true,
): void {
  const ctx = { chainId: CHAIN, height: chain.height + 1, time: chain.time + 1000n }
  const empty = executeBlock(chain.state, ctx, [])
  const failed = executeBlock(chain.state, ctx, [signed])
  expect(failed.receipts[0]?.code, failed.receipts[0]?.message).toBe(code)
  expect(failed.receipts[0]?.ok).toBe(false)
  const replayKey = toHex(keys.txId(signed.tx.expiresAtHeight, signed.txId))
  const changed = failed.writeSet.filter((c) => toHex(c.key) !== replayKey)
  expect(changed).toEqual(empty.writeSet)
  expect(failed.writeSet.length - changed.length).toBe(replayed ? 1 : 0)
  expect(failed.burns).toEqual(empty.burns)
  expect(failed.auctions).toEqual(empty.auctions)
}
