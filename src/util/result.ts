/**
 * `Result<T, E>`: the return type for operations on invalid external input (STYLE.md section 5.2).
 * Errors are data, not exceptions: `{ ok: false, error: { code: 'TX_...', ...details } }`.
 */

/** A success carrying `value`. */
export interface Ok<T> {
  readonly ok: true
  readonly value: T
}

/** A failure carrying a coded `error`. */
export interface Err<E> {
  readonly ok: false
  readonly error: E
}

/** Either a value or a coded error. */
export type Result<T, E> = Ok<T> | Err<E>

/** Builds a success. */
export function ok<T>(value: T): Ok<T> {
  return { ok: true, value }
}

/** Builds a failure. */
export function err<E>(error: E): Err<E> {
  return { ok: false, error }
}
