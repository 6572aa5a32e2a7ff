// A compiler for the simplest and most common shape of invariant — element paths tested with
// exists()/empty()/hasValue(), combined with and/or/xor/implies/not() — into direct JSON accessors.
// Most R4 invariants have this shape (e.g. `dataAbsentReason.empty() or value.empty()`); fhirpath.js
// costs 10-25 µs for each, the compiled form well under 1 µs. Anything else returns undefined and
// stays with fhirpath.js. Choice elements (`value` → `valueQuantity`…) are resolved through the R4
// model that ships with fhirpath.js, so `value` never matches an unrelated `valueSet` element.
import * as r4Model from 'fhirpath/fhir-context/r4';
import { lookupTable } from '../../lookup-table';

type Test = (context: unknown) => boolean;

const model = r4Model as unknown as {
  choiceTypePaths: Record<string, string[]>;
  path2Type: Record<string, string>;
  pathsDefinedElsewhere: Record<string, string>;
};

const TOKEN = /\s*(<=|>=|!=|\(|\)|\.|[A-Za-z_][A-Za-z0-9_]*|\$this|\d+|\S)/y;
const FUNCTIONS = new Set(['exists', 'empty', 'hasValue', 'not', 'count']);
const COMPARE: Record<string, (a: number, b: number) => boolean> = lookupTable({
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '=': (a, b) => a === b,
  '!=': (a, b) => a !== b,
});

function tokenize(expression: string): string[] | undefined {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expression.length) {
    if (/^\s*$/.test(expression.slice(TOKEN.lastIndex))) break;
    const m = TOKEN.exec(expression);
    if (!m) return undefined;
    out.push(m[1]);
  }
  return out;
}

interface Step {
  name: string;
  /** JSON property names the FHIRPath name stands for (one, or one per type of a choice). */
  keys: string[];
}

/** Resolves `a.b.c` from a base path into the JSON keys of each step (choice types expanded). */
function resolvePath(basePath: string, names: string[]): Step[] | undefined {
  const steps: Step[] = [];
  let at = basePath;
  for (const name of names) {
    let full = `${at}.${name}`;
    const choices = model.choiceTypePaths[full];
    const keys = choices ? choices.map((t) => name + t.charAt(0).toUpperCase() + t.slice(1)) : [name];
    if (!choices && !model.path2Type[full] && !model.pathsDefinedElsewhere[full]) return undefined;
    steps.push({ name, keys });
    if (choices) {
      // Past a choice the type is not known statically: only a final step is compiled.
      at = '';
      continue;
    }
    full = model.pathsDefinedElsewhere[full] ?? full;
    const type = model.path2Type[full];
    at = type && type !== 'BackboneElement' && type !== 'Element' ? type : full;
  }
  if (steps.slice(0, -1).some((s) => s.keys.length > 1)) return undefined;
  return steps;
}

/** Values selected by a resolved path (arrays flattened; primitives count with their `_x` sibling). */
function select(context: unknown, steps: Step[]): { values: unknown[]; hasValue: boolean[] } {
  let current: unknown[] = [context];
  let hasValue: boolean[] = [];
  steps.forEach((step, i) => {
    const next: unknown[] = [];
    const nextHas: boolean[] = [];
    for (const c of current) {
      if (!c || typeof c !== 'object') continue;
      const o = c as Record<string, unknown>;
      for (const key of step.keys) {
        const v = o[key];
        const ext = o[`_${key}`];
        const items = Array.isArray(v) ? v : v === undefined ? [] : [v];
        const exts = Array.isArray(ext) ? ext : ext === undefined ? [] : [ext];
        const n = Math.max(items.length, exts.length);
        for (let k = 0; k < n; k++) {
          const item = items[k];
          if ((item === undefined || item === null) && (exts[k] === undefined || exts[k] === null)) continue;
          next.push(item ?? exts[k]);
          nextHas.push(item !== undefined && item !== null && typeof item !== 'object');
        }
      }
    }
    current = next;
    if (i === steps.length - 1) hasValue = nextHas;
  });
  return { values: current, hasValue };
}

/** Compiles `expression` (evaluated on an element of `basePath`), or undefined when not simple. */
export function compileSimple(basePath: string, expression: string): Test | undefined {
  const tokens = tokenize(expression);
  if (!tokens) return undefined;
  let pos = 0;
  const peek = () => tokens[pos];
  const take = (t?: string) => {
    const tok = tokens[pos];
    if (t !== undefined && tok !== t) throw new Error('unexpected');
    pos++;
    return tok;
  };

  const impliesExpr = (): Test => {
    const left = orExpr();
    if (peek() === 'implies') {
      take();
      const right = orExpr();
      return (c) => !left(c) || right(c);
    }
    return left;
  };
  const orExpr = (): Test => {
    let left = andExpr();
    while (peek() === 'or' || peek() === 'xor') {
      const op = take();
      const l = left;
      const r = andExpr();
      left = op === 'or' ? (c) => l(c) || r(c) : (c) => l(c) !== r(c);
    }
    return left;
  };
  const andExpr = (): Test => {
    let left = unary();
    while (peek() === 'and') {
      take();
      const l = left;
      const r = unary();
      left = (c) => l(c) && r(c);
    }
    return left;
  };
  const unary = (): Test => {
    let t = primary();
    while (peek() === '.' && tokens[pos + 1] === 'not' && tokens[pos + 2] === '(' && tokens[pos + 3] === ')') {
      pos += 4;
      const inner = t;
      t = (c) => !inner(c);
    }
    return t;
  };
  const primary = (): Test => {
    if (peek() === '(') {
      take('(');
      const inner = impliesExpr();
      take(')');
      return inner;
    }
    const names: string[] = [];
    for (;;) {
      const name = take();
      if (!name || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || ['and', 'or', 'xor', 'implies'].includes(name)) throw new Error('not a name');
      if (peek() === '(') {
        // The function applies to the path read so far.
        take('(');
        take(')');
        if (!FUNCTIONS.has(name) || names.length === 0 || name === 'not') throw new Error('unsupported');
        const steps = resolvePath(basePath, names);
        if (!steps) throw new Error('unknown path');
        if (name === 'count') {
          // `path.count() <op> <integer>`: the only use of count() compiled here.
          const op = take();
          const n = take();
          if (!COMPARE[op] || !/^\d+$/.test(n ?? '')) throw new Error('unsupported count');
          const cmp = COMPARE[op];
          const limit = Number(n);
          return (c) => cmp(select(c, steps).values.length, limit);
        }
        if (name === 'exists') return (c) => select(c, steps).values.length > 0;
        if (name === 'empty') return (c) => select(c, steps).values.length === 0;
        return (c) => {
          const s = select(c, steps);
          return s.values.length === 1 && s.hasValue[0];
        };
      }
      names.push(name);
      take('.');
    }
  };

  try {
    const test = impliesExpr();
    if (pos !== tokens.length) return undefined;
    return test;
  } catch {
    return undefined;
  }
}
