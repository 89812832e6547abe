/**
 * Output helpers of the cluster benchmark: a summary of V8 `.cpuprofile` files (self time per
 * function), a CSV writer, a hand-written SVG chart of throughput and p99 latency against offered
 * load (no chart library), and the table of node 0's consensus timings. Issue #9.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BucketQuantiles } from './cluster-lib.ts'
import type { Admissions, ConsensusTimings } from './cluster-run.ts'

/** `p50 / p99 / max` of a histogram's window in ms (bucket upper bounds), or `-` when empty. */
function bucketsCell(q: BucketQuantiles): string {
  if (q.count === 0) return '-'
  const ms = (s: number): string => (s === Infinity ? 'more' : String(Math.round(s * 1000)))
  return `≤ ${ms(q.p50)} / ${ms(q.p99)} / ${ms(q.max)} (${q.count})`
}

/**
 * Prints node 0's consensus timings per step: WAL appends, block commits, the time between blocks
 * and the handling of proposals, as the upper bounds of their histogram buckets (src/node/metrics.ts)
 * at p50, p99 and the largest observation, with the count.
 */
export function printConsensusTimings(
  rows: readonly { readonly label: string; readonly timings: ConsensusTimings | null }[],
): void {
  const measured = rows.filter((r) => r.timings !== null)
  if (measured.length === 0) return
  console.log(
    '\n### Consensus timings of validator 0 (ms, bucket bounds: p50 / p99 / max (count))\n',
  )
  console.log('| step | WAL append (fsync) | block commit | block interval | proposal handling |')
  console.log('|---|---|---|---|---|')
  for (const { label, timings } of measured) {
    const t = timings!
    const cells = [t.walAppend, t.blockCommit, t.blockInterval, t.proposal].map(bucketsCell)
    console.log(`| ${label} | ${cells.join(' | ')} |`)
  }
}

/**
 * Prints what validator 0's door did with the txs of each step (its admission counters): how much
 * of the load was read and refused, and how often the decode and signature caches saved work.
 */
export function printAdmissions(
  rows: readonly { readonly label: string; readonly admissions: Admissions | null }[],
): void {
  const measured = rows.filter((r) => r.admissions !== null)
  if (measured.length === 0) return
  console.log('\n### Admission at validator 0 (txs over the step, from its /metrics)\n')
  console.log(
    '| step | admitted | refused after reading (by code) | busy: requests / txs | signatures verified: adds + blocks | signature cache hits | decoded / decode cache hits |',
  )
  console.log('|---|---:|---|---:|---:|---:|---:|')
  for (const { label, admissions } of measured) {
    const a = admissions!
    const refused =
      a.rejected.size === 0
        ? '-'
        : [...a.rejected]
            .sort(([x], [y]) => (x < y ? -1 : 1))
            .map(([code, n]) => `${code} ${n}`)
            .join(', ')
    console.log(
      `| ${label} | ${a.added} | ${refused} | ${a.busyRequests} / ${a.busyTxs} | ${a.verified} + ${a.blockVerified} | ` +
        `${a.verifiedCacheHits} | ${a.decodeMisses} / ${a.decodeHits} |`,
    )
  }
}

interface ProfileNode {
  readonly id: number
  readonly callFrame: { functionName: string; url: string; lineNumber: number }
  readonly hitCount?: number
  readonly children?: readonly number[]
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[]
  readonly startTime: number
  readonly endTime: number
  readonly samples?: readonly number[]
  readonly timeDeltas?: readonly number[]
}

/** One row of a self-time summary. */
export interface SelfTime {
  readonly name: string
  readonly ms: number
  readonly percent: number
}

/** A summarised profile file. */
export interface ProfileSummary {
  readonly file: string
  readonly totalMs: number
  readonly idleMs: number
  readonly top: readonly SelfTime[]
  /** Inclusive time (self + callees) of the project's own functions (src/), largest first. */
  readonly topInclusive: readonly SelfTime[]
}

function shortUrl(url: string): string {
  const at = url.lastIndexOf('/node_modules/')
  if (at >= 0) return url.slice(at + '/node_modules/'.length)
  const src = url.search(/\/(src|bench|bin)\//)
  if (src >= 0) return url.slice(src + 1)
  return url.replace(/^node:/, 'node:')
}

/**
 * Self time per function (name + file:line) of one `.cpuprofile`, largest first. With `fromUs`
 * (microseconds of the monotonic clock, `process.hrtime`, which V8's profile timestamps share on
 * Linux) samples taken before it are left out: the load window without the node's start-up.
 */
export function summariseProfile(path: string, topN: number, fromUs = 0): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile
  const selfUs = new Map<number, number>()
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  let at = profile.startTime
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the following delta to the sample.
    at += deltas[i] ?? 0
    if (at < fromUs) continue
    const us = deltas[i + 1] ?? 0
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + us)
  }
  const byName = new Map<string, number>()
  let idleUs = 0
  let totalUs = 0
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0
    totalUs += us
    if (node.callFrame.functionName === '(idle)') idleUs += us
    const name = nameOf(node)
    byName.set(name, (byName.get(name) ?? 0) + us)
  }
  const busyUs = Math.max(1, totalUs - idleUs)
  const top = [...byName.entries()]
    .filter(([name]) => !name.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([name, us]) => ({ name, ms: us / 1000, percent: (100 * us) / busyUs }))
  const topInclusive = inclusiveOfOwnCode(profile, selfUs, nameOf)
    .slice(0, topN)
    .map(([name, us]) => ({ name, ms: us / 1000, percent: (100 * us) / busyUs }))
  return { file: path, totalMs: totalUs / 1000, idleMs: idleUs / 1000, top, topInclusive }
}

