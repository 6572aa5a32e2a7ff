// Turns a SearchParameter FHIRPath expression into a function resource → typed values.
// Most R4 expressions are plain paths (`Observation.code`, `(Observation.effective as dateTime)`,
// `Patient.telecom.where(system='phone')`); those compile to direct JSON accessors that cost well
// under a microsecond. Anything else is evaluated by fhirpath.js with the R4 model.
// `where(resolve() is X)` cannot run synchronously in fhirpath.js and needs no data beyond the
// reference itself, so it is compiled as a filter on the reference's target type.
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import { ElementModel, QUANTITY_SUBTYPES } from './element-model';

/** A value found by an expression, with its FHIR type (drives normalisation). */
export interface TypedValue {
  type: string;
  value: unknown;
  /** Where the value sits, for resolving further steps (datatype name or backbone path). */
  context: string;
}

export type Accessor = (focus: TypedValue[]) => TypedValue[];

type Step =
  | { kind: 'child'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'as'; type: string }
  | { kind: 'resolveIs'; type: string }
  | { kind: 'whereEquals'; name: string; literal: string };

/** Splits at top-level occurrences of `sep` (outside parentheses and quotes). */
export function splitTopLevel(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'" && text[i - 1] !== '\\') quoted = !quoted;
    if (quoted) continue;
    if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (depth === 0 && text.startsWith(sep, i)) {
      parts.push(text.slice(start, i).trim());
      start = i + sep.length;
      i += sep.length - 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses one union member into steps, or undefined when it is not a plain path. */
export function parsePath(expression: string): Step[] | undefined {
  let text = expression.trim();
  const steps: Step[] = [];
  // `(path as Type)` optionally followed by `.more.steps`
  const asForm = /^\((.+) as ([A-Za-z]+)\)(\..+)?$/.exec(text);
  if (asForm) {
    const inner = parsePath(asForm[1]);
    if (!inner) return undefined;
    steps.push(...inner, { kind: 'as', type: asForm[2] });
    if (!asForm[3]) return steps;
    text = asForm[3].slice(1);
  }
  for (const raw of splitTopLevel(text, '.')) {
    const indexed = /^([A-Za-z_][A-Za-z0-9_]*)\[(\d+)\]$/.exec(raw);
    const fn = /^([A-Za-z]+)\((.*)\)$/.exec(raw);
    if (IDENT.test(raw)) steps.push({ kind: 'child', name: raw });
    else if (indexed) steps.push({ kind: 'child', name: indexed[1] }, { kind: 'index', index: Number(indexed[2]) });
    else if (fn && (fn[1] === 'as' || fn[1] === 'ofType') && IDENT.test(fn[2])) steps.push({ kind: 'as', type: fn[2] });
    else if (fn && fn[1] === 'where') {
      const resolveIs = /^resolve\(\) is ([A-Za-z]+)$/.exec(fn[2].trim());
      const equals = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*'([^'\\]*)'$/.exec(fn[2].trim());
      if (resolveIs) steps.push({ kind: 'resolveIs', type: resolveIs[1] });
      else if (equals) steps.push({ kind: 'whereEquals', name: equals[1], literal: equals[2] });
      else return undefined;
    } else return undefined;
  }
  return steps;
}

