// FHIRPath Patch (R4 fhirpatch.html): a Parameters resource whose `operation` parameters add,
// insert, delete, replace or move elements located by FHIRPath. Paths are evaluated with
// fhirpath.js over a private copy of the resource; its ResourceNodes tell which object holds each
// element (parent, property, index), which is what a structural edit needs.
import fhirpath from 'fhirpath';
import * as r4Model from 'fhirpath/fhir-context/r4';
import { FhirError } from '../fhir/errors';
import { cloneJson, numberLexeme, setNumberLexeme, spliceJson } from '../fhir/exact-numbers';

type Obj = Record<string, unknown>;

interface ResourceNodeLike {
  data: unknown;
  parentResNode: ResourceNodeLike | null;
  propName: string | null;
  index: number | null;
}

export interface FhirPathPatchOperation {
  type: 'add' | 'insert' | 'delete' | 'replace' | 'move';
  path: string;
  name?: string;
  value?: unknown;
  /** The text of `value` when it is a number a double would print differently (`1.50`). */
  valueLexeme?: string;
  index?: number;
  source?: number;
  destination?: number;
}

const OP_TYPES = new Set(['add', 'insert', 'delete', 'replace', 'move']);
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const path2Repeating = (r4Model as unknown as { path2Repeating: Record<string, boolean> }).path2Repeating;

function invalid(index: number, text: string): FhirError {
  return new FhirError(400, 'INVALID_PATCH', [
    { severity: 'error', code: 'invalid', diagnostics: `FHIRPath Patch operation ${index}: ${text}`, expression: [`Parameters.parameter[${index}]`] },
  ]);
}

function unprocessable(index: number, text: string): FhirError {
  return new FhirError(422, 'PATCH_FAILED', [
    { severity: 'error', code: 'processing', diagnostics: `FHIRPath Patch operation ${index}: ${text}`, expression: [`Parameters.parameter[${index}]`] },
  ]);
}

/** The value of a parameter part: its `value[x]`, or an object built from its own parts
 * (complex types that value[x] cannot carry, e.g. a BackboneElement). */
function partValue(part: Obj, index: number): unknown {
  const valueKey = valueKeyOf(part);
  if (valueKey) return part[valueKey];
  if (Array.isArray(part.part)) {
    const out: Obj = {};
    for (const p of part.part as Obj[]) {
      if (typeof p?.name !== 'string' || FORBIDDEN_NAMES.has(p.name)) throw invalid(index, 'every part of a complex value needs a name');
      const v = partValue(p, index);
      const lexeme = partLexeme(p);
      const existing = out[p.name];
      if (existing === undefined) {
        out[p.name] = v;
        setNumberLexeme(out, p.name, lexeme);
      } else {
        if (!Array.isArray(existing)) {
          const first = numberLexeme(out, p.name);
          setNumberLexeme(out, p.name, undefined);
          out[p.name] = [];
          spliceJson(out[p.name] as unknown[], 0, 0, [existing], [first]);
        }
        const list = out[p.name] as unknown[];
        spliceJson(list, list.length, 0, [v], [lexeme]);
      }
    }
    return out;
  }
  return undefined;
}

function valueKeyOf(part: Obj): string | undefined {
  return Object.keys(part).find((k) => k.startsWith('value') && k.length > 5);
}

/** The text of a part's number value (`valueDecimal: 1.50`), kept when a double would lose it. */
function partLexeme(part: Obj): string | undefined {
  const key = valueKeyOf(part);
  return key ? numberLexeme(part, key) : undefined;
}

