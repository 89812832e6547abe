/**
 * Goal: the benchmark reads node histograms right: `histogramOf` parses prom-client's text for one
 * metric (and one label value), and `bucketQuantiles` gives the buckets of p50, p99 and the largest
 * of what was observed between two scrapes, not since the start.
 * Method: a real prom-client histogram with known observations, scraped before and after a second
 * set; the expected buckets are worked out by hand from those observations.
 */
import { Histogram, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { bucketQuantiles } from '../../../bench/cluster-lib.ts'
import { histogramOf } from '../../support/metrics.ts'

describe('bench histogram reading', () => {
  it('parses one labelled series and takes quantiles of the window between two scrapes', async () => {
    const registry = new Registry()
    const h = new Histogram({
      name: 'x_seconds',
      help: 'x',
      buckets: [0.01, 0.1, 1],
      labelNames: ['event'],
      registers: [registry],
    })
    // Before the window: slow observations that must not count.
    for (let i = 0; i < 50; i++) h.observe({ event: 'a' }, 5)
    h.observe({ event: 'b' }, 0.005)
    const before = histogramOf(await registry.metrics(), 'x_seconds', 'event="a"')
    expect([...before.entries()]).toEqual([
      [0.01, 0],
      [0.1, 0],
      [1, 0],
      [Infinity, 50],
    ])
    // The window: 98 fast, one medium, one slow ("a"); more of "b", which must be ignored.
    for (let i = 0; i < 98; i++) h.observe({ event: 'a' }, 0.005)
    h.observe({ event: 'a' }, 0.05)
    h.observe({ event: 'a' }, 0.5)
    for (let i = 0; i < 10; i++) h.observe({ event: 'b' }, 0.5)
    const after = histogramOf(await registry.metrics(), 'x_seconds', 'event="a"')
    expect(bucketQuantiles(before, after)).toEqual({ count: 100, p50: 0.01, p99: 0.1, max: 1 })
    // Without a label filter both series add up: 150 + 11 "a" and "b" in all, 111 in the window.
    const all = bucketQuantiles(
      new Map([[Infinity, 0]]),
      histogramOf(await registry.metrics(), 'x_seconds'),
    )
    expect(all.count).toBe(161)
    expect(all.max).toBe(Infinity)
    expect(bucketQuantiles(after, after)).toEqual({ count: 0, p50: NaN, p99: NaN, max: NaN })
  })
})
