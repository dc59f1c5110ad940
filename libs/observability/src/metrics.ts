import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** A Prometheus registry per process, with Node's default metrics and an `app` label. */
export function createMetricsRegistry(app: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Returns the metric already registered under `name`, or registers a new one (idempotent across modules). */
export function counter(registry: Registry, name: string, help: string, labelNames: string[] = []): Counter {
  const found = registry.getSingleMetric(name);
  if (found) return found as Counter;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

export function gauge(registry: Registry, name: string, help: string, labelNames: string[] = []): Gauge {
  const found = registry.getSingleMetric(name);
  if (found) return found as Gauge;
  return new Gauge({ name, help, labelNames, registers: [registry] });
}

export function histogram(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[] = [],
  buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
): Histogram {
  const found = registry.getSingleMetric(name);
  if (found) return found as Histogram;
  return new Histogram({ name, help, labelNames, buckets, registers: [registry] });
}
