/**
 * Tx handlers for identities and policies: account.register, enterprise.admit, enterprise.update,
 * member.bind, pointType.create. Spec: SPEC.md sections 2–3; docs/protocol/vm.md#transactions.
 */
import type { TxOf } from '../core/tx.ts'
import { assert } from '../util/assert.ts'
import { ok, type Result } from '../util/result.ts'
import { fail, type Exec } from './exec.ts'
import { keys } from './keys.ts'
import {
  ACCOUNT_SCHEMA,
  ENTERPRISE_SCHEMA,
  MEMBER_SCHEMA,
  ROLE_SCHEMA,
  type Enterprise,
} from './schemas.ts'
import type { TxError } from './types.ts'

/** A tx handler's outcome: nothing, or the error that rolls the tx back. */
export type TxOutcome = Result<null, TxError>

/** The tx id and signer address of the tx being applied. */
export interface TxMeta {
  readonly txId: Uint8Array
  readonly signer: Uint8Array
}

/** True when `address` is a genesis operator. */
export function isOperator(x: Exec, address: Uint8Array): boolean {
  return x.state.read(ROLE_SCHEMA, keys.operator(address)) !== undefined
}

/** The enterprise at `address` when it is admitted and active. */
export function activeEnterprise(x: Exec, address: Uint8Array): Enterprise | undefined {
  const e = x.state.read(ENTERPRISE_SCHEMA, keys.enterprise(address))
  return e?.active === true ? e : undefined
}

/** account.register: the signer registers itself as a consumer. */
export function applyRegister(x: Exec, tx: TxOf<'account.register'>, m: TxMeta): TxOutcome {
  const key = keys.account(m.signer)
  if (x.state.read(ACCOUNT_SCHEMA, key) !== undefined) {
    return fail('TX_ALREADY_REGISTERED', 'account already registered')
  }
  x.state.write(ACCOUNT_SCHEMA, key, {
    profileDigest: tx.body.profileDigest,
    registeredHeight: x.ctx.height,
  })
  x.emit('account.registered', { account: m.signer })
  return ok(null)
}

/** enterprise.admit: an operator admits a new enterprise. */
export function applyAdmit(x: Exec, tx: TxOf<'enterprise.admit'>, m: TxMeta): TxOutcome {
  if (!isOperator(x, m.signer)) return fail('TX_NOT_OPERATOR', 'signer is not an operator')
  const b = tx.body
  const key = keys.enterprise(b.enterprise)
  if (x.state.read(ENTERPRISE_SCHEMA, key) !== undefined) {
    return fail('TX_ENTERPRISE_EXISTS', 'enterprise already admitted')
  }
  x.state.write(ENTERPRISE_SCHEMA, key, {
    name: b.name,
    isIssuer: b.isIssuer,
    isAcceptor: b.isAcceptor,
    settlementAccount: b.settlementAccount,
    active: true,
    admittedHeight: x.ctx.height,
  })
  x.emit('enterprise.admitted', { enterprise: b.enterprise, name: b.name })
  return ok(null)
}

/** enterprise.update: an operator changes an admitted enterprise (roles, account, active). */
export function applyUpdate(x: Exec, tx: TxOf<'enterprise.update'>, m: TxMeta): TxOutcome {
  if (!isOperator(x, m.signer)) return fail('TX_NOT_OPERATOR', 'signer is not an operator')
  const b = tx.body
  const key = keys.enterprise(b.enterprise)
  const current = x.state.read(ENTERPRISE_SCHEMA, key)
  if (current === undefined) return fail('TX_UNKNOWN_ENTERPRISE', 'enterprise not admitted')
  x.state.write(ENTERPRISE_SCHEMA, key, {
    name: b.name,
    isIssuer: b.isIssuer,
    isAcceptor: b.isAcceptor,
    settlementAccount: b.settlementAccount,
    active: b.active,
    admittedHeight: current.admittedHeight,
  })
  x.emit('enterprise.updated', { enterprise: b.enterprise, active: String(b.active) })
  return ok(null)
}

/** member.bind: an active enterprise binds a registered consumer to a member id digest. */
export function applyBind(x: Exec, tx: TxOf<'member.bind'>, m: TxMeta): TxOutcome {
  if (activeEnterprise(x, m.signer) === undefined) {
    return fail('TX_NOT_ENTERPRISE', 'signer is not an active enterprise')
  }
  const b = tx.body
  if (x.state.read(ACCOUNT_SCHEMA, keys.account(b.consumer)) === undefined) {
    return fail('TX_UNKNOWN_ACCOUNT', 'consumer is not registered')
  }
  const key = keys.member(m.signer, b.consumer)
  if (x.state.read(MEMBER_SCHEMA, key) !== undefined) {
    return fail('TX_ALREADY_BOUND', 'consumer already bound to this enterprise')
  }
  x.state.write(MEMBER_SCHEMA, key, { memberIdDigest: b.memberIdDigest, height: x.ctx.height })
  x.emit('member.bound', { enterprise: m.signer, consumer: b.consumer })
  return ok(null)
}

/** pointType.create: an active issuer enterprise creates a type with an immutable policy. */
export function applyCreateType(x: Exec, tx: TxOf<'pointType.create'>, m: TxMeta): TxOutcome {
  const issuer = activeEnterprise(x, m.signer)
  if (issuer?.isIssuer !== true) return fail('TX_NOT_ISSUER', 'signer is not an active issuer')
  const b = tx.body
  if (x.pointType(b.symbol) !== undefined) {
    return fail('TX_POINT_TYPE_EXISTS', `point type ${b.symbol} exists`)
  }
  x.savePointType({
    symbol: b.symbol,
    name: b.name,
    issuer: m.signer,
    decimals: b.decimals,
    expirySeconds: b.expirySeconds,
    transferable: b.transferable,
    convertible: b.convertible,
    maxSupply: b.maxSupply,
    issued: 0n,
    burned: 0n,
    createdHeight: x.ctx.height,
  })
  assert(x.pointType(b.symbol) !== undefined, 'type saved')
  x.emit('pointType.created', { symbol: b.symbol, issuer: m.signer })
  return ok(null)
}
