// Assembles a complete server from a configuration: engine, services, conformance resources from
// fhir-profiles/, the operation registry, features and the HTTP request listener (Express behind
// the read fast path). main.ts (CLI) and the tests both use it, so what is tested is what runs.
import type { RequestListener } from 'node:http';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { ANONYMOUS, type Caller } from './access/caller';
import { openPolicy } from './access/policy';
import { createApp, SOFTWARE } from './app';
import { auditEnabled, ConfigError, type Config } from './config';
import { AuditTrail } from './audit/audit-trail';
import { storeAuditEvents } from './audit/audit-store';
import { patientResolver } from './audit/audit-patients';
import { createRequestContext, type RequestContext } from './context/request-context';
import type { ServerServices } from './context/server-services';
import { createWorkStats } from './context/work-stats';
import { r4Definitions } from './fhir/definitions';
import { loadConformanceResources, type ConformanceResource } from './fhir/profiles';
import { ResourceValidator } from './fhir/validation';
import { ConformanceRegistry } from './fhir/validator/registry';
import { TerminologyService } from './terminology/service';
import { StoredConformance } from './interactions/stored-conformance';
import { searchCriteriaMatcher } from './interactions/conditional';
import { installConformanceResources } from './interactions/install-profiles';
import { installPackage, type InstallResult, type PackageInstallDeps } from './interactions/install-package';
import { systemClock, uuidIds, type Clock, type Services } from './interactions/services';
import { standardOperations } from './operations';
import { DatabaseJobService } from './operations/job-service';
import { OperationRegistry } from './operations/registry';
import type { OperationModule } from './operations/types';
import { writeFeatures } from './rest/bundle-routes';
import type { Authenticate } from './rest/context';
import { searchFeature } from './rest/search-routes';
import { Compartments } from './search/compartments';
import { createIndexer } from './search/indexer';
import { createSearchRegistry } from './search/registry';
import { RuntimeSearchParameters } from './search/runtime-parameters';
import { OperationParameters } from './operations/parameters';
import type { SearchServices } from './search/service';
import { BundledTerminology } from './search/terminology';
import type { Engine } from './storage/engine';
import { openEngine } from './storage/open-engine';
import type { AccessPolicy } from './access/policy';
import { resourceServerAuth } from './auth/resource-server';
import { baseUrlOf } from './rest/request';
import { loadedKeySource, type KeySource } from './auth/verify-token';
import { localJwks } from './auth/keys';
import { authorizationServices, signingKeys, type AuthorizationServices } from './auth/authorization-server';
import { KeyFileError, KeyFileSigner } from './auth/key-file';
import { capabilitySecurity } from './auth/discovery';
import { oauthServer } from './rest/oauth-server';
import type { PatientDirectory } from './rest/oauth-authorize-routes';
import type { DataAccess } from './access/data-access';
import { parseSearchQuery } from './search/parse-query';

export interface Server {
  /** The HTTP request listener (give it to http.createServer or supertest). */
  app: RequestListener;
  services: ServerServices;
  engine: Engine;
  logger: Logger;
  conformance: ConformanceResource[];
  /** A context with full access for the server's own work and operator tools (import, jobs). */
  systemContext(): RequestContext;
  /** The SMART authorization server's services (`smart` mode only). */
  authorization?: AuthorizationServices;
  /** Installs a FHIR package (a package.tgz, its folder, or name@version) into the database. */
  installPackage(source: string): Promise<InstallResult>;
  close(): Promise<void>;
}

export interface ServerOverrides {
  engine?: Engine;
  clock?: Clock;
  newId?: () => string;
  logger?: Logger;
  /** Operations besides the standard ones (tests register their own). */
  operations?: OperationModule[];
  /** The access policy per caller (tests install their own); open for everyone by default. */
  policyFor?: (caller: Caller) => AccessPolicy;
  authenticate?: Authenticate;
  /** smart mode: the authorization server's public keys (until then tests bring their own). */
  smartKeys?: KeySource;
}

