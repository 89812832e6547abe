/**
 * CPU time of single threads of this process, from Linux's /proc (docs/adr/0074-thread-cpu.md).
 * `process.cpuUsage()` sums every thread: the event loop, the verifier workers, V8's helper threads
 * (garbage collection, the optimising compiler) and libuv's pool (LevelDB). Splitting it tells an
 * operator (and `npm run bench:cluster`) whether a node is paced by signature verification or by
 * everything else. Off Linux the readers return null and the split is not exported.
 */
import { readFileSync, readlinkSync } from 'node:fs'

/** Clock ticks per second of the times in /proc (USER_HZ: 100 on every Linux ABI Node runs on). */
export const USER_HZ = 100

// proc(5) numbers the fields of /proc/<pid>/stat from 1: pid (1), comm (2, in parentheses, may
// hold spaces and parentheses), state (3), …, utime (14), stime (15).
const FIELDS_AFTER_COMM_MIN = 13
const UTIME_AFTER_COMM = 14 - 3
const STIME_AFTER_COMM = 15 - 3

/** utime + stime, in clock ticks, from the text of a /proc stat file; null when malformed. */
export function statCpuTicks(stat: string): number | null {
  const close = stat.lastIndexOf(')')
  if (close < 0) return null
  const fields = stat.slice(close + 2).split(' ')
  if (fields.length < FIELDS_AFTER_COMM_MIN) return null
  const utime = Number(fields[UTIME_AFTER_COMM])
  const stime = Number(fields[STIME_AFTER_COMM])
  if (!Number.isSafeInteger(utime) || !Number.isSafeInteger(stime) || utime < 0 || stime < 0) {
    return null
  }
  return utime + stime
}

/** CPU seconds (user + system) of thread `tid` of this process; null off Linux or once it ended. */
export function threadCpuSeconds(tid: number): number | null {
  let stat: string
  try {
    stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
  } catch {
    return null
  }
  const ticks = statCpuTicks(stat)
  return ticks === null ? null : ticks / USER_HZ
}

/** The calling thread's Linux thread id (`/proc/thread-self` is `<pid>/task/<tid>`); else null. */
export function currentThreadId(): number | null {
  try {
    const link = readlinkSync('/proc/thread-self')
    const tid = Number(link.slice(link.lastIndexOf('/') + 1))
    return Number.isSafeInteger(tid) && tid > 0 ? tid : null
  } catch {
    return null
  }
}

/** CPU seconds of a node's threads: its event loop and its verifier workers. */
export interface ThreadCpu {
  readonly main: number
  readonly verifier: number
}

/**
 * Reads the CPU seconds of the event-loop thread `mainTid` and of the verifier threads `verifierTids`
 * (a verifier that has ended is left out); null when the event loop's cannot be read (not Linux).
 */
export function readThreadCpu(mainTid: number, verifierTids: readonly number[]): ThreadCpu | null {
  const main = threadCpuSeconds(mainTid)
  if (main === null) return null
  let verifier = 0
  for (const tid of verifierTids) verifier += threadCpuSeconds(tid) ?? 0
  return { main, verifier }
}
