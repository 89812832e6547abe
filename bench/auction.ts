/**
 * Benchmark of the call auction (SPEC.md 4.1; docs/BENCHMARKS.md "Call auction").
 *
 * Clears random books of 10k, 100k and 1M orders and prints the median time and the CPU time per
 * n·log2(n), which stays roughly flat if the growth is n log n (it would grow linearly in n for an
 * O(n²) algorithm). Baseline measured in the same run ("floor"): the work no implementation of the
 * contract avoids, building the result map with one entry per order plus one native sort of the
 * prices; "auction / floor" is what the rest of the algorithm costs on top.
 * Two books per size: "clustered" (1,000 distinct ticks, many orders per level) and "spread"
 * (prices over 10^9 ticks, almost every order at its own level).
 *
 * Run: npm run bench:auction  (node --import tsx bench/auction.ts). Randomness is a seeded PRNG, so
 * every run clears the same books.
 */
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { clearCallAuction, type AuctionOrder } from '../src/vm/auction.ts'
import { machineLine, median } from './harness.ts'

const SIZES = [10_000, 100_000, 1_000_000] as const
const SEED = 0x5eed_a0c7

/** mulberry32: a small seeded 32-bit PRNG (bench only; the pure core never draws randomness). */
function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

export type Shape = 'clustered' | 'spread'

function randomBook(n: number, shape: Shape, seed: number): AuctionOrder[] {
  const next = prng(seed)
  const orders: AuctionOrder[] = []
  for (let i = 0; i < n; i++) {
    const side = (next() & 1) === 0 ? 'buy' : 'sell'
    // Buys centre slightly above sells so that the book crosses and a real volume clears.
    const offset = side === 'buy' ? 20 : 0
    const price =
      shape === 'clustered'
        ? 10_000 + offset + (next() % 1_000)
        : 1_000_000_000 + offset * 1_000_000 + (next() % 1_000_000_000)
    orders.push({
      id: `o${i}`,
      side,
      price: BigInt(price),
      qty: BigInt(1 + (next() % 1_000)),
      seq: BigInt(i),
    })
  }
  return orders
}

/** The baseline: one map entry per order and one native sort of the prices. */
function floor(orders: readonly AuctionOrder[]): number {
  const fills = new Map<string, bigint>()
  const prices = new BigInt64Array(orders.length)
  for (let i = 0; i < orders.length; i++) {
    const order = orders[i]!
    fills.set(order.id, 0n)
    prices[i] = order.price
  }
  prices.sort()
  return fills.size
}

/**
 * Median wall-clock ms and median CPU ms (user + system of the process) over `repeats` runs. CPU
 * time is printed too because the machine is shared: wall time then includes waiting for a core.
 */
function time(
  run: () => void,
  repeats: number,
  warmUp: boolean,
): { wallMs: number; cpuMs: number } {
  if (warmUp) run() // JIT and the first growth of the result map; skipped at 1M (already warm).
  const wall: number[] = []
  const cpu: number[] = []
  for (let r = 0; r < repeats; r++) {
    const cpuStart = process.cpuUsage()
    const start = performance.now()
    run()
    wall.push(performance.now() - start)
    const used = process.cpuUsage(cpuStart)
    cpu.push((used.user + used.system) / 1000)
  }
  return { wallMs: median(wall), cpuMs: median(cpu) }
}

/** Measures every shape at every size; one row per (shape, size). Also used by bench/vm.ts. */
export function measureAuctions(
  shapes: readonly Shape[] = ['clustered', 'spread'],
): Record<string, string | number>[] {
  const rows: Record<string, string | number>[] = []
  for (const shape of shapes) for (const n of SIZES) rows.push(measure(shape, n))
  return rows
}

function measure(shape: Shape, n: number): Record<string, string | number> {
  const orders = randomBook(n, shape, SEED + n)
  const repeats = n >= 1_000_000 ? 3 : n >= 100_000 ? 5 : 15
  const warmUp = n < 1_000_000
  let volume = 0n
  const auction = time(
    () => {
      volume = clearCallAuction(orders, 10_500n, 10_500n).volume
    },
    repeats,
    warmUp,
  )
  const base = time(() => floor(orders), repeats, warmUp)
  const nLogN = n * Math.log2(n)
  return {
    book: shape,
    orders: n,
    'auction ms': Number(auction.wallMs.toFixed(1)),
    'auction cpu ms': Number(auction.cpuMs.toFixed(1)),
    'cpu ns per n·log2 n': Number(((auction.cpuMs * 1e6) / nLogN).toFixed(1)),
    'floor ms': Number(base.wallMs.toFixed(1)),
    'auction / floor': Number((auction.wallMs / base.wallMs).toFixed(2)),
    volume: volume.toString(),
  }
}

/** Prints the auction table (the header lines name the machine and the repeats). */
export function printAuctions(rows: Record<string, string | number>[]): void {
  console.log(`call auction: ${machineLine()}, load average ${loadavg()[0]!.toFixed(2)}`)
  console.log('median of repeats (15 at 10k, 5 at 100k, 3 at 1M), after a warm-up run below 1M')
  console.table(rows)
}

// Run directly (npm run bench:auction), not when imported by bench/vm.ts.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) printAuctions(measureAuctions())
