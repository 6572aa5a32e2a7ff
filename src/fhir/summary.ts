// `_summary` and `_elements` (R4 search.html#summary / #elements): cut a resource down to the
// elements a client asked for. Which elements are "summary", mandatory or modifiers comes from
// the compact R4 element table (search/element-table.ts).
import type { Resource } from '@medplum/fhirtypes';
import { errors } from './errors';
import { numberLexeme, setNumberLexeme } from './exact-numbers';
import { ELEMENT_FLAG, elementTable } from '../search/element-table';

export type SummaryMode = 'true' | 'text' | 'data' | 'false' | 'count';

interface ElementFlags {
  /** Top-level element names (choice elements as their `[x]`-less prefix). */
  summary: Set<string>;
  mandatory: Set<string>;
  modifiers: Set<string>;
  choices: Set<string>;
}

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

let flagsByType: Map<string, ElementFlags> | undefined;

function loadFlags(): Map<string, ElementFlags> {
  if (flagsByType) return flagsByType;
  const table = elementTable();
  const map = new Map<string, ElementFlags>();
  for (const type of table.resourceTypes) map.set(type, { summary: new Set(), mandatory: new Set(), modifiers: new Set(), choices: new Set() });
  for (const [path, [, flagBits]] of Object.entries(table.elements)) {
    const dot = path.indexOf('.');
    if (dot < 0 || path.indexOf('.', dot + 1) >= 0) continue;
    const flags = map.get(path.slice(0, dot));
    if (!flags) continue;
    let name = path.slice(dot + 1);
    if (name.endsWith('[x]')) {
      name = name.slice(0, -3);
      flags.choices.add(name);
    }
    if (flagBits & ELEMENT_FLAG.summary) flags.summary.add(name);
    if (flagBits & ELEMENT_FLAG.mandatory) flags.mandatory.add(name);
    if (flagBits & ELEMENT_FLAG.modifier) flags.modifiers.add(name);
  }
  flagsByType = map;
  return map;
}

/** The element name a JSON key belongs to: `valueQuantity` → `value` for choice `value[x]`,
 * `_birthDate` → `birthDate`. */
function elementOf(key: string, flags: ElementFlags): string {
  const base = key.startsWith('_') ? key.slice(1) : key;
  if (flags.summary.has(base) || flags.mandatory.has(base) || flags.modifiers.has(base)) return base;
  for (const choice of flags.choices) {
    if (base.startsWith(choice) && base.length > choice.length && /[A-Z]/.test(base[choice.length])) return choice;
  }
  return base;
}

export function parseSummary(value: string | undefined): SummaryMode | undefined {
  if (value === undefined) return undefined;
  if (['true', 'text', 'data', 'false', 'count'].includes(value)) return value as SummaryMode;
  throw errors.invalidParam('_summary', `'${value.slice(0, 40)}' is not one of true, text, data, count, false`);
}

export function parseElements(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => (s.includes('.') ? s.slice(s.indexOf('.') + 1) : s)); // `Patient.name` → `name`
  for (const n of names) {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(n)) throw errors.invalidParam('_elements', `'${n.slice(0, 40)}' is not an element name`);
  }
  return names;
}

function markSubsetted(out: Record<string, unknown>): void {
  const meta = { ...((out.meta as Record<string, unknown>) ?? {}) };
  const tags = Array.isArray(meta.tag) ? [...(meta.tag as unknown[])] : [];
  tags.push({ ...SUBSETTED });
  meta.tag = tags;
  out.meta = meta;
}

/** Applies `_summary` (not `count`, which is a search concern) and/or `_elements` to a resource. */
export function subsetResource(resource: Resource, summary: SummaryMode | undefined, elements: string[] | undefined): Resource {
  if ((!summary || summary === 'false' || summary === 'count') && !elements) return resource;
  const flags = loadFlags().get(resource.resourceType);
  if (!flags) return resource;
  const src = resource as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const always = new Set(['resourceType', 'id', 'meta']);
  let keep: (element: string) => boolean;
  if (summary === 'data') keep = (e) => e !== 'text';
  else if (summary === 'text') keep = (e) => always.has(e) || e === 'text' || flags.mandatory.has(e);
  else if (summary === 'true') keep = (e) => always.has(e) || flags.summary.has(e) || flags.mandatory.has(e);
  else {
    const wanted = new Set((elements ?? []).map((e) => (e.includes('.') ? e.slice(e.indexOf('.') + 1) : e)));
    keep = (e) => always.has(e) || wanted.has(e) || flags.mandatory.has(e) || flags.modifiers.has(e);
  }
  for (const key of Object.keys(src)) {
    if (key === 'resourceType' || keep(elementOf(key, flags))) {
      out[key] = src[key];
      setNumberLexeme(out, key, numberLexeme(src, key)); // a top-level decimal keeps its text
    }
  }
  markSubsetted(out);
  return out as unknown as Resource;
}
