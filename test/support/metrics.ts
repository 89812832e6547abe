/**
 * Reading Prometheus text (a node's `/metrics`), shared by the tests and the cluster benchmark.
 */

/** The value of the sample `series` (its name with labels, as printed); NaN when absent. */
export function metricSample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? NaN : Number(line.slice(series.length + 1))
}

/** The samples of counter `name` by the value of its one label, from a /metrics text. */
export function labelledSamples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>()
  const prefix = `${name}{`
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue
    const close = line.indexOf('} ')
    const value = /^[a-z_]+="([^"]*)"$/.exec(line.slice(prefix.length, close))?.[1]
    if (value !== undefined) out.set(value, Number(line.slice(close + 2)))
  }
  return out
}

/**
 * The cumulative bucket counts of histogram `name` in a /metrics text, by upper bound in seconds
 * (`Infinity` for `+Inf`), keeping the series whose labels include `labels` (e.g. `event="vote"`).
 */
export function histogramOf(text: string, name: string, labels = ''): Map<number, number> {
  const out = new Map<number, number>()
  const prefix = `${name}_bucket{`
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue
    const close = line.indexOf('} ')
    const inside = line.slice(prefix.length, close)
    if (labels !== '' && !inside.split(',').includes(labels)) continue
    const le = /(?:^|,)le="([^"]+)"/.exec(inside)?.[1]
    if (le === undefined) continue
    const bound = le === '+Inf' ? Infinity : Number(le)
    out.set(bound, (out.get(bound) ?? 0) + Number(line.slice(close + 2)))
  }
  return out
}
