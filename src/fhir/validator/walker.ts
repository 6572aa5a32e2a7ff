// The walk of one resource against one compiled StructureDefinition: every JSON property must be an
// element of the definition, in the right JSON shape, with its cardinality, type, value rules,
// slices, bindings, references and invariants. Types not expanded by the snapshot are walked
// against their own definitions (or the profile the element names for them).
import { jsonIndex, type CompiledStructure, type ElementNode } from './compile';
import { issue, type MessageId, type ValidationIssue } from './messages';
import { checkNarrativeDiv } from './narrative';
import { primitiveProblem } from './primitives';
import { assignSlices, type Occurrence } from './slicing';
import { compareBound, deepEqual, matchesPattern, resolveBound, short } from './values';
import { HANDLED_ELSEWHERE } from './invariants';
import { checkBinding, checkCodings } from './bindings';
import { checkReference, checkContainedReferenced, checkFullUrls, collectBundleTargets } from './references';
import type { ValidatorCore } from './core';
import { checkQuestionnaireResponse } from './questionnaire-response';
import type { IssueSeverity } from '../errors';
import { checkAttachment, checkCodingSystem, checkPrimitiveContent, checkResourceContent } from './content-rules';

export const MAX_ISSUES = 200;
/** Invariants defined by the R4 base definitions (ElementDefinition.constraint.source). */
const BASE_SOURCE = /^http:\/\/hl7\.org\/fhir\/StructureDefinition\/[A-Za-z]+$/;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_DEPTH = 200;

export interface Scope {
  resource: unknown;
  rootResource: unknown;
  /** fullUrl → resourceType of the entries of the Bundle being walked (reference targets). */
  bundle?: Map<string, string>;
}

export class Walker {
  readonly issues: ValidationIssue[] = [];
  private depth = 0;
  /**
   * Set for the walks against profiles after the base walk of the same resource: the rules a
   * profile inherits from the base definitions (their invariants, the narrative, dom-3) were
   * checked once already and are not evaluated again.
   */
  profilePass = false;

  constructor(private readonly core: ValidatorCore) {}

  private counts = { error: 0, other: 0 };

  /** Records an issue; errors and other issues are capped separately, so warnings never hide an error. */
  add(id: MessageId, expression: string | string[], text: string, severity?: IssueSeverity): void {
    const i = issue(id, expression, text, severity);
    const kind = i.severity === 'error' || i.severity === 'fatal' ? 'error' : 'other';
    const n = ++this.counts[kind];
    if (n <= MAX_ISSUES) this.issues.push(i);
    else if (n === MAX_ISSUES + 1) this.issues.push(issue('TOO_MANY_ISSUES', Array.isArray(expression) ? expression[0] : expression, `More than ${MAX_ISSUES} ${kind === 'error' ? 'errors' : 'warnings'}; the rest are not reported`));
  }

  /** Walks a resource (top level, contained, or in a Bundle) against a structure of its type. */
  resource(json: unknown, structure: CompiledStructure, path: string, scope: Scope): void {
    if (!isObject(json)) {
      this.add('OBJECT_EXPECTED', path, `${path} must be a JSON object (a resource)`);
      return;
    }
    const rt = json.resourceType;
    if (rt === undefined) {
      this.add('RESOURCE_TYPE_MISSING', path, `${path} has no resourceType`);
      return;
    }
    if (structure.kind === 'resource' && rt !== structure.type && structure.type !== 'Resource' && structure.type !== 'DomainResource') {
      this.add('PROFILE_WRONG_TYPE', path, `${path} is a ${String(rt).slice(0, 64)}, but ${structure.url} is a definition of ${structure.type}`);
      return;
    }
    let inner = scope;
    if (rt === 'Bundle') {
      inner = { ...scope, bundle: collectBundleTargets(json) };
      if (!this.profilePass) checkFullUrls(this, json, path);
    }
    this.children(json, structure.root.children, structure.root, path, inner, true);
    this.constraints(structure.root, structure.root.constraints, json, path, inner, structure.type);
    if (Array.isArray(json.contained) && !this.profilePass) checkContainedReferenced(this, json, path);
    if (!this.profilePass && typeof rt === 'string') checkResourceContent(this, json, rt, path, this.core);
    if (rt === 'QuestionnaireResponse' && !this.profilePass) checkQuestionnaireResponse(this, json, path, this.core);
  }

