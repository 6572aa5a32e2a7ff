// Reads a FHIR package (the NPM-style format of FHIR implementation guides: a `package.tgz`, or
// its unpacked `package/` folder): the manifest (package.json) and the conformance resources this
// server uses — StructureDefinitions, ValueSets, CodeSystems, ConceptMaps, SearchParameters and
// CapabilityStatements. Examples (package/example/, package/other/) are not conformance content
// and are left out. The folder's .index.json, when present, says which file holds which resource,
// so only those files are read.
import fs from 'node:fs';
import path from 'node:path';
import { readTarball, TarFormatError } from './tar';

export const PACKAGE_RESOURCE_TYPES = ['CodeSystem', 'ValueSet', 'ConceptMap', 'StructureDefinition', 'SearchParameter', 'CapabilityStatement'] as const;
const LOADED = new Set<string>(PACKAGE_RESOURCE_TYPES);
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

export interface PackageResource {
  /** The file inside the package (e.g. `package/StructureDefinition-my-patient.json`). */
  file: string;
  resource: { resourceType: string; id: string; url?: string; [key: string]: unknown };
}

export interface FhirPackage {
  name: string;
  version: string;
  description?: string;
  fhirVersions: string[];
  dependencies: Record<string, string>;
  resources: PackageResource[];
}

/** A package that cannot be loaded; the message says which file and what is wrong. */
export class PackageError extends Error {}

/** Reads a `.tgz` file or a folder (the `package/` folder itself or the folder holding it). */
export function readPackage(source: string): FhirPackage {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch {
    throw new PackageError(`${source}: no such file or folder`);
  }
  const files = stat.isDirectory() ? folderFiles(source) : tarballFiles(source);
  return parsePackage(files, source);
}

/** The package's files by name relative to the package root (`package.json`, `.index.json`…). */
type PackageFiles = Map<string, () => Buffer>;

function tarballFiles(file: string): PackageFiles {
  let entries;
  try {
    entries = readTarball(fs.readFileSync(file));
  } catch (e) {
    if (e instanceof TarFormatError) throw new PackageError(`${file}: not a FHIR package archive: ${e.message}`);
    throw e;
  }
  const out: PackageFiles = new Map();
  for (const e of entries) {
    // npm archives put everything under `package/`; a few hand-made ones do not.
    const name = e.name.replace(/^\.\//, '').replace(/^package\//, '');
    out.set(name, () => e.data);
  }
  return out;
}

function folderFiles(dir: string): PackageFiles {
  const root = fs.existsSync(path.join(dir, 'package', 'package.json')) ? path.join(dir, 'package') : dir;
  const out: PackageFiles = new Map();
  // Only the root's own files: conformance resources sit there, examples in sub-folders.
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    if (entry.isFile()) out.set(entry.name, () => fs.readFileSync(path.join(root, entry.name)));
  }
  return out;
}

function parseJson(files: PackageFiles, name: string, source: string): unknown {
  const read = files.get(name);
  if (!read) throw new PackageError(`${source}: ${name} is missing`);
  try {
    return JSON.parse(read().toString('utf8').replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new PackageError(`${source}: ${name} is not valid JSON (${(e as Error).message})`);
  }
}

function parsePackage(files: PackageFiles, source: string): FhirPackage {
  const manifest = parseJson(files, 'package.json', source) as Record<string, unknown>;
  const name = manifest.name;
  const version = manifest.version;
  if (typeof name !== 'string' || !/^[a-z0-9@][a-z0-9._\-/@]*$/i.test(name)) throw new PackageError(`${source}: package.json has no valid "name"`);
  if (typeof version !== 'string' || !version.trim()) throw new PackageError(`${source}: package.json has no "version"`);
  const fhirVersions = stringList(manifest.fhirVersions ?? manifest['fhir-version-list']);
  // This server speaks R4 (4.0.x); an R5 profile would be checked against the wrong base types.
  if (fhirVersions.length && !fhirVersions.some((v) => v.startsWith('4.0'))) {
    throw new PackageError(`${name}@${version} is for FHIR ${fhirVersions.join(', ')}; this server is FHIR R4 (4.0.1)`);
  }
  const dependencies = typeof manifest.dependencies === 'object' && manifest.dependencies ? (manifest.dependencies as Record<string, string>) : {};
  const resources: PackageResource[] = [];
  for (const file of resourceFiles(files, source)) {
    const r = parseJson(files, file, `${name}@${version}`) as PackageResource['resource'];
    if (!r || typeof r !== 'object' || !LOADED.has(r.resourceType)) continue;
    if (typeof r.id !== 'string' || !ID.test(r.id)) throw new PackageError(`${name}@${version}: package/${file} (${r.resourceType}) needs an id of 1-64 letters, digits, '-' or '.'`);
    if (r.resourceType !== 'CapabilityStatement' && typeof r.url !== 'string') throw new PackageError(`${name}@${version}: package/${file} (${r.resourceType}/${r.id}) has no canonical url`);
    resources.push({ file: `package/${file}`, resource: r });
  }
  const seen = new Map<string, string>();
  for (const { file, resource } of resources) {
    const key = `${resource.resourceType}/${resource.id}`;
    const first = seen.get(key);
    if (first) throw new PackageError(`${name}@${version}: ${key} is in both ${first} and ${file}`);
    seen.set(key, file);
  }
  return { name, version, description: typeof manifest.description === 'string' ? manifest.description : undefined, fhirVersions, dependencies, resources };
}

/** The files holding resources of the loaded types: from .index.json when the package has one
 * (its `filename` and `resourceType` per file), else every JSON file of the root. */
function resourceFiles(files: PackageFiles, source: string): string[] {
  if (files.has('.index.json')) {
    const index = parseJson(files, '.index.json', source) as { files?: Array<{ filename?: unknown; resourceType?: unknown }> };
    if (!Array.isArray(index.files)) throw new PackageError(`${source}: .index.json has no "files" list`);
    return index.files
      .filter((f) => typeof f.filename === 'string' && LOADED.has(String(f.resourceType)))
      .map((f) => f.filename as string)
      .filter((f) => !f.includes('/'))
      .sort();
  }
  return [...files.keys()].filter((f) => !f.includes('/') && f.endsWith('.json') && f !== 'package.json' && !f.startsWith('.')).sort();
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
}
