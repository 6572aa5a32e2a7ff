// Assembles a complete server from a configuration: engine, services, conformance resources from
// fhir-profiles/, features and the HTTP request listener (Express behind the read fast path).
// main.ts (CLI) and the tests both use it, so what is tested is what runs.
import type { RequestListener } from 'node:http';
import pino, { type Logger } from 'pino';
import type { Config } from './config';
import { createApp, type Feature } from './app';
import { r4Definitions } from './fhir/definitions';
import { loadConformanceResources, type ConformanceResource } from './fhir/profiles';
import { ResourceValidator } from './fhir/validation';
import { ConformanceRegistry } from './fhir/validator/registry';
import { TerminologyService } from './terminology/service';
import { installConformanceResources } from './interactions/install-profiles';
import { systemClock, uuidIds, type Clock, type Services } from './interactions/services';
import { createIndexer } from './search/indexer';
import { createSearchRegistry } from './search/registry';
import { BundledTerminology } from './search/terminology';
import { Compartments } from './search/compartments';
import type { SearchServices } from './search/service';
import { searchFeature } from './rest/search-routes';
import path from 'node:path';
import type { Engine } from './storage/engine';
import { openEngine } from './storage/open-engine';
import { writeFeatures } from './rest/bundle-routes';

export interface Server {
  /** The HTTP request listener (give it to http.createServer or supertest). */
  app: RequestListener;
  services: Services;
  search: SearchServices;
  engine: Engine;
  logger: Logger;
  conformance: ConformanceResource[];
  close(): Promise<void>;
}

export interface ServerOverrides {
  engine?: Engine;
  clock?: Clock;
  newId?: () => string;
  logger?: Logger;
}

export async function buildServer(config: Config, overrides: ServerOverrides = {}): Promise<Server> {
  const logger = overrides.logger ?? pino({ level: config.logLevel, base: { service: 'nimbus-fhir' } });
  const definitions = r4Definitions();
  // One registry of conformance resources (R4 core, fhir-profiles/, later packages and stored
  // profiles) feeds both validation and terminology, so writes, $validate and search agree.
  const conformanceRegistry = new ConformanceRegistry();
  const terminology = new TerminologyService(conformanceRegistry);
  const validator = new ResourceValidator(definitions, conformanceRegistry, terminology, { strictProfiles: config.strictProfiles });
  const conformance = loadConformanceResources(config.profilesDir, validator);
  const registry = createSearchRegistry({ profilesDir: config.profilesDir });
  const engine = overrides.engine ?? (await openEngine(config));
  const clock = overrides.clock ?? systemClock;
  const services: Services = {
    engine,
    definitions,
    validator,
    indexer: createIndexer(registry, { baseUrl: config.baseUrl || undefined }),
    clock,
    newId: overrides.newId ?? uuidIds,
  };
  const search: SearchServices = {
    engine,
    registry,
    terminology: new BundledTerminology(terminology),
    compartments: new Compartments(path.join(config.profilesDir, 'compartments')),
    defaultCount: config.defaultPageSize,
    maxCount: config.maxPageSize,
    now: () => clock.now().getTime(),
  };
  await installConformanceResources(services, conformance);
  const features: Feature[] = [searchFeature(search, { baseUrl: config.baseUrl }), ...writeFeatures(services, config, search)];
  const profiles = (type: string) =>
    conformance
      .filter((c) => c.resource.resourceType === 'StructureDefinition' && (c.resource as { type?: string }).type === type && c.resource.url)
      .map((c) => c.resource.url!);
  const compartments = conformance
    .filter((c) => c.resource.resourceType === 'CompartmentDefinition' && c.resource.url)
    .map((c) => c.resource.url!);
  const app = createApp({ config, services, logger, features, profiles, compartments });
  return {
    app,
    services,
    search,
    engine,
    logger,
    conformance,
    close: () => engine.close(),
  };
}
