/**
 * Goal: the client reads a node's `Retry-After` as the node sends it (whole seconds) into
 * milliseconds, caps an absurd one, and ignores what it cannot read (an HTTP date, garbage,
 * nothing), so a caller's back-off never gets NaN or a date misread as seconds.
 * Method: `retryAfterMsOf` on header values; the expected numbers are seconds × 1000 by hand.
 */
import { describe, expect, it } from 'vitest'
import { RETRY_AFTER_SECONDS_MAX, retryAfterMsOf } from '../../../src/client/http.ts'

describe('retryAfterMsOf', () => {
  it('reads whole seconds, with surrounding spaces', () => {
    expect(retryAfterMsOf('1')).toBe(1000)
    expect(retryAfterMsOf(' 5 ')).toBe(5000)
    expect(retryAfterMsOf('0')).toBe(0)
  })

  it('caps a very long wait', () => {
    expect(retryAfterMsOf('999999999')).toBe(RETRY_AFTER_SECONDS_MAX * 1000)
  })

  it('ignores what is not a number of seconds', () => {
    for (const value of [null, '', 'Wed, 21 Oct 2026 07:28:00 GMT', '1.5', '-1', '1e3', 'soon']) {
      expect(retryAfterMsOf(value), String(value)).toBeUndefined()
    }
  })
})