  /** Walks the properties of one JSON object against the element definitions of its children. */
  children(obj: Record<string, unknown>, kids: ElementNode[], owner: { jsonIndex?: ElementNode['jsonIndex'] }, path: string, scope: Scope, isResource: boolean): void {
    if (++this.depth > MAX_DEPTH) {
      this.depth--;
      this.add('TOO_DEEP', path, `${path} nests deeper than ${MAX_DEPTH} levels`);
      return;
    }
    const index = jsonIndex(kids, owner);
    const found = new Map<ElementNode, Occurrence[]>();
    const keys = Object.keys(obj);
    if (!keys.length) this.add('JSON_EMPTY', path, `${path} is an empty object: omit elements that have no value`);
    for (const key of keys) {
      if (isResource && key === 'resourceType') continue;
      if (obj[key] === undefined) continue; // not representable in JSON: the serialised form drops it
      const primitiveExt = key.charCodeAt(0) === 95; // '_'
      const name = primitiveExt ? key.slice(1) : key;
      if (primitiveExt && obj[name] !== undefined) continue; // read with its value
      const hit = index.get(name);
      if (!hit && (FORBIDDEN_KEYS.has(name) || key.startsWith('$') || key.includes('.'))) {
        // Never element names; they could pollute prototypes or be read as document-database operators.
        this.add('JSON_BAD_KEY', path, `'${key.slice(0, 64)}' at ${path} is not a FHIR element name`);
        continue;
      }
      if (!hit) {
        this.add('UNKNOWN_ELEMENT', `${path}.${key.slice(0, 64)}`, `Unknown element '${key.slice(0, 64)}' at ${path}`);
        continue;
      }
      const list = found.get(hit.node) ?? [];
      this.occurrences(obj, name, hit.node, hit.type, path, list);
      found.set(hit.node, list);
    }
    for (const [node, occs] of found) {
      if (node.slicing && node.slices.length) this.sliced(node, occs, path, scope);
      else for (const occ of occs) this.value(occ, node, scope);
      this.cardinality(node, occs.length, path);
    }
    // Absent elements matter only when required (or sliced with required slices).
    for (const node of requiredOf(kids, owner)) if (!found.has(node)) {
      if (node.slicing && node.slices.length) this.sliced(node, [], path, scope);
      this.cardinality(node, 0, path);
    }
    this.depth--;
  }

  private occurrences(obj: Record<string, unknown>, name: string, node: ElementNode, type: string | undefined, path: string, out: Occurrence[]): void {
    const raw = obj[name];
    const ext = obj[`_${name}`];
    const at = `${path}.${name}`;
    const isArr = Array.isArray(raw) || Array.isArray(ext);
    if (node.array && !isArr) this.add('ARRAY_EXPECTED', at, `${at} must be a JSON array (it may repeat)`);
    if (!node.array && isArr) this.add('ARRAY_NOT_ALLOWED', at, `${at} must not be an array (it cannot repeat)`);
    if (!isArr) {
      if (raw === null || ext === null) this.add('JSON_NULL', at, `${at} is null: omit elements that have no value`);
      else out.push({ value: raw, ext, type, path: at });
      return;
    }
    const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
    const exts = Array.isArray(ext) ? ext : ext === undefined ? [] : [ext];
    if (values.length === 0 && exts.length === 0) {
      this.add('JSON_EMPTY', at, `${at} is an empty array: omit elements that have no value`);
      return;
    }
    if (raw !== undefined && ext !== undefined && values.length !== exts.length) {
      this.add('PRIMITIVE_EXTENSION_MISMATCH', at, `${at} and _${name} must have the same number of items`);
    }
    const n = Math.max(values.length, exts.length);
    for (let i = 0; i < n; i++) {
      const v = values[i] ?? undefined;
      const e = exts[i] ?? undefined;
      const p = node.array ? `${at}[${i}]` : at;
      if ((v === null || v === undefined) && (e === null || e === undefined)) {
        this.add('JSON_NULL', p, `${p} is null: omit elements that have no value`);
        continue;
      }
      out.push({ value: v === null ? undefined : v, ext: e === null ? undefined : e, type, path: p });
    }
  }

