/**
 * Coded errors. Invalid-input errors are plain data (`CodedError`) returned in a `Result`;
 * environmental failures (disk, socket) are thrown as `NodeError` and handled only in `src/node/`.
 * Spec: STYLE.md section 5.
 */

/** The shape every invalid-input error shares: an UPPER_SNAKE code with an area prefix. */
export interface CodedError<C extends string = string> {
  readonly code: C
  readonly message: string
}

/** Builds a coded error value. */
export function codedError<C extends string>(code: C, message: string): CodedError<C> {
  return { code, message }
}

/** An environmental failure: carries a code and the underlying cause. */
export class NodeError extends Error {
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'NodeError'
    this.code = code
  }
}
