// The pre-write check of access conditions (src/access/index-match.ts) must agree with the
// engines' search on the predicate kinds policies are made of, so the two cannot drift apart.
import type { Resource } from '@medplum/fhirtypes';
import { holdsOnIndex, UncheckablePredicateError } from '../../src/access/index-match';
import type { Predicate } from '../../src/search/plan';
import type { Engine } from '../../src/storage/engine';
import { describeEachEngine } from '../support/engines';
import { parse, put, searchKit } from '../search/support';

const resources = [
  { resourceType: 'Observation', id: 'a', status: 'final', category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }], code: { coding: [{ system: 'http://loinc.org', code: '1' }] }, subject: { reference: 'Patient/p1' } },
  { resourceType: 'Observation', id: 'b', status: 'preliminary', code: { coding: [{ code: '2' }] }, subject: { reference: 'Patient/p2' }, performer: [{ reference: 'Practitioner/d1' }] },
  { resourceType: 'Observation', id: 'c', status: 'final', code: { text: 'no coding' }, subject: { reference: 'http://elsewhere.example/fhir/Patient/p1' } },
  { resourceType: 'Patient', id: 'p1', name: [{ family: 'Ærø' }], meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }] } },
  { resourceType: 'Patient', id: 'p2', name: [{ family: 'Smith' }], link: [{ other: { reference: 'Patient/p1' }, type: 'seealso' }] },
] as Resource[];

/** Policy-shaped predicates, written as search queries where possible (how policies get them). */
const queries: Array<[string, string]> = [
  ['Observation', 'subject=Patient/p1'],
  ['Observation', 'patient=p2'],
  ['Observation', 'subject=http://elsewhere.example/fhir/Patient/p1'],
  ['Observation', 'category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory'],
  ['Observation', 'code=|2'],
  ['Observation', 'code=http://loinc.org|'],
  ['Observation', 'status=final,preliminary'],
  ['Observation', '_id=a,c'],
  ['Observation', 'performer=Practitioner/d1'],
  ['Patient', 'family=ae'],
  ['Patient', 'family:exact=Ærø'],
  ['Patient', 'family:contains=mit'],
  ['Patient', '_security=R'],
  ['Patient', 'link=Patient/p1'],
  ['Observation', 'status:not=final'],
];

describeEachEngine('access conditions checked before a write', (factory) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await factory.make();
    await put(engine, ...resources);
  });
  afterAll(() => engine.close());

  it.each(queries)('%s?%s: the index check agrees with the engine', async (type, query) => {
    const plan = parse(type, query).plan;
    const found = new Set((await engine.search(plan)).matches.map((v) => v.id));
    const { indexer } = searchKit();
    for (const r of resources.filter((x) => x.resourceType === type)) {
      const holds = plan.where.every((p: Predicate) => holdsOnIndex(p, type, r.id!, indexer(r)));
      expect([r.id, holds]).toEqual([r.id, found.has(r.id!)]);
    }
  });

  it('refuses, rather than guesses, predicate kinds it does not check', () => {
    const plan = parse('Observation', 'date=ge2020').plan;
    expect(() => holdsOnIndex(plan.where[0], 'Observation', 'a', searchKit().indexer(resources[0]))).toThrow(UncheckablePredicateError);
  });
});
