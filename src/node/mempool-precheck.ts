/**
 * The mempool's state check at the door: a tx whose signer lacks the role it needs (not an operator,
 * oracle or the type's issuer, not the order's owner) or that breaks an immutable point-type policy
 * (non-transferable, non-convertible) is refused with the VM's own code instead of being carried
 * into a block as a failed receipt. The check is a dry run (`checkTx`) against the committed state;
 * failures that a tx still pending in the same block could cure (balances, unknown accounts, …) are
 * not refused here: the VM decides those in the block.
 * A transfer of a transferable point type skips the dry run: only the type's `transferable` flag
 * can refuse a transfer at the door, so the decision is the dry run's (tested against it), and
 * the hot path does not execute each tx twice.
 * Spec: SPEC.md section 8 (mempool); docs/protocol/p2p.md#mempool.
 */
import type { SignedTx } from '../codec/tx.ts'
import type { StateReader } from '../core/state.ts'
import { checkTx, peekPointType } from '../vm/index.ts'

const REFUSED = [
  'TX_NOT_OPERATOR',
  'TX_NOT_ORACLE',
  'TX_NOT_ISSUER',
  'TX_NOT_ORDER_OWNER',
  'TX_NOT_TRANSFERABLE',
  'TX_NOT_CONVERTIBLE',
] as const

/** A VM code the mempool refuses at the door. */
export type PrecheckCode = (typeof REFUSED)[number]

/** VM codes the mempool refuses at the door (the signer's role or an immutable policy). */
export const PRECHECK_REFUSED_CODES: ReadonlySet<string> = new Set(REFUSED)

function isRefused(code: string): code is PrecheckCode {
  return PRECHECK_REFUSED_CODES.has(code)
}

/** A door check: the refusal, or null to admit. */
export type Precheck = (
  signed: SignedTx,
  height: number,
) => { readonly code: PrecheckCode; readonly message: string } | null

const NO_PROPOSER = new Uint8Array(33)

/**
 * True when `signed` is a transfer of a transferable point type: the dry run cannot refuse it,
 * since the only code in PRECHECK_REFUSED_CODES that `points.transfer` yields is
 * TX_NOT_TRANSFERABLE.
 * Anything else (another kind, an unknown or non-transferable type) takes the dry run.
 */
function admitsTransfer(state: StateReader, signed: SignedTx): boolean {
  const tx = signed.tx
  if (tx.kind !== 'points.transfer') return false
  return peekPointType(state, tx.body.pointType)?.transferable === true
}

/**
 * The precheck over the committed state `state()` (null: not available yet, admit) with the block
 * time `now()` in UNIX ms.
 */
export function authorizationPrecheck(
  chainId: string,
  state: () => StateReader | null,
  now: () => bigint,
): Precheck {
  return (signed, height) => {
    const current = state()
    if (current === null) return null
    if (admitsTransfer(current, signed)) return null
    const ctx = { chainId, height, time: now(), proposer: NO_PROPOSER }
    const result = checkTx(current, ctx, signed)
    if (result.ok) return null
    const { code, message } = result.error
    return isRefused(code) ? { code, message } : null
  }
}
