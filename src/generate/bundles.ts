/**
 * Transaction Bundles. Shared directory resources keep their ids (PUT Type/id, so reloading is
 * idempotent); a patient's own resources are POSTed with a `urn:uuid:` fullUrl drawn from a
 * per-patient stream, and every reference between them is rewritten to that urn so the server
 * assigns ids and resolves the links inside the transaction.
 */
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { Random } from './random';

export function sharedBundle(resources: readonly Resource[]): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } })),
  };
}

/** Rewrites the record in place (it is not used afterwards) and wraps it as a transaction. */
export function patientBundle(resources: readonly Resource[], seed: number, index: number): Bundle {
  const random = new Random('uuid', seed, index);
  const urns = new Map<string, string>();
  for (const r of resources) urns.set(`${r.resourceType}/${r.id}`, `urn:uuid:${random.uuid()}`);
  const entry: BundleEntry[] = resources.map((resource) => {
    const fullUrl = urns.get(`${resource.resourceType}/${resource.id}`)!;
    delete resource.id;
    rewriteReferences(resource, urns);
    return { fullUrl, resource, request: { method: 'POST', url: resource.resourceType } };
  });
  return { resourceType: 'Bundle', type: 'transaction', entry };
}

function rewriteReferences(node: unknown, urns: ReadonlyMap<string, string>): void {
  if (Array.isArray(node)) {
    for (const item of node) if (item !== null && typeof item === 'object') rewriteReferences(item, urns);
    return;
  }
  const obj = node as Record<string, unknown>;
  for (const key in obj) {
    const value = obj[key];
    if (key === 'reference' && typeof value === 'string') {
      const urn = urns.get(value);
      if (urn) obj[key] = urn;
    } else if (value !== null && typeof value === 'object') rewriteReferences(value, urns);
  }
}
