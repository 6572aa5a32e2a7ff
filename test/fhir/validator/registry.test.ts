// The registry of conformance resources: the core package index (r4-renamed.json is what the
// package says), look-ups by canonical and version, run-time additions that win over core ones.
import fs from 'node:fs';
import path from 'node:path';
import { CONFORMANCE_TYPES, ConformanceRegistry, R4PackageSource } from '../../../src/fhir/validator/registry';
import { coreSource } from './support';

describe('conformance registry', () => {
  it('r4-renamed.json lists exactly the package files whose name is not their URL tail', () => {
    const dir = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
    const expected: Record<string, string> = {};
    for (const f of fs.readdirSync(dir).sort()) {
      const type = CONFORMANCE_TYPES.find((t) => f.startsWith(`${t}-`));
      if (!type || type === 'Questionnaire') continue;
      const url = (JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { url?: string }).url;
      if (url && f !== `${type}-${url.split('/').pop()}.json`) expected[`${type}|${url}`] = f;
    }
    expect(JSON.parse(fs.readFileSync(path.join(__dirname, '../../../src/fhir/validator/r4-renamed.json'), 'utf8'))).toEqual(expected);
  });

  it('finds core resources by canonical, including renamed files and pinned versions', () => {
    const r = new ConformanceRegistry(coreSource);
    expect(r.typeDefinition('Patient')?.snapshot?.element.length).toBeGreaterThan(30);
    expect(r.resolve('CodeSystem', 'http://terminology.hl7.org/CodeSystem/security-source-type')?.url).toBe('http://terminology.hl7.org/CodeSystem/security-source-type');
    expect(r.resolve('ValueSet', 'http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1')).toBeDefined();
    expect(r.resolve('ValueSet', 'http://hl7.org/fhir/ValueSet/administrative-gender|3.0.2')).toBeUndefined();
    expect(r.resolve('CodeSystem', 'http://loinc.org')).toBeUndefined();
  });

  it('run-time additions win over core ones, keep versions apart, and bump the generation', () => {
    const r = new ConformanceRegistry(new R4PackageSource());
    const g = r.generation;
    r.add({ resourceType: 'ValueSet', url: 'http://hl7.org/fhir/ValueSet/administrative-gender', version: '9', status: 'active' });
    r.add({ resourceType: 'ValueSet', url: 'http://example.org/vs', version: '1', status: 'draft' });
    r.add({ resourceType: 'ValueSet', url: 'http://example.org/vs', version: '2', status: 'active' });
    expect(r.generation).toBeGreaterThan(g);
    expect(r.resolve('ValueSet', 'http://hl7.org/fhir/ValueSet/administrative-gender')?.version).toBe('9');
    expect(r.resolve('ValueSet', 'http://example.org/vs')?.version).toBe('2');
    expect(r.resolve('ValueSet', 'http://example.org/vs|1')?.status).toBe('draft');
    r.remove('ValueSet', 'http://example.org/vs', '2');
    expect(r.resolve('ValueSet', 'http://example.org/vs')?.version).toBe('1');
    expect(r.add({ resourceType: 'Patient', url: 'x' })).toBe(false);
  });
});
