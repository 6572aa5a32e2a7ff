// The complete server (test/support/server.ts) as the Bundle, conditional and patch suites use it,
// plus helpers to look at what the engine holds.

import type supertest from 'supertest';
import type { Resource } from '@medplum/fhirtypes';
import type { Config } from '../../src/config';
import type { Clock, Services } from '../../src/interactions/services';
import type { Engine } from '../../src/storage/engine';
import { makeTestServer } from '../support/server';

export interface BundleTestServer {
  http: ReturnType<typeof supertest>;
  services: Services;
  engine: Engine;
  config: Config;
  /** The SQLite database file (for byte-level comparisons). */
  file: string;
  close(): Promise<void>;
}

export async function makeBundleServer(options: { env?: Record<string, string>; clock?: Clock; newId?: () => string; engine?: Engine } = {}): Promise<BundleTestServer> {
  const t = await makeTestServer(options);
  const engine = t.server.engine;
  return { http: t.http, services: t.server.services, engine, config: t.config, file: engine.location, close: t.close };
}

export const FHIR_JSON = 'application/fhir+json';

/** The current resources of a type, straight from the engine. */
export async function all(engine: Engine, type: string): Promise<Resource[]> {
  const out: Resource[] = [];
  for await (const v of engine.scan({ resourceType: type })) out.push(JSON.parse(v.json!) as Resource);
  return out;
}
