// Operational endpoints outside the FHIR base: liveness (the process answers), readiness (the
// database is usable) and Prometheus metrics. They carry no resource content.
import { Router } from 'express';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics, Counter, Gauge, Histogram } from 'prom-client';
import type { Engine, WriteStatistics } from '../storage/engine';
import type { JobService } from '../operations/jobs';
import type { WorkStats } from '../context/work-stats';

export interface HttpMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route'>;
}

/** Counts and times one answered request, and logs it at debug level. Paths and statuses only:
 * query strings and bodies can hold patient data. */
export function recordRequest(metrics: HttpMetrics, logger: Logger, method: string, route: string, status: number, startNs: bigint): void {
  const seconds = Number(process.hrtime.bigint() - startNs) / 1e9;
  metrics.requests.inc({ method, route, status: String(status) });
  metrics.duration.observe({ method, route }, seconds);
  if (logger.isLevelEnabled('debug')) logger.debug({ method, route, status, ms: seconds * 1000 }, 'request');
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

/**
 * The engine's write path, read when /metrics is scraped: queue depth, groups and transactions
 * committed, failed groups and commit wait. rate(commit_wait) / rate(groups) is the mean wait for
 * a commit, rate(transactions) / rate(groups) the mean group size.
 */
function registerWriteMetrics(registry: Registry, statistics: () => WriteStatistics): void {
  const counter = (name: string, help: string, value: (s: WriteStatistics) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(value(statistics()));
      },
    });
  new Gauge({
    name: 'nimbus_write_queue_transactions',
    help: 'Write transactions waiting for their turn',
    registers: [registry],
    collect() {
      this.set(statistics().queued);
    },
  });
  counter('nimbus_write_groups_total', 'Groups of write transactions committed together (one fsync each)', (s) => s.groups);
  counter('nimbus_write_transactions_total', 'Write transactions committed', (s) => s.transactions);
  counter('nimbus_write_failed_groups_total', 'Groups the database failed to commit (their callers got errors)', (s) => s.failedGroups);
  counter('nimbus_write_commit_wait_seconds_total', 'Time spent waiting for commits after a group was prepared', (s) => s.commitWaitSeconds);
}

/** Load: requests served and waiting now, requests refused (shed, rate-limited), requests stopped
 * before completion, and Bundle entries run or never run because their request was stopped. */
export function registerLoadMetrics(registry: Registry, admission: () => { inFlight: number; queued: number }, stats: WorkStats): void {
  const gauge = (name: string, help: string, value: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(value());
      },
    });
  const counter = (name: string, help: string, value: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(value());
      },
    });
  gauge('nimbus_requests_in_flight', 'Requests being served now', () => admission().inFlight);
  gauge('nimbus_requests_queued', 'Requests waiting for a turn (load shedding queue)', () => admission().queued);
  counter('nimbus_requests_shed_total', 'Requests answered 503 at once because the process was at capacity', () => stats.shed);
  counter('nimbus_requests_rate_limited_total', 'Requests answered 429 because a client exceeded its rate', () => stats.rateLimited);
  new Counter({
    name: 'nimbus_requests_stopped_total',
    help: 'Requests whose work was stopped before completion: time budget spent, or client gone',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(stats.stopped)) this.inc({ reason }, n);
    },
  });
  counter('nimbus_bundle_entries_run_total', 'Batch and transaction entries processed', () => stats.bundleEntriesRun);
  counter('nimbus_bundle_entries_not_run_total', 'Entries of a batch or transaction never run because the request was stopped first', () => stats.bundleEntriesNotRun);
}

/** Jobs: the progress of each job this process runs (0-1), and jobs in the database by state. */
function registerJobMetrics(registry: Registry, jobs: JobService): void {
  new Gauge({
    name: 'nimbus_job_progress_ratio',
    help: 'Progress of the asynchronous jobs this process is running (done / total; 0 while the total is unknown)',
    labelNames: ['operation', 'job'],
    registers: [registry],
    collect() {
      this.reset();
      for (const j of jobs.running()) {
        const p = j.progress;
        this.set({ operation: j.operation, job: j.id }, p?.total ? Math.min(1, p.done / p.total) : 0);
      }
    },
  });
  new Gauge({
    name: 'nimbus_jobs',
    help: 'Asynchronous jobs in the database by state (finished ones until they expire)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await jobs.counts();
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
}

export function opsRoutes(engine: Engine, jobs: JobService, metrics: HttpMetrics, logger: Logger): Router {
  if (engine.writeStatistics) registerWriteMetrics(metrics.registry, () => engine.writeStatistics!());
  registerJobMetrics(metrics.registry, jobs);
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
