// Installs a FHIR package into the database: its conformance resources are stored like any
// resource (readable, searchable, under their own ids), so every server process over the database
// sees them — StructureDefinitions, CodeSystems, ValueSets and ConceptMaps join each process's
// validator through the stored-conformance watch, SearchParameters become searchable through the
// runtime parameters (with a background $reindex). A record per package (SystemStore collection
// `fhir_packages`) says which version is installed and which resources came with it.
//
// All or nothing for what a client can get wrong: every resource is read, validated (as a write
// would be) and checked against what is stored before the first one is written, so a broken
// package leaves the database as it was. Reinstalling the same content writes nothing; installing
// another version of a package removes the resources the new version no longer has.
import type { Resource } from '@medplum/fhirtypes';
import type { DataAccess } from '../access/data-access';
import { hasErrors } from '../fhir/validation';
import { FhirError } from '../fhir/errors';
import { fetchPackage, isRegistrySpec } from '../fhir/packages/npm-fetch';
import { PackageError, readPackage, type FhirPackage, type PackageResource } from '../fhir/packages/package-reader';
import type { SearchParameterResource } from '../search/registry';
import type { RuntimeSearchParameters } from '../search/runtime-parameters';
import type { SystemStore } from '../storage/engine';
import { deleteIn, updateIn } from './crud';
import { withoutMeta } from './install-profiles';
import { isCoreDefinition } from './stored-conformance';
import type { Services } from './services';

export const PACKAGES_COLLECTION = 'fhir_packages';
const TOLERATED_NOTE = new Set(['CODE_NOT_IN_REQUIRED_VALUESET', 'CODE_UNKNOWN_IN_SYSTEM']);
/** Resources written per transaction: one transaction per resource would make every process reload
 * its stored conformance resources once per resource; one for a package of thousands is too long. */
const BATCH = 200;
/** The R4 core definitions are built in: a dependency on them needs no install. */
const BUILT_IN = /^hl7\.fhir\.r4\.(core|examples|expansions)$/;

export interface InstalledPackage {
  name: string;
  version: string;
  description?: string;
  installed: string;
  dependencies: Record<string, string>;
  /** `Type/id` of every resource that came with the package. */
  resources: string[];
}

export interface InstallResult {
  name: string;
  version: string;
  /** Resources stored or changed by this install. */
  written: number;
  /** Resources already stored with the same content. */
  unchanged: number;
  /** Resources of a previously installed version that the new one no longer has. */
  removed: number;
  /** Resources stored although a code in them is outside a required binding (see
   * ResourceValidator.validatePackageContent). */
  tolerated: number;
  /** SearchParameters left out because this server cannot index them, with the reason. */
  skipped: string[];
  /** Dependencies (name@version) not installed in this database (the R4 core excepted). */
  missingDependencies: string[];
}

export interface PackageInstallDeps {
  /** The server's full-access door to the data. */
  data: DataAccess;
  services: Services;
  system: SystemStore;
  runtimeParameters?: RuntimeSearchParameters;
  now(): Date;
}

/** Installs a package from a `.tgz`, an unpacked folder, or `name@version` (fetched with npm). */
export async function installPackage(deps: PackageInstallDeps, source: string): Promise<InstallResult> {
  if (isRegistrySpec(source)) {
    const fetched = await fetchPackage(source);
    try {
      return await installPackageContents(deps, readPackage(fetched.file));
    } finally {
      fetched.cleanup();
    }
  }
  return installPackageContents(deps, readPackage(source));
}

