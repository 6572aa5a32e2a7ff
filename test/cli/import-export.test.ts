// The real CLI (`node dist/src/main.js`, built by the pretest step) importing NDJSON and Bundles,
// exporting NDJSON per type, and round-tripping import → export → import into a fresh database.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { generatePatientRecords } from '../../src/generate';
import { MAIN } from '../support/process';
import { tempDir } from '../support/engines';

function cli(args: string[], dataDir: string, input?: string) {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    env: { ...process.env, NIMBUS_DATA_DIR: dataDir, NIMBUS_LOG_LEVEL: 'silent' },
    input,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Resources by Type/id without the server-owned meta, read from a directory of NDJSON files. */
function readExport(dir: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const file of fs.readdirSync(dir)) {
    for (const line of fs.readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      if (!line) continue;
      const r = JSON.parse(line) as Resource & { meta?: Record<string, unknown> };
      expect(`${r.resourceType}.ndjson`).toBe(file);
      const meta = { ...r.meta };
      delete meta.versionId;
      delete meta.lastUpdated;
      out.set(`${r.resourceType}/${r.id}`, { ...r, meta });
    }
  }
  return out;
}

describe('import and export', () => {
  const work = tempDir('nimbus-cli-');
  const input = path.join(work, 'input.ndjson');
  let resources: Resource[] = [];

  beforeAll(() => {
    resources = [];
    for (const item of generatePatientRecords({ patients: 3, seed: 7 })) resources.push(...(item.shared ?? item.patient!.resources));
    const lines = resources.map((r) => JSON.stringify(r));
    lines.splice(5, 0, '{"resourceType": "Patient", broken');
    lines.splice(9, 0, JSON.stringify({ resourceType: 'Patient', id: 'bad-gender', gender: 'robot' }));
    fs.writeFileSync(input, `${lines.join('\n')}\n`);
  });

  it('imports NDJSON, reports failed lines by number, and the rest still loads', () => {
    const r = cli(['import', input, '--chunk', '50'], path.join(work, 'a'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${resources.length} loaded, 0 skipped (unchanged), 2 failed`);
    expect(r.stdout).toMatch(/input\.ndjson:6: not valid JSON/);
    expect(r.stdout).toMatch(/input\.ndjson:10: .*gender/);
  });

  it('round-trips: export → import into a fresh database → export gives the same resources', () => {
    const first = path.join(work, 'export-1');
    const second = path.join(work, 'export-2');
    expect(cli(['export', first], path.join(work, 'a')).code).toBe(0);
    const a = readExport(first);
    // The export also holds the conformance resources every server installs from fhir-profiles/;
    // the fresh database already has those, so they are the skipped (unchanged) ones.
    const installed = a.size - resources.length;
    const imported = cli(['import', first], path.join(work, 'b'));
    expect(imported.stdout).toContain(`${resources.length} loaded, ${installed} skipped (unchanged), 0 failed`);
    expect(imported.code).toBe(0);
    expect(cli(['export', second], path.join(work, 'b')).code).toBe(0);
    const b = readExport(second);
    expect(b).toEqual(a);
    for (const r of resources) {
      const { meta: _m, ...rest } = r as Resource & { meta?: unknown };
      expect(a.get(`${r.resourceType}/${r.id}`)).toMatchObject(rest);
    }
    // Loading the same data again writes nothing new.
    expect(cli(['import', first], path.join(work, 'b')).stdout).toContain(`0 loaded, ${a.size} skipped (unchanged), 0 failed`);
  });

  it('exports only the asked types and resources changed since an instant', () => {
    const dir = path.join(work, 'export-types');
    expect(cli(['export', '--types', 'Patient,Organization', dir], path.join(work, 'a')).code).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual(['Organization.ndjson', 'Patient.ndjson']);
    const later = path.join(work, 'export-since');
    expect(cli(['export', '--since', '2999-01-01T00:00:00Z', later], path.join(work, 'a')).code).toBe(0);
    expect(fs.readdirSync(later)).toEqual([]);
    expect(cli(['export', '--types', 'Nope', dir], path.join(work, 'a')).code).toBe(2);
  });

  it('keeps decimals exactly as written from import to export, and refuses out-of-range and too-deep lines', () => {
    const dataDir = path.join(work, 'd');
    const file = path.join(work, 'decimals.ndjson');
    const exact = '{"resourceType":"Observation","id":"dec","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50},"component":[{"code":{"text":"y"},"valueQuantity":{"value":1.0000000000000000000000001}}]}';
    const lines = [exact, exact.replace('"dec"', '"big"').replace('1.50', '1e400'), `{"resourceType":"Basic","extension":${'['.repeat(5000)}${']'.repeat(5000)}}`];
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const r = cli(['import', file], dataDir);
    expect(r.stdout).toContain('1 loaded, 0 skipped (unchanged), 2 failed');
    expect(r.stdout).toMatch(/decimals\.ndjson:2: Observation\.valueQuantity\.value: 1e400 is outside the range/);
    expect(r.stdout).toMatch(/decimals\.ndjson:3: .*levels deep/);
    const out = path.join(work, 'export-d');
    expect(cli(['export', '--types', 'Observation', out], dataDir).code).toBe(0);
    const text = fs.readFileSync(path.join(out, 'Observation.ndjson'), 'utf8');
    expect(text).toContain('"valueQuantity":{"value":1.50}');
    expect(text).toContain('"value":1.0000000000000000000000001}');
  });

  it('reads a pretty-printed transaction Bundle from stdin', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:1', resource: { resourceType: 'Patient', name: [{ family: 'Stdin' }] }, request: { method: 'POST', url: 'Patient' } },
        { fullUrl: 'urn:uuid:2', resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:1' } }, request: { method: 'POST', url: 'Observation' } },
      ],
    };
    const dataDir = path.join(work, 'c');
    const r = cli(['import', '-'], dataDir, JSON.stringify(bundle, null, 2));
    expect(r.stdout).toContain('2 loaded, 0 skipped (unchanged), 0 failed');
    const out = path.join(work, 'export-c');
    cli(['export', out], dataDir);
    const patient = JSON.parse(fs.readFileSync(path.join(out, 'Patient.ndjson'), 'utf8')) as Resource;
    const obs = JSON.parse(fs.readFileSync(path.join(out, 'Observation.ndjson'), 'utf8')) as { subject: { reference: string } };
    expect(obs.subject.reference).toBe(`Patient/${patient.id}`);
  });
});
