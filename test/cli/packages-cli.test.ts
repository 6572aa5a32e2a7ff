// `nimbus-fhir packages install|list` (the real CLI from dist/): a package.tgz is installed into
// the data directory, a reinstall writes nothing, `list` shows it, a broken package exits 1 with
// what is wrong; a server started over the same data directory then enforces the package profile.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { MAIN } from '../support/process';
import { tempDir } from '../support/engines';
import { writePackageTgz } from '../support/fhir-package';
import { makeTestServer } from '../support/server';
import { hospitalPackage, hospitalPatient, PATIENT_PROFILE } from '../fhir/packages/hospital-package';

it('installs a package with the CLI, lists it, and a server then enforces its profile', async () => {
  const work = tempDir('nimbus-cli-pkg-');
  const dataDir = path.join(work, 'data');
  const tgz = writePackageTgz(work, 'hospital', hospitalPackage());
  const cli = (...args: string[]) => spawnSync(process.execPath, [MAIN, 'packages', ...args], { env: { ...process.env, NIMBUS_DATA_DIR: dataDir, NIMBUS_LOG_LEVEL: 'silent' }, encoding: 'utf8' });
  expect(cli('list').stdout).toBe('no FHIR packages installed\n');
  const first = cli('install', tgz);
  expect([first.status, first.stdout]).toEqual([0, expect.stringContaining('installed example.hospital.r4@1.0.0: 6 resource(s) written, 0 unchanged, 0 removed')]);
  expect(first.stdout).toContain('dependencies not installed: hl7.terminology.r4@5.0.0');
  expect(cli('install', tgz).stdout).toContain('0 resource(s) written, 6 unchanged');
  expect(cli('list').stdout).toMatch(/^example\.hospital\.r4@1\.0\.0\t6 resource\(s\)\tinstalled \d{4}-/);
  fs.writeFileSync(path.join(work, 'broken.tgz'), 'not a package');
  const broken = cli('install', path.join(work, 'broken.tgz'));
  expect([broken.status, broken.stderr]).toEqual([1, expect.stringMatching(/^nimbus-fhir packages: .*broken\.tgz: not a FHIR package archive/)]);
  expect(cli('install').status).toBe(2);

  const t = await makeTestServer({ env: { NIMBUS_DATA_DIR: dataDir } });
  try {
    const bad = await t.http.put('/fhir/Patient/p1').set('Content-Type', 'application/fhir+json').send(hospitalPatient('p1', (p) => (p.active = false)));
    expect(bad.status).toBe(400);
    expect((await t.http.put('/fhir/Patient/p1').set('Content-Type', 'application/fhir+json').send(hospitalPatient('p1'))).status).toBe(201);
    const patient = (await t.http.get('/fhir/metadata')).body.rest[0].resource.find((r: { type: string }) => r.type === 'Patient');
    expect(patient.supportedProfile).toContain(PATIENT_PROFILE);
  } finally {
    await t.close();
  }
});