function nameOf(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame
  const where = url === '' ? '' : ` ${shortUrl(url)}:${lineNumber + 1}`
  return `${functionName === '' ? '(anonymous)' : functionName}${where}`
}

// Inclusive time per function of src/, counting a recursive function once per call tree path.
function inclusiveOfOwnCode(
  profile: CpuProfile,
  selfUs: ReadonlyMap<number, number>,
  name: (node: ProfileNode) => string,
): [string, number][] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const isChild = new Set(profile.nodes.flatMap((n) => n.children ?? []))
  const totals = new Map<string, number>()
  const visit = (id: number, open: ReadonlySet<string>): number => {
    const node = byId.get(id)
    if (!node) return 0
    const url = node.callFrame.url
    const own = url.includes('/src/') && !url.includes('/node_modules/') ? name(node) : null
    const inner = own !== null && !open.has(own) ? new Set([...open, own]) : open
    let us = selfUs.get(id) ?? 0
    for (const child of node.children ?? []) us += visit(child, inner)
    if (own !== null && !open.has(own)) totals.set(own, (totals.get(own) ?? 0) + us)
    return us
  }
  for (const node of profile.nodes) if (!isChild.has(node.id)) visit(node.id, new Set())
  return [...totals.entries()].sort((a, b) => b[1] - a[1])
}

/** Summaries of every `.cpuprofile` in `dir`, the busiest thread first. */
export function summariseProfileDir(dir: string, topN: number, fromUs = 0): ProfileSummary[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => summariseProfile(join(dir, f), topN, fromUs))
    .sort((a, b) => b.totalMs - b.idleMs - (a.totalMs - a.idleMs))
}

/** One point of an offered-load sweep. */
export interface SweepPoint {
  readonly offered: number
  readonly committed: number
  readonly p50: number
  readonly p99: number
}

/** Writes the sweep as CSV. */
export function writeCsv(
  path: string,
  header: readonly string[],
  rows: readonly unknown[][],
): void {
  const lines = [header.join(','), ...rows.map((r) => r.map(String).join(','))]
  writeFileSync(path, lines.join('\n') + '\n')
}

function niceMax(value: number): number {
  if (!(value > 0)) return 1
  const magnitude = 10 ** Math.floor(Math.log10(value))
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude
  return 10 * magnitude
}

/** An SVG line chart: committed tx/s (left axis) and p99 latency (right axis) vs offered tx/s. */
export function sweepSvg(points: readonly SweepPoint[], title: string): string {
  const W = 640
  const H = 400
  const m = { l: 64, r: 64, t: 40, b: 56 }
  const pw = W - m.l - m.r
  const ph = H - m.t - m.b
  const xMax = niceMax(Math.max(...points.map((p) => p.offered)))
  const yMax = niceMax(Math.max(xMax, ...points.map((p) => p.committed)))
  const lMax = niceMax(Math.max(...points.map((p) => p.p99)))
  const x = (v: number): number => m.l + (v / xMax) * pw
  const y = (v: number): number => m.t + ph - (v / yMax) * ph
  const yl = (v: number): number => m.t + ph - (v / lMax) * ph
  const f = (v: number): string => v.toFixed(1)
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${title}</text>`,
  ]
  for (let i = 0; i <= 5; i++) {
    const gx = x((xMax * i) / 5)
    const gy = m.t + ph - (ph * i) / 5
    out.push(
      `<line x1="${f(gx)}" y1="${m.t}" x2="${f(gx)}" y2="${m.t + ph}" stroke="#eee"/>`,
      `<line x1="${m.l}" y1="${f(gy)}" x2="${m.l + pw}" y2="${f(gy)}" stroke="#eee"/>`,
      `<text x="${f(gx)}" y="${m.t + ph + 16}" text-anchor="middle">${Math.round((xMax * i) / 5)}</text>`,
      `<text x="${m.l - 6}" y="${f(gy + 4)}" text-anchor="end" fill="#1f77b4">${Math.round((yMax * i) / 5)}</text>`,
      `<text x="${m.l + pw + 6}" y="${f(gy + 4)}" fill="#d62728">${Math.round((lMax * i) / 5)}</text>`,
    )
  }
  out.push(
    `<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
    `<line x1="${x(0)}" y1="${f(y(0))}" x2="${f(x(Math.min(xMax, yMax)))}" y2="${f(y(Math.min(xMax, yMax)))}" stroke="#999" stroke-dasharray="4 4"/>`,
    `<text x="${m.l + pw / 2}" y="${H - 14}" text-anchor="middle">offered load (tx/s)</text>`,
    `<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle" fill="#1f77b4">committed tx/s</text>`,
    `<text transform="translate(${W - 14} ${m.t + ph / 2}) rotate(90)" text-anchor="middle" fill="#d62728">p99 submit→commit (ms)</text>`,
  )
  const sorted = [...points].sort((a, b) => a.offered - b.offered)
  const line = (py: (p: SweepPoint) => number, color: string): void => {
    const pts = sorted.map((p) => `${f(x(p.offered))},${f(py(p))}`).join(' ')
    out.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2"/>`)
    for (const p of sorted) {
      out.push(`<circle cx="${f(x(p.offered))}" cy="${f(py(p))}" r="3.5" fill="${color}"/>`)
    }
  }
  line((p) => y(p.committed), '#1f77b4')
  line((p) => yl(p.p99), '#d62728')
  out.push('</svg>')
  return out.join('\n') + '\n'
}
