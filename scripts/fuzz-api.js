#!/usr/bin/env node
// npm run fuzz:api — property-based API testing with schemathesis against a freshly started server.
//
// 1. Installs schemathesis (pinned) into a cached Python virtual environment
//    (~/.cache/nimbus-fhir/venv-schemathesis-<version>; NIMBUS_FUZZ_VENV overrides), once.
// 2. Starts the built server (dist/) as a real process on a free loopback port with a temporary
//    data directory (the engine follows NIMBUS_ENGINE / MONGODB_URI like `serve` does).
// 3. Runs schemathesis against [base]/openapi.json for a bounded time and reports.
//
// The target: no 5xx, and no answer that breaks the OpenAPI document (undocumented status, wrong
// media type, body or headers not matching their schema). The checks are exactly those; the
// checks that need exact value schemas (positive_data_acceptance, negative_data_rejection) are
// left out because the document describes search values and resource bodies loosely on purpose
// (the FHIR definitions stay the authority, and the server answers what it refuses with 4xx).
//
// Options (also as env): --max-time S (NIMBUS_FUZZ_MAX_TIME, default 120), --max-examples N
// (NIMBUS_FUZZ_MAX_EXAMPLES, default 10), --all-types (fuzz all ~150 types; by default a set of
// representative types, the system paths and every operation at system level),
// --include-path-regex R, --seed N, --report-dir D.
// Exit: 0 clean, 1 failures found, 2 bad usage, 3 schemathesis could not be installed (no PyPI),
// 4 the server did not start or crashed.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const SCHEMATHESIS_VERSION = '4.32.5';
const ROOT = path.resolve(__dirname, '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');
const CHECKS = ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_headers_conformance', 'response_schema_conformance'];
// Types that exercise every code path the others share (search of each parameter type, references,
// compartments, scheduling and analytics operations), plus everything below the base that is not a type.
const DEFAULT_TYPES = ['Patient', 'Observation', 'Encounter', 'Appointment', 'Slot', 'Measure', 'Group'];

function options() {
  const args = process.argv.slice(2);
  const o = {
    maxTime: Number(process.env.NIMBUS_FUZZ_MAX_TIME ?? 120),
    maxExamples: Number(process.env.NIMBUS_FUZZ_MAX_EXAMPLES ?? 10),
    allTypes: false,
    pathRegex: undefined,
    seed: process.env.NIMBUS_FUZZ_SEED,
    reportDir: undefined,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      if (i + 1 >= args.length) usage(`${a} needs a value`);
      return args[++i];
    };
    if (a === '--max-time') o.maxTime = Number(value());
    else if (a === '--max-examples') o.maxExamples = Number(value());
    else if (a === '--all-types') o.allTypes = true;
    else if (a === '--include-path-regex') o.pathRegex = value();
    else if (a === '--seed') o.seed = value();
    else if (a === '--report-dir') o.reportDir = value();
    else usage(`unknown option ${a}`);
  }
  if (!(o.maxTime >= 1) || !(o.maxExamples >= 1)) usage('--max-time and --max-examples must be positive numbers');
  return o;
}

function usage(why) {
  console.error(`fuzz:api: ${why}\nusage: npm run fuzz:api -- [--max-time S] [--max-examples N] [--all-types] [--include-path-regex R] [--seed N] [--report-dir D]`);
  process.exit(2);
}

const say = (m) => console.log(`fuzz:api: ${m}`);

/** A Python ≥ 3.12 when there is one: 3.11's ast module is not thread-safe, which Hypothesis trips
 * over under schemathesis' parallel workers (the run then uses one worker). */
