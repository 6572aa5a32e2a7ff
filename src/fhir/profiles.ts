// Loads the conformance resources this server adds (fhir-profiles/: StructureDefinitions,
// SearchParameters, OperationDefinitions, CompartmentDefinitions, ValueSets…). Each file holds one
// resource or a Bundle of them; profiles, value sets and code systems join the validator's registry.
import fs from 'node:fs';
import path from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import type { ResourceValidator } from './validation';
import type { CanonicalResource } from './validator/registry';

export interface ConformanceResource {
  file: string;
  resource: Resource & { id: string; url?: string };
}

export function loadConformanceResources(dir: string, validator: ResourceValidator): ConformanceResource[] {
  if (!fs.existsSync(dir)) return [];
  const out: ConformanceResource[] = [];
  const files = listJsonFiles(dir);
  for (const file of files) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
    }
    const resources = isBundle(parsed) ? (parsed.entry ?? []).map((e) => e.resource) : [parsed];
    for (const r of resources) {
      const res = r as ConformanceResource['resource'];
      if (!res || typeof res.resourceType !== 'string' || typeof res.id !== 'string') {
        throw new Error(`${file}: every conformance resource needs a resourceType and an id`);
      }
      out.push({ file: path.relative(dir, file), resource: res });
    }
  }
  // Profiles, value sets and code systems join the validator's registry; a profile's snapshot is
  // generated on its first use, so start-up does not pay for it. Each resource is validated when
  // it is installed (written like any client write) — see install-profiles.ts.
  for (const { resource } of out) validator.registry.add(resource as unknown as CanonicalResource);
  return out;
}

function isBundle(v: unknown): v is { resourceType: 'Bundle'; entry?: { resource?: unknown }[] } {
  return typeof v === 'object' && v !== null && (v as { resourceType?: unknown }).resourceType === 'Bundle';
}

function listJsonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listJsonFiles(full));
    else if (entry.name.endsWith('.json')) out.push(full);
  }
  return out;
}
