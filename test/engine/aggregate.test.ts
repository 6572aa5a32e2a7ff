// Engine conformance: aggregate counts resources per index value inside the database — the
// primitive of $meta at system/type level and of the analytics operations — with the same groups,
// order and totals on every engine.
import type { Resource } from '@medplum/fhirtypes';
import type { Engine } from '../../src/storage/engine';
import { describeEachEngine } from '../support/engines';
import { BASE_URL, parse, put, remove } from '../search/support';

const CONF = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
const resources = [
  { resourceType: 'Patient', id: 'p1', gender: 'male', meta: { tag: [{ system: 'urn:t', code: 'a' }, { system: 'urn:t', code: 'a' }, { code: 'b' }], security: [{ system: CONF, code: 'R' }], profile: ['http://p/us-core|3.1.1'] } },
  { resourceType: 'Patient', id: 'p2', gender: 'female', meta: { tag: [{ system: 'urn:t', code: 'a' }], profile: ['http://p/us-core|3.1.1', 'http://p/other'] } },
  { resourceType: 'Patient', id: 'p3', gender: 'male', meta: { tag: [{ system: 'urn:t', code: 'c', display: 'text only in display' }] } },
  { resourceType: 'Patient', id: 'p4', gender: 'male' },
  { resourceType: 'Organization', id: 'o1', name: 'Acme', meta: { tag: [{ system: 'urn:t', code: 'a' }], security: [{ system: CONF, code: 'N' }] } },
  { resourceType: 'Observation', id: 'ob1', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '1234' }], text: 'Weight' }, subject: { reference: 'Patient/p1' } },
  { resourceType: 'Observation', id: 'ob2', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '1234' }, { system: 'urn:local', code: 'w' }] }, subject: { reference: 'Patient/p1' } },
  { resourceType: 'Observation', id: 'ob3', status: 'amended', code: { coding: [{ system: 'http://loinc.org', code: '5678' }] }, subject: { reference: 'https://elsewhere.org/fhir/Patient/x' } },
  { resourceType: 'Observation', id: 'ob4', status: 'final', code: { text: 'free text only' }, subject: { reference: `${BASE_URL}/Patient/p2` } },
  { resourceType: 'Observation', id: 'ob5', status: 'final', code: { coding: [{ code: '1234' }] }, subject: { identifier: { system: 'urn:mrn', value: '7' } } },
] as Resource[];

