/**
 * A small server-sent-events client for tests: opens a stream over node:http, parses events as they
 * arrive, and lets a test wait (with a deadline, never a sleep) until a condition holds. It can pause
 * reading to play a slow subscriber.
 */
import { request, type IncomingMessage } from 'node:http'

/** One parsed event. */
export interface SseEvent {
  readonly id: string | undefined
  readonly event: string
  readonly data: string
}

/** An open stream. */
export interface SseStream {
  readonly status: number
  readonly headers: IncomingMessage['headers']
  /** Events received so far, in order. */
  readonly events: SseEvent[]
  /** The body when the server answered with a non-stream (error) response, once it ended. */
  body(): string
  /** True once the server closed the stream. */
  ended(): boolean
  /** Waits until `check(events)` is true; throws after `timeoutMs`. */
  waitFor(what: string, check: (events: SseEvent[]) => boolean, timeoutMs?: number): Promise<void>
  pause(): void
  resume(): void
  close(): void
}

function parseBlock(block: string): SseEvent | null {
  let id: string | undefined
  let event = 'message'
  const data: string[] = []
  for (const line of block.split('\n')) {
    if (line.startsWith(':') || line === '') continue
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'id') id = value
    else if (field === 'event') event = value
    else if (field === 'data') data.push(value)
  }
  return data.length === 0 ? null : { id, event, data: data.join('\n') }
}

/**
 * Opens `url` (http://127.0.0.1:...) with optional headers; resolves once the status arrived.
 * `onEvent` sees each event as it is parsed (the bench times block events by it).
 */
export function openSse(
  url: string,
  headers: Record<string, string> = {},
  onEvent?: (event: SseEvent) => void,
): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const events: SseEvent[] = []
      let buffer = ''
      let raw = ''
      let ended = false
      const waiters = new Set<() => void>()
      const notify = (): void => {
        for (const waiter of waiters) waiter()
      }
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        raw += res.statusCode === 200 ? '' : chunk
        buffer += chunk
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const parsed = parseBlock(buffer.slice(0, end))
          buffer = buffer.slice(end + 2)
          if (parsed) {
            events.push(parsed)
            onEvent?.(parsed)
          }
        }
        notify()
      })
      const onEnd = (): void => {
        ended = true
        notify()
      }
      res.on('end', onEnd)
      res.on('close', onEnd)
      res.on('error', onEnd)
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        body: () => raw,
        ended: () => ended,
        waitFor: (what, check, timeoutMs = 20_000) =>
          new Promise<void>((done, fail) => {
            const test = (): void => {
              if (check(events)) {
                cleanup()
                done()
              } else if (ended) {
                cleanup()
                fail(new Error(`stream ended while waiting for ${what} (${events.length} events)`))
              }
            }
            const timer = setTimeout(() => {
              cleanup()
              fail(new Error(`timed out waiting for ${what} (${events.length} events)`))
            }, timeoutMs)
            const cleanup = (): void => {
              clearTimeout(timer)
              waiters.delete(test)
            }
            waiters.add(test)
            test()
          }),
        pause: () => res.pause(),
        resume: () => res.resume(),
        close: () => {
          req.destroy()
        },
      })
    })
    req.on('error', reject)
    req.end()
  })
}