export async function buildServer(config: Config, overrides: ServerOverrides = {}): Promise<Server> {
  const logger = overrides.logger ?? pino({ level: config.logLevel, base: { service: 'nimbus-fhir' } });
  const definitions = r4Definitions();
  // One registry of conformance resources (R4 core, fhir-profiles/, later packages and stored
  // profiles) feeds both validation and terminology, so writes, $validate and search agree.
  const conformanceRegistry = new ConformanceRegistry();
  const terminology = new TerminologyService(conformanceRegistry);
  for (const type of Object.keys(config.requiredProfiles)) {
    if (!definitions.isResourceType(type)) throw new ConfigError(`NIMBUS_REQUIRED_PROFILES: '${type}' is not an R4 resource type`);
  }
  const validator = new ResourceValidator(definitions, conformanceRegistry, terminology, { strictProfiles: config.strictProfiles, requiredProfiles: config.requiredProfiles });
  const conformance = loadConformanceResources(config.profilesDir, validator);
  const registry = createSearchRegistry({ profilesDir: config.profilesDir });
  const engine = overrides.engine ?? (await openEngine(config, (message) => logger.info(message)));
  const clock = overrides.clock ?? systemClock;
  // CodeSystems, ValueSets and ConceptMaps stored by clients join the registry (from the database
  // now, and after every write of one, in every process).
  const storedConformance = new StoredConformance(engine, conformanceRegistry, { onError: (e) => logger.warn({ err: e }, 'reloading stored conformance resources failed') });
  storedConformance.watch();
  await storedConformance.sync();
  const core: Services = {
    definitions,
    validator,
    indexer: createIndexer(registry, { baseUrl: config.baseUrl || undefined }),
    clock,
    newId: overrides.newId ?? uuidIds,
    atomicWrites: engine.atomicTransactions,
  };
  const search: SearchServices = {
    registry,
    terminology: new BundledTerminology(terminology),
    compartments: new Compartments(path.join(config.profilesDir, 'compartments')),
    defaultCount: config.defaultPageSize,
    maxCount: config.maxPageSize,
    now: () => clock.now().getTime(),
  };
  core.search = search;
  if (config.baseUrl) core.baseUrl = config.baseUrl;
  const operations = new OperationRegistry([...standardOperations(), ...(overrides.operations ?? [])]);
  // `smart` mode's signing keys: from NIMBUS_AUTH_KEY_FILE, else in the database every process shares.
  const signer = config.auth === 'smart' ? signingKeys(engine.system, { keyFile: config.authKeyFile || undefined, now: () => clock.now().getTime() }) : undefined;
  // A key file that cannot be used stops start-up with what to fix, not the first token request.
  if (signer instanceof KeyFileSigner) await signer.currentKey().catch((e) => Promise.reject(e instanceof KeyFileError ? new ConfigError(e.message) : e));
  const auth = resourceServerAuth(config, {
    system: engine.system,
    compartments: search.compartments,
    registry,
    terminology: search.terminology,
    now: search.now,
    // smart mode: the authorization server's public keys, from the database every process shares
    // (reloaded when a token names a key rotated in by another process).
    baseUrlOf: (req) => baseUrlOf(req, config),
    smartKeys: overrides.smartKeys ?? loadedKeySource(() => (signer ? signer.jwks() : localJwks(engine.system)), { now: () => clock.now().getTime() }),
  });
  const policyFor = overrides.policyFor ?? auth.policyFor;
  const jobs = new DatabaseJobService({
    store: engine.system,
    registry: operations,
    contextFor: (caller, baseUrl, signal) => createRequestContext(services, { caller, baseUrl, signal }),
    isResourceType: definitions.isResourceType,
    // On SQLite one process owns the data directory, so a job found running at start-up lost its process.
    settings: { ...config, orphansAtStart: engine.kind === 'sqlite' },
    clock,
    logger,
  });
  // SearchParameters stored by clients: searchable at once in every process, with a background
  // $reindex (started by the process that stored one) for the resources stored before.
  const runtimeParameters = new RuntimeSearchParameters(engine, registry, {
    startReindex: async (types) => {
      const answer = await jobs.submit(systemContext(), operations.find('reindex', 'system'), { level: 'system' }, new OperationParameters(new Map([['_type', [types.join(',')]]])));
      return String(answer.headers['Content-Location']).split('/').pop()!;
    },
    // A job that is gone (expired, cancelled) indexes nothing more.
    jobFinished: async (id) => (await jobs.status(systemContext(), id).catch(() => ({ status: 404 }))).status !== 202,
    onError: (e) => logger.warn({ err: e }, 'runtime search parameters'),
  });
  runtimeParameters.watch();
  await runtimeParameters.sync();
  search.runtimeParameters = runtimeParameters;
  const services: ServerServices = { engine, core, search, matcher: searchCriteriaMatcher(search), operations, jobs, config, logger, stats: createWorkStats(), policyFor, conformance: storedConformance };
  // The trail writes with the server's own full access: clients can never write AuditEvents
  // (their policies refuse it), the server must.
  const audit = auditEnabled(config)
    ? new AuditTrail({
        logger,
        write: (events) =>
          systemContext().data.transaction((tx) => storeAuditEvents(tx, core, events)),
        patientsOf: patientResolver(engine, search.compartments),
      })
    : undefined;
  if (audit) services.audit = audit;
  const systemContext = () => createRequestContext({ ...services, policyFor: () => openPolicy }, { caller: ANONYMOUS, baseUrl: config.baseUrl });
  // The operations' definitions are stored like the fhir-profiles/ resources: readable at
  // OperationDefinition/[id] and searchable.
  const installed = [...conformance, ...operations.definitions().map((resource) => ({ resource: resource as ConformanceResource['resource'] }))];
  await installConformanceResources(systemContext().data, core, installed);
  // FHIR packages named in NIMBUS_PACKAGES: installed (or found already installed) before serving.
  const packageDeps: PackageInstallDeps = { data: systemContext().data, services: core, system: engine.system, runtimeParameters, now: () => clock.now() };
  for (const source of config.packages) {
    const result = await installPackage(packageDeps, source).catch(async (e: Error) => {
      // Start-up stops here: release what was opened for it.
      storedConformance.stop();
      runtimeParameters.stop();
      if (!overrides.engine) await engine.close();
      throw new Error(`NIMBUS_PACKAGES: ${e.message}`);
    });
    logger.info({ package: `${result.name}@${result.version}`, written: result.written, unchanged: result.unchanged, removed: result.removed }, 'FHIR package installed');
    if (result.missingDependencies.length) logger.warn({ package: result.name, missing: result.missingDependencies }, 'FHIR package dependencies not installed');
  }
  // Profiles in the CapabilityStatement: those of fhir-profiles/ and every StructureDefinition
  // stored by packages or clients (the registry holds both), constraining a resource type.
  const profiles = (type: string) =>
    conformanceRegistry
      .addedOfType('StructureDefinition')
      .filter((sd) => sd.type === type && sd.kind === 'resource' && sd.derivation === 'constraint' && typeof sd.url === 'string')
      .map((sd) => sd.url!)
      .filter((url, i, all) => all.indexOf(url) === i)
      .sort();
  const compartments = conformance.filter((c) => c.resource.resourceType === 'CompartmentDefinition' && c.resource.url).map((c) => c.resource.url!);
  // `smart` mode: this server is its own authorization server (keys, clients and grants in the
  // database's SystemStore, so every process over it agrees).
  const authorization = config.auth === 'smart' ? authorizationServices(engine.system, { now: () => clock.now().getTime(), signer }) : undefined;
  const app = createApp({
    services,
    features: [searchFeature(search), ...writeFeatures(config)],
    metadata: {
      software: SOFTWARE,
      resourceTypes: definitions.resourceTypes,
      started: clock.now().toISOString(),
      profiles,
      compartments,
      freshness: async () => {
        await storedConformance.sync();
        await runtimeParameters.sync();
        return `${conformanceRegistry.generation}.${registry.runtimeGeneration}`;
      },
      ...(authorization ? { security: capabilitySecurity } : {}),
    },
    authorizationServer: authorization && oauthServer({ auth: authorization, patients: patientDirectory(systemContext().data, search, config.baseUrl), configuredBaseUrl: config.baseUrl, trustProxy: config.trustProxy }),
    authenticate: overrides.authenticate ?? auth.authenticate,
  });
  jobs.start();
  audit?.start();
  storedConformance.start();
  runtimeParameters.start();
  const close = async () => {
    storedConformance.stop();
    runtimeParameters.stop();
    await jobs.stop();
    await audit?.close();
    await engine.close();
  };
  return { app, services, engine, logger, conformance, systemContext, authorization, installPackage: (source) => installPackage(packageDeps, source), close };
}

