// FHIR packages installed into the database, on every engine: a package.tgz built here (and its
// unpacked folder) is installed once, idempotently; its profile is enforced on writes and by
// $validate (slicing, fixed and pattern values, required bindings, an invariant, an extension),
// listed in the CapabilityStatement with its SearchParameter, which is searchable; a second server
// over the same database (on MongoDB a second engine, as a second process has) enforces the same
// profile; a broken package is refused with the file named and nothing written; and
// NIMBUS_REQUIRED_PROFILES makes every Patient write conform to the profile.
import { PackageError } from '../../../src/fhir/packages/package-reader';
import { describeEachEngine, tempDir } from '../../support/engines';
import { writePackageFolder, writePackageTgz } from '../../support/fhir-package';
import { makeTestServer, type TestServer } from '../../support/server';
import { makeServerPair, type ServerPair } from '../../support/server-pair';
import { hospitalPackage, hospitalPatient, MRN_SYSTEM, PATIENT_PROFILE, WARD_EXTENSION } from './hospital-package';

const FHIR = 'application/fhir+json';
type Issue = { severity: string; diagnostics: string; expression?: string[]; extension?: Array<{ valueString: string }> };
const errorsOf = (body: { issue?: Issue[] }) => (body.issue ?? []).filter((i) => i.severity === 'error');
const messageIds = (body: { issue?: Issue[] }) => errorsOf(body).map((i) => i.extension?.[0]?.valueString);

