// Extraction over the whole R4 registry: every parameter with an expression compiles, every
// official R4 example indexes without error, and typed values normalise as the spec says.
import fs from 'node:fs';
import path from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { searchKit } from './support';
import { DERIVED_SEARCH_PARAMETERS } from '../../src/search/derived';

describe('indexer', () => {
  const { registry, indexer } = searchKit();

  it('compiles every R4 search parameter with an expression, nearly all to direct accessors', () => {
    let direct = 0;
    let fhirpath = 0;
    const missing: string[] = [];
    for (const type of registry.resourceTypes) {
      for (const p of registry.paramsFor(type).values()) {
        if (p.mode === 'direct') direct++;
        else if (p.mode === 'fhirpath') fhirpath++;
        else if (!['_id', '_text', '_content', '_query', 'near'].includes(p.code)) missing.push(`${type}.${p.code}`);
      }
    }
    // R4's 1,378 plus the server's computed ones (search/derived.ts: the record linker's match-key).
    expect(registry.size).toBe(1378 + DERIVED_SEARCH_PARAMETERS.length);
    expect(missing).toEqual([]);
    expect(direct).toBeGreaterThan(2400);
    expect(fhirpath).toBeLessThan(10);
  });

  it('indexes every official R4 example without throwing', () => {
    const dir = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
    let indexed = 0;
    for (const file of fs.readdirSync(dir)) {
      if (!file.endsWith('.json') || file === 'package.json' || file.startsWith('.')) continue;
      const resource = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Resource;
      if (!resource.resourceType || !registry.resourceTypes.has(resource.resourceType)) continue;
      indexer(resource);
      indexed++;
    }
    expect(indexed).toBeGreaterThan(2000);
  });

  it('treats empty elements as missing and keeps typed values', () => {
    const v = indexer({ resourceType: 'Patient', id: 'x', name: [{}], telecom: [{ system: 'phone', value: '555' }], deceasedBoolean: false } as Resource);
    expect(v.string.filter((e) => e.p === 'name')).toEqual([]);
    expect(v.token.filter((e) => e.p === 'phone')).toEqual([{ p: 'phone', c: '555' }]);
    expect(v.token.filter((e) => e.p === 'deceased')).toEqual([{ p: 'deceased', c: 'false' }]);
  });

  it('applies where(resolve() is X) as a target-type filter', () => {
    const v = indexer({ resourceType: 'Observation', id: 'x', status: 'final', code: { text: 'x' }, subject: { reference: 'Group/g1' } } as Resource);
    expect(v.reference.filter((e) => e.p === 'subject')).toEqual([{ p: 'subject', t: 'Group', i: 'g1' }]);
    expect(v.reference.filter((e) => e.p === 'patient')).toEqual([]);
  });
});