/** The patient picker of the login page: patients by name (the first ones stored when no name
 * is given), through the system's door to the data. */
function patientDirectory(data: DataAccess, search: SearchServices, baseUrl: string): PatientDirectory {
  const label = (v: { id: string; json?: string }) => {
    const p = JSON.parse(v.json ?? '{}') as { name?: { text?: string; family?: string; given?: string[] }[]; birthDate?: string };
    const n = p.name?.[0];
    const name = n?.text ?? [...(n?.given ?? []), n?.family].filter(Boolean).join(' ');
    return { id: v.id, label: `${name || '(no name)'}${p.birthDate ? `, born ${p.birthDate}` : ''} — Patient/${v.id}` };
  };
  return {
    async choices(name) {
      if (!name) return (await data.scanPage({ resourceType: 'Patient', limit: 200 })).versions.filter((v) => !v.deleted).map(label);
      const { plan } = parseSearchQuery(search.registry, [['name', name], ['_count', '200']], {
        resourceTypes: ['Patient'],
        defaultCount: search.defaultCount,
        maxCount: search.maxCount,
        now: search.now(),
        baseUrl,
        terminology: search.terminology,
      });
      return (await data.search(plan)).matches.map(label);
    },
    async exists(id) {
      if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id)) return false;
      const v = await data.read('Patient', id);
      return !!v && !v.deleted;
    },
  };
}