  private cardinality(node: ElementNode, count: number, path: string): void {
    const at = `${path}.${node.name.replace('[x]', '')}`;
    if (count < node.min) this.add('MIN_CARDINALITY', at, `${at}: minimum required = ${node.min}, but only found ${count}${describe(node)}`);
    if (count > node.max) this.add('MAX_CARDINALITY', at, `${at}: maximum allowed = ${node.max}, but found ${count}${describe(node)}`);
  }

  private sliced(node: ElementNode, occs: Occurrence[], path: string, scope: Scope): void {
    const assigned = assignSlices(node, occs, this.core.sliceServices());
    const counts = new Map<ElementNode, number>();
    let lastIndex = -1;
    let sawUnmatched = false;
    for (const a of assigned) {
      if (a.slice) {
        counts.set(a.slice, (counts.get(a.slice) ?? 0) + 1);
        const idx = node.slices.indexOf(a.slice);
        if (node.slicing!.ordered && idx < lastIndex) this.add('SLICE_ORDER', a.occ.path, `${a.occ.path} is out of order: slice '${a.slice.sliceName}' must come before '${node.slices[lastIndex].sliceName}'`);
        if (node.slicing!.rules === 'openAtEnd' && sawUnmatched) this.add('SLICE_ORDER', a.occ.path, `${a.occ.path}: items that match no slice must come after the slices`);
        lastIndex = Math.max(lastIndex, idx);
        this.value(a.occ, a.slice, scope);
      } else {
        sawUnmatched = true;
        if (node.slicing!.rules === 'closed') {
          this.add('SLICE_CLOSED', a.occ.path, `${a.occ.path} matches none of the slices defined for ${node.path} (${node.slices.map((s) => s.sliceName).join(', ')}), and the slicing is closed`);
        }
        this.value(a.occ, node, scope);
      }
    }
    for (const slice of node.slices) {
      const n = counts.get(slice) ?? 0;
      const at = `${path}.${node.name.replace('[x]', '')}`;
      if (n < slice.min) this.add('SLICE_MIN', at, `${at}: slice '${slice.sliceName}' requires at least ${slice.min}, but found ${n}`);
      if (n > slice.max) this.add('SLICE_MAX', at, `${at}: slice '${slice.sliceName}' allows at most ${slice.max}, but found ${n}`);
    }
  }