describeEachEngine('FHIR packages', (factory) => {
  let pair: ServerPair;
  let a: TestServer;
  let b: TestServer;
  let required: TestServer;
  const dir = tempDir('nimbus-packages-');
  const tgz = writePackageTgz(dir, 'hospital', hospitalPackage());
  beforeAll(async () => {
    pair = await makeServerPair(factory);
    ({ a, b } = pair);
    required = await makeTestServer({ engine: await factory.make(), env: { NIMBUS_REQUIRED_PROFILES: `Patient=${PATIENT_PROFILE}` } });
  });
  afterAll(async () => {
    await required.close();
    await pair.close();
  });
  const put = (t: TestServer, r: Record<string, unknown>) => t.http.put(`/fhir/${String(r.resourceType)}/${String(r.id)}`).set('Content-Type', FHIR).send(JSON.stringify(r));

  it('installs a package.tgz once: a reinstall writes nothing', async () => {
    // B has looked before: it holds a registry without the profile.
    const before = await b.http.post('/fhir/Patient/$validate').set('Content-Type', FHIR).send({ resourceType: 'Parameters', parameter: [{ name: 'resource', resource: hospitalPatient('x') }, { name: 'profile', valueUri: PATIENT_PROFILE }] });
    expect(messageIds(before.body)).toContain('PROFILE_UNKNOWN');
    // Both have built their CapabilityStatement before: it must not stay as it was.
    for (const t of [a, b]) expect((await t.http.get('/fhir/metadata')).body.rest[0].resource.find((r: { type: string }) => r.type === 'Patient').supportedProfile).not.toContain(PATIENT_PROFILE);
    const first = await a.server.installPackage(tgz);
    expect(first).toEqual({ name: 'example.hospital.r4', version: '1.0.0', written: 6, unchanged: 0, removed: 0, tolerated: 0, skipped: [], missingDependencies: ['hl7.terminology.r4@5.0.0'] });
    const again = await a.server.installPackage(tgz);
    expect([again.written, again.unchanged]).toEqual([0, 6]);
    const history = await a.http.get('/fhir/StructureDefinition/hospital-patient/_history');
    expect(history.body.total).toBe(1);
    // The example of the package is not conformance content.
    expect((await a.http.get('/fhir/Patient/example')).status).toBe(404);
  });

  it('enforces the profile on writes: slices, fixed and pattern values, required bindings, invariants, extensions', async () => {
    expect((await put(a, hospitalPatient('good'))).status).toBe(201);
    const cases: Array<[string, (p: Record<string, unknown>) => void, string]> = [
      ['no MRN (slice minimum)', (p) => (p.identifier = [{ system: 'urn:oid:1.2.3.4', value: 'x' }]), 'SLICE_MIN'],
      ['active not the fixed true', (p) => (p.active = false), 'FIXED_VALUE'],
      ['a marital status outside the required value set', (p) => (p.maritalStatus = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'W' }] }), 'CODE_NOT_IN_REQUIRED_VALUESET'],
      ['no family name (invariant hosp-1)', (p) => (p.name = [{ given: ['Ada'] }]), 'INVARIANT'],
      ['a ward code outside the extension binding', (p) => (p.extension = [{ url: WARD_EXTENSION, valueCode: 'east' }]), 'CODE_NOT_IN_REQUIRED_VALUESET'],
      ['a ward extension of the wrong type', (p) => (p.extension = [{ url: WARD_EXTENSION, valueString: 'north' }]), 'UNKNOWN_ELEMENT'],
    ];
    for (const [why, change, id] of cases) {
      const res = await put(a, hospitalPatient('bad', change));
      expect([why, res.status, messageIds(res.body)]).toEqual([why, 400, expect.arrayContaining([id])]);
    }
    // Without the profile claimed, the same resource is only held to the base definition.
    expect((await put(a, hospitalPatient('plain', (p) => { p.meta = undefined; p.active = false; }))).status).toBe(201);
  });

  it('$validate against the profile gives the same verdicts', async () => {
    const validate = (resource: Record<string, unknown>) =>
      a.http.post('/fhir/Patient/$validate').set('Content-Type', FHIR).send({ resourceType: 'Parameters', parameter: [{ name: 'resource', resource }, { name: 'profile', valueUri: PATIENT_PROFILE }] });
    const ok = await validate(hospitalPatient('v', (p) => (p.meta = undefined)));
    expect([ok.status, errorsOf(ok.body)]).toEqual([200, []]);
    const bad = await validate(hospitalPatient('v', (p) => { p.meta = undefined; p.identifier = [{ system: MRN_SYSTEM }]; }));
    expect(messageIds(bad.body)).toContain('MIN_CARDINALITY');
  });

  it('the package SearchParameter is searchable and listed, the profile is a supported profile', async () => {
    expect((await put(a, hospitalPatient('south', (p) => (p.extension = [{ url: WARD_EXTENSION, valueCode: 'south' }])))).status).toBe(201);
    const found = await a.http.get('/fhir/Patient?ward=south');
    expect(found.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual(['south']);
    const north = await a.http.get(`/fhir/Patient?ward=north&_sort=_id`);
    expect(north.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual(['good', 'plain']);
    for (const t of [a, b]) {
      await t.server.services.conformance!.refresh();
      const cs = await t.http.get('/fhir/metadata');
      const patient = cs.body.rest[0].resource.find((r: { type: string }) => r.type === 'Patient');
      expect(patient.supportedProfile).toContain(PATIENT_PROFILE);
      expect(patient.searchParam).toContainEqual({ name: 'ward', definition: 'http://hospital.example.org/fhir/SearchParameter/hospital-ward', type: 'token' });
    }
  });

  it('a SearchParameter stored by a client is listed in the CapabilityStatement too', async () => {
    const sp = { resourceType: 'SearchParameter', id: 'client-nickname', url: 'http://example.org/fhir/SearchParameter/client-nickname', name: 'nickname', status: 'active', description: 'Nickname', code: 'nickname', base: ['Patient'], type: 'string', expression: "Patient.name.where(use='nickname').given" };
    expect((await put(a, sp)).status).toBe(201);
    const patient = (await a.http.get('/fhir/metadata')).body.rest[0].resource.find((r: { type: string }) => r.type === 'Patient');
    expect(patient.searchParam).toContainEqual({ name: 'nickname', definition: sp.url, type: 'string' });
  });

  it('a profile stored by a client is enforced in every process; one redefining an R4 core definition is not used', async () => {
    const url = 'http://example.org/fhir/StructureDefinition/client-patient';
    const sd = { resourceType: 'StructureDefinition', id: 'client-patient', url, name: 'ClientPatient', status: 'active', kind: 'resource', abstract: false, type: 'Patient', baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Patient', derivation: 'constraint', differential: { element: [{ id: 'Patient.gender', path: 'Patient.gender', min: 1 }] } };
    expect((await put(a, sd)).status).toBe(201);
    await b.server.services.conformance!.refresh();
    const bad = await put(b, { resourceType: 'Patient', id: 'cp1', meta: { profile: [url] } });
    expect([bad.status, messageIds(bad.body)]).toEqual([400, ['MIN_CARDINALITY']]);
    // Deleted: the profile is unknown again everywhere (a warning by default).
    expect((await a.http.delete('/fhir/StructureDefinition/client-patient')).status).toBe(204);
    await b.server.services.conformance!.refresh();
    expect((await put(b, { resourceType: 'Patient', id: 'cp1', meta: { profile: [url] } })).status).toBe(201);
    const hijack = { ...sd, id: 'core-patient', url: 'http://hl7.org/fhir/StructureDefinition/Patient', differential: { element: [{ id: 'Patient.gender', path: 'Patient.gender', min: 1 }] } };
    expect((await put(a, hijack)).status).toBe(201);
    await a.server.services.conformance!.refresh();
    expect((await put(a, { resourceType: 'Patient', id: 'cp2' })).status).toBe(201);
  });

  it('a second server over the same database enforces the package profile', async () => {
    await b.server.services.conformance!.refresh();
    const bad = await put(b, hospitalPatient('via-b', (p) => (p.active = false)));
    expect([bad.status, messageIds(bad.body)]).toEqual([400, expect.arrayContaining(['FIXED_VALUE'])]);
    expect((await put(b, hospitalPatient('via-b'))).status).toBe(201);
    const search = await b.http.get('/fhir/Patient?ward=north&_sort=_id');
    expect(search.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual(['good', 'plain', 'via-b']);
  });

  it('installs the unpacked folder form; a new version removes what it no longer has', async () => {
    const v2 = hospitalPackage('1.1.0');
    delete v2.files['SearchParameter-hospital-ward.json'];
    const index = v2.files['.index.json'] as { files: Array<{ filename: string }> };
    index.files = index.files.filter((f) => f.filename !== 'SearchParameter-hospital-ward.json');
    const result = await a.server.installPackage(writePackageFolder(dir, 'hospital-1.1.0', v2));
    expect([result.version, result.written, result.unchanged, result.removed]).toEqual(['1.1.0', 0, 5, 1]);
    expect((await a.http.get('/fhir/SearchParameter/hospital-ward')).status).toBe(410);
    const search = await a.http.get('/fhir/Patient?ward=north');
    expect(search.status).toBe(400);
  });

  it('a broken package is refused with the file named, and nothing of it is written', async () => {
    const broken = hospitalPackage();
    broken.manifest.name = 'example.broken.r4';
    for (const [file, r] of Object.entries(broken.files)) {
      const res = r as { id?: string; url?: string };
      if (!file.includes('/') && res.id) {
        res.id = `broken-${res.id}`;
        res.url = `${res.url}-broken`;
      }
    }
    (broken.files['StructureDefinition-hospital-patient.json'] as { colour?: string }).colour = 'red';
    // A code outside a required binding is tolerated in package content (codes newer than R4).
    (broken.files['CodeSystem-hospital-ward.json'] as { status: string }).status = 'finished';
    (broken.files['.index.json'] as { files: Array<{ filename: string; id: string }> }).files.forEach((f) => (f.filename = f.filename.replace(/-(?=[a-z])/, '-broken-')));
    const renamed = Object.fromEntries(Object.entries(broken.files).map(([f, r]) => [f.includes('/') || f.startsWith('.') ? f : f.replace(/-(?=[a-z])/, '-broken-'), r]));
    broken.files = renamed;
    const file = writePackageTgz(dir, 'broken', broken);
    const err = await a.server.installPackage(file).catch((e: Error) => e);
    expect(err).toBeInstanceOf(PackageError);
    expect((err as Error).message).toMatch(/example\.broken\.r4@1\.0\.0 was not installed \(nothing was written\)/);
    expect((err as Error).message).toMatch(/StructureDefinition\/broken-hospital-patient \(package\/StructureDefinition-broken-hospital-patient\.json\) is invalid: .*colour/);
    expect((err as Error).message).toMatch(/1 resource\(s\) cannot be stored/);
    expect((await a.http.get('/fhir/CodeSystem/broken-hospital-ward')).status).toBe(404);
    // A profile cannot replace an R4 core definition (the base every write is checked against).
    const core = hospitalPackage();
    core.manifest.name = 'example.core.r4';
    core.files = { 'StructureDefinition-Patient.json': { resourceType: 'StructureDefinition', id: 'Patient', url: 'http://hl7.org/fhir/StructureDefinition/Patient', name: 'Patient', status: 'active', kind: 'resource', abstract: false, type: 'Patient', baseDefinition: 'http://hl7.org/fhir/StructureDefinition/DomainResource', derivation: 'specialization', differential: { element: [{ id: 'Patient', path: 'Patient' }] } } };
    await expect(a.server.installPackage(writePackageTgz(dir, 'core', core))).rejects.toThrow(/StructureDefinition\/Patient .* redefines the R4 core definition http:\/\/hl7\.org\/fhir\/StructureDefinition\/Patient/);
    // Not an archive at all; no package.json; a package for another FHIR version.
    const junk = `${dir}/junk.tgz`;
    require('node:fs').writeFileSync(junk, 'not a tarball');
    await expect(a.server.installPackage(junk)).rejects.toThrow(/package\.json is missing|not a FHIR package archive/);
    const r5 = hospitalPackage();
    r5.manifest.fhirVersions = ['5.0.0'];
    await expect(a.server.installPackage(writePackageTgz(dir, 'r5', r5))).rejects.toThrow(/is for FHIR 5\.0\.0; this server is FHIR R4/);
    await expect(a.server.installPackage(`${dir}/missing.tgz`)).rejects.toThrow(/no such file or folder/);
  });

  it('a SearchParameter the server cannot index is left out and reported, the rest installed', async () => {
    const pkg = { manifest: { name: 'example.composite.r4', version: '0.1.0' }, files: {
      'CodeSystem-colour.json': { resourceType: 'CodeSystem', id: 'colour', url: 'http://example.org/fhir/CodeSystem/colour', status: 'active', content: 'complete', concept: [{ code: 'red' }] },
      'SearchParameter-code-value.json': { resourceType: 'SearchParameter', id: 'code-value', url: 'http://example.org/fhir/SearchParameter/code-value', name: 'codeValue', status: 'active', description: 'x', code: 'code-value-x', base: ['Observation'], type: 'composite', expression: 'Observation', component: [{ definition: 'http://hl7.org/fhir/SearchParameter/clinical-code', expression: 'code' }] },
    } };
    const result = await a.server.installPackage(writePackageTgz(dir, 'composite', pkg));
    expect([result.written, result.skipped]).toEqual([1, [expect.stringMatching(/^SearchParameter\/code-value \(package\/SearchParameter-code-value\.json\): .*composite/)]]);
    expect((await a.http.get('/fhir/SearchParameter/code-value')).status).toBe(404);
  });

  it('a resource of another package with the same id is not overwritten', async () => {
    const other = hospitalPackage();
    other.manifest.name = 'example.other.r4';
    await expect(a.server.installPackage(writePackageTgz(dir, 'other', other))).rejects.toThrow(/CodeSystem\/hospital-ward \(package\/CodeSystem-hospital-ward\.json\) is already installed by the package example\.hospital\.r4@1\.1\.0/);
  });

  it('NIMBUS_PACKAGES installs at start-up; a broken one stops start-up with what is wrong', async () => {
    const started = await makeTestServer({ engine: await factory.make(), env: { NIMBUS_PACKAGES: tgz } });
    try {
      expect((await put(started, hospitalPatient('s1', (p) => (p.active = false)))).status).toBe(400);
      expect((await started.http.get('/fhir/Patient?ward=north')).status).toBe(200);
    } finally {
      await started.close();
    }
    const engine = await factory.make();
    await expect(makeTestServer({ engine, env: { NIMBUS_PACKAGES: `${dir}/nowhere.tgz` } })).rejects.toThrow(/^NIMBUS_PACKAGES: .*nowhere\.tgz: no such file or folder/);
    await engine.close();
  });

  it('NIMBUS_REQUIRED_PROFILES: every Patient write must conform, and an unknown required profile refuses', async () => {
    const unclaimed = (id: string, change?: (p: Record<string, unknown>) => void) => hospitalPatient(id, (p) => { p.meta = undefined; change?.(p); });
    const before = await put(required, unclaimed('r1'));
    expect([before.status, messageIds(before.body)]).toEqual([400, ['PROFILE_UNKNOWN']]);
    await required.server.installPackage(tgz);
    const bad = await put(required, unclaimed('r2', (p) => (p.identifier = undefined)));
    expect([bad.status, messageIds(bad.body)]).toEqual([400, expect.arrayContaining(['SLICE_MIN'])]);
    expect((await put(required, unclaimed('r3'))).status).toBe(201);
    // Other types are not concerned.
    expect((await put(required, { resourceType: 'Basic', id: 'b1', code: { text: 'x' } })).status).toBe(201);
    // $validate in mode create predicts the write.
    const predicted = await required.http.post('/fhir/Patient/$validate').set('Content-Type', FHIR).send({ resourceType: 'Parameters', parameter: [{ name: 'resource', resource: unclaimed('r4', (p) => (p.active = false)) }, { name: 'mode', valueCode: 'create' }] });
    expect(messageIds(predicted.body)).toContain('FIXED_VALUE');
  });
});
