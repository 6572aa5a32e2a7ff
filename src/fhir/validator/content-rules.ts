// Rules of the R4 specification that no StructureDefinition expresses as an invariant, checked on
// the values themselves: URI forms (urn:uuid, urn:oid, absolute canonicals), code system URIs in
// codings, attachment sizes, Bundle link relations, extensions on Resource.id, and the consistency
// rules of CodeSystem (supplements, property definitions) and ValueSet (include.system). Optional
// checks follow the reference validator's switches: embedded HTML in strings (security checks),
// HTML in markdown, example URLs.
import type { ValidatorCore } from './core';
import type { Walker } from './walker';
import { lookupTable } from '../../lookup-table';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

const UUID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const OID = /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/;
/** A URI with a scheme (`http:`, `urn:`…): what "absolute" means for canonical URLs and code systems. */
const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const EXAMPLE_HOST = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*\.)?(example\.(org|com|net)|acme\.(com|org))([:/?#]|$)/i;
/** HTML elements an attacker would embed in a plain string (script injection, forms, frames, links…). */
const HTML_TAG = /<\/?(a|applet|b|body|br|button|div|embed|form|frame|frameset|h[1-6]|head|html|i|iframe|img|input|link|meta|object|p|script|span|style|svg|table|td|tr|u)(\s[^>]*)?\/?>/i;
/** Markdown is rendered to HTML: an unescaped tag-like `<x` would be passed through or mangled. */
const MARKDOWN_TAG = /<[A-Za-z!/]/;
/** Bundle link relations that name one page each (R4 Bundle.link, RFC 5988 paging). */
const SINGLE_LINKS = new Set(['self', 'first', 'previous', 'prev', 'next', 'last']);
/** Types of the concept properties defined by http://hl7.org/fhir/concept-properties (R4). */
const CONCEPT_PROPERTY_TYPES: Record<string, string> = lookupTable({
  inactive: 'boolean',
  deprecated: 'dateTime',
  notSelectable: 'boolean',
  parent: 'code',
  child: 'code',
});
const CANONICAL_RESOURCES = new Set([
  'ActivityDefinition', 'CapabilityStatement', 'ChargeItemDefinition', 'CodeSystem', 'CompartmentDefinition', 'ConceptMap',
  'EffectEvidenceSynthesis', 'EventDefinition', 'Evidence', 'EvidenceVariable', 'ExampleScenario', 'GraphDefinition',
  'ImplementationGuide', 'Library', 'Measure', 'MessageDefinition', 'NamingSystem', 'OperationDefinition', 'PlanDefinition',
  'Questionnaire', 'ResearchDefinition', 'ResearchElementDefinition', 'RiskEvidenceSynthesis', 'SearchParameter',
  'StructureDefinition', 'StructureMap', 'TerminologyCapabilities', 'TestScript', 'ValueSet',
]);

/** Checks of one valid primitive value by its type. */
export function checkPrimitiveContent(w: Walker, value: unknown, type: string, path: string, core: ValidatorCore): void {
  if (typeof value !== 'string') return;
  if (type === 'uri' || type === 'url' || type === 'canonical' || type === 'oid' || type === 'uuid') {
    // A canonical (and a uri holding one, as in expansion parameters) may carry `|version`.
    const bar = value.indexOf('|');
    const id = bar < 0 ? value : value.slice(0, bar);
    if (id.startsWith('urn:uuid:') && !UUID.test(id)) w.add('URI_INVALID', path, `${path}: UUIDs must be valid and lowercase (${id.slice(9, 80)})`);
    else if (id.startsWith('urn:oid:') && !OID.test(id)) w.add('URI_INVALID', path, `${path}: OIDs must be valid (${id.slice(8, 80)})`);
    if (!core.options.allowExampleUrls && EXAMPLE_HOST.test(value)) w.add('EXAMPLE_URL', path, `${path}: example URLs are not allowed in this context (${value.slice(0, 120)})`);
  } else if (type === 'markdown') {
    if (core.options.noHtmlInMarkdown) {
      const m = MARKDOWN_TAG.exec(value);
      if (m) w.add('MARKDOWN_HTML', path, `${path}: the markdown contains what looks like an embedded HTML tag at '${value.slice(m.index, m.index + 12)}'; escape it (\\<) or remove it`);
    }
  } else if (type === 'string' && core.options.securityChecks && HTML_TAG.test(value)) {
    w.add('STRING_HTML', path, `${path}: the string contains text that looks like embedded HTML tags, which are not allowed for security reasons`);
  }
}

/** Checks of one Coding: its system must be an absolute URI naming a code system (not a value set, not a supplement). */
export function checkCodingSystem(w: Walker, coding: Obj, path: string, core: ValidatorCore): void {
  const system = coding.system;
  if (typeof system !== 'string') return;
  const at = `${path}.system`;
  if (!ABSOLUTE.test(system)) {
    w.add('CODING_SYSTEM_INVALID', at, `${at}: Coding.system must be an absolute URI, not a local reference ('${system.slice(0, 80)}')`);
    return;
  }
  const cs = core.registry.resolve('CodeSystem', system) as { supplements?: unknown } | undefined;
  if (cs && typeof cs.supplements === 'string') {
    w.add('CODING_SYSTEM_INVALID', at, `${at}: the code system ${system} is a supplement of ${cs.supplements}; a Coding names the code system itself`);
  } else if (!cs && core.registry.resolve('ValueSet', system)) {
    w.add('CODING_SYSTEM_INVALID', at, `${at}: '${system}' is a value set, not a code system`);
  }
}

/** Attachment.size is the size of the data in bytes (after base64 decoding) when both are given. */
export function checkAttachment(w: Walker, att: Obj, path: string): void {
  if (typeof att.data !== 'string' || typeof att.size !== 'number') return;
  const actual = Buffer.byteLength(att.data, 'base64');
  if (actual !== att.size) w.add('ATTACHMENT_SIZE', `${path}.size`, `${path}: the stated size ${att.size} does not match the size of the data (${actual} bytes)`);
}

/** Rules on the resource as a whole, evaluated once (not again for each profile). */
export function checkResourceContent(w: Walker, res: Obj, rt: string, path: string, core: ValidatorCore): void {
  const idExt = obj(res._id);
  if (arr(idExt.extension).length) w.add('ID_EXTENSION', `${path}.id`, `${path}.id: Resource.id is not an element that can carry extensions (it is the resource's logical id)`);
  if (CANONICAL_RESOURCES.has(rt) && typeof res.url === 'string' && !ABSOLUTE.test(res.url) && !res.url.startsWith('#')) {
    w.add('CANONICAL_NOT_ABSOLUTE', `${path}.url`, `${path}.url: a canonical URL must be an absolute URI ('${res.url.slice(0, 80)}')`);
  }
  if (rt === 'Bundle') {
    bundleLinks(w, res, path);
    if (res.type === 'searchset') searchsetEntries(w, res, path, core);
  }
  else if (rt === 'ValueSet') {
    valueSetSystems(w, res, path);
    valueSetFilters(w, res, path, core);
  }
  else if (rt === 'CodeSystem') codeSystemRules(w, res, path, core);
  else if (rt === 'QuestionnaireResponse') questionnaireTarget(w, res, path, core);
  else if (rt === 'SearchParameter') derivedSearchParameter(w, res, path, core);
  else if (rt === 'CapabilityStatement') capabilitySearchParams(w, res, path, core);
}

function bundleLinks(w: Walker, bundle: Obj, path: string): void {
  const seen = new Set<string>();
  arr(bundle.link).forEach((l, i) => {
    const rel = obj(l).relation;
    if (typeof rel !== 'string' || !SINGLE_LINKS.has(rel)) return;
    if (seen.has(rel)) w.add('BUNDLE_LINK_REPEATED', `${path}.link[${i}]`, `${path}.link[${i}]: the link relation '${rel}' can only occur once`);
    seen.add(rel);
  });
}

/**
 * Search results (bundle.html#searchset, search-entry-mode): an `outcome` entry is an
 * OperationOutcome; matches and includes are resources of the server, so they have ids; and a
 * match is of a type the search (the self link) asked for.
 */
function searchsetEntries(w: Walker, bundle: Obj, path: string, core: ValidatorCore): void {
  const self = arr(bundle.link).map(obj).find((l) => l.relation === 'self')?.url;
  const searched = typeof self === 'string' ? searchedTypes(self, core) : undefined;
  arr(bundle.entry).forEach((e, i) => {
    const entry = obj(e);
    const res = obj(entry.resource);
    const rt = res.resourceType;
    if (typeof rt !== 'string') return;
    const mode = obj(entry.search).mode;
    const at = `${path}.entry[${i}].resource`;
    if (mode === 'outcome') {
      if (rt !== 'OperationOutcome') w.add('SEARCHSET_ENTRY', at, `${at}: an entry with search.mode 'outcome' is an OperationOutcome, not a ${rt}`);
      return;
    }
    if (res.id === undefined && (mode === 'match' || mode === 'include' || rt !== 'OperationOutcome')) w.add('SEARCHSET_ENTRY', at, `${at}: search results are resources of the server and must have ids`);
    if (mode === 'match' && searched && !searched.includes(rt)) w.add('SEARCHSET_ENTRY', at, `${at}: a ${rt} does not match the search ${String(self).slice(0, 120)} (for ${searched.join(', ')})`);
  });
}

/** The resource types a search URL asks for: its type segment, or its _type parameter; undefined when unclear. */
function searchedTypes(url: string, core: ValidatorCore): string[] | undefined {
  const q = url.indexOf('?');
  const base = q < 0 ? url : url.slice(0, q);
  const last = base.split('/').pop() ?? '';
  if (core.isConcreteResourceType(last)) return [last];
  if (q < 0) return undefined;
  const types = new URLSearchParams(url.slice(q + 1)).get('_type');
  const list = types?.split(',').map((t) => t.trim()).filter((t) => core.isConcreteResourceType(t));
  return list?.length ? list : undefined;
}

function valueSetSystems(w: Walker, vs: Obj, path: string): void {
  const compose = obj(vs.compose);
  for (const part of ['include', 'exclude'] as const) {
    arr(compose[part]).forEach((inc, i) => {
      const system = obj(inc).system;
      if (typeof system === 'string' && !ABSOLUTE.test(system)) {
        w.add('CODING_SYSTEM_INVALID', `${path}.compose.${part}[${i}].system`, `${path}.compose.${part}[${i}].system must be an absolute URI ('${system.slice(0, 80)}'); a contained code system is named by its full canonical URL`);
      }
    });
  }
}

function codeSystemRules(w: Walker, cs: Obj, path: string, core: ValidatorCore): void {
  if (typeof cs.supplements === 'string' && cs.content !== undefined && cs.content !== 'supplement') {
    w.add('CODESYSTEM_SUPPLEMENT', `${path}.content`, `${path}.content: a code system that supplements another (${cs.supplements.slice(0, 80)}) must have content 'supplement'`);
  }
  if (typeof cs.supplements === 'string' && Array.isArray(cs.concept)) {
    // A supplement adds designations and properties to codes of its base; it cannot define codes.
    const base = core.terminology.codeSystem(cs.supplements);
    if (base?.complete) {
      for (const [code, at] of conceptCodes(cs.concept, `${path}.concept`)) {
        if (!base.get(code)) w.add('CODESYSTEM_SUPPLEMENT', at, `${at}: the code '${code}' is not defined by ${cs.supplements}, which this CodeSystem supplements`);
      }
    }
  }
  const codes = new Set<string>();
  const uris = new Set<string>();
  arr(cs.property).forEach((p, i) => {
    const { code, uri, type } = obj(p);
    const at = `${path}.property[${i}]`;
    if (typeof code === 'string') {
      // A warning too: R4 states no rule for it, and its own SNOMED CT example repeats 'Laterality'
      // (the official examples must store without errors).
      if (codes.has(code)) w.add('CODESYSTEM_PROPERTY', at, `${at}: a property with the code '${code}' is already defined`, 'warning');
      codes.add(code);
    }
    if (typeof uri === 'string') {
      // A warning: R4 has no rule for it, and its own SNOMED CT example repeats a placeholder URI.
      if (uris.has(uri)) w.add('CODESYSTEM_PROPERTY', at, `${at}: a property with the URI '${uri}' is already defined`, 'warning');
      uris.add(uri);
      const known = uri.startsWith('http://hl7.org/fhir/concept-properties#') ? CONCEPT_PROPERTY_TYPES[uri.slice(uri.indexOf('#') + 1)] : undefined;
      if (known && typeof type === 'string' && type !== known) w.add('CODESYSTEM_PROPERTY', at, `${at}: the property ${uri} has the type '${known}', not '${type}'`);
    }
  });
}

function* conceptCodes(concepts: unknown[], path: string): Generator<[string, string]> {
  for (let i = 0; i < concepts.length; i++) {
    const c = obj(concepts[i]);
    if (typeof c.code === 'string') yield [c.code, `${path}[${i}]`];
    if (Array.isArray(c.concept)) yield* conceptCodes(c.concept, `${path}[${i}].concept`);
  }
}

function questionnaireTarget(w: Walker, qr: Obj, path: string, core: ValidatorCore): void {
  const q = qr.questionnaire;
  if (typeof q !== 'string' || q.startsWith('#') || core.registry.resolve('Questionnaire', q)) return;
  for (const type of ['ValueSet', 'CodeSystem', 'StructureDefinition', 'ConceptMap'] as const) {
    if (core.registry.resolve(type, q)) {
      w.add('CANONICAL_WRONG_TYPE', `${path}.questionnaire`, `${path}.questionnaire: '${q.slice(0, 120)}' is a ${type}, not a Questionnaire`);
      return;
    }
  }
}

/** A SearchParameter derived from another keeps its type and a subset of its bases (search.html#custom). */
function derivedSearchParameter(w: Walker, sp: Obj, path: string, core: ValidatorCore): void {
  if (typeof sp.derivedFrom !== 'string') return;
  const parent = core.registry.coreSearchParameter(sp.derivedFrom);
  if (!parent) return;
  if (typeof sp.type === 'string' && typeof parent.type === 'string' && sp.type !== parent.type) {
    w.add('SEARCHPARAMETER_DERIVATION', `${path}.type`, `${path}.type: '${sp.type}' differs from the type '${parent.type}' of ${sp.derivedFrom}, which this parameter is derived from`);
  }
  const bases = arr(parent.base);
  arr(sp.base).forEach((b, i) => {
    if (typeof b === 'string' && !bases.includes(b) && !bases.includes('Resource') && !bases.includes('DomainResource')) {
      w.add('SEARCHPARAMETER_DERIVATION', `${path}.base[${i}]`, `${path}.base[${i}]: ${b} is not a base of ${sp.derivedFrom}, which this parameter is derived from`);
    }
  });
}

/** CapabilityStatement.rest.resource.searchParam: the type must be the type of its definition. */
function capabilitySearchParams(w: Walker, cap: Obj, path: string, core: ValidatorCore): void {
  arr(cap.rest).forEach((rest, r) => {
    arr(obj(rest).resource).forEach((res, i) => {
      arr(obj(res).searchParam).forEach((p, j) => {
        const { definition, type } = obj(p);
        if (typeof definition !== 'string' || typeof type !== 'string') return;
        const def = core.registry.coreSearchParameter(definition);
        if (def && typeof def.type === 'string' && def.type !== type) {
          const at = `${path}.rest[${r}].resource[${i}].searchParam[${j}]`;
          w.add('SEARCHPARAMETER_DERIVATION', at, `${at}: the type is '${type}', but ${definition} is of type '${def.type}'`);
        }
      });
    });
  });
}

const HIERARCHY_OPS = new Set(['is-a', 'descendent-of', 'is-not-a', 'generalizes']);

/**
 * ValueSet.compose filters on a code system the server holds: a filter on a Coding property takes
 * `system(|version)#code`, and a value that names a code (hierarchy filters on `concept`, Coding
 * properties) must name an existing one. (Values of other property types are left to expansion:
 * the reference validator accepts them unchecked.)
 */
function valueSetFilters(w: Walker, vs: Obj, path: string, core: ValidatorCore): void {
  const compose = obj(vs.compose);
  for (const part of ['include', 'exclude'] as const) {
    arr(compose[part]).forEach((inc, i) => {
      const { system, filter } = obj(inc);
      if (typeof system !== 'string' || !Array.isArray(filter)) return;
      const cs = core.terminology.codeSystem(system);
      if (!cs) return;
      const properties = arr((cs.resource as { property?: unknown }).property).map(obj);
      filter.forEach((f, j) => {
        const { property, op, value } = obj(f);
        if (typeof property !== 'string' || typeof value !== 'string') return;
        const at = `${path}.compose.${part}[${i}].filter[${j}]`;
        if ((property === 'concept' || property === 'code') && typeof op === 'string' && HIERARCHY_OPS.has(op)) {
          if (cs.complete && !cs.get(value)) w.add('VALUESET_FILTER', at, `${at}: '${value.slice(0, 80)}' is not a code of ${system}, so the filter ${property} ${op} cannot select anything`);
          return;
        }
        const type = properties.find((p) => p.code === property)?.type;
        if (type === 'Coding') {
          const m = /^([^|#]+)(?:\|[^#]*)?#(.+)$/.exec(value);
          if (!m) w.add('VALUESET_FILTER', at, `${at}: the value of a filter on the Coding property '${property}' is written system(|version)#code, not '${value.slice(0, 80)}'`);
          else {
            const target = core.terminology.codeSystem(m[1]);
            if (target?.complete && !target.get(m[2])) w.add('VALUESET_FILTER', at, `${at}: '${m[2].slice(0, 80)}' is not a code of ${m[1].slice(0, 120)}`);
          }
        }
      });
    });
  }
}