  /** Validates one occurrence against its element definition. */
  value(occ: Occurrence, node: ElementNode, scope: Scope): void {
    let type = occ.type ?? (node.types.length === 1 ? node.types[0].code : undefined);
    // A choice slice restricted to one type (value[x]:valueQuantity) names the type in its key.
    if (node.choice && node.slices.length && !node.slicing) {
      const s = node.slices.find((sl) => sl.types.length === 1 && sl.types[0].code === type);
      if (s) node = s;
    }
    if (node.contentReference) {
      const target = resolveContentReference(node);
      if (target) return this.complex(occ, node, target.children, target, 'BackboneElement', scope);
      return;
    }
    if (!type) {
      if (node.children.length) return this.complex(occ, node, node.children, node, 'BackboneElement', scope);
      return;
    }
    if (this.core.primitives.isPrimitive(type)) return this.primitive(occ, node, type, scope);
    if (this.core.isResourceType(type)) return this.nestedResource(occ, node, scope);
    if (node.children.length && type !== 'Extension') return this.complex(occ, node, node.children, node, type, scope);
    const typeStructure = this.core.structureForType(node, type, occ.value);
    if (!typeStructure) {
      if (node.children.length) return this.complex(occ, node, node.children, node, type, scope);
      return;
    }
    if (type === 'Extension' && typeStructure.url === 'http://hl7.org/fhir/StructureDefinition/Extension' && !node.sliceName) {
      const url = (occ.value as { url?: unknown } | undefined)?.url;
      // A relative url names a part of a complex extension: its parent's definition governs it.
      if (typeof url === 'string' && url.includes(':')) this.unknownExtension(url, occ.path, node);
    }
    const kids = node.children.length && type !== 'Extension' ? node.children : typeStructure.root.children;
    const owner = kids === node.children ? node : typeStructure.root;
    this.complex(occ, node, kids, owner, type, scope, typeStructure);
  }

  private complex(occ: Occurrence, node: ElementNode, kids: ElementNode[], owner: { jsonIndex?: ElementNode['jsonIndex'] }, type: string, scope: Scope, typeStructure?: CompiledStructure): void {
    const v = occ.value;
    if (!isObject(v)) {
      this.add('OBJECT_EXPECTED', occ.path, `${occ.path} must be a JSON object (a ${type})`);
      return;
    }
    this.children(v, kids, owner, occ.path, scope, false);
    this.fixedAndPattern(v, node, occ.path);
    const typeConstraints = typeStructure && typeStructure.root !== node ? typeStructure.root.constraints : [];
    const keys = new Set(node.constraints.map((c) => c.key));
    this.constraints(node, node.constraints, v, occ.path, scope, node.choice ? type : node.path);
    this.constraints(node, typeConstraints.filter((c) => !keys.has(c.key)), v, occ.path, scope, type);
    if (type === 'Reference') checkReference(this, v, node, occ.path, scope, this.core);
    if (!this.profilePass) {
      if (type === 'Coding') checkCodingSystem(this, v, occ.path, this.core);
      else if (type === 'Attachment') checkAttachment(this, v, occ.path);
    }
    if (type === 'Coding' || type === 'CodeableConcept' || type === 'Quantity') {
      checkCodings(this, v, type, occ.path, this.core);
      if (node.binding) checkBinding(this, v, type, node, occ.path, this.core);
    }
    if (node.minValue !== undefined || node.maxValue !== undefined) this.bounds(v, node, occ.path);
  }

  private primitive(occ: Occurrence, node: ElementNode, type: string, scope: Scope): void {
    const rule = this.core.primitives.rule(type);
    if (occ.value !== undefined) {
      const problem = primitiveProblem(rule, occ.value);
      if (problem) this.add('PRIMITIVE_INVALID', occ.path, `${occ.path}: ${short(occ.value)} ${problem}`);
      else {
        if (node.maxLength !== undefined && typeof occ.value === 'string' && occ.value.length > node.maxLength) {
          this.add('MAX_LENGTH', occ.path, `${occ.path} is longer than ${node.maxLength} characters`);
        }
        this.fixedAndPattern(occ.value, node, occ.path);
        if (node.binding && (type === 'code' || type === 'string' || type === 'uri')) checkBinding(this, occ.value, type, node, occ.path, this.core);
        if (node.minValue !== undefined || node.maxValue !== undefined) this.bounds(occ.value, node, occ.path);
        if (type === 'xhtml' && typeof occ.value === 'string' && !this.profilePass) this.narrative(occ.value, occ.path);
        else if (!this.profilePass) checkPrimitiveContent(this, occ.value, type, occ.path, this.core);
      }
    }
    if (occ.ext !== undefined) {
      if (!isObject(occ.ext)) this.add('OBJECT_EXPECTED', occ.path, `_${occ.path.split('.').pop()} must be a JSON object (id, extension)`);
      else {
        const ts = this.core.structureForType(node, type, undefined);
        const kids = ts ? ts.root.children.filter((k) => k.name !== 'value') : [];
        this.children(occ.ext, kids, ts ? primitiveOwner(ts) : {}, occ.path, scope, false);
      }
    } else if (occ.value === undefined) this.add('JSON_NULL', occ.path, `${occ.path} has no value`);
    if (occ.value === undefined && type === 'code' && node.binding?.strength === 'required') {
      this.add('CODE_MISSING', occ.path, `${occ.path}: no code provided, and a code is required from the value set ${node.binding.valueSet ?? ''}`);
    }
    // Invariants on a primitive element are about the element; the R4 ones are covered above.
    const custom = node.constraints.filter((c) => !c.key.startsWith('ele-') && !HANDLED_ELSEWHERE.has(c.key));
    if (custom.length && occ.value !== undefined) this.constraints(node, custom, occ.value, occ.path, scope, type);
  }

