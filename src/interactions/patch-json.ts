// JSON Patch (RFC 6902) over JSON Pointers (RFC 6901), applied to a private copy of a resource.
// Written here rather than taken from a library so that every failure names the operation index
// and says what to fix, and so that pointer segments such as `__proto__` are refused outright.
import { FhirError } from '../fhir/errors';
import { cloneJson, numberLexeme, setNumberLexeme, spliceJson } from '../fhir/exact-numbers';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

function invalid(index: number, text: string): FhirError {
  return new FhirError(400, 'INVALID_PATCH', [{ severity: 'error', code: 'invalid', diagnostics: `JSON Patch operation ${index}: ${text}` }]);
}

function unprocessable(index: number, text: string): FhirError {
  return new FhirError(422, 'PATCH_FAILED', [{ severity: 'error', code: 'processing', diagnostics: `JSON Patch operation ${index}: ${text}` }]);
}

/** Checks the shape of a JSON Patch document (400 on a malformed document). */
export function parseJsonPatch(doc: unknown): JsonPatchOperation[] {
  if (!Array.isArray(doc)) throw invalid(0, 'a JSON Patch document is an array of operations');
  return doc.map((raw, i) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw invalid(i, 'is not an object');
    const o = raw as Record<string, unknown>;
    if (!['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(o.op as string)) throw invalid(i, `unknown op '${String(o.op).slice(0, 20)}'`);
    if (typeof o.path !== 'string') throw invalid(i, 'needs a string "path"');
    if ((o.op === 'move' || o.op === 'copy') && typeof o.from !== 'string') throw invalid(i, `'${o.op}' needs a string "from"`);
    if ((o.op === 'add' || o.op === 'replace' || o.op === 'test') && !('value' in o)) throw invalid(i, `'${o.op}' needs a "value"`);
    parsePointer(o.path, i);
    if (typeof o.from === 'string') parsePointer(o.from, i);
    return o as unknown as JsonPatchOperation;
  });
}

function parsePointer(pointer: string, index: number): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw invalid(index, `path '${pointer.slice(0, 80)}' must start with '/'`);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => {
      const seg = s.replace(/~1/g, '/').replace(/~0/g, '~');
      if (FORBIDDEN_SEGMENTS.has(seg)) throw invalid(index, `path segment '${seg}' is not allowed`);
      return seg;
    });
}

interface Location {
  parent: Json[] | { [k: string]: Json };
  key: string;
}

/** The container and key a pointer designates; the container must exist. */
function locate(doc: Json, segments: string[], index: number, pointer: string): Location {
  let node: Json = doc;
  for (let i = 0; i < segments.length - 1; i++) {
    node = child(node, segments[i], index, pointer);
  }
  if (node === null || typeof node !== 'object') throw unprocessable(index, `'${pointer}' does not lead into an object or array`);
  return { parent: node, key: segments[segments.length - 1] };
}

function child(node: Json, seg: string, index: number, pointer: string): Json {
  if (Array.isArray(node)) {
    const i = arrayIndex(seg, node.length - 1, index, pointer);
    return node[i];
  }
  if (node !== null && typeof node === 'object' && Object.prototype.hasOwnProperty.call(node, seg)) return node[seg];
  throw unprocessable(index, `'${pointer}' does not exist in the resource`);
}

function arrayIndex(seg: string, max: number, index: number, pointer: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(seg)) throw unprocessable(index, `'${seg}' in '${pointer}' is not an array index`);
  const i = Number(seg);
  if (i > max) throw unprocessable(index, `index ${i} in '${pointer}' is beyond the end of the array`);
  return i;
}

function get(doc: Json, pointer: string, index: number): Json {
  let node = doc;
  for (const seg of parsePointer(pointer, index)) node = child(node, seg, index, pointer);
  return node;
}

/** A value with the text of its number, when it is a number whose text a double would not keep. */
interface Member {
  value: Json;
  lexeme?: string;
}

function remove(doc: Json, pointer: string, index: number): Member {
  const segs = parsePointer(pointer, index);
  if (!segs.length) throw unprocessable(index, 'cannot remove the whole resource');
  const { parent, key } = locate(doc, segs, index, pointer);
  if (Array.isArray(parent)) {
    const i = arrayIndex(key, parent.length - 1, index, pointer);
    const lexeme = numberLexeme(parent, i);
    return { value: spliceJson(parent, i, 1)[0] as Json, lexeme };
  }
  if (!Object.prototype.hasOwnProperty.call(parent, key)) throw unprocessable(index, `'${pointer}' does not exist in the resource`);
  const old = { value: parent[key], lexeme: numberLexeme(parent, key) };
  delete parent[key];
  setNumberLexeme(parent, key, undefined);
  return old;
}

function add(doc: Json, pointer: string, { value, lexeme }: Member, index: number, replace: boolean): Json {
  const segs = parsePointer(pointer, index);
  if (!segs.length) return value;
  const { parent, key } = locate(doc, segs, index, pointer);
  if (Array.isArray(parent)) {
    if (replace) {
      const i = arrayIndex(key, parent.length - 1, index, pointer);
      parent[i] = value;
      setNumberLexeme(parent, i, lexeme);
    } else spliceJson(parent, key === '-' ? parent.length : arrayIndex(key, parent.length, index, pointer), 0, [value], [lexeme]);
  } else {
    if (replace && !Object.prototype.hasOwnProperty.call(parent, key)) throw unprocessable(index, `'${pointer}' does not exist, so it cannot be replaced`);
    parent[key] = value;
    setNumberLexeme(parent, key, lexeme);
  }
  return doc;
}

/** The value at a pointer (a copy), with the text of its number. */
function copyOf(doc: Json, pointer: string, index: number): Member {
  const segs = parsePointer(pointer, index);
  const value = cloneJson(get(doc, pointer, index));
  if (!segs.length) return { value };
  const { parent, key } = locate(doc, segs, index, pointer);
  return { value, lexeme: numberLexeme(parent, Array.isArray(parent) ? Number(key) : key) };
}

/** Structural equality of JSON values (object key order ignored). */
export function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as Json[]).length && a.every((x, i) => deepEqual(x, (b as Json[])[i]));
  const ka = Object.keys(a);
  const bo = b as Record<string, Json>;
  return ka.length === Object.keys(bo).length && ka.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && deepEqual((a as Record<string, Json>)[k], bo[k]));
}

/** Applies the operations in order to a copy of `target`; the original is never modified.
 * Numbers keep the text they were written with (fhir/exact-numbers.ts), in the target and in
 * the operations' values alike. */
export function applyJsonPatch(target: unknown, ops: JsonPatchOperation[]): unknown {
  let doc = cloneJson(target) as Json;
  ops.forEach((op, i) => {
    const value: Member = { value: cloneJson(op.value) as Json, lexeme: numberLexeme(op, 'value') };
    switch (op.op) {
      case 'add':
        doc = add(doc, op.path, value, i, false);
        break;
      case 'replace':
        doc = add(doc, op.path, value, i, true);
        break;
      case 'remove':
        remove(doc, op.path, i);
        break;
      case 'copy':
        doc = add(doc, op.path, copyOf(doc, op.from!, i), i, false);
        break;
      case 'move':
        if (op.path.startsWith(`${op.from}/`)) throw unprocessable(i, `cannot move '${op.from}' into itself`);
        doc = add(doc, op.path, remove(doc, op.from!, i), i, false);
        break;
      case 'test':
        if (!deepEqual(get(doc, op.path, i), value.value)) throw unprocessable(i, `test failed: '${op.path}' does not have the expected value`);
        break;
    }
  });
  return doc;
}