/** Reads the operations of a FHIRPath Patch Parameters resource (400 when malformed). */
export function parseFhirPathPatch(parameters: unknown): FhirPathPatchOperation[] {
  const p = parameters as { resourceType?: unknown; parameter?: unknown };
  if (p?.resourceType !== 'Parameters') throw invalid(0, 'a FHIRPath Patch is a Parameters resource');
  if (!Array.isArray(p.parameter) || !p.parameter.length) throw invalid(0, 'the Parameters resource has no operation');
  return (p.parameter as Obj[]).map((param, i) => {
    if (param?.name !== 'operation' || !Array.isArray(param.part)) throw invalid(i, "each parameter must be an 'operation' with parts");
    const parts = new Map<string, Obj>();
    for (const part of param.part as Obj[]) if (typeof part?.name === 'string') parts.set(part.name, part);
    const type = parts.get('type')?.valueCode;
    if (typeof type !== 'string' || !OP_TYPES.has(type)) throw invalid(i, `type must be one of add, insert, delete, replace, move (got '${String(type).slice(0, 20)}')`);
    const path = parts.get('path')?.valueString;
    if (typeof path !== 'string' || !path.trim()) throw invalid(i, 'needs a path (valueString)');
    const op: FhirPathPatchOperation = { type: type as FhirPathPatchOperation['type'], path };
    const name = parts.get('name')?.valueString;
    if (type === 'add') {
      if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9_]*$/.test(name) || FORBIDDEN_NAMES.has(name)) throw invalid(i, "'add' needs an element name");
      op.name = name;
    }
    if (type === 'add' || type === 'insert' || type === 'replace') {
      const valuePart = parts.get('value');
      const value = valuePart ? partValue(valuePart, i) : undefined;
      if (value === undefined) throw invalid(i, `'${type}' needs a value`);
      op.value = value;
      op.valueLexeme = partLexeme(valuePart!);
    }
    const int = (key: string): number => {
      const v = parts.get(key)?.valueInteger;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw invalid(i, `'${type}' needs a non-negative integer ${key}`);
      return v;
    };
    if (type === 'insert') op.index = int('index');
    if (type === 'move') {
      op.source = int('source');
      op.destination = int('destination');
    }
    return op;
  });
}

function evaluate(resource: Obj, path: string, index: number): ResourceNodeLike[] {
  try {
    return fhirpath.evaluate(resource, path, undefined, r4Model, { resolveInternalTypes: false }) as unknown as ResourceNodeLike[];
  } catch (e) {
    throw invalid(index, `path '${path.slice(0, 120)}' is not valid FHIRPath: ${(e as Error).message.slice(0, 160)}`);
  }
}

/** The JSON key under which a node sits in its parent (choice elements: `value` → `valueQuantity`). */
function keyIn(parent: Obj, propName: string): string {
  if (Object.prototype.hasOwnProperty.call(parent, propName)) return propName;
  const choice = Object.keys(parent).find((k) => k.startsWith(propName) && /^[A-Z]/.test(k.slice(propName.length)));
  return choice ?? propName;
}

interface Slot {
  parent: Obj;
  key: string;
  index: number | null;
}

function single(resource: Obj, op: FhirPathPatchOperation, i: number, allowNone: boolean): ResourceNodeLike | undefined {
  const nodes = evaluate(resource, op.path, i);
  if (nodes.length > 1) throw unprocessable(i, `path '${op.path}' matches ${nodes.length} elements; it must match one`);
  if (!nodes.length) {
    if (allowNone) return undefined;
    throw unprocessable(i, `path '${op.path}' matches nothing`);
  }
  return nodes[0];
}

function slotOf(node: ResourceNodeLike, i: number, path: string): Slot {
  const parent = node.parentResNode?.data;
  if (!node.propName || !parent || typeof parent !== 'object') throw unprocessable(i, `path '${path}' does not designate an element that can be changed`);
  const key = keyIn(parent as Obj, node.propName);
  const current = (parent as Obj)[key];
  return { parent: parent as Obj, key, index: Array.isArray(current) ? (node.index ?? current.indexOf(node.data)) : null };
}

