/**
 * Tx handlers that move value: points.issue, points.transfer, rate.set, points.convert,
 * points.redeem. Spec: SPEC.md sections 3–4; docs/protocol/vm.md#transactions.
 */
import { AMOUNT_MAX } from '../core/limits.ts'
import type { TxOf } from '../core/tx.ts'
import { assert } from '../util/assert.ts'
import { equalBytes } from '../util/bytes.ts'
import { ok } from '../util/result.ts'
import { OK_NULL, convertAmount, fail, type Exec } from './exec.ts'
import { keys } from './keys.ts'
import { SUPPLY_COUNTER_MAX } from './limits.ts'
import { expiryFor } from './lots.ts'
import { RATE_SCHEMA, VOUCHER_SCHEMA, ROLE_SCHEMA, type PointType } from './schemas.ts'
import { activeEnterprise, isOperator, type TxMeta, type TxOutcome } from './tx-accounts.ts'

/**
 * Mints `amount` of `type` to `to` as one fresh lot; checks max supply and overflow of both the
 * outstanding supply and the running `issued` counter. Every mint (issue, convert, genesis) goes
 * through here. Spec: docs/protocol/vm.md#transactions.
 */
export function mint(x: Exec, type: PointType, to: Uint8Array, amount: bigint): TxOutcome {
  assert(amount > 0n, `mint of ${amount}`)
  const outstanding = type.issued - type.burned
  if (type.maxSupply !== null && outstanding + amount > type.maxSupply) {
    return fail('TX_MAX_SUPPLY', `outstanding ${outstanding} + ${amount} > max ${type.maxSupply}`)
  }
  if (outstanding + amount > AMOUNT_MAX) return fail('TX_AMOUNT_OVERFLOW', 'supply overflows')
  // `issued` only grows: issue-and-redeem churn can reach its encoding bound while the outstanding
  // supply stays small. Refused here, it is a failed receipt; past here, an unencodable block.
  if (type.issued + amount > SUPPLY_COUNTER_MAX) {
    return fail(
      'TX_AMOUNT_OVERFLOW',
      `issued ${type.issued} + ${amount} > ${SUPPLY_COUNTER_MAX} for ${type.symbol}`,
    )
  }
  const credited = x.creditAccount(to, type.symbol, [
    [expiryFor(x.ctx.time, type.expirySeconds), amount],
  ])
  if (!credited.ok) return credited
  x.savePointType({ ...type, issued: type.issued + amount })
  return ok(null)
}

/** points.issue: the type's issuer (an operator for universal points) mints against a voucher. */
export function applyIssue(x: Exec, tx: TxOf<'points.issue'>, m: TxMeta): TxOutcome {
  const b = tx.body
  const type = x.pointType(b.pointType)
  if (type === undefined) return fail('TX_UNKNOWN_POINT_TYPE', `no point type ${b.pointType}`)
  const universal = type.symbol === x.config.universalSymbol
  const authorised = universal
    ? isOperator(x, m.signer)
    : activeEnterprise(x, m.signer)?.isIssuer === true && equalBytes(type.issuer, m.signer)
  if (!authorised) return fail('TX_NOT_ISSUER', `signer may not issue ${type.symbol}`)
  const voucherKey = keys.voucher(type.symbol, b.voucherDigest)
  if (x.state.read(VOUCHER_SCHEMA, voucherKey) !== undefined) {
    return fail('TX_VOUCHER_REUSED', `voucher already backs an issuance of ${type.symbol}`)
  }
  const minted = mint(x, type, b.to, b.amount)
  if (!minted.ok) return minted
  x.state.write(VOUCHER_SCHEMA, voucherKey, {
    txId: m.txId,
    height: x.ctx.height,
    to: b.to,
    amount: b.amount,
  })
  x.emit('points.issued', {
    pointType: type.symbol,
    to: b.to,
    amount: b.amount,
    voucherKind: b.voucherKind,
    voucherRef: b.voucherRef,
  })
  return ok(null)
}

/** points.transfer: moves lots (keeping their expiry) from the signer to `to`. */
export function applyTransfer(x: Exec, tx: TxOf<'points.transfer'>, m: TxMeta): TxOutcome {
  const b = tx.body
  const type = x.pointType(b.pointType)
  if (type === undefined) return fail('TX_UNKNOWN_POINT_TYPE', `no point type ${b.pointType}`)
  if (!type.transferable) return fail('TX_NOT_TRANSFERABLE', `${type.symbol} is not transferable`)
  const debit = x.debitAccount(m.signer, type.symbol, b.amount)
  if (!debit.ok) return debit
  const credit = x.creditAccount(b.to, type.symbol, debit.value.taken)
  if (!credit.ok) return credit
  // No event: the tx body states the whole effect, and transfers are the hot path
  // (docs/protocol/vm.md#receipts-and-events).
  return OK_NULL
}

