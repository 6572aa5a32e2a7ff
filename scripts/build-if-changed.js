#!/usr/bin/env node
// `npm start`'s build step. tsc costs ~20 s of CPU from scratch and several seconds even
// incrementally, so when no compiler input is newer than the last successful build this skips tsc
// altogether and a second start on an unchanged checkout is up in about a second. It says what it
// does, so a first start is not a silent 20 s.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { buildConsole, consoleIsStale } = require('./build-console');

const root = path.resolve(__dirname, '..');
// Written only here, after a successful emitting build (tsc's own build info is also written by
// `tsc --noEmit`, which would make a stale dist/ look current).
const stamp = path.join(root, 'dist', '.build-stamp');
const entry = path.join(root, 'dist', 'src', 'main.js');

/** The newest modification time among the files under `roots` whose names match `pattern`. */
function newestOf(roots, pattern) {
  let newest = 0;
  const visit = (p) => {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(p)) visit(path.join(p, name));
    } else if (pattern.test(p)) {
      newest = Math.max(newest, st.mtimeMs);
    }
  };
  for (const p of roots) visit(path.join(root, p));
  return newest;
}

/** The compiler's inputs (tsconfig `include` plus config). */
const newestInput = () => newestOf(['src', 'bench', 'tsconfig.json', 'package.json', 'package-lock.json'], /\.(ts|json)$/);

/** The web console (console/, bundled into dist/console) has its own stamp: either half can be
 * current while the other is not. */
function buildConsoleIfChanged() {
  if (!consoleIsStale()) return;
  console.error('nimbus-fhir: building the web console into dist/console (Vite, a few seconds)…');
  const status = buildConsole();
  if (status !== 0) process.exit(status);
}

const built = fs.statSync(stamp, { throwIfNoEntry: false });
if (built && fs.existsSync(entry) && newestInput() <= built.mtimeMs) {
  buildConsoleIfChanged();
  console.error('nimbus-fhir: build is up to date (dist/)');
  process.exit(0);
}
console.error(`nimbus-fhir: compiling TypeScript into dist/ (${built ? 'incremental, a few seconds' : 'first build, about 20 s'})…`);
const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
buildConsoleIfChanged();
