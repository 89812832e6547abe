/**
 * Tiny benchmark harness: warm up, then run an operation in a loop for about `seconds` and report
 * operations per second. Also prints the machine line every result table starts with.
 */
import { cpus, totalmem } from 'node:os'

/** Runs `op` repeatedly for about `seconds` after a warm-up; returns operations per second. */
export function opsPerSecond(op: () => void, seconds = 1, warmup = 50): number {
  for (let i = 0; i < warmup; i++) op()
  let count = 0
  const start = performance.now()
  const deadline = start + seconds * 1000
  let now = start
  while (now < deadline) {
    for (let i = 0; i < 16; i++) op()
    count += 16
    now = performance.now()
  }
  return count / ((now - start) / 1000)
}

/** Times an async batch operation; returns operations per second for `count` operations. */
export async function batchOpsPerSecond(
  count: number,
  op: () => Promise<unknown>,
): Promise<number> {
  const start = performance.now()
  await op()
  return count / ((performance.now() - start) / 1000)
}

/** One line describing the machine, Node version and date. */
export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown cpu'
  const gib = (totalmem() / 2 ** 30).toFixed(0)
  return `${cpus().length} cores (${cpu}), ${gib} GiB, Node ${process.version}, ${new Date().toISOString()}`
}

/** The median of `values` (the upper one of an even count); `values` is not reordered. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** Formats a number with thousands separators. */
export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

/** A table cell: `n` with `digits` decimals, or `-` when it was not measured (null, NaN). */
export function cell(n: number | null, digits = 0): string {
  return n === null || !Number.isFinite(n) ? '-' : n.toFixed(digits)
}

/** Prints a two-column markdown table. */
export function printTable(title: string, rows: readonly (readonly [string, string])[]): void {
  console.log(`\n### ${title}\n`)
  console.log('| measurement | value |')
  console.log('|---|---:|')
  for (const [name, value] of rows) console.log(`| ${name} | ${value} |`)
}
