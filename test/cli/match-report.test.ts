// `nimbus-fhir match --report` through the real CLI (dist/, built by the pretest step) on a SQLite
// store loaded with `import`: the CSV names every planted duplicate pair, scored and graded, once.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { generatedPatients } from '../../bench/matching';
import { MAIN } from '../support/process';
import { tempDir } from '../support/engines';

jest.setTimeout(120_000);

function cli(args: string[], dataDir: string) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { env: { ...process.env, NIMBUS_DATA_DIR: dataDir, NIMBUS_LOG_LEVEL: 'silent' }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Splits one CSV line (quoted fields may hold commas and doubled quotes). */
function fields(line: string): string[] {
  const out: string[] = [];
  const re = /("(?:[^"]|"")*"|[^,]*)(,|$)/g;
  for (let m = re.exec(line); m && m.index < line.length; m = re.exec(line)) {
    out.push(m[1].startsWith('"') ? m[1].slice(1, -1).replace(/""/g, '"') : m[1]);
    if (!m[2]) break;
  }
  return out;
}

describe('nimbus-fhir match --report', () => {
  const work = tempDir('nimbus-match-');
  const data = path.join(work, 'data');
  const set = generatedPatients(150, 3);

  beforeAll(() => {
    const input = path.join(work, 'Patient.ndjson');
    fs.writeFileSync(input, set.patients.map((p) => JSON.stringify(p)).join('\n') + '\n');
    const imported = cli(['import', input], data);
    expect(imported.code).toBe(0);
  });

  it('writes every probable duplicate pair, scored, once', () => {
    const out = path.join(work, 'pairs.csv');
    const r = cli(['match', '--report', out], data);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`probable-or-better pairs among ${set.patients.length} patients`);
    const [header, ...rows] = fs.readFileSync(out, 'utf8').trim().split('\n');
    expect(header).toBe('score,grade,weight,patient_a,patient_b,family_a,family_b,given_a,given_b,birth_date_a,birth_date_b,agreement');
    const pairs = rows.map(fields).map((f) => ({ score: Number(f[0]), grade: f[1], a: f[3], b: f[4], agreement: f[11] }));
    const key = (a: string, b: string) => [a, b].sort().join(' ');
    const reported = new Set(pairs.map((p) => key(p.a, p.b)));
    expect(reported.size).toBe(pairs.length);
    for (const [a, b] of set.truth) expect(reported).toContain(key(`Patient/${a}`, `Patient/${b}`));
    for (const p of pairs) {
      expect(['certain', 'probable']).toContain(p.grade);
      expect(p.score).toBeGreaterThanOrEqual(0.95);
      expect(p.agreement).toMatch(/family=/);
    }
  });

  it('refuses a missing report file or an unknown grade, saying how to call it', () => {
    const none = cli(['match'], data);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/usage: nimbus-fhir match --report/);
    const bad = cli(['match', '--report', path.join(work, 'x.csv'), '--min-grade', 'maybe'], data);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--min-grade must be one of certain, probable, possible/);
  });
});
