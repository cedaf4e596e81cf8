import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every Prometheus metric Jarvis exports, on a registry of its own (tests build many). */
export function createMetrics(opts: { defaults?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaults !== false) collectDefaultMetrics({ register: registry, prefix: 'jarvis_' });
  return {
    registry,
    updates: new Counter({
      name: 'jarvis_updates_total',
      help: 'Inbound messages and button presses, by the handler that ended the chain and the outcome',
      labelNames: ['channel', 'handler', 'outcome'] as const,
      registers: [registry],
    }),
    handlerSeconds: new Histogram({
      name: 'jarvis_handler_duration_seconds',
      help: 'Time from receiving an inbound message to the end of the chain',
      labelNames: ['channel'] as const,
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    }),
    apiCalls: new Counter({
      name: 'jarvis_outgoing_api_calls_total',
      help: 'Outgoing API calls by service, method and outcome',
      labelNames: ['service', 'method', 'outcome'] as const,
      registers: [registry],
    }),
    api429: new Counter({
      name: 'jarvis_outgoing_api_429_total',
      help: 'Outgoing API calls answered 429 Too Many Requests',
      labelNames: ['service', 'method'] as const,
      registers: [registry],
    }),
    jobRuns: new Counter({
      name: 'jarvis_job_runs_total',
      help: 'Scheduled job runs by job and outcome',
      labelNames: ['job', 'outcome'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
