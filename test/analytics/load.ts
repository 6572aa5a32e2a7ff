// Test data for the analytics suites: the generator's records (or hand-made resources) written
// straight into a test server's engine with the server's own indexer — fast, and exactly what a
// client's creates would have stored. The tests then compute their expectations by brute force
// over the same resources, independently of the server's query paths.
import type { Resource } from '@medplum/fhirtypes';
import { generatePatientRecords } from '../../src/generate';
import type { Server } from '../../src/server';

export interface Dataset {
  shared: Resource[];
  patients: Resource[][];
  all: Resource[];
}

export function generated(patients: number, seed: number, years = 2): Dataset {
  const out: Dataset = { shared: [], patients: [], all: [] };
  for (const item of generatePatientRecords({ patients, seed, years })) {
    // The directory's free Slots (most of it) are nobody's record: left out to keep loads small.
    if (item.shared) out.shared = item.shared.filter((r) => r.resourceType !== 'Slot');
    else out.patients.push(item.patient.resources);
  }
  out.all = [...out.shared, ...out.patients.flat()];
  return out;
}

/** Stores the resources (version 1), lastUpdated one millisecond apart from `start` unless given. */
export async function store(server: Server, resources: Resource[], start = Date.UTC(2026, 0, 1)): Promise<void> {
  const { indexer } = server.services.core;
  for (let i = 0; i < resources.length; i += 250) {
    const chunk = resources.slice(i, i + 250);
    await server.engine.transaction(async (tx) => {
      for (const [j, r] of chunk.entries()) {
        const lastUpdated = r.meta?.lastUpdated ?? new Date(start + i + j).toISOString();
        const withMeta = { ...r, meta: { ...r.meta, versionId: '1', lastUpdated } } as Resource;
        await tx.write({ resourceType: r.resourceType, id: r.id!, versionId: 1, lastUpdated, deleted: false, json: JSON.stringify(withMeta), index: indexer(withMeta) });
      }
    });
  }
}

/** Every `reference` string anywhere inside a resource. */
export function referencesIn(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => referencesIn(n, found));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'reference' && typeof v === 'string') found.push(v);
      else referencesIn(v, found);
    }
  }
  return found;
}

export const keyOf = (r: { resourceType: string; id?: string }) => `${r.resourceType}/${r.id}`;
