// GET [base]/metadata: the CapabilityStatement, generated (once per base URL) from the core
// interactions, what each mounted feature declares and the operation registry.
import type { CapabilityStatement } from '@medplum/fhirtypes';
import { Router } from 'express';
import { buildCapabilityStatement, type CapabilitySources, type SystemInteraction, type TypeInteraction } from '../fhir/capability';
import type { OperationRegistry } from '../operations/registry';
import type { Feature } from './feature';
import { contextOf } from './context';
import { sendJson } from './http-format';

const CORE_TYPE_INTERACTIONS: TypeInteraction[] = ['read', 'vread', 'update', 'delete', 'history-instance', 'history-type', 'create'];
const CORE_SYSTEM_INTERACTIONS: SystemInteraction[] = ['history-system'];

export interface MetadataSources extends Pick<CapabilitySources, 'profiles' | 'compartments' | 'security'> {
  software: { name: string; version: string };
  resourceTypes: readonly string[];
  /** When the server started: the statement's date. */
  started: string;
  /** Brings the run-time parts (profiles and SearchParameters stored by packages or clients) up
   * to date and answers a key that changes whenever they do, so a cached statement is rebuilt. */
  freshness?: () => Promise<string>;
}

export function metadataRoute(features: Feature[], operations: OperationRegistry, sources: MetadataSources): Router {
  const router = Router();
  const cache = new Map<string, string>();
  const statementFor = capabilityStatementBuilder(features, operations, sources);
  router.get('/metadata', async (req, res) => {
    const base = contextOf(res).baseUrl;
    const key = sources.freshness ? `${await sources.freshness()}|${base}` : base;
    let text = cache.get(key);
    if (!text) {
      if (cache.size > 100) cache.clear();
      text = JSON.stringify(statementFor(base));
      cache.set(key, text);
    }
    sendJson(req, res, 200, text);
  });
  return router;
}

/** The CapabilityStatement for a base URL (also the source of the OpenAPI description). */
export function capabilityStatementBuilder(features: Feature[], operations: OperationRegistry, sources: MetadataSources): (base: string) => CapabilityStatement {
  const contributions = featureCapabilities(features);
  return (base) =>
    buildCapabilityStatement({
      software: sources.software,
      baseUrl: base,
      resourceTypes: sources.resourceTypes,
      typeInteractions: [...CORE_TYPE_INTERACTIONS, ...features.flatMap((f) => f.typeInteractions ?? [])],
      systemInteractions: [...CORE_SYSTEM_INTERACTIONS, ...features.flatMap((f) => f.systemInteractions ?? [])],
      date: sources.started,
      profiles: sources.profiles,
      compartments: sources.compartments,
      security: sources.security,
      operations: operations.capability(),
      ...contributions,
    });
}

/** The features' contributions, each part owned by one feature: a second claim to the same part
 * is a wiring mistake, reported at start-up rather than silently overwriting the first. */
export function featureCapabilities(features: Feature[]): NonNullable<Feature['capability']> {
  const merged: Record<string, unknown> = {};
  const owner = new Map<string, string>();
  for (const f of features) {
    for (const [key, value] of Object.entries(f.capability ?? {})) {
      if (value === undefined) continue;
      const first = owner.get(key);
      if (first) throw new Error(`features '${first}' and '${f.name}' both declare the CapabilityStatement's ${key}`);
      owner.set(key, f.name);
      merged[key] = value;
    }
  }
  return merged as NonNullable<Feature['capability']>;
}