function listAt(resource: Obj, op: FhirPathPatchOperation, i: number): unknown[] {
  const nodes = evaluate(resource, op.path, i);
  if (!nodes.length) throw unprocessable(i, `path '${op.path}' matches nothing`);
  const slot = slotOf(nodes[0], i, op.path);
  const list = slot.parent[slot.key];
  if (!Array.isArray(list)) throw unprocessable(i, `path '${op.path}' is not a list`);
  return list;
}

function apply(resource: Obj, op: FhirPathPatchOperation, i: number): void {
  switch (op.type) {
    case 'add': {
      const node = single(resource, op, i, false)!;
      if (!node.data || typeof node.data !== 'object' || Array.isArray(node.data)) throw unprocessable(i, `path '${op.path}' is not an element that can hold '${op.name}'`);
      const target = node.data as Obj;
      const existing = target[op.name!];
      const repeating = Array.isArray(existing) || isRepeating(resource, op.path, op.name!, i);
      if (repeating) {
        if (!Array.isArray(existing)) target[op.name!] = [];
        const list = target[op.name!] as unknown[];
        spliceJson(list, list.length, 0, [op.value], [op.valueLexeme]);
      } else if (existing !== undefined) throw unprocessable(i, `'${op.name}' already has a value at '${op.path}'; use replace`);
      else {
        target[op.name!] = op.value;
        setNumberLexeme(target, op.name!, op.valueLexeme);
      }
      return;
    }
    case 'insert': {
      const list = listAt(resource, op, i);
      if (op.index! > list.length) throw unprocessable(i, `index ${op.index} is beyond the end of the list (${list.length})`);
      spliceJson(list, op.index!, 0, [op.value], [op.valueLexeme]);
      return;
    }
    case 'delete': {
      const node = single(resource, op, i, true);
      if (!node) return; // deleting what is not there changes nothing
      const slot = slotOf(node, i, op.path);
      const list = slot.parent[slot.key];
      if (Array.isArray(list) && slot.index !== null) {
        spliceJson(list, slot.index, 1);
        if (!list.length) delete slot.parent[slot.key];
      } else {
        delete slot.parent[slot.key];
        setNumberLexeme(slot.parent, slot.key, undefined);
      }
      return;
    }
    case 'replace': {
      const node = single(resource, op, i, false)!;
      const slot = slotOf(node, i, op.path);
      const list = slot.parent[slot.key];
      if (Array.isArray(list) && slot.index !== null) {
        list[slot.index] = op.value;
        setNumberLexeme(list, slot.index, op.valueLexeme);
      } else {
        slot.parent[slot.key] = op.value;
        setNumberLexeme(slot.parent, slot.key, op.valueLexeme);
      }
      return;
    }
    case 'move': {
      const list = listAt(resource, op, i);
      if (op.source! >= list.length || op.destination! >= list.length) throw unprocessable(i, `source and destination must be below the list length (${list.length})`);
      const lexeme = numberLexeme(list, op.source!);
      const [item] = spliceJson(list, op.source!, 1);
      spliceJson(list, op.destination!, 0, [item], [lexeme]);
      return;
    }
  }
}

/** Whether `name` under the element at `path` repeats, from the R4 model's cardinalities. */
function isRepeating(resource: Obj, path: string, name: string, i: number): boolean {
  const typed = fhirpath.evaluate(resource, `(${path}).type()`, undefined, r4Model) as Array<{ namespace?: string; name?: string }>;
  const typeName = typed[0]?.name;
  void i;
  const candidates = [typeName && `${typeName}.${name}`, `${path.replace(/\.where\(.*?\)|\[\d+\]|\.first\(\)/g, '')}.${name}`].filter(Boolean) as string[];
  return candidates.some((c) => path2Repeating[c] === true);
}

/** Applies the operations in order to a copy of `target`; the original is never modified. */
export function applyFhirPathPatch(target: unknown, ops: FhirPathPatchOperation[]): unknown {
  const doc = cloneJson(target) as Obj;
  ops.forEach((op, i) => apply(doc, op, i));
  return doc;
}
