// `node dist/bench/near.js [locations] [queries]`: `near` within 10 km over N generated Locations,
// engine level (no HTTP), first page of 20 sorted by distance; prints p50/p95 per engine. MongoDB
// runs when MONGODB_URI is set (FerretDB: the box-only fallback). Figures depend on the machine's
// load; they are reported, never asserted.
import { parseNear } from '../src/search/geo';
import { createIndexer } from '../src/search/indexer';
import { createSearchRegistry } from '../src/search/registry';
import type { Engine } from '../src/storage/engine';
import { forEachEngine } from './each-engine';

const N = Number(process.argv[2] ?? 20000);
const Q = Number(process.argv[3] ?? 200);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

async function run(name: string, engine: Engine): Promise<void> {
  const index = createIndexer(createSearchRegistry());
  const r = rng(7);
  const lastUpdated = new Date().toISOString();
  for (let start = 0; start < N; start += 1000) {
    await engine.transaction(async (tx) => {
      for (let i = start; i < Math.min(N, start + 1000); i++) {
        // A country-sized spread (about 300 × 300 km), so 10 km holds a few dozen Locations.
        const resource = { resourceType: 'Location' as const, id: `l${i}`, meta: { versionId: '1', lastUpdated }, position: { latitude: 51 + r() * 2.7, longitude: 3.5 + r() * 4 } };
        await tx.write({ resourceType: 'Location', id: resource.id, versionId: 1, lastUpdated, deleted: false, json: JSON.stringify(resource), index: index(resource) });
      }
    });
  }
  const times: number[] = [];
  let found = 0;
  for (let q = 0; q < Q; q++) {
    const near = parseNear(`${(51.2 + r() * 2.3).toFixed(4)}|${(3.8 + r() * 3.4).toFixed(4)}|10|km`);
    if (typeof near === 'string') throw new Error(near);
    const t0 = performance.now();
    const res = await engine.search({
      resourceTypes: ['Location'],
      where: [{ kind: 'near', param: 'near', lat: near.lat, lon: near.lon, distanceKm: near.distanceKm, box: near.box }],
      sort: [{ param: 'near', descending: false, near: { lat: near.lat, lon: near.lon } }],
      count: 20,
      total: 'none',
      include: [],
      revinclude: [],
    });
    times.push(performance.now() - t0);
    found += res.matches.length;
  }
  times.sort((a, b) => a - b);
  const p = (f: number) => times[Math.min(times.length - 1, Math.floor(f * times.length))].toFixed(2);
  process.stdout.write(`| ${name} | ${N} Locations | near 10 km, first 20 by distance | p50 ${p(0.5)} ms | p95 ${p(0.95)} ms | ${(found / Q).toFixed(1)} per page |\n`);
}

void forEachEngine('near', run);
