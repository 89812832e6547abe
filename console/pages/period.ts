/**
 * Period inputs (UTC dates) shared by the enterprise and platform pages: `[from, to)` in UNIX ms as
 * the settlement and statistics routes take them.
 */
import { err, ok, type Result } from '../../src/util/result.ts'
import type { CodedError } from '../api.ts'
import { field, input, row } from '../ui.ts'

const DAY_MS = 86_400_000

const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

/** Rows for a `from`/`to` date pair: by default the last `days` days up to and including today. */
export function periodRows(days: number): Node[][] {
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS
  return [
    row(
      'From (UTC date)',
      input('from', { type: 'date', value: isoDay(today - (days - 1) * DAY_MS) }),
    ),
    row('To (inclusive)', input('to', { type: 'date', value: isoDay(today) })),
  ]
}

/** The `from`/`to` query of a form's period: `from=…&to=…` in UNIX ms, `to` exclusive. */
export function periodQuery(form: HTMLFormElement): Result<string, CodedError> {
  const from = Date.parse(`${field(form, 'from')}T00:00:00Z`)
  const to = Date.parse(`${field(form, 'to')}T00:00:00Z`) + DAY_MS
  if (!Number.isFinite(from) || !Number.isFinite(to)) {
    return err({ code: 'CONSOLE_PERIOD_INVALID', message: 'enter both dates' })
  }
  if (from >= to)
    return err({ code: 'CONSOLE_PERIOD_INVALID', message: 'the period ends before it starts' })
  return ok(`from=${from}&to=${to}`)
}
