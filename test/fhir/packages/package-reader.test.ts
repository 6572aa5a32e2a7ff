// Reading FHIR packages: what is loaded from a package (root conformance resources, as listed by
// .index.json when there is one) and the errors a broken package gives, naming the file.
import fs from 'node:fs';
import path from 'node:path';
import { PackageError, readPackage } from '../../../src/fhir/packages/package-reader';
import { isRegistrySpec } from '../../../src/fhir/packages/npm-fetch';
import { tempDir } from '../../support/engines';
import { writePackageFolder, writePackageTgz } from '../../support/fhir-package';
import { hospitalPackage } from './hospital-package';

const dir = tempDir('nimbus-package-reader-');

it('reads the root conformance resources of a tgz and of a folder alike, examples left out', () => {
  const fromTgz = readPackage(writePackageTgz(dir, 'p', hospitalPackage()));
  const fromFolder = readPackage(writePackageFolder(dir, 'p', hospitalPackage()));
  expect(fromTgz).toEqual(fromFolder);
  expect(fromTgz.resources.map((r) => `${r.resource.resourceType}/${r.resource.id}`).sort()).toEqual([
    'CodeSystem/hospital-ward', 'SearchParameter/hospital-ward', 'StructureDefinition/hospital-patient', 'StructureDefinition/ward', 'ValueSet/hospital-marital', 'ValueSet/hospital-ward',
  ]);
  expect([fromTgz.name, fromTgz.version, fromTgz.fhirVersions]).toEqual(['example.hospital.r4', '1.0.0', ['4.0.1']]);
  // The folder holding `package/` and `package/` itself are both accepted.
  expect(readPackage(path.join(writePackageFolder(dir, 'q', hospitalPackage()), 'package')).resources).toHaveLength(6);
});

it('without .index.json every root JSON file of a loaded type is read; other types are skipped', () => {
  const pkg = hospitalPackage();
  delete pkg.files['.index.json'];
  pkg.files['Patient-root.json'] = { resourceType: 'Patient', id: 'root' };
  expect(readPackage(writePackageTgz(dir, 'noindex', pkg)).resources).toHaveLength(6);
});

it('names the file and the problem of a broken package', () => {
  const missing = hospitalPackage();
  delete missing.files['ValueSet-hospital-ward.json'];
  expect(() => readPackage(writePackageTgz(dir, 'missing', missing))).toThrow(/ValueSet-hospital-ward\.json is missing/);
  const badJson = hospitalPackage();
  badJson.files['ValueSet-hospital-ward.json'] = '{ "resourceType": ';
  expect(() => readPackage(writePackageTgz(dir, 'badjson', badJson))).toThrow(/example\.hospital\.r4@1\.0\.0: ValueSet-hospital-ward\.json is not valid JSON/);
  const noId = hospitalPackage();
  delete (noId.files['ValueSet-hospital-ward.json'] as { id?: string }).id;
  expect(() => readPackage(writePackageTgz(dir, 'noid', noId))).toThrow(/package\/ValueSet-hospital-ward\.json \(ValueSet\) needs an id/);
  const twice = hospitalPackage();
  delete twice.files['.index.json'];
  twice.files['ValueSet-copy.json'] = twice.files['ValueSet-hospital-ward.json'];
  expect(() => readPackage(writePackageTgz(dir, 'twice', twice))).toThrow(/ValueSet\/hospital-ward is in both package\/ValueSet-copy\.json and package\/ValueSet-hospital-ward\.json/);
  const noName = hospitalPackage();
  delete noName.manifest.name;
  expect(() => readPackage(writePackageTgz(dir, 'noname', noName))).toThrow(PackageError);
  const truncated = path.join(dir, 'truncated.tgz');
  const whole = fs.readFileSync(writePackageTgz(dir, 'whole', hospitalPackage()));
  fs.writeFileSync(truncated, whole.subarray(0, whole.length / 2));
  expect(() => readPackage(truncated)).toThrow(/not a FHIR package archive/);
});

it('tells registry specs from paths', () => {
  expect(isRegistrySpec('hl7.terminology.r4@7.0.1')).toBe(true);
  expect(isRegistrySpec('@scope/pkg@latest')).toBe(true);
  expect(isRegistrySpec('hl7.terminology.r4')).toBe(false);
  expect(isRegistrySpec('./hospital.tgz')).toBe(false);
  expect(isRegistrySpec(`${dir}/x@1.0.0`)).toBe(false);
});