  private narrative(div: string, path: string): void {
    for (const p of checkNarrativeDiv(div)) {
      this.add(p.rule === 'txt-2' ? 'NARRATIVE_EMPTY' : 'NARRATIVE_INVALID', path, `${path}: ${p.text} (${p.rule})`);
    }
  }

  private nestedResource(occ: Occurrence, node: ElementNode, scope: Scope): void {
    const v = occ.value;
    if (!isObject(v)) {
      this.add('OBJECT_EXPECTED', occ.path, `${occ.path} must be a resource (a JSON object)`);
      return;
    }
    const rt = v.resourceType;
    if (typeof rt !== 'string' || !this.core.isConcreteResourceType(rt)) {
      this.add(rt === undefined ? 'RESOURCE_TYPE_MISSING' : 'RESOURCE_TYPE_UNKNOWN', occ.path, typeof rt === 'string' ? `'${rt.slice(0, 64)}' at ${occ.path} is not an R4 resource type` : `${occ.path} needs a resourceType`);
      return;
    }
    const allowed = node.types.map((t) => t.code);
    if (!allowed.includes('Resource') && !allowed.includes(rt) && !(allowed.includes('DomainResource') && rt !== 'Bundle' && rt !== 'Parameters' && rt !== 'Binary')) {
      this.add('TYPE_NOT_ALLOWED', occ.path, `${occ.path}: a ${rt} is not allowed here (${allowed.join(', ')})`);
    }
    const contained = node.path.endsWith('.contained');
    const inner: Scope = contained ? { ...scope, resource: v } : { resource: v, rootResource: v, bundle: scope.bundle };
    const structure = this.core.baseStructure(rt);
    if (structure) this.resource(v, structure, occ.path, inner);
    // type.profile: the resource conforms to at least one of the profiles listed for its type.
    const profiles = node.types.filter((t) => t.code === rt || t.code === 'Resource' || t.code === 'DomainResource').flatMap((t) => t.profiles);
    const candidates = profiles.map((p) => this.core.profileStructure(p)).filter((ps): ps is CompiledStructure => !!ps && ps.type === rt);
    if (!candidates.length) return;
    let best: ValidationIssue[] | undefined;
    for (const ps of candidates) {
      const probe = new Walker(this.core);
      probe.profilePass = true;
      probe.resource(v, ps, occ.path, inner);
      if (!probe.issues.some((i) => i.severity === 'error')) {
        best = probe.issues;
        break;
      }
      best ??= probe.issues;
    }
    for (const i of best ?? []) this.add(i.messageId, i.expression?.[0] ?? occ.path, i.diagnostics, i.severity);
  }

  private fixedAndPattern(v: unknown, node: ElementNode, path: string): void {
    if (node.fixed !== undefined && !deepEqual(v, node.fixed)) this.add('FIXED_VALUE', path, `${path} must be exactly ${short(node.fixed)}, found ${short(v)}`);
    if (node.pattern !== undefined && !matchesPattern(v, node.pattern)) this.add('PATTERN_VALUE', path, `${path} must match the pattern ${short(node.pattern)}, found ${short(v)}`);
  }