describeEachEngine('engine aggregate', (factory) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await factory.make();
    await put(engine, ...resources);
    // A deleted resource counts nowhere; an updated one with its current values only.
    await put(engine, { resourceType: 'Patient', id: 'gone', meta: { tag: [{ system: 'urn:t', code: 'a' }] } } as Resource);
    await remove(engine, 'Patient', 'gone');
    await put(engine, { resourceType: 'Patient', id: 'p5', meta: { tag: [{ system: 'urn:t', code: 'old' }] } } as Resource);
    await put(engine, { resourceType: 'Patient', id: 'p5', meta: { tag: [{ system: 'urn:t', code: 'c' }] } } as Resource);
  });
  afterAll(async () => engine.close());

  it('counts each resource once per token group, largest first, ties by system then code', async () => {
    const res = await engine.aggregate({ resourceTypes: ['Patient'], where: [], groupBy: { param: '_tag', kind: 'token' } });
    expect(res).toEqual({
      total: 5,
      groups: [
        { key: { system: 'urn:t', code: 'a' }, count: 2 },
        { key: { system: 'urn:t', code: 'c' }, count: 2 },
        { key: { system: null, code: 'b' }, count: 1 },
      ].sort((x, y) => y.count - x.count || cmp(x.key.system, y.key.system) || cmp(x.key.code, y.key.code)),
    });
  });

  it('groups across every type when no type is given', async () => {
    const tags = await engine.aggregate({ resourceTypes: [], where: [], groupBy: { param: '_tag', kind: 'token' } });
    expect(tags.total).toBe(11);
    expect(tags.groups[0]).toEqual({ key: { system: 'urn:t', code: 'a' }, count: 3 });
    const security = await engine.aggregate({ resourceTypes: [], where: [], groupBy: { param: '_security', kind: 'token' } });
    expect(security.groups).toEqual([
      { key: { system: CONF, code: 'N' }, count: 1 },
      { key: { system: CONF, code: 'R' }, count: 1 },
    ]);
  });

  it('applies the where predicates (an access policy arrives this way), chains included', async () => {
    const male = parse('Patient', 'gender=male').plan.where;
    const res = await engine.aggregate({ resourceTypes: ['Patient'], where: male, groupBy: { param: '_tag', kind: 'token' } });
    expect(res.total).toBe(3);
    // Equal counts: a missing system sorts first, as NULL does.
    expect(res.groups).toEqual([
      { key: { system: null, code: 'b' }, count: 1 },
      { key: { system: 'urn:t', code: 'a' }, count: 1 },
      { key: { system: 'urn:t', code: 'c' }, count: 1 },
    ]);
    const ofMale = parse('Observation', 'subject:Patient.gender=male').plan.where;
    const codes = await engine.aggregate({ resourceTypes: ['Observation'], where: ofMale, groupBy: { param: 'code', kind: 'token' } });
    expect(codes).toEqual({
      total: 2,
      groups: [
        { key: { system: 'http://loinc.org', code: '1234' }, count: 2 },
        { key: { system: 'urn:local', code: 'w' }, count: 1 },
      ],
    });
    const none = await engine.aggregate({ resourceTypes: ['Patient'], where: [{ kind: 'nothing', reason: 'policy' }], groupBy: { param: '_tag', kind: 'token' } });
    expect(none).toEqual({ total: 0, groups: [] });
  });

  it('leaves out token entries without a code, and limits to the largest groups', async () => {
    const codes = await engine.aggregate({ resourceTypes: ['Observation'], where: [], groupBy: { param: 'code', kind: 'token' } });
    expect(codes.total).toBe(5);
    expect(codes.groups).toEqual([
      { key: { system: 'http://loinc.org', code: '1234' }, count: 2 },
      { key: { system: null, code: '1234' }, count: 1 },
      { key: { system: 'http://loinc.org', code: '5678' }, count: 1 },
      { key: { system: 'urn:local', code: 'w' }, count: 1 },
    ]);
    const top = await engine.aggregate({ resourceTypes: ['Observation'], where: [], groupBy: { param: 'code', kind: 'token' }, limit: 2 });
    expect(top).toEqual({ total: 5, groups: codes.groups.slice(0, 2) });
    const status = await engine.aggregate({ resourceTypes: ['Observation'], where: [], groupBy: { param: 'status', kind: 'token' }, limit: 1 });
    expect(status.groups).toEqual([{ key: { system: null, code: 'final' }, count: 4 }]);
  });

  it('groups uri values as written (canonical versions included)', async () => {
    const res = await engine.aggregate({ resourceTypes: [], where: [], groupBy: { param: '_profile', kind: 'uri' } });
    expect(res.groups).toEqual([
      { key: { value: 'http://p/us-core|3.1.1' }, count: 2 },
      { key: { value: 'http://p/other' }, count: 1 },
    ]);
  });

  it('groups references by local type/id or by URL, and leaves out identifier-only ones', async () => {
    const res = await engine.aggregate({ resourceTypes: ['Observation'], where: [], groupBy: { param: 'subject', kind: 'reference' } });
    expect(res).toEqual({
      total: 5,
      groups: [
        { key: { type: 'Patient', id: 'p1' }, count: 2 },
        { key: { url: 'https://elsewhere.org/fhir/Patient/x' }, count: 1 },
        { key: { type: 'Patient', id: 'p2' }, count: 1 },
      ],
    });
  });

  it('answers an unknown parameter with no groups', async () => {
    expect(await engine.aggregate({ resourceTypes: ['Patient'], where: [], groupBy: { param: 'no-such-param', kind: 'token' } })).toEqual({ total: 5, groups: [] });
  });
});

function cmp(a: string | null | undefined, b: string | null | undefined): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return a < b ? -1 : 1;
}