export async function installPackageContents(deps: PackageInstallDeps, pkg: FhirPackage): Promise<InstallResult> {
  const label = `${pkg.name}@${pkg.version}`;
  const previous = await deps.system.get<InstalledPackage>(PACKAGES_COLLECTION, pkg.name);
  const owners = await resourceOwners(deps.system, pkg.name);
  // Check everything first: nothing is written unless every resource can be.
  const problems: string[] = [];
  const toWrite: PackageResource[] = [];
  let unchanged = 0;
  let tolerated = 0;
  const skipped: string[] = [];
  for (const entry of pkg.resources) {
    const { resource } = entry;
    const key = `${resource.resourceType}/${resource.id}`;
    const owner = owners.get(key);
    if (owner) {
      problems.push(`${key} (${entry.file}) is already installed by the package ${owner}`);
      continue;
    }
    if (resource.resourceType === 'StructureDefinition' && typeof resource.url === 'string' && isCoreDefinition(resource.url)) {
      problems.push(`${key} (${entry.file}) redefines the R4 core definition ${resource.url}, which a package cannot replace`);
      continue;
    }
    const current = await deps.data.read(resource.resourceType, resource.id);
    if (current && !current.deleted && current.json) {
      const stored = JSON.parse(current.json) as { url?: string };
      if (withoutMeta(stored as Resource) === withoutMeta(resource as unknown as Resource)) {
        unchanged++;
        continue;
      }
      // Same id, another canonical: a different resource would be overwritten.
      if (stored.url !== resource.url && !previous?.value.resources.includes(key)) {
        problems.push(`${key} (${entry.file}) would replace the stored ${key}, which is ${stored.url ?? 'another resource'}`);
        continue;
      }
    }
    const issues = deps.services.validator.validatePackageContent(resource, resource.resourceType);
    if (issues.some((i) => i.severity === 'warning' && TOLERATED_NOTE.has(i.messageId))) tolerated++;
    if (hasErrors(issues)) {
      const first = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal').slice(0, 3);
      problems.push(`${key} (${entry.file}) is invalid: ${first.map((i) => `${i.diagnostics}${i.expression?.length ? ` @ ${i.expression[0]}` : ''}`).join('; ')}`);
      continue;
    }
    if (resource.resourceType === 'SearchParameter' && resource.status === 'active' && deps.runtimeParameters) {
      try {
        deps.runtimeParameters.check(resource as unknown as SearchParameterResource);
      } catch (e) {
        // Not a broken package: a parameter this server cannot index (composite, an expression
        // its compiler does not take) is left out and reported; the rest of the package is usable.
        skipped.push(`${key} (${entry.file}): ${e instanceof FhirError ? e.issues.map((i) => i.diagnostics).join('; ') : (e as Error).message}`);
        continue;
      }
    }
    toWrite.push(entry);
  }
  if (problems.length) {
    const shown = problems.slice(0, 10).map((p) => `  - ${p}`).join('\n');
    const more = problems.length > 10 ? `\n  … and ${problems.length - 10} more` : '';
    throw new PackageError(`${label} was not installed (nothing was written): ${problems.length} resource(s) cannot be stored:\n${shown}${more}`);
  }
  const left = new Set(skipped.map((s) => s.slice(0, s.indexOf(' '))));
  const keep = new Set(pkg.resources.map((r) => `${r.resource.resourceType}/${r.resource.id}`).filter((key) => !left.has(key)));
  const stale = (previous?.value.resources ?? []).filter((key) => !keep.has(key));
  // Terminology first, so the profiles and parameters after them are checked with it in place.
  const order = (r: PackageResource) => ['CodeSystem', 'ValueSet', 'ConceptMap', 'StructureDefinition', 'SearchParameter'].indexOf(r.resource.resourceType) >>> 0;
  toWrite.sort((a, b) => order(a) - order(b));
  // Written with the package check (base definition; codes newer than R4 tolerated), as checked above.
  const services: Services = { ...deps.services, validator: deps.services.validator.forPackageContent() };
  for (let i = 0; i < toWrite.length; i += BATCH) {
    const batch = toWrite.slice(i, i + BATCH);
    await deps.data.transaction(async (tx) => {
      for (const { resource } of batch) await updateIn(tx, services, resource.resourceType, resource.id, resource);
    });
  }
  for (let i = 0; i < stale.length; i += BATCH) {
    await deps.data.transaction(async (tx) => {
      for (const key of stale.slice(i, i + BATCH)) {
        const [type, id] = key.split('/');
        await deleteIn(tx, deps.services, type, id);
      }
    });
  }
  const record: InstalledPackage = {
    name: pkg.name,
    version: pkg.version,
    ...(pkg.description ? { description: pkg.description } : {}),
    installed: deps.now().toISOString(),
    dependencies: pkg.dependencies,
    resources: [...keep].sort(),
  };
  if (!previous) {
    if (!(await deps.system.insert(PACKAGES_COLLECTION, pkg.name, record))) await replaceRecord(deps.system, record);
  } else if (!(await deps.system.replace(PACKAGES_COLLECTION, pkg.name, record, previous.rev))) await replaceRecord(deps.system, record);
  const installed = await listPackages(deps.system);
  const missingDependencies = Object.entries(pkg.dependencies)
    .filter(([name]) => !BUILT_IN.test(name) && !installed.some((p) => p.name === name))
    .map(([name, version]) => `${name}@${version}`);
  return { name: pkg.name, version: pkg.version, written: toWrite.length, unchanged, removed: stale.length, tolerated, skipped, missingDependencies };
}

/** Another process installed the same package at the same moment: the last record wins. */
async function replaceRecord(system: SystemStore, record: InstalledPackage): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const now = await system.get<InstalledPackage>(PACKAGES_COLLECTION, record.name);
    if (now ? await system.replace(PACKAGES_COLLECTION, record.name, record, now.rev) : await system.insert(PACKAGES_COLLECTION, record.name, record)) return;
  }
  throw new Error(`the record of the package ${record.name} could not be written (concurrent installs)`);
}

/** `Type/id` → `name@version` of the package that brought it, for packages other than `except`. */
async function resourceOwners(system: SystemStore, except: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const p of await listPackages(system)) {
    if (p.name === except) continue;
    for (const key of p.resources) out.set(key, `${p.name}@${p.version}`);
  }
  return out;
}

export async function listPackages(system: SystemStore): Promise<InstalledPackage[]> {
  const out: InstalledPackage[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await system.list<InstalledPackage>(PACKAGES_COLLECTION, { after, limit: 100 });
    out.push(...page.map((d) => d.value));
    if (page.length < 100) return out;
    after = page[page.length - 1].key;
  }
}
