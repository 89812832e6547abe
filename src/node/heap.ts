/**
 * The V8 heap policy of a node process (ADR 0072): how far the heap may grow past the live set
 * before V8 collects it in full. V8's own policy on a large host lets it grow to about four times
 * the live set, so a node's RSS climbs for minutes under steady load; a fixed growth keeps it near
 * the live set. Process-wide, so only the CLI commands that run nodes apply it.
 */
import { setFlagsFromString } from 'node:v8'
import { assert } from '../util/assert.ts'
import { HEAP_GROWTH_PERCENT_MAX } from './config.ts'

/**
 * Sets `--heap-growing-percent` (0: V8's own policy). V8 reads it at every full collection, so it
 * takes effect after start-up too (`npm run bench:soak` shows the RSS it gives).
 * @throws {AssertionError} on a value that the configuration would have refused.
 */
export function applyHeapGrowth(percent: number): void {
  assert(
    Number.isInteger(percent) && percent >= 0 && percent <= HEAP_GROWTH_PERCENT_MAX,
    `heap growth ${percent} %`,
  )
  setFlagsFromString(`--heap-growing-percent=${percent}`)
}
