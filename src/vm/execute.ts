/**
 * Tx dispatch and block execution: `applyTx` (one tx, synchronous, all-or-nothing) and
 * `executeBlock` (the SPEC block order). Spec: SPEC.md section 4; docs/protocol/vm.md#block-order.
 */
import { validateTxStatic, type SignedTx } from '../codec/tx.ts'
import type { StateReader } from '../core/state.ts'
import { TX_TTL_BLOCKS_MAX } from '../core/limits.ts'
import type { Tx } from '../core/tx.ts'
import { addressOf } from '../crypto/secp256k1.ts'
import { assert, assertNever } from '../util/assert.ts'
import { err, ok, type Result } from '../util/result.ts'
import { Exec, NO_EVENTS } from './exec.ts'
import { applyValidatorUpdate } from './governance.ts'
import { keyStrings } from './keys.ts'
import { applyCancel, applyCreateMarket, applyPlace } from './market.ts'
import { keyString } from './memory-state.ts'
import { Overlay } from './overlay.ts'
import { burnExpired, pruneTxIds, releaseExpiredOrders, runAuctions } from './phases.ts'
import { MARKER_BYTES, MARKER_SCHEMA } from './schemas.ts'
import {
  applyAdmit,
  applyBind,
  applyCreateType,
  applyRegister,
  applyUpdate,
  type TxMeta,
  type TxOutcome,
} from './tx-accounts.ts'
import { applyConvert, applyIssue, applyRate, applyRedeem, applyTransfer } from './tx-points.ts'
import type { BlockContext, BlockExecution, Receipt, TxError, ValidatorUpdate } from './types.ts'

/** Signer addresses by public key (a memo of a pure function; bounded, cleared when full). */
const addressCache = new Map<string, Uint8Array>()
const ADDRESS_CACHE_MAX = 65_536

/**
 * `addressOf(publicKey)` through a memo: a signer's address is needed by the pool's dry run, by
 * execution and by the history index, and each would hash the key again. The address returned is
 * shared: do not modify it.
 */
export function signerAddress(publicKey: Uint8Array): Uint8Array {
  const k = keyString(publicKey)
  const cached = addressCache.get(k)
  if (cached !== undefined) return cached
  const address = addressOf(publicKey)
  if (addressCache.size >= ADDRESS_CACHE_MAX) addressCache.clear()
  addressCache.set(k, address)
  return address
}

function dispatch(x: Exec, tx: Tx, m: TxMeta, accepted: ValidatorUpdate[]): TxOutcome {
  switch (tx.kind) {
    case 'account.register':
      return applyRegister(x, tx, m)
    case 'enterprise.admit':
      return applyAdmit(x, tx, m)
    case 'enterprise.update':
      return applyUpdate(x, tx, m)
    case 'member.bind':
      return applyBind(x, tx, m)
    case 'pointType.create':
      return applyCreateType(x, tx, m)
    case 'points.issue':
      return applyIssue(x, tx, m)
    case 'points.transfer':
      return applyTransfer(x, tx, m)
    case 'rate.set':
      return applyRate(x, tx, m)
    case 'points.convert':
      return applyConvert(x, tx, m)
    case 'points.redeem':
      return applyRedeem(x, tx, m)
    case 'market.create':
      return applyCreateMarket(x, tx, m)
    case 'order.place':
      return applyPlace(x, tx, m)
    case 'order.cancel':
      return applyCancel(x, tx, m)
    case 'validator.update':
      return applyValidatorUpdate(x, tx, m, accepted)
    default:
      return assertNever(tx, 'tx kind')
  }
}

/**
 * Applies one tx inside a block. The signature must already be verified by the caller. A tx that
 * passes the expiry-window and duplicate checks is marked in the replay index whether or not it
 * succeeds (so a committed failed tx cannot be replayed later); every other effect of a failed tx
 * is rolled back.
 */
export function applyTx(
  x: Exec,
  signed: SignedTx,
  accepted: ValidatorUpdate[],
): Result<Receipt, TxError> {
  const tx = signed.tx
  const { height } = x.ctx
  if (tx.expiresAtHeight < height) {
    return err({
      code: 'TX_EXPIRED',
      message: `expired at ${tx.expiresAtHeight} < height ${height}`,
    })
  }
  if (tx.expiresAtHeight > height + TX_TTL_BLOCKS_MAX) {
    return err({
      code: 'TX_EXPIRY_TOO_FAR',
      message: `expiresAtHeight ${tx.expiresAtHeight} too far`,
    })
  }
  const replayKey = keyStrings.txId(tx.expiresAtHeight, signed.txId)
  if (x.state.getK(replayKey) !== undefined) {
    return err({ code: 'TX_DUPLICATE', message: 'tx already committed' })
  }
  const checked = validateTxStatic(tx, x.ctx.chainId, height)
  const burnsBefore = x.burns.length
  const acceptedBefore = accepted.length
  const blockEventsBefore = x.blockEvents.length
  x.txEvents = NO_EVENTS
  x.state.begin()
  const outcome = checked.ok
    ? dispatch(x, tx, { txId: signed.txId, signer: signerAddress(tx.signerPublicKey) }, accepted)
    : err(checked.error)
  if (outcome.ok) x.state.commit()
  else {
    x.state.rollback()
    x.burns.length = burnsBefore
    accepted.length = acceptedBefore
    x.blockEvents.length = blockEventsBefore
  }
  x.state.writeK(MARKER_SCHEMA, replayKey, 0, MARKER_BYTES)
  if (!outcome.ok) return outcome
  return ok({ txId: signed.txId, ok: true, code: null, events: x.txEvents, index: x.txIndex })
}

/**
 * Executes a block over `state` in the SPEC order: replay-index pruning and expiry burns, txs in
 * order, one call auction per market with orders, good-till-expired orders released. Pure: the
 * same state, context and txs give the same result on every node.
 * @throws {AssertionError} if the state is corrupt (a bug, never bad input).
 */
export function executeBlock(
  state: StateReader,
  ctx: BlockContext,
  txs: readonly SignedTx[],
): BlockExecution {
  assert(ctx.height >= 1, `block height ${ctx.height}`)
  assert(ctx.time >= 0n, 'negative block time')
  const overlay = new Overlay(state)
  const x = new Exec(overlay, ctx)
  pruneTxIds(x)
  const expired = burnExpired(x)
  if (expired > 0)
    x.blockEvents.push({ type: 'expiry.burned', attributes: [['lots', String(expired)]] })
  const receipts: Receipt[] = []
  const accepted: ValidatorUpdate[] = []
  for (let i = 0; i < txs.length; i++) {
    const signed = txs[i]!
    x.txIndex = i
    const result = applyTx(x, signed, accepted)
    receipts.push(
      result.ok
        ? result.value
        : {
            txId: signed.txId,
            ok: false,
            code: result.error.code,
            events: [],
            index: i,
            message: result.error.message,
          },
    )
  }
  const auctions = runAuctions(x)
  releaseExpiredOrders(x)
  const writeSet = overlay.writeSet()
  assert(receipts.length === txs.length, 'one receipt per tx')
  return {
    writeSet,
    receipts,
    burns: x.burns,
    auctions,
    validatorUpdates: accepted,
    events: x.blockEvents,
  }
}

/**
 * Dry-runs one tx against `state` as if it were the only tx of a block at `ctx` (for the mempool
 * and the API): no block phases run, nothing is written.
 */
export function checkTx(
  state: StateReader,
  ctx: BlockContext,
  signed: SignedTx,
): Result<Receipt, TxError> {
  const x = new Exec(new Overlay(state), ctx)
  return applyTx(x, signed, [])
}
