/**
 * Reading Prometheus text (a node's `/metrics`), shared by the tests and the cluster benchmark.
 */

/** The value of the sample `series` (its name with labels, as printed); NaN when absent. */
export function metricSample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? NaN : Number(line.slice(series.length + 1))
}
