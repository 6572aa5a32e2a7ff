// Slicing: which slice each repetition of a sliced element belongs to, decided by the slicing's
// discriminators (value, pattern, exists, type, profile) evaluated on the instance and compared with
// what each slice fixes at that path; then per-slice cardinality, closed and ordered slicing.
import type { ElementNode } from './compile';
import { deepEqual, matchesPattern } from './values';

/** One repetition of an element in the instance. */
export interface Occurrence {
  value: unknown;
  /** The `_name` sibling of a primitive (id/extension). */
  ext?: unknown;
  /** The type the JSON property name selects (choice types) or the element's single type. */
  type?: string;
  path: string;
}

export interface SliceServices {
  /** Does the value conform to one of these profiles (no errors)? */
  conformsTo(occ: Occurrence, profiles: string[], node: ElementNode): boolean;
  /** Is the coded value in the value set (undefined: cannot tell)? */
  inValueSet(valueSet: string, value: unknown): boolean | undefined;
  /** The structure whose elements describe a type (to find what a slice fixes below it). */
  typeChildren(node: ElementNode, type?: string): ElementNode[];
}

export interface SliceAssignment {
  slice?: ElementNode;
  occ: Occurrence;
  index: number;
}

export function assignSlices(node: ElementNode, occs: Occurrence[], svc: SliceServices): SliceAssignment[] {
  return occs.map((occ) => ({ occ, slice: node.slices.find((s) => matchesSlice(node, s, occ, svc)), index: node.slices.length }));
}

function matchesSlice(sliced: ElementNode, slice: ElementNode, occ: Occurrence, svc: SliceServices): boolean {
  const discriminators = sliced.slicing?.discriminators ?? [];
  if (!discriminators.length) return svc.conformsTo(occ, [], slice);
  for (const d of discriminators) {
    if (!discriminatorMatches(d, slice, occ, svc)) return false;
  }
  return true;
}

function discriminatorMatches(d: { type: string; path: string }, slice: ElementNode, occ: Occurrence, svc: SliceServices): boolean {
  const candidates = elementsAt(slice, d.path, svc);
  const target = candidates[0];
  const values = valuesAt(occ, d.path);
  switch (d.type) {
    case 'value':
    case 'pattern': {
      // The slice fixes the value at the path — possibly inside a slice of an element on the way
      // (component:SystolicBP.code.coding:SBPCode.code).
      const fixing = candidates.filter((c) => c.fixed !== undefined || c.pattern !== undefined || (c.binding?.valueSet && c.binding.strength === 'required'));
      if (!fixing.length) return true; // a slice that fixes nothing here cannot be told apart by it
      return fixing.some((t) => {
        if (t.fixed !== undefined) return values.some((v) => deepEqual(v, t.fixed) || (typeof t.fixed === 'object' && matchesPattern(v, t.fixed)));
        if (t.pattern !== undefined) return values.some((v) => matchesPattern(v, t.pattern));
        return values.some((v) => svc.inValueSet(t.binding!.valueSet!, v) === true);
      });
    }
    case 'exists': {
      const present = values.length > 0;
      if (!target) return true;
      if (target.min > 0) return present;
      if (target.max === 0) return !present;
      return true;
    }
    case 'type': {
      const allowed = (target ?? slice).types.map((t) => t.code);
      if (!allowed.length) return true;
      const actual = d.path === '$this' ? (occ.type ?? resourceTypeOf(occ.value)) : values.map(resourceTypeOf).find(Boolean);
      return actual !== undefined && allowed.includes(actual);
    }
    case 'profile': {
      const profiles = (target ?? slice).types.flatMap((t) => (t.profiles.length ? t.profiles : t.targetProfiles));
      if (!profiles.length) return true;
      const inner = d.path === '$this' ? occ : { ...occ, value: values[0] };
      return inner.value !== undefined && svc.conformsTo(inner, profiles, target ?? slice);
    }
    default:
      return true;
  }
}

function resourceTypeOf(v: unknown): string | undefined {
  const rt = (v as { resourceType?: unknown } | null)?.resourceType;
  return typeof rt === 'string' ? rt : undefined;
}

/** Splits a discriminator path on dots outside parentheses. */
function segments(path: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of path) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === '.' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/** The instance values a discriminator path selects (FHIRPath subset used by profiles). */
export function valuesAt(occ: Occurrence, path: string): unknown[] {
  let current: unknown[] = [occ.value];
  for (const seg of segments(path)) {
    if (seg === '$this') continue;
    if (seg === 'resolve()') return []; // references are not followed while slicing
    const ext = /^extension\('(.*)'\)$/.exec(seg);
    const ofType = /^ofType\((.*)\)$/.exec(seg);
    const next: unknown[] = [];
    for (const c of current) {
      if (!c || typeof c !== 'object') continue;
      const o = c as Record<string, unknown>;
      if (ext) {
        for (const e of asArray(o.extension)) if ((e as { url?: unknown })?.url === ext[1]) next.push(e);
      } else if (ofType) {
        next.push(c);
      } else {
        for (const [k, v] of Object.entries(o)) {
          if (k === seg || (k.startsWith(seg) && /^[A-Z]/.test(k.slice(seg.length)))) next.push(...asArray(v));
        }
      }
    }
    current = next;
  }
  return current.filter((v) => v !== undefined && v !== null);
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined ? [] : [v];
}

/**
 * The element definitions a discriminator path names inside a slice (snapshot or type): the
 * element itself and, where an element on the way is sliced, the same path inside its slices.
 */
function elementsAt(slice: ElementNode, path: string, svc: SliceServices): ElementNode[] {
  let nodes: ElementNode[] = [slice];
  for (const seg of segments(path)) {
    if (seg === '$this' || /^ofType\(/.test(seg)) continue;
    if (seg === 'resolve()') return [];
    const ext = /^extension\('(.*)'\)$/.exec(seg);
    const next: ElementNode[] = [];
    for (const node of nodes) {
      const kids: ElementNode[] = node.children.length ? node.children : svc.typeChildren(node);
      if (ext) {
        const extNode = kids.find((k) => k.name === 'extension');
        const s = extNode?.slices.find((x) => x.types.some((t) => t.profiles.includes(ext[1])) || x.children.some((c) => c.name === 'url' && c.fixed === ext[1]));
        if (s) next.push(s);
        continue;
      }
      const child = kids.find((k) => k.name === seg) ?? kids.find((k) => k.choice && k.name === `${seg}[x]`);
      if (child) next.push(child, ...child.slices);
    }
    nodes = next;
  }
  return nodes;
}
