/**
 * Input checks of the console's forms, done before anything is signed or sent (issue #10,
 * acceptance 3): amounts (positive, no more decimals than the point type has, within range),
 * addresses (40 hex characters) and balances. Pure: no DOM, no network; unit-tested in Node.
 */
import { formatDecimal, parseDecimal } from '../src/codec/json.ts'
import { AMOUNT_MAX } from '../src/core/limits.ts'
import { err, ok, type Result } from '../src/util/result.ts'
import type { CodedError } from './api.ts'

const fail = (code: string, message: string): Result<never, CodedError> => err({ code, message })

/** Parses a user-typed amount of a point type with `decimals` into minor units. */
export function parseAmountInput(
  text: string,
  symbol: string,
  decimals: number,
): Result<bigint, CodedError> {
  const t = text.trim()
  if (t === '') return fail('CONSOLE_AMOUNT_REQUIRED', 'enter an amount')
  if (/^-/.test(t)) return fail('CONSOLE_AMOUNT_NEGATIVE', `the amount must be positive, not ${t}`)
  const shape = /^[0-9]+(?:\.([0-9]+))?$/.exec(t)
  if (!shape) return fail('CONSOLE_AMOUNT_MALFORMED', `${t} is not a decimal number`)
  const fraction = shape[1] ?? ''
  if (fraction.length > decimals) {
    const allowed = decimals === 0 ? 'no decimals' : `at most ${decimals} decimals`
    return fail('CONSOLE_AMOUNT_DECIMALS', `${symbol} has ${allowed}; ${t} has ${fraction.length}`)
  }
  const normalized = t.replace(/^0+(?=[0-9])/, '')
  const amount = parseDecimal(normalized, decimals)
  if (amount === null) return fail('CONSOLE_AMOUNT_MALFORMED', `${t} is not a decimal number`)
  if (amount === 0n) return fail('CONSOLE_AMOUNT_ZERO', 'the amount must be more than zero')
  if (amount > AMOUNT_MAX) return fail('CONSOLE_AMOUNT_TOO_LARGE', `${t} is too large`)
  return ok(amount)
}

/** Parses an address: 40 hex characters (an optional `0x` and upper case are accepted). */
export function parseAddressInput(text: string): Result<string, CodedError> {
  const t = text.trim().replace(/^0x/i, '').toLowerCase()
  if (t === '') return fail('CONSOLE_ADDRESS_REQUIRED', 'enter an address')
  if (!/^[0-9a-f]{40}$/.test(t)) {
    return fail(
      'CONSOLE_ADDRESS_MALFORMED',
      `an address is 40 hex characters; ${text.trim()} is not one`,
    )
  }
  return ok(t)
}

/** Refuses an amount above the available balance. */
export function checkBalance(
  amount: bigint,
  available: bigint,
  symbol: string,
  decimals: number,
): Result<true, CodedError> {
  if (amount <= available) return ok(true)
  return fail(
    'CONSOLE_INSUFFICIENT_BALANCE',
    `insufficient balance: ${formatDecimal(amount, decimals)} ${symbol} requested, ` +
      `${formatDecimal(available, decimals)} ${symbol} available`,
  )
}

/** Parses a non-empty reference (voucher ref, order ref) of at most `max` characters. */
export function parseRefInput(text: string, what: string, max: number): Result<string, CodedError> {
  const t = text.trim()
  if (t === '') return fail('CONSOLE_REF_REQUIRED', `enter the ${what}`)
  if (t.length > max) return fail('CONSOLE_REF_TOO_LONG', `the ${what} is longer than ${max}`)
  return ok(t)
}