/** rate.set: an oracle sets the rate of an enterprise type to universal points; history kept. */
export function applyRate(x: Exec, tx: TxOf<'rate.set'>, m: TxMeta): TxOutcome {
  if (x.state.read(ROLE_SCHEMA, keys.oracle(m.signer)) === undefined) {
    return fail('TX_NOT_ORACLE', 'signer is not an oracle')
  }
  const b = tx.body
  if (x.pointType(b.pointType) === undefined) {
    return fail('TX_UNKNOWN_POINT_TYPE', `no point type ${b.pointType}`)
  }
  if (b.pointType === x.config.universalSymbol) {
    return fail('TX_UNIVERSAL_RATE', 'the universal rate is fixed at 1')
  }
  const entry = {
    rate: b.rate,
    sourceRef: b.sourceRef,
    oracle: m.signer,
    height: x.ctx.height,
    time: x.ctx.time,
  }
  x.state.write(RATE_SCHEMA, keys.rate(b.pointType), entry)
  x.state.write(RATE_SCHEMA, keys.rateHistory(b.pointType, x.ctx.height, x.txIndex), entry)
  x.emit('rate.set', { pointType: b.pointType, rate: b.rate, sourceRef: b.sourceRef })
  return ok(null)
}

/** points.convert: burn the source, mint the target at the current rate, guarded by minReceive. */
export function applyConvert(x: Exec, tx: TxOf<'points.convert'>, m: TxMeta): TxOutcome {
  const b = tx.body
  const from = x.pointType(b.fromType)
  const to = x.pointType(b.toType)
  if (from === undefined || to === undefined) {
    return fail(
      'TX_UNKNOWN_POINT_TYPE',
      `no point type ${from === undefined ? b.fromType : b.toType}`,
    )
  }
  const uni = x.config.universalSymbol
  const toUniversal = to.symbol === uni && from.symbol !== uni
  const fromUniversal = from.symbol === uni && to.symbol !== uni
  const enterpriseType = toUniversal ? from : to
  if ((!toUniversal && !fromUniversal) || !enterpriseType.convertible) {
    return fail('TX_NOT_CONVERTIBLE', `${from.symbol} → ${to.symbol} is not a conversion`)
  }
  const rate = x.rateOf(enterpriseType.symbol)
  if (rate === null) return fail('TX_NO_RATE', `no rate for ${enterpriseType.symbol}`)
  const universalDecimals = toUniversal ? to.decimals : from.decimals
  const receive = convertAmount(
    b.amount,
    rate,
    enterpriseType.decimals,
    universalDecimals,
    toUniversal ? 'toUniversal' : 'fromUniversal',
  )
  if (receive < b.minReceive)
    return fail('TX_MIN_RECEIVE', `would receive ${receive} < ${b.minReceive}`)
  if (receive === 0n) return fail('TX_ZERO_RECEIVE', 'amount converts to nothing')
  if (receive > AMOUNT_MAX) return fail('TX_AMOUNT_OVERFLOW', 'converted amount overflows')
  const debit = x.debitAccount(m.signer, from.symbol, b.amount)
  if (!debit.ok) return debit
  x.burn(from, m.signer, b.amount, {
    reason: 'conversion',
    acceptor: null,
    orderRef: null,
    convertedTo: to.symbol,
    txId: m.txId,
  })
  const target = x.pointType(to.symbol)
  assert(target !== undefined, 'target type vanished')
  const minted = mint(x, target, m.signer, receive)
  if (!minted.ok) return minted
  x.emit('points.converted', {
    from: from.symbol,
    to: to.symbol,
    amount: b.amount,
    received: receive,
    rate,
  })
  return ok(null)
}

/** points.redeem: burns the signer's points at an acceptor for an order (burn record). */
export function applyRedeem(x: Exec, tx: TxOf<'points.redeem'>, m: TxMeta): TxOutcome {
  const b = tx.body
  const type = x.pointType(b.pointType)
  if (type === undefined) return fail('TX_UNKNOWN_POINT_TYPE', `no point type ${b.pointType}`)
  if (activeEnterprise(x, b.acceptor)?.isAcceptor !== true) {
    return fail('TX_NOT_ACCEPTOR', 'acceptor is not an active accepting enterprise')
  }
  const debit = x.debitAccount(m.signer, type.symbol, b.amount)
  if (!debit.ok) return debit
  x.burn(type, m.signer, b.amount, {
    reason: 'redemption',
    acceptor: b.acceptor,
    orderRef: b.orderRef,
    convertedTo: null,
    txId: m.txId,
  })
  x.emit('points.redeemed', {
    pointType: type.symbol,
    amount: b.amount,
    acceptor: b.acceptor,
    orderRef: b.orderRef,
  })
  return ok(null)
}
