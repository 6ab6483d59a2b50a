import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one service: process defaults, HTTP traffic, and the service's own counters. */
export interface ServiceMetrics {
  readonly registry: Registry;
  /** Counts domain outcomes, e.g. `outcomes.inc({ operation: 'verify', outcome: 'KYC_CONFLICT' })`. */
  readonly outcomes: Counter<'operation' | 'outcome'>;
  /** Time spent in ledger transactions, by operation. */
  readonly ledgerSeconds: Histogram<'operation'>;
  instrument(app: FastifyInstance): void;
}

/** Creates a registry with the standard process metrics and the service's HTTP and domain metrics. */
export function newHttpMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const requests = new Histogram({
    name: 'kyc_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const outcomes = new Counter({
    name: 'kyc_operations_total',
    help: 'Domain operations by outcome (ok or an error code)',
    labelNames: ['operation', 'outcome'] as const,
    registers: [registry],
  });
  const ledgerSeconds = new Histogram({
    name: 'kyc_ledger_seconds',
    help: 'Time spent in ledger transactions by operation',
    labelNames: ['operation'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  return {
    registry,
    outcomes,
    ledgerSeconds,
    instrument(app: FastifyInstance): void {
      app.addHook('onResponse', (request, reply, done) => {
        requests.observe(
          { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
          reply.elapsedTime / 1000,
        );
        done();
      });
    },
  };
}
