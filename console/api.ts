/**
 * The console's HTTP access to one node's API (SPEC §9): JSON GETs of the read routes, with every
 * failure as a coded error (`{ code, message }`, the node's own code when it sent one). A request
 * that never reaches the node is `CONSOLE_NODE_UNREACHABLE`, which the shell shows as a banner.
 */
import { err, ok, type Result } from '../src/util/result.ts'

/** A coded error shown to the user. */
export interface CodedError {
  readonly code: string
  readonly message: string
}

/** The code of a request that did not reach the node. */
export const NODE_UNREACHABLE = 'CONSOLE_NODE_UNREACHABLE'

/** Time allowed for one read. */
const READ_TIMEOUT_MS = 15_000

/** The node's coded error body, or a generic one for the HTTP status. */
function codedOf(status: number, text: string): CodedError {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }
    const code = body.error?.code
    const message = body.error?.message
    if (typeof code === 'string' && typeof message === 'string') return { code, message }
  } catch {
    // Not JSON: fall through to the status.
  }
  return { code: `HTTP_${status}`, message: text.slice(0, 200) || `HTTP status ${status}` }
}

/** One node's API at `base` (e.g. `http://127.0.0.1:26657`). */
export class Api {
  readonly base: string
  readonly #onReachable: (reachable: boolean) => void

  /** `onReachable` hears whether each request reached the node. */
  constructor(base: string, onReachable: (reachable: boolean) => void) {
    this.base = base.replace(/\/+$/, '')
    this.#onReachable = onReachable
  }

  /** GET `path` as text (with an optional Accept header). */
  async text(path: string, accept = 'application/json'): Promise<Result<string, CodedError>> {
    let response: Response
    try {
      response = await fetch(this.base + path, {
        headers: { accept },
        signal: AbortSignal.timeout(READ_TIMEOUT_MS),
      })
    } catch {
      this.#onReachable(false)
      return err({ code: NODE_UNREACHABLE, message: `the node at ${this.base} is unreachable` })
    }
    this.#onReachable(true)
    const text = await response.text()
    if (!response.ok) return err(codedOf(response.status, text))
    return ok(text)
  }

  /** GET `path` as JSON. */
  async get<T>(path: string): Promise<Result<T, CodedError>> {
    const text = await this.text(path)
    if (!text.ok) return text
    try {
      return ok(JSON.parse(text.value) as T)
    } catch {
      return err({ code: 'CONSOLE_BAD_ANSWER', message: `${path} did not answer JSON` })
    }
  }
}
