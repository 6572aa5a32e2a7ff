// The layering of DESIGN.md, checked on the source: data flows top to bottom (rest → operations,
// bundles, interactions → search, fhir → storage contract → engines), never back up, and no two
// modules import each other at run time. Type-only imports are allowed across a cycle (they
// vanish when compiled), value imports are not.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const SRC = path.resolve(__dirname, '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

interface Edge {
  to: string;
  typeOnly: boolean;
}

function importsOf(file: string): Edge[] {
  const text = fs.readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, false);
  const edges: Edge[] = [];
  const add = (specifier: string, typeOnly: boolean) => {
    if (!specifier.startsWith('.')) return;
    const base = path.resolve(path.dirname(file), specifier);
    const target = [`${base}.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(f));
    if (target) edges.push({ to: target, typeOnly });
  };
  for (const node of source.statements) {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        !!clause &&
        (clause.isTypeOnly ||
          (!clause.name && !!clause.namedBindings && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier.text, typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.isTypeOnly);
    }
  }
  // require() calls made on purpose to load a module lazily (e.g. the MongoDB engine) are values too.
  const requireCall = /require\((['"])(\.[^'"]+)\1\)/g;
  for (let m = requireCall.exec(text); m; m = requireCall.exec(text)) add(m[2], false);
  return edges;
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const rel = (f: string) => path.relative(SRC, f);
const layerOf = (f: string) => rel(f).split(path.sep)[0];

it('has no import cycle at run time', () => {
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, trail: string[]) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'visiting') {
      cycles.push([...trail.slice(trail.indexOf(f)), f].map(rel).join(' → '));
      return;
    }
    state.set(f, 'visiting');
    for (const e of graph.get(f) ?? []) if (!e.typeOnly) visit(e.to, [...trail, f]);
    state.set(f, 'done');
  };
  for (const f of files) visit(f, []);
  expect(cycles).toEqual([]);
});

/** Layers a layer may never import, even types (DESIGN.md "Layers"). search/ and fhir/ are pure
 * knowledge (the spec, the plan IR, the error catalogue) that every layer, storage included, uses. */
const FORBIDDEN: Record<string, string[]> = {
  storage: ['rest', 'operations', 'bundles', 'interactions', 'access', 'context', 'cli', 'app.ts', 'server.ts'],
  search: ['rest', 'operations', 'bundles', 'interactions', 'context', 'cli', 'app.ts', 'server.ts'],
  fhir: ['rest', 'operations', 'bundles', 'interactions', 'access', 'context', 'cli', 'app.ts', 'server.ts'],
  // The terminology service is pure knowledge beside fhir/ (fhir/validator and search/ call it).
  terminology: ['rest', 'operations', 'bundles', 'interactions', 'access', 'context', 'cli', 'app.ts', 'server.ts', 'search', 'storage'],
  access: ['rest', 'operations', 'bundles', 'interactions', 'context', 'cli', 'app.ts', 'server.ts'],
  // Token verification, scopes → policy, and the audit trail sit beside access/: below HTTP.
  auth: ['rest', 'operations', 'bundles', 'interactions', 'cli', 'app.ts', 'server.ts'],
  audit: ['rest', 'operations', 'bundles', 'cli', 'app.ts', 'server.ts'],
  interactions: ['rest', 'operations', 'bundles', 'cli', 'app.ts', 'server.ts'],
  operations: ['rest', 'cli', 'app.ts', 'server.ts'],
  // Clinical AI (scores, CDS Hooks knowledge) is domain computation under operations/ and rest/.
  ai: ['rest', 'operations', 'bundles', 'cli', 'app.ts', 'server.ts'],
  bundles: ['rest', 'cli', 'app.ts', 'server.ts'],
  // The OpenAPI description is built from the CapabilityStatement and the operation registry; rest/ serves it.
  openapi: ['rest', 'cli', 'app.ts', 'server.ts'],
  rest: ['cli', 'server.ts', 'app.ts'],
};

it('never imports upwards across layers', () => {
  const violations: string[] = [];
  for (const [f, edges] of graph) {
    const forbidden = FORBIDDEN[layerOf(f)] ?? [];
    for (const e of edges) if (forbidden.includes(layerOf(e.to))) violations.push(`${rel(f)} imports ${rel(e.to)}`);
  }
  expect(violations).toEqual([]);
});

it('keeps SQL and BSON out of the layers above storage, and HTTP out of the layers below rest', () => {
  const violations: string[] = [];
  for (const [f, edges] of graph) {
    const layer = layerOf(f);
    for (const e of edges) {
      const target = rel(e.to);
      if (layer !== 'storage' && layer !== 'cli' && /^storage\/(sqlite|mongo)\//.test(target)) violations.push(`${rel(f)} imports ${target}`);
    }
    if (!['rest', 'app.ts', 'cli', 'server.ts'].includes(layer) && /from 'express'/.test(fs.readFileSync(f, 'utf8'))) violations.push(`${rel(f)} imports express`);
  }
  expect(violations).toEqual([]);
});
