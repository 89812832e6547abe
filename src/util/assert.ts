/**
 * Assertions for programming errors (bugs), never for invalid external input.
 *
 * Spec: STYLE.md section 5 (three kinds of errors) and section 6 (assertions and limits).
 * Assertions are always on: a node that continues in a corrupt state is worse than one that stops.
 */

/** Thrown when an invariant is broken. Only the top of `bin/` catches it. */
export class AssertionError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'AssertionError'
  }
}

/**
 * Asserts that `condition` holds.
 * @throws {AssertionError} when it does not.
 */
export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionError(message)
}

/**
 * Marks a branch that the type system proves unreachable (exhaustive switches).
 * @throws {AssertionError} always, if it is ever reached at run time.
 */
export function assertNever(value: never, message = 'unexpected value'): never {
  throw new AssertionError(`${message}: ${String(value)}`)
}
