/**
 * Goal: the console's form checks (console/validate.ts) refuse bad input with the right code before
 * anything is signed: negative, malformed, zero, too precise or too large amounts, malformed
 * addresses, amounts above the balance; and accept good input with the exact minor units.
 * Method: table-driven cases with hand-computed expectations, plus a fast-check round trip of
 * formatted amounts.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkBalance, parseAddressInput, parseAmountInput } from '../../../console/validate.ts'

describe('parseAmountInput', () => {
  const refused: [string, number, string][] = [
    ['', 2, 'CONSOLE_AMOUNT_REQUIRED'],
    ['-5', 2, 'CONSOLE_AMOUNT_NEGATIVE'],
    ['-0.01', 2, 'CONSOLE_AMOUNT_NEGATIVE'],
    ['1.234', 2, 'CONSOLE_AMOUNT_DECIMALS'],
    ['1.5', 0, 'CONSOLE_AMOUNT_DECIMALS'],
    ['1e3', 2, 'CONSOLE_AMOUNT_MALFORMED'],
    ['12,5', 2, 'CONSOLE_AMOUNT_MALFORMED'],
    ['0x10', 0, 'CONSOLE_AMOUNT_MALFORMED'],
    ['0', 2, 'CONSOLE_AMOUNT_ZERO'],
    ['0.00', 2, 'CONSOLE_AMOUNT_ZERO'],
    ['1' + '0'.repeat(30), 0, 'CONSOLE_AMOUNT_TOO_LARGE'],
  ]
  for (const [text, decimals, code] of refused) {
    it(`refuses "${text}" with ${decimals} decimals as ${code}`, () => {
      const r = parseAmountInput(text, 'ACME', decimals)
      expect(r.ok ? 'accepted' : r.error.code).toBe(code)
    })
  }

  it('names the point type and its decimals in the message', () => {
    const r = parseAmountInput('1.234', 'ACME', 2)
    expect(r.ok ? '' : r.error.message).toBe('ACME has at most 2 decimals; 1.234 has 3')
  })

  const accepted: [string, number, bigint][] = [
    ['1', 2, 100n],
    ['12.5', 2, 1250n],
    ['0.01', 2, 1n],
    ['007', 0, 7n],
    [' 3 ', 0, 3n],
  ]
  for (const [text, decimals, minor] of accepted) {
    it(`reads "${text}" with ${decimals} decimals as ${minor}`, () => {
      const r = parseAmountInput(text, 'X', decimals)
      expect(r.ok ? r.value : r.error.code).toBe(minor)
    })
  }

  it('reads back every whole.fraction it is given', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.integer({ min: 1, max: 99 }),
        (w, f) => {
          const r = parseAmountInput(`${w}.${String(f).padStart(2, '0')}`, 'X', 2)
          expect(r.ok ? r.value : r.error.code).toBe(w * 100n + BigInt(f))
        },
      ),
      { numRuns: 200 },
    )
  })
})

describe('parseAddressInput', () => {
  it('accepts 40 hex characters, upper case and 0x normalised', () => {
    const r = parseAddressInput(`0x${'AB'.repeat(20)}`)
    expect(r.ok ? r.value : r.error.code).toBe('ab'.repeat(20))
  })
  for (const bad of ['xyz', 'ab'.repeat(19), 'ab'.repeat(21), 'g'.repeat(40)]) {
    it(`refuses ${bad}`, () => {
      const r = parseAddressInput(bad)
      expect(r.ok ? 'accepted' : r.error.code).toBe('CONSOLE_ADDRESS_MALFORMED')
    })
  }
  it('asks for an address when empty', () => {
    const r = parseAddressInput('  ')
    expect(r.ok ? 'accepted' : r.error.code).toBe('CONSOLE_ADDRESS_REQUIRED')
  })
})

describe('checkBalance', () => {
  it('accepts up to the balance and refuses one minor unit more, with both amounts shown', () => {
    expect(checkBalance(500n, 500n, 'ACME', 2).ok).toBe(true)
    const r = checkBalance(501n, 500n, 'ACME', 2)
    expect(r.ok ? '' : r.error.code).toBe('CONSOLE_INSUFFICIENT_BALANCE')
    expect(r.ok ? '' : r.error.message).toBe(
      'insufficient balance: 5.01 ACME requested, 5.00 ACME available',
    )
  })
})
