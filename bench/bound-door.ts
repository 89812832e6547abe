/**
 * The stateless door of the intake bound (`npm run bench:bound`), one function so that the bound
 * server and the bench's in-process step do the same work per tx: decode (canonical check, tx id),
 * `validateTxStatic` at `height`, low-S; then the tx's verification job. No side effects on
 * import (the server loads it).
 */
import { decodeSignedTx, validateTxStatic, type SignedTx } from '../src/codec/tx.ts'
import { isLowS } from '../src/crypto/secp256k1.ts'
import { txVerifyJob } from '../src/crypto/tx-signature.ts'
import type { VerifyJob } from '../src/crypto/verifier.ts'
import { err, ok, type Result } from '../src/util/result.ts'

/** The height the bound's door checks expiry at (there is no chain behind it). */
export const BOUND_HEIGHT = 1

/** A tx past the stateless door: decoded, with the job that verifies its signature. */
export interface DoorPassed {
  readonly signed: SignedTx
  readonly job: VerifyJob
}

/** Checks `bytes` as the node's door does before verification; the node's codes on refusal. */
export function boundDoor(
  bytes: Uint8Array,
  chainId: string,
  height: number,
): Result<DoorPassed, { code: string; message: string }> {
  const decoded = decodeSignedTx(bytes)
  if (!decoded.ok) return err(decoded.error)
  const signed = decoded.value
  const valid = validateTxStatic(signed.tx, chainId, height)
  if (!valid.ok) return err(valid.error)
  if (!isLowS(signed.signature))
    return err({ code: 'TX_HIGH_S', message: 'signature s is above n/2' })
  return ok({ signed, job: txVerifyJob(signed) })
}
