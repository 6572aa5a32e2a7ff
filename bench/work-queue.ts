// `node dist/bench/work-queue.js [orders] [queries]`: Task work queues at engine level (no HTTP),
// over N ServiceRequests with one Task each (owners among 40 departments, 4 orders per patient):
//   queue:   Task?owner=…&status=requested,accepted&_sort=-priority,authored-on, first page of 20
//   patient: Task?focus:ServiceRequest.patient=Patient/…
// The queries are parsed by the search module as a request would be. Prints p50/p95 per engine;
// MongoDB runs when MONGODB_URI is set. Figures depend on the machine's load: reported, never asserted.
import type { Resource } from '@medplum/fhirtypes';
import { createIndexer } from '../src/search/indexer';
import { parseSearchQuery } from '../src/search/parse-query';
import { createSearchRegistry } from '../src/search/registry';
import { BundledTerminology } from '../src/search/terminology';
import type { Engine } from '../src/storage/engine';
import { forEachEngine } from './each-engine';

const N = Number(process.argv[2] ?? 20000);
const Q = Number(process.argv[3] ?? 200);
const OWNERS = 40;
const STATUSES = ['requested', 'received', 'accepted', 'in-progress', 'on-hold', 'completed', 'completed', 'completed', 'cancelled', 'failed'];
const PRIORITIES = ['routine', 'routine', 'routine', 'routine', 'urgent', 'asap', 'stat'];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

async function run(name: string, engine: Engine): Promise<void> {
  const registry = createSearchRegistry();
  const index = createIndexer(registry);
  const terminology = new BundledTerminology();
  const r = rng(11);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const lastUpdated = new Date().toISOString();
  const patients = Math.max(1, Math.floor(N / 4));
  const loadStart = performance.now();
  const write = (resource: Resource & { id: string }) => ({ resourceType: resource.resourceType, id: resource.id, versionId: 1, lastUpdated, deleted: false, json: JSON.stringify(resource), index: index(resource) });
  for (let start = 0; start < N; start += 500) {
    await engine.transaction(async (tx) => {
      for (let i = start; i < Math.min(N, start + 500); i++) {
        const meta = { versionId: '1', lastUpdated };
        const patient = `Patient/p${i % patients}`;
        await tx.write(write({ resourceType: 'ServiceRequest', id: `sr${i}`, meta, status: 'active', intent: 'order', subject: { reference: patient } }));
        await tx.write(write({
          resourceType: 'Task',
          id: `t${i}`,
          meta,
          status: pick(STATUSES) as 'requested',
          intent: 'order',
          priority: pick(PRIORITIES) as 'routine',
          authoredOn: new Date(Date.parse('2030-01-01T00:00:00Z') + Math.floor(r() * 365 * 86_400_000)).toISOString(),
          focus: { reference: `ServiceRequest/sr${i}` },
          owner: { reference: `Organization/dept${Math.floor(r() * OWNERS)}` },
        }));
      }
    });
  }
  process.stdout.write(`| ${name} | loaded ${N} Tasks + ${N} ServiceRequests in ${((performance.now() - loadStart) / 1000).toFixed(1)} s |\n`);
  const plan = (query: string) =>
    parseSearchQuery(registry, [...new URLSearchParams(query)], { resourceTypes: ['Task'], defaultCount: 20, maxCount: 1000, now: Date.now(), terminology }).plan;
  for (const [label, query] of [
    ['queue: owner + status=requested,accepted, _sort=-priority,authored-on, first 20', () => `owner=Organization/dept${Math.floor(r() * OWNERS)}&status=requested,accepted&_sort=-priority,authored-on&_count=20`],
    ['patient: focus:ServiceRequest.patient', () => `focus:ServiceRequest.patient=Patient/p${Math.floor(r() * patients)}`],
  ] as const) {
    const times: number[] = [];
    let found = 0;
    for (let q = 0; q < Q; q++) {
      const p = plan(query());
      const t0 = performance.now();
      const res = await engine.search({ ...p, total: 'none' });
      times.push(performance.now() - t0);
      found += res.matches.length;
    }
    times.sort((a, b) => a - b);
    const at = (f: number) => times[Math.min(times.length - 1, Math.floor(f * times.length))].toFixed(2);
    process.stdout.write(`| ${name} | ${N} Tasks + ${N} ServiceRequests | ${label} | p50 ${at(0.5)} ms | p95 ${at(0.95)} ms | ${(found / Q).toFixed(1)} per page |\n`);
  }
}

void forEachEngine('queue', run);
