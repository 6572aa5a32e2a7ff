// A complete server over a real SQLite file with the issue-5 features and the real search pieces
// (registry, indexer, terminology), so that conditional criteria run through the search module.
import path from 'node:path';
import pino from 'pino';
import supertest from 'supertest';
import type { Resource } from '@medplum/fhirtypes';
import { createApp } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import { r4Definitions } from '../../src/fhir/definitions';
import { ResourceValidator } from '../../src/fhir/validation';
import { systemClock, uuidIds, type Clock, type Services } from '../../src/interactions/services';
import { writeFeatures } from '../../src/rest/bundle-routes';
import { createIndexer } from '../../src/search/indexer';
import { createSearchRegistry, type SearchRegistry } from '../../src/search/registry';
import { BundledTerminology } from '../../src/search/terminology';
import type { Engine } from '../../src/storage/engine';
import { SqliteEngine } from '../../src/storage/sqlite/sqlite-engine';
import { tempDir } from '../support/engines';

let kit: { registry: SearchRegistry; terminology: BundledTerminology } | undefined;
function searchKit() {
  kit ??= { registry: createSearchRegistry(), terminology: new BundledTerminology() };
  return kit;
}

export interface BundleTestServer {
  http: ReturnType<typeof supertest>;
  services: Services;
  engine: Engine;
  config: Config;
  file: string;
  close(): Promise<void>;
}

export async function makeBundleServer(options: { env?: Record<string, string>; clock?: Clock; newId?: () => string; engine?: Engine } = {}): Promise<BundleTestServer> {
  const dir = tempDir('nimbus-bundles-');
  const config = loadConfig({ NIMBUS_DATA_DIR: dir, NIMBUS_LOG_LEVEL: 'silent', ...options.env });
  config.profilesDir = path.resolve(__dirname, '..', '..', 'fhir-profiles');
  const file = path.join(dir, 'nimbus.sqlite');
  const engine = options.engine ?? new SqliteEngine({ file });
  const definitions = r4Definitions();
  const { registry, terminology } = searchKit();
  const clock = options.clock ?? systemClock;
  const services: Services = {
    engine,
    definitions,
    validator: new ResourceValidator(definitions),
    indexer: createIndexer(registry),
    clock,
    newId: options.newId ?? uuidIds,
  };
  const search = { registry, terminology, defaultCount: config.defaultPageSize, maxCount: config.maxPageSize, now: () => clock.now().getTime() };
  const app = createApp({ config, services, logger: pino({ level: 'silent' }), features: writeFeatures(services, config, search) });
  return { http: supertest(app), services, engine, config, file, close: () => engine.close() };
}

export const FHIR_JSON = 'application/fhir+json';

/** The current resources of a type, straight from the engine. */
export async function all(engine: Engine, type: string): Promise<Resource[]> {
  const out: Resource[] = [];
  for await (const v of engine.scan({ resourceType: type })) out.push(JSON.parse(v.json!) as Resource);
  return out;
}
