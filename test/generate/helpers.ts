// Shared helpers for the generator tests: collect records without disk, walk references.
import type { Resource } from '@medplum/fhirtypes';
import { generatePatientRecords, type DuplicateTruth } from '../../src/generate';

export interface Generated {
  shared: Resource[];
  patients: { index: number; resources: Resource[]; duplicate?: DuplicateTruth }[];
}

export function collect(patients: number, seed: number, years = 10): Generated {
  const out: Generated = { shared: [], patients: [] };
  for (const item of generatePatientRecords({ patients, seed, years })) {
    if (item.shared) out.shared = item.shared;
    else out.patients.push(item.patient);
  }
  return out;
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

export function codeOf(r: { code?: { coding?: { system?: string; code?: string }[] } }): string | undefined {
  return r.code?.coding?.[0]?.code;
}
