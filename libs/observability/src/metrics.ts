import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** A Prometheus registry per process, with Node's default metrics and an `app` label. */
export function createMetricsRegistry(app: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** The metric registered under `name`, or a new one from `create` (idempotent across modules sharing a registry). */
function singleton<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

export function counter(registry: Registry, name: string, help: string, labelNames: string[] = []): Counter {
  return singleton(registry, name, () => new Counter({ name, help, labelNames, registers: [registry] }));
}

export function gauge(registry: Registry, name: string, help: string, labelNames: string[] = []): Gauge {
  return singleton(registry, name, () => new Gauge({ name, help, labelNames, registers: [registry] }));
}

export function histogram(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[] = [],
  buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
): Histogram {
  return singleton(
    registry,
    name,
    () => new Histogram({ name, help, labelNames, buckets, registers: [registry] }),
  );
}
