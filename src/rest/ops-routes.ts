// Operational endpoints outside the FHIR base: liveness (the process answers), readiness (the
// database is usable) and Prometheus metrics. They carry no resource content.
import { Router } from 'express';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics, Counter, Histogram } from 'prom-client';
import type { Engine } from '../storage/engine';

export interface HttpMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route'>;
}

export function createMetrics(): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'nimbus_' });
  return {
    registry,
    requests: new Counter({ name: 'nimbus_http_requests_total', help: 'HTTP requests by method, route pattern and status', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    duration: new Histogram({
      name: 'nimbus_http_request_duration_seconds',
      help: 'HTTP request duration by method and route pattern',
      labelNames: ['method', 'route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
  };
}

export function opsRoutes(engine: Engine, metrics: HttpMetrics, logger: Logger): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'alive' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await engine.ping();
      res.json({ status: 'ready', engine: engine.kind });
    } catch (e) {
      logger.warn({ err: (e as Error).message }, 'readiness check failed');
      res.status(503).json({ status: 'unavailable', engine: engine.kind, reason: 'database unusable' });
    }
  });
  router.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.end(await metrics.registry.metrics());
  });
  return router;
}
