/**
 * Request latency per route as a Prometheus histogram (`pointsnode_http_request_duration_seconds`,
 * labels `method`, `route` — the route pattern, never the raw URL, so label cardinality is bounded —
 * and `status`). Spec: SPEC §9 (metrics); docs/api.md#metrics.
 */
import type { FastifyInstance } from 'fastify'
import { Histogram, type Registry } from 'prom-client'

/** Name of the request latency histogram. */
export const REQUEST_DURATION_METRIC = 'pointsnode_http_request_duration_seconds'

/** Latency buckets in seconds: 0.5 ms to 2.5 s. */
const BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

function histogramIn(registry: Registry): Histogram<'method' | 'route' | 'status'> {
  // Several API instances may share one registry (tests): reuse the histogram already there.
  const existing = registry.getSingleMetric(REQUEST_DURATION_METRIC)
  if (existing) return existing as Histogram<'method' | 'route' | 'status'>
  return new Histogram({
    name: REQUEST_DURATION_METRIC,
    help: 'HTTP request latency by route pattern, method and status',
    labelNames: ['method', 'route', 'status'],
    buckets: BUCKETS_SECONDS,
    registers: [registry],
  })
}

/** Observes every answered request's latency in `registry`. */
export function installRequestMetrics(app: FastifyInstance, registry: Registry): void {
  const histogram = histogramIn(registry)
  app.addHook('onResponse', (request, reply, done) => {
    // Unmatched requests share one label so that random paths cannot grow the label set.
    const route = request.routeOptions.url ?? 'unmatched'
    histogram.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    )
    done()
  })
}