/** The resource type a Reference points to, from `reference` (relative or absolute) or `type`. */
export function referenceTargetType(ref: unknown): string | undefined {
  if (!ref || typeof ref !== 'object') return undefined;
  const r = ref as { reference?: unknown; type?: unknown };
  if (typeof r.reference === 'string') {
    const m = /(?:^|\/)([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[^/]+)?$/.exec(r.reference);
    if (m) return m[1];
  }
  return typeof r.type === 'string' ? r.type : undefined;
}

function compileSteps(model: ElementModel, steps: Step[]): Accessor {
  return (focus) => {
    let current = focus;
    for (const step of steps) {
      const next: TypedValue[] = [];
      switch (step.kind) {
        case 'child':
          for (const tv of current) {
            if (!tv.value || typeof tv.value !== 'object' || Array.isArray(tv.value)) continue;
            const children = model.child(tv.context, step.name);
            if (!children) continue;
            const obj = tv.value as Record<string, unknown>;
            for (const info of children) {
              const v = obj[info.key];
              if (v === undefined || v === null) continue;
              if (Array.isArray(v)) {
                for (const item of v) if (item !== null && item !== undefined) next.push({ type: info.type, value: item, context: info.context });
              } else next.push({ type: info.type, value: v, context: info.context });
            }
          }
          break;
        case 'index':
          if (current[step.index]) next.push(current[step.index]);
          break;
        case 'as':
          for (const tv of current) {
            if (tv.type === step.type || (step.type === 'Quantity' && QUANTITY_SUBTYPES.has(tv.type))) next.push(tv);
          }
          break;
        case 'resolveIs':
          for (const tv of current) {
            if (tv.type === 'Reference' && referenceTargetType(tv.value) === step.type) next.push(tv);
          }
          break;
        case 'whereEquals':
          for (const tv of current) {
            const v = tv.value as Record<string, unknown> | null;
            if (v && typeof v === 'object' && v[step.name] === step.literal) next.push(tv);
          }
          break;
      }
      current = next;
    }
    return current;
  };
}

interface FhirpathNode {
  data?: unknown;
  fhirNodeDataType?: string;
  path?: string;
}

/** fhirpath.js fallback; values keep their FHIR type through the R4 model. */
function compileFhirpath(model: ElementModel, expression: string, rootType: string): Accessor {
  const fn = fhirpath.compile(expression, r4Model, { resolveInternalTypes: false }) as unknown as (r: unknown, env: object) => unknown[];
  return (focus) => {
    const out: TypedValue[] = [];
    for (const tv of focus) {
      let nodes: unknown[];
      try {
        nodes = fn(tv.value, { resource: tv.value, rootResource: tv.value });
      } catch {
        // Unusual content must not fail a write: the parameter just has no values here.
        continue;
      }
      for (const node of nodes) {
        if (node === null || node === undefined) continue;
        if (typeof node === 'object' && 'data' in (node as object)) {
          const n = node as FhirpathNode;
          const type = n.fhirNodeDataType ?? inferType(n.data);
          const context = model.isResourceType(type) || !n.path ? type : /^[A-Z]/.test(type) ? type : n.path;
          out.push({ type, value: n.data, context: type === 'BackboneElement' && n.path ? n.path : context });
        } else {
          out.push({ type: inferType(node), value: node, context: rootType });
        }
      }
    }
    return out;
  };
}

function inferType(value: unknown): string {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'decimal';
  if (typeof value === 'string') return 'string';
  return 'Element';
}

/** How an expression was compiled (reported by the indexing benchmark and the registry tests). */
export type AccessorMode = 'direct' | 'fhirpath';

/**
 * Compiles the union members of `expression` that apply to `rootType` (R4 expressions list every
 * base type's path in one union). `relative` compiles a composite component's expression, whose
 * paths start at the composite's focus rather than at a type name.
 */
export function compileExpression(
  model: ElementModel,
  expression: string,
  rootType: string,
  options: { relative?: boolean; ancestors?: string[] } = {},
): { accessor: Accessor; mode: AccessorMode } | undefined {
  const roots = new Set([rootType, ...(options.ancestors ?? [])]);
  const all = splitTopLevel(expression, '|');
  // A few R4 expressions omit the type (`name | alias` for InsurancePlan): relative to the resource.
  const relative = options.relative || all.every((m) => /^[a-z]/.test(m));
  const members = all.filter((m) => relative || roots.has(rootName(m)));
  if (members.length === 0) return undefined;
  const accessors: Accessor[] = [];
  let mode: AccessorMode = 'direct';
  for (const member of members) {
    const steps = parsePath(member);
    if (steps) {
      // The first step names the root type (or an ancestor such as Resource): start at the focus.
      const body = relative ? steps : steps.slice(1);
      accessors.push(compileSteps(model, body));
    } else {
      mode = 'fhirpath';
      accessors.push(compileFhirpath(model, member.replace(/\.where\(resolve\(\) is [A-Za-z]+\)/g, ''), rootType));
    }
  }
  const accessor: Accessor =
    accessors.length === 1
      ? accessors[0]
      : (focus) => {
          const out: TypedValue[] = [];
          for (const a of accessors) for (const v of a(focus)) out.push(v);
          return out;
        };
  return { accessor, mode };
}

/** The type name an expression member starts with (`(Observation.value as X)` → Observation). */
export function rootName(member: string): string {
  const m = /^\(*\s*([A-Za-z]+)/.exec(member);
  return m ? m[1] : '';
}
