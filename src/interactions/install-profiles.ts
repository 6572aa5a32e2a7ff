// Makes the conformance resources of fhir-profiles/ readable and searchable like any other
// resource: at start-up each is stored under its own id, but only when its content differs from
// the stored current version, so restarts do not grow the history. The comparison is made inside
// the write's transaction (which holds the resource on every engine: SQLite runs one at a time,
// MongoDB locks or conflicts), so server processes starting together install each resource once.
import type { Resource } from '@medplum/fhirtypes';
import type { ConformanceResource } from '../fhir/profiles';
import { afterConcurrentWriters, updateIn } from './crud';
import type { Services } from './services';
import type { DataAccess } from '../access/data-access';

export function withoutMeta(r: Resource): string {
  const { meta: _meta, ...rest } = r as Resource & { meta?: unknown };
  // Top-level key order differs between a file and the stored form (resourceType, id, meta first).
  return JSON.stringify(Object.fromEntries(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b))));
}

export async function installConformanceResources(data: DataAccess, services: Services, resources: Array<Pick<ConformanceResource, 'resource'>>): Promise<number> {
  let written = 0;
  for (const entry of resources) {
    const { resource } = entry;
    const wanted = withoutMeta(resource);
    const same = (json: string | undefined) => json !== undefined && withoutMeta(JSON.parse(json)) === wanted;
    // Read first without a transaction: on a restart nothing has changed, and nothing is locked.
    const current = await data.read(resource.resourceType, resource.id);
    if (current && !current.deleted && same(current.json)) continue;
    let wrote: boolean;
    try {
      wrote = await afterConcurrentWriters(undefined, () =>
        data.transaction(async (tx) => {
          const now = await tx.read(resource.resourceType, resource.id);
          if (now && !now.deleted && same(now.json)) return false;
          await updateIn(tx, services, resource.resourceType, resource.id, resource);
          return true;
        }),
      );
    } catch (e) {
      // A broken file in fhir-profiles/ stops start-up with its name rather than surfacing later.
      const file = (entry as Partial<ConformanceResource>).file;
      const where = file ? ` (fhir-profiles/${file})` : '';
      throw new Error(`${resource.resourceType}/${resource.id}${where} is invalid: ${(e as Error).message}`);
    }
    if (wrote) written++;
  }
  return written;
}
