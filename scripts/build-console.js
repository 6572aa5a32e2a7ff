#!/usr/bin/env node
// Builds the web console (console/: Preact + uPlot, bundled by Vite) into dist/console: a type
// check of its sources, then the bundle. Run by `npm run build` (always) and by `npm start`'s
// build step (only when console/ or the lockfile changed since the last build: the stamp below).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const stamp = path.join(root, 'dist', 'console', '.build-stamp');

function newestSource() {
  let newest = 0;
  const visit = (p) => {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) for (const name of fs.readdirSync(p)) visit(path.join(p, name));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of ['console', 'package-lock.json']) visit(path.join(root, p));
  return newest;
}

/** True when dist/console is older than its sources (or missing). */
function consoleIsStale() {
  const built = fs.statSync(stamp, { throwIfNoEntry: false });
  return !built || !fs.existsSync(path.join(root, 'dist', 'console', 'index.html')) || newestSource() > built.mtimeMs;
}

/** Exit status of the build (0 when it succeeded). */
function buildConsole() {
  const run = (args) => spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root }).status ?? 1;
  const checked = run([require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'console', 'tsconfig.json')]);
  if (checked !== 0) return checked;
  // vite's package exports do not include its bin script; its folder does.
  const vite = path.join(path.dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
  const bundled = run([vite, 'build', 'console']);
  if (bundled !== 0) return bundled;
  fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
  return 0;
}

module.exports = { buildConsole, consoleIsStale };

if (require.main === module) process.exit(buildConsole());
