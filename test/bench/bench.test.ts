// Smoke test of `npm run bench`: a tiny size and very short loads, checking that the report has
// the machine description and every row — never how fast anything was (timings are not tested).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const RUN = path.resolve(__dirname, '..', '..', 'dist', 'bench', 'run.js');

const ROWS = [
  'ingest: transaction Bundles over HTTP',
  'ingest: nimbus-fhir import',
  'database size on disk',
  'start-up on the loaded store',
  'read by id (1 conn)',
  'read by id (32 conns)',
  'ceiling: bare node:http',
  'read by id as % of bare node:http',
  'ceiling: bare Express 5',
  'read by id as % of bare Express 5',
  'Observation?code= 0.2 %, first page',
  'Observation?code= 2 %, first page',
  'Observation?code= 5 %, first page',
  'Observation?code= 0.2 %, all pages _count=1000',
  'Observation?code= 2 %, all pages _count=1000',
  'Observation?code= 5 %, all pages _count=1000',
  'Observation?code= 5 % &date=',
  'POST Observation/_search patient= 1,000 ids',
  'Patient?birthdate=gt',
  'Observation?code= 2 % &patient.gender=female',
  'Observation?code= 2 % &_include=Observation:patient',
  'Observation?code= 5 % &_summary=count',
  'Observation?_summary=count',
  'Patient/[id]/$everything',
  '$risk-assessment model=charlson of one patient',
  '$risk-assessment model=news2 of one patient',
  'CDS Hooks order-sign, one draft',
  'create Observation (16 conns)',
  'create Observation with exact decimals (16 conns)',
  'update Patient (16 conns)',
  'CRUD cycle, 9 linked types',
  'peak RSS of the server process',
];

describe('npm run bench (tiny size)', () => {
  let out = '';
  let err = '';
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-bench-test-'));

  beforeAll(() => {
    // MONGODB_URI is cleared so the MongoDB section must explain why it is skipped.
    const env = { ...process.env, MONGODB_URI: '' };
    const r = spawnSync(process.execPath, [RUN, '--size', '1', '--duration', '0.2', '--max-requests', '300', '--ingest-clients', '2', '--work-dir', workDir], {
      env,
      encoding: 'utf8',
      timeout: 170_000,
    });
    out = r.stdout;
    err = r.stderr;
    expect(r.status).toBe(0);
  }, 180_000);

  afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));

  it('starts with the machine description', () => {
    expect(out).toMatch(/^# Nimbus FHIR bench/);
    expect(out).toMatch(/CPU .+ · \d+ cores · [\d.]+ GiB RAM · Node v\d+/);
  });

  it('prints a Markdown table for SQLite with every row', () => {
    const sqlite = out.slice(out.indexOf('## SQLite'), out.indexOf('## MongoDB'));
    expect(sqlite).toMatch(/\| workload +\| +throughput \| +p50 \| +p99 \| notes +\| target +\| status +\|/);
    const missing = ROWS.filter((r) => !sqlite.split('\n').some((line) => line.startsWith(`| ${r}`)));
    expect({ missing, stderr: missing.length ? err.slice(-2000) : '' }).toEqual({ missing: [], stderr: '' });
  });

  it('measures what the core server always offers (a figure, whatever its value)', () => {
    for (const label of ['read by id (1 conn)', 'create Observation (16 conns)', 'ceiling: bare Express 5']) {
      const line = out.split('\n').find((l) => l.startsWith(`| ${label}`))!;
      expect(line.split('|')[2]).toMatch(/\d/);
    }
  });

  it('says why MongoDB is skipped without MONGODB_URI', () => {
    expect(out).toMatch(/## MongoDB\s+skipped: MONGODB_URI is not set/);
  });
});