function findPython() {
  const candidates = [process.env.NIMBUS_FUZZ_PYTHON, 'python3.13', 'python3.12', 'python3'].filter(Boolean);
  for (const cmd of candidates) {
    const r = spawnSync(cmd, ['-c', 'import sys, venv; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
    if (r.status !== 0) continue;
    const [major, minor] = r.stdout.trim().split('.').map(Number);
    if (major === 3 && minor >= 10) return { cmd, minor };
  }
  return undefined;
}

function venvReady(venv) {
  const bin = path.join(venv, 'bin', 'schemathesis');
  if (!fs.existsSync(bin)) return undefined;
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes(SCHEMATHESIS_VERSION) ? bin : undefined;
}

function installSchemathesis(python) {
  const venv = process.env.NIMBUS_FUZZ_VENV ?? path.join(os.homedir(), '.cache', 'nimbus-fhir', `venv-schemathesis-${SCHEMATHESIS_VERSION}-py3${python.minor}`);
  const ready = venvReady(venv);
  if (ready) return ready;
  say(`installing schemathesis ${SCHEMATHESIS_VERSION} into ${venv} (once; cached afterwards)`);
  fs.rmSync(venv, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(venv), { recursive: true });
  const mk = spawnSync(python.cmd, ['-m', 'venv', venv], { encoding: 'utf8' });
  if (mk.status !== 0) fail(3, `cannot create a Python virtual environment with ${python.cmd}:\n${mk.stderr}`);
  const pip = spawnSync(path.join(venv, 'bin', 'pip'), ['install', '--disable-pip-version-check', '--quiet', '--timeout', '30', '--retries', '2', `schemathesis==${SCHEMATHESIS_VERSION}`], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (pip.status !== 0) {
    fs.rmSync(venv, { recursive: true, force: true });
    fail(3, `pip could not install schemathesis ${SCHEMATHESIS_VERSION} (is the Python package index reachable?):\n${(pip.stderr || pip.error?.message || '').trim().split('\n').slice(-6).join('\n')}`);
  }
  const bin = venvReady(venv);
  if (!bin) fail(3, `schemathesis ${SCHEMATHESIS_VERSION} was installed but does not run from ${venv}`);
  return bin;
}

function fail(code, message) {
  console.error(`fuzz:api: FAILED — ${message}`);
  process.exit(code);
}

function startServer(dataDir) {
  const child = spawn(process.execPath, [MAIN, 'serve'], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', NIMBUS_DATA_DIR: dataDir, NIMBUS_LOG_LEVEL: process.env.NIMBUS_LOG_LEVEL ?? 'warn', NIMBUS_AUTH: 'off' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const output = () => out;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not start in 60 s:\n${out}`));
    }, 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /ready at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, base: m[1], output });
      }
    });
    child.stderr.on('data', (d) => (out += d));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code} before it was ready:\n${out}`));
    });
  });
}

/** Server log lines that mean a bug whatever schemathesis saw: 5xx answers, uncaught errors. */
function serverProblems(log) {
  return log.split('\n').filter((l) => /"level":(50|60)\b|Uncaught|unhandled|TypeError|ReferenceError|RangeError/.test(l));
}

async function main() {
  const o = options();
  if (!fs.existsSync(MAIN)) fail(2, `${path.relative(ROOT, MAIN)} is missing: run npm run build first`);
  const python = findPython();
  if (!python) fail(3, 'no Python 3.10+ with the venv module found (set NIMBUS_FUZZ_PYTHON)');
  const schemathesis = installSchemathesis(python);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-fuzz-'));
  let server;
  try {
    server = await startServer(path.join(work, 'data'));
  } catch (e) {
    fail(4, e.message);
  }
  const exited = new Promise((resolve) => server.child.once('exit', (code, signal) => resolve({ code, signal })));
  let serverGone;
  exited.then((x) => (serverGone = x));
  // The document is generated on its first request (seconds on a busy machine, more than
  // schemathesis waits): fetch it once first, so schemathesis gets the kept copy.
  try {
    const warm = await fetch(`${server.base}/openapi.json`, { signal: AbortSignal.timeout(180_000) });
    if (warm.status !== 200) throw new Error(`status ${warm.status}`);
    await warm.arrayBuffer();
  } catch (e) {
    server.child.kill('SIGKILL');
    fail(4, `the server did not answer ${server.base}/openapi.json: ${e.message}`);
  }
  const regex = o.pathRegex ?? (o.allTypes ? undefined : `^/(${DEFAULT_TYPES.join('|')})(/|$)|^/[^A-Z]|^/$`);
  const workers = python.minor >= 12 ? '2' : '1';
  const reportDir = o.reportDir ?? path.join(work, 'report');
  const args = [
    'run',
    `${server.base}/openapi.json`,
    '--checks',
    CHECKS.join(','),
    '--max-examples',
    String(o.maxExamples),
    '--max-time',
    String(o.maxTime),
    '--workers',
    workers,
    '--request-timeout',
    '30',
    '--suppress-health-check',
    'all',
    '--report',
    'junit',
    '--report-dir',
    reportDir,
    ...(regex ? ['--include-path-regex', regex] : []),
    ...(o.seed ? ['--seed', String(o.seed)] : []),
  ];
  say(`server ${server.base} (data in ${work}); schemathesis ${SCHEMATHESIS_VERSION} on Python 3.${python.minor}, ${workers} worker(s), ` + `up to ${o.maxExamples} examples per operation, ${o.maxTime} s budget, paths ${regex ?? '(all)'}`);
  const started = Date.now();
  // The hard wall-clock limit: schemathesis' own budget plus loading and reporting time.
  const hardLimitMs = (o.maxTime + 120) * 1000;
  // cwd: the temporary directory, where schemathesis keeps its cache (.schemathesis/), not the checkout.
  const st = spawn(schemathesis, args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', COLUMNS: '120' } });
  let stOut = '';
  st.stdout.on('data', (d) => {
    stOut += d;
    process.stdout.write(d);
  });
  st.stderr.on('data', (d) => {
    stOut += d;
    process.stderr.write(d);
  });
  let timedOut = false;
  const killer = setTimeout(() => {
    timedOut = true;
    st.kill('SIGKILL');
  }, hardLimitMs);
  const code = await new Promise((resolve) => st.once('exit', (c) => resolve(c ?? 1)));
  clearTimeout(killer);
  server.child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  const seconds = Math.round((Date.now() - started) / 1000);
  const problems = serverProblems(server.output());
  const summary = /Test cases:\s*\n\s*(.+)/.exec(stOut)?.[1]?.trim();
  console.log('');
  if (serverGone && serverGone.signal !== 'SIGTERM' && serverGone.code !== 0) say(`the server died during the run (${JSON.stringify(serverGone)})`);
  if (problems.length) {
    const logFile = path.join(work, 'server.log');
    fs.writeFileSync(logFile, server.output());
    say(`the server logged ${problems.length} error line(s); the first ones (the whole log: ${logFile}):`);
    for (const line of problems.slice(0, 10)) say(`  ${line.slice(0, 600)}`);
  }
  if (timedOut) say(`schemathesis exceeded the hard limit of ${hardLimitMs / 1000} s and was stopped`);
  const ok = code === 0 && !timedOut && problems.length === 0 && !(serverGone && serverGone.signal !== 'SIGTERM' && serverGone.code !== 0);
  say(`${ok ? 'PASSED' : 'FAILED'} in ${seconds} s — ${summary ?? 'no summary'} (JUnit report in ${reportDir})`);
  if (ok) fs.rmSync(path.join(work, 'data'), { recursive: true, force: true });
  process.exit(ok ? 0 : code === 0 ? 1 : code);
}

main().catch((e) => fail(1, e.stack ?? String(e)));