  private bounds(v: unknown, node: ElementNode, path: string): void {
    const lo = node.minValue !== undefined ? compareBound(v, resolveBound(v, node.minValue, 'min')) : undefined;
    const hi = node.maxValue !== undefined ? compareBound(v, resolveBound(v, node.maxValue, 'max')) : undefined;
    if (lo !== undefined && lo < 0) this.add('VALUE_OUT_OF_RANGE', path, `${path} is below the minimum ${short(node.minValue)}`);
    if (hi !== undefined && hi > 0) this.add('VALUE_OUT_OF_RANGE', path, `${path} is above the maximum ${short(node.maxValue)}`);
  }

  constraints(_node: ElementNode, list: ElementNode['constraints'], value: unknown, path: string, scope: Scope, basePath: string): void {
    for (const c of list) {
      if (HANDLED_ELSEWHERE.has(c.key) && isBaseInvariant(c)) continue;
      if (this.profilePass && c.source !== undefined && BASE_SOURCE.test(c.source)) continue;
      if (c.bestPractice && this.core.options.bestPractice === 'ignore') continue;
      const ok = this.core.invariants.check(c, basePath.replace(/\[x\]$/, ''), { value, resource: scope.resource, rootResource: scope.rootResource });
      if (ok === true) continue;
      if (ok instanceof Error) {
        this.add('INVARIANT_NOT_EVALUATED', path, `${c.key} could not be evaluated (${ok.message.slice(0, 120)})`);
        continue;
      }
      this.add('INVARIANT', path, `Constraint failed: ${c.key}: '${c.human}' (at ${path})`, c.severity === 'warning' || c.bestPractice ? 'warning' : 'error');
    }
  }

  private unknownExtension(url: string, path: string, node: ElementNode): void {
    const modifier = node.name === 'modifierExtension';
    const lenient = this.core.options.lenientExtensionDomains.some((d) => url.startsWith(d));
    const severity = modifier || (this.core.options.unknownExtensions === 'error' && !lenient) ? 'error' : 'warning';
    if (!this.core.isAllowedExtensionDomain(url)) this.add('EXTENSION_UNKNOWN', path, `The extension ${url} is not known to this server${modifier ? ' (an unknown modifier extension cannot be accepted)' : ''}`, severity);
  }
}

const required = new WeakMap<object, ElementNode[]>();
function requiredOf(kids: ElementNode[], owner: object): ElementNode[] {
  let list = required.get(owner);
  if (!list) required.set(owner, (list = kids.filter((k) => k.min > 0 || k.slices.some((s) => s.min > 0))));
  return list;
}

function isBaseInvariant(c: { key: string; expression?: string }): boolean {
  return (
    c.expression === 'htmlChecks()' ||
    (c.key === 'dom-3' && !!c.expression?.startsWith('contained.where((')) ||
    (c.key === 'ref-1' && !!c.expression?.startsWith("reference.startsWith('#').not()"))
  );
}

function describe(node: ElementNode): string {
  return node.sliceName ? ` (slice '${node.sliceName}')` : '';
}

function resolveContentReference(node: ElementNode): ElementNode | undefined {
  const ref = node.contentReference!;
  const id = ref.slice(ref.indexOf('#') + 1);
  const s = node.structure;
  return s.byId.get(id) ?? [...s.byId.values()].find((n) => n.path === id && !n.sliceName);
}

const primitiveOwners = new WeakMap<CompiledStructure, { jsonIndex?: ElementNode['jsonIndex'] }>();
function primitiveOwner(ts: CompiledStructure): { jsonIndex?: ElementNode['jsonIndex'] } {
  let o = primitiveOwners.get(ts);
  if (!o) primitiveOwners.set(ts, (o = {}));
  return o;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

