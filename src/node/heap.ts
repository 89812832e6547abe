/**
 * The V8 heap policy of a node process (ADR 0072): how far the heap may grow past the live set
 * before V8 collects it in full. V8's own policy on a large host lets it grow to about four times
 * the live set, so a node's RSS climbs for minutes under steady load; a fixed growth keeps it near
 * the live set. Process-wide, so only the CLI commands that run nodes apply it.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
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

/** What `collectStartupGarbage` freed: V8 heap bytes in use before and after, and its pause. */
export interface StartupCollection {
  readonly usedBefore: number
  readonly usedAfter: number
  readonly pauseMs: number
}

/**
 * One full collection, once the node has started (ADR 0072). Loading the state leaves garbage
 * (the genesis document, the stored entries as read, the sort of the tree build): about 1.5 GB on
 * a 1 M-account node. Left alone, V8 marks and frees it during the first minutes of service, as an
 * incremental collection of the whole heap that takes main-thread time from consensus under load.
 * Collected here, the node starts serving with a heap near its live set.
 *
 * V8 offers a full collection only as `gc`, which `--expose-gc` puts into contexts created after it
 * is set; the flag is set for one new context and cleared again (Jest's leak detector does the same),
 * so no other code sees a `gc` global.
 */
export function collectStartupGarbage(): StartupCollection {
  setFlagsFromString('--expose-gc')
  let gc: unknown
  try {
    gc = runInNewContext('gc')
  } finally {
    setFlagsFromString('--no-expose-gc')
  }
  assert(typeof gc === 'function', 'V8 offers gc under --expose-gc')
  const usedBefore = getHeapStatistics().used_heap_size
  const started = performance.now()
  ;(gc as () => void)()
  const pauseMs = performance.now() - started
  return { usedBefore, usedAfter: getHeapStatistics().used_heap_size, pauseMs }
}
