// Engine-neutral search behaviour: every engine (SQLite, MongoDB) must pass this suite with the
// same SearchPlans. Cases follow R4 search.html; comments quote the rule they check.
import type { Resource } from '@medplum/fhirtypes';
import type { Engine } from '../../src/storage/engine';
import { ids, put, run, sorted, remove, parse } from '../search/support';

export interface ConformanceOptions {
  /** Tests an engine cannot pass yet, each with the reason (never silently dropped). */
  skip?: Array<{ test: string; reason: string }>;
}

const patients: Resource[] = [
  { resourceType: 'Patient', id: 'p1', gender: 'male', birthDate: '1970-05-12', name: [{ family: 'Évêque', given: ['Jean', 'Zed'] }], identifier: [{ system: 'urn:mrn', value: 'A1', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] } }] },
  { resourceType: 'Patient', id: 'p2', gender: 'female', birthDate: '1985', name: [{ family: 'Eve', given: ['Anna'] }], active: true },
  { resourceType: 'Patient', id: 'p3', name: [{ family: 'Peterson', given: ['Bob', 'Al'] }], managingOrganization: { reference: 'Organization/o1' } },
  { resourceType: 'Organization', id: 'o1', name: 'Acme Clinic' },
] as Resource[];

const observations: Resource[] = [
  {
    resourceType: 'Observation', id: 'ob1', status: 'final', subject: { reference: 'Patient/p1' },
    code: { coding: [{ system: 'http://loinc.org', code: '1234', display: 'Body weight' }], text: 'Weight' },
    effectiveDateTime: '2013-01-14', valueQuantity: { value: 5.4, system: 'http://unitsofmeasure.org', code: 'mg', unit: 'mg' },
  },
  {
    resourceType: 'Observation', id: 'ob2', status: 'final', subject: { reference: 'Patient/p2' },
    code: { coding: [{ code: '1234' }] },
    effectiveDateTime: '2013-01-14T23:30:00-05:00', valueQuantity: { value: 100, unit: 'mmHg' },
  },
  {
    resourceType: 'Observation', id: 'ob3', status: 'preliminary', subject: { reference: `http://nimbus.test/fhir/Patient/p3` },
    code: { coding: [{ system: 'http://loinc.org', code: '5678' }] },
    effectivePeriod: { start: '2012-12-30', end: '2013-01-02' },
    component: [{ code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 120, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } }],
  },
  { resourceType: 'Observation', id: 'ob4', status: 'final', code: { text: 'free text only' }, subject: { reference: 'Patient/p1' } },
] as Resource[];

export function describeSearchConformance(name: string, makeEngine: () => Promise<Engine>, options: ConformanceOptions = {}): void {
  const skipped = new Map((options.skip ?? []).map((s) => [s.test, s.reason]));
  const test = (title: string, fn: () => Promise<void>) => {
    const reason = skipped.get(title);
    if (reason) {
      // eslint-disable-next-line no-console
      console.log(`[search conformance ${name}] SKIPPED '${title}' — ${reason}`);
      it.skip(`${title} (skipped: ${reason})`, fn);
    }
    else it(title, fn);
  };

  describe(`search conformance [${name}]`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await makeEngine();
      await put(engine, ...patients, ...observations);
    });
    afterAll(async () => engine.close());

    describe('string', () => {
      test('default is a case- and accent-insensitive prefix match on any name part', async () => {
        expect(sorted(await ids(engine, 'Patient', 'name=eve'))).toEqual(['p1', 'p2']);
        expect(await ids(engine, 'Patient', 'family=PETER')).toEqual(['p3']);
        expect(await ids(engine, 'Patient', 'given=zed')).toEqual(['p1']);
      });
      test(':exact is case- and accent-sensitive equality', async () => {
        expect(await ids(engine, 'Patient', 'family:exact=Eve')).toEqual(['p2']);
        expect(await ids(engine, 'Patient', 'family:exact=eve')).toEqual([]);
        expect(await ids(engine, 'Patient', 'family:exact=Évêque')).toEqual(['p1']);
      });
      test(':contains matches anywhere in the value', async () => {
        expect(await ids(engine, 'Patient', 'family:contains=ters')).toEqual(['p3']);
        expect(await ids(engine, 'Patient', 'family:contains=VEQ')).toEqual(['p1']);
      });
    });

    describe('token', () => {
      test('code alone matches any system; |code only no system; system| any code', async () => {
        expect(sorted(await ids(engine, 'Observation', 'code=1234'))).toEqual(['ob1', 'ob2']);
        expect(await ids(engine, 'Observation', 'code=http://loinc.org|1234')).toEqual(['ob1']);
        expect(await ids(engine, 'Observation', 'code=|1234')).toEqual(['ob2']);
        expect(sorted(await ids(engine, 'Observation', 'code=http://loinc.org|'))).toEqual(['ob1', 'ob3']);
      });
      test('comma is OR, repetition is AND', async () => {
        expect(sorted(await ids(engine, 'Observation', 'code=5678,http://loinc.org|1234'))).toEqual(['ob1', 'ob3']);
        expect(await ids(engine, 'Observation', 'code=1234&status=final&subject=Patient/p2')).toEqual(['ob2']);
      });
      test(':not includes resources without the element', async () => {
        expect(sorted(await ids(engine, 'Patient', 'gender:not=male'))).toEqual(['p2', 'p3']);
      });
      test(':text matches display and CodeableConcept.text', async () => {
        expect(await ids(engine, 'Observation', 'code:text=body')).toEqual(['ob1']);
        expect(await ids(engine, 'Observation', 'code:text=FREE')).toEqual(['ob4']);
      });
      test(':of-type on identifiers', async () => {
        expect(await ids(engine, 'Patient', 'identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|A1')).toEqual(['p1']);
        expect(await ids(engine, 'Patient', 'identifier=urn:mrn|A1')).toEqual(['p1']);
      });
      test('boolean tokens', async () => {
        expect(await ids(engine, 'Patient', 'active=true')).toEqual(['p2']);
      });
      test(':in and :not-in against a shipped value set (code elements have an implied system)', async () => {
        expect(sorted(await ids(engine, 'Patient', 'gender:in=http://hl7.org/fhir/ValueSet/administrative-gender'))).toEqual(['p1', 'p2']);
        expect(await ids(engine, 'Patient', 'gender:not-in=http://hl7.org/fhir/ValueSet/administrative-gender')).toEqual(['p3']);
        expect(await ids(engine, 'Observation', 'status:in=http://hl7.org/fhir/ValueSet/observation-status')).toHaveLength(4);
      });
    });

    describe('date', () => {
      test('eq: the search range contains the value range (precision, UTC for dates)', async () => {
        expect(await ids(engine, 'Observation', 'date=2013-01-14')).toEqual(['ob1']);
        // 23:30-05:00 is 2013-01-15T04:30Z
        expect(await ids(engine, 'Observation', 'date=2013-01-15')).toEqual(['ob2']);
        expect(sorted(await ids(engine, 'Observation', 'date=2013'))).toEqual(['ob1', 'ob2']);
      });
      test('gt/lt/ge/le overlap rules on periods', async () => {
        expect(sorted(await ids(engine, 'Observation', 'date=lt2013-01-01'))).toEqual(['ob3']);
        expect(sorted(await ids(engine, 'Observation', 'date=gt2013-01-01'))).toEqual(['ob1', 'ob2', 'ob3']);
        expect(sorted(await ids(engine, 'Observation', 'date=ge2013-01-14'))).toEqual(['ob1', 'ob2']);
        expect(sorted(await ids(engine, 'Observation', 'date=le2013-01-01'))).toEqual(['ob3']);
      });
      test('sa/eb: starts after / ends before the search range', async () => {
        expect(sorted(await ids(engine, 'Observation', 'date=sa2012-12-31'))).toEqual(['ob1', 'ob2']);
        expect(await ids(engine, 'Observation', 'date=eb2013-01-03')).toEqual(['ob3']);
        expect(await ids(engine, 'Observation', 'date=eb2013-01-02')).toEqual([]);
      });
      test('ne and time zones', async () => {
        expect(sorted(await ids(engine, 'Observation', 'date=ne2013-01-14'))).toEqual(['ob2', 'ob3']);
        expect(await ids(engine, 'Observation', 'date=2013-01-15T04:30:00Z')).toEqual(['ob2']);
        expect(await ids(engine, 'Observation', 'date=2013-01-14T23:30:00-05:00')).toEqual(['ob2']);
      });
      test('birthdate by year precision', async () => {
        expect(await ids(engine, 'Patient', 'birthdate=1985')).toEqual(['p2']);
        expect(await ids(engine, 'Patient', 'birthdate=1985-06')).toEqual([]);
        expect(await ids(engine, 'Patient', 'birthdate=lt1980')).toEqual(['p1']);
      });
    });

    describe('quantity and number', () => {
      test('value with significant figures, system and code', async () => {
        expect(await ids(engine, 'Observation', 'value-quantity=5.4|http://unitsofmeasure.org|mg')).toEqual(['ob1']);
        expect(await ids(engine, 'Observation', 'value-quantity=5.4')).toEqual(['ob1']);
        expect(await ids(engine, 'Observation', 'value-quantity=5')).toEqual(['ob1']);
        expect(await ids(engine, 'Observation', 'value-quantity=5.0')).toEqual([]);
        expect(await ids(engine, 'Observation', 'value-quantity=100||mmHg')).toEqual(['ob2']);
      });
      test('prefixes and ap', async () => {
        expect(await ids(engine, 'Observation', 'value-quantity=gt10')).toEqual(['ob2']);
        expect(await ids(engine, 'Observation', 'value-quantity=lt10')).toEqual(['ob1']);
        expect(await ids(engine, 'Observation', 'value-quantity=ap95')).toEqual(['ob2']);
        expect(await ids(engine, 'Observation', 'value-quantity=ap80')).toEqual([]);
      });
    });

    describe('reference', () => {
      test('Type/id, bare id, :Type, and local absolute URLs', async () => {
        expect(sorted(await ids(engine, 'Observation', 'subject=Patient/p1'))).toEqual(['ob1', 'ob4']);
        expect(sorted(await ids(engine, 'Observation', 'subject=p1'))).toEqual(['ob1', 'ob4']);
        expect(sorted(await ids(engine, 'Observation', 'subject:Patient=p1'))).toEqual(['ob1', 'ob4']);
        expect(await ids(engine, 'Observation', 'subject=Patient/p3')).toEqual(['ob3']);
        expect(await ids(engine, 'Observation', 'subject=http://nimbus.test/fhir/Patient/p3')).toEqual(['ob3']);
      });
      test('chains of any depth with type qualifiers', async () => {
        expect(sorted(await ids(engine, 'Observation', 'subject:Patient.name=eve'))).toEqual(['ob1', 'ob2', 'ob4']);
        expect(await ids(engine, 'Observation', 'subject:Patient.organization.name=acme')).toEqual(['ob3']);
        expect(await ids(engine, 'Observation', 'patient.gender=female')).toEqual(['ob2']);
      });
      test('reverse chaining with _has, nested', async () => {
        expect(sorted(await ids(engine, 'Patient', '_has:Observation:subject:code=1234'))).toEqual(['p1', 'p2']);
        expect(await ids(engine, 'Patient', '_has:Observation:subject:status=preliminary')).toEqual(['p3']);
        expect(await ids(engine, 'Organization', '_has:Patient:organization:_has:Observation:subject:code=5678')).toEqual(['o1']);
      });
    });

    describe(':missing', () => {
      test('true on absent elements, false on present', async () => {
        expect(await ids(engine, 'Patient', 'gender:missing=true')).toEqual(['p3']);
        expect(sorted(await ids(engine, 'Patient', 'gender:missing=false'))).toEqual(['p1', 'p2']);
        expect(await ids(engine, 'Observation', 'subject:missing=true')).toEqual([]);
      });
    });

    describe('composite', () => {
      test('code$value pairs come from the same component', async () => {
        expect(await ids(engine, 'Observation', 'component-code-value-quantity=http://loinc.org|8480-6$gt100')).toEqual(['ob3']);
        expect(await ids(engine, 'Observation', 'component-code-value-quantity=http://loinc.org|8480-6$lt100')).toEqual([]);
        expect(await ids(engine, 'Observation', 'code-value-quantity=1234$5.4')).toEqual(['ob1']);
      });
    });

    describe('common parameters', () => {
      test('_id and _lastUpdated', async () => {
        expect(sorted(await ids(engine, 'Patient', '_id=p1,p3'))).toEqual(['p1', 'p3']);
        expect(sorted(await ids(engine, 'Patient', '_lastUpdated=ge2025-01-01'))).toEqual(['p1', 'p2', 'p3']);
        expect(await ids(engine, 'Patient', '_lastUpdated=lt2025-01-01')).toEqual([]);
      });
      test('_content and _text word search', async () => {
        expect(await ids(engine, 'Organization', '_content=acme')).toEqual(['o1']);
        expect(await ids(engine, 'Observation', '_content=free only')).toEqual(['ob4']);
      });
      test('system search over several types with _type', async () => {
        expect(sorted(await ids(engine, ['Patient', 'Organization'], '_id=p2,o1'))).toEqual(['o1', 'p2']);
      });
      test('a type predicate applies a condition to some types of a multi-type search only', async () => {
        // How an access policy that differs by type is applied (src/access/data-access.ts).
        const plan = parse(['Patient', 'Organization'], '').plan;
        plan.where.push({ kind: 'or', any: [{ kind: 'and', all: [{ kind: 'type', types: ['Patient'] }, { kind: 'id', ids: ['p2'] }] }, { kind: 'type', types: ['Organization'] }] });
        const result = await engine.search(plan);
        expect(sorted(result.matches.map((v) => v.id))).toEqual(['o1', 'p2']);
        expect((await engine.search({ ...plan, where: [{ kind: 'type', types: [] }] })).matches).toEqual([]);
      });
      test('deleted resources are not found', async () => {
        await put(engine, { resourceType: 'Patient', id: 'gone', name: [{ family: 'Eveline' }] } as Resource);
        expect(await ids(engine, 'Patient', 'family=eveline')).toEqual(['gone']);
        await remove(engine, 'Patient', 'gone');
        expect(await ids(engine, 'Patient', 'family=eveline')).toEqual([]);
      });
    });

    describe('sort', () => {
      test('multi-valued elements: min ascending, max descending; missing last', async () => {
        // given: p1 Jean,Zed  p2 Anna  p3 Bob,Al
        expect(await ids(engine, 'Patient', '_sort=given')).toEqual(['p3', 'p2', 'p1']);
        expect(await ids(engine, 'Patient', '_sort=-given')).toEqual(['p1', 'p3', 'p2']);
        expect(await ids(engine, 'Patient', '_sort=gender')).toEqual(['p2', 'p1', 'p3']);
        expect(await ids(engine, 'Patient', '_sort=-gender')).toEqual(['p1', 'p2', 'p3']);
      });
      test('several keys', async () => {
        expect(await ids(engine, 'Observation', '_sort=status,-date')).toEqual(['ob2', 'ob1', 'ob4', 'ob3']);
      });
    });

    describe('result parameters', () => {
      test('_total and _summary=count', async () => {
        const r = await run(engine, 'Observation', '_summary=count&status=final');
        expect(r.total).toBe(3);
        expect(r.matches).toEqual([]);
        expect((await run(engine, 'Observation', '_total=none')).total).toBeUndefined();
      });
      test('_include and _revinclude (with :iterate)', async () => {
        const inc = await run(engine, 'Observation', '_id=ob3&_include=Observation:subject');
        expect(inc.included.map((v) => v.id)).toEqual(['p3']);
        const iter = await run(engine, 'Observation', '_id=ob3&_include=Observation:subject&_include:iterate=Patient:organization');
        expect(sorted(iter.included.map((v) => v.id))).toEqual(['o1', 'p3']);
        const rev = await run(engine, 'Patient', '_id=p1&_revinclude=Observation:subject');
        expect(sorted(rev.included.map((v) => v.id))).toEqual(['ob1', 'ob4']);
        const star = await run(engine, 'Patient', '_id=p3&_include=*');
        expect(star.included.map((v) => v.id)).toEqual(['o1']);
      });
      test('cursor paging forward and back is disjoint and complete', async () => {
        const all = sorted(await ids(engine, 'Observation', ''));
        const seen: string[] = [];
        let page = await run(engine, 'Observation', '_count=1&_sort=-date');
        const firstPage = page.matches.map((m) => m.id);
        for (;;) {
          seen.push(...page.matches.map((m) => m.id));
          if (!page.nextCursor) break;
          page = await run(engine, 'Observation', `_count=1&_sort=-date&_cursor=${page.nextCursor}`);
        }
        expect(sorted(seen)).toEqual(all);
        expect(new Set(seen).size).toBe(seen.length);
        // Walk back to the first page.
        const back: string[] = [];
        while (page.previousCursor) {
          page = await run(engine, 'Observation', `_count=1&_sort=-date&_cursor=${page.previousCursor}`);
          back.unshift(...page.matches.map((m) => m.id));
        }
        expect(page.matches.map((m) => m.id)).toEqual(firstPage);
        expect(back).toEqual(seen.slice(0, -1));
      });
      test('pages stay disjoint and complete while other writes happen between them', async () => {
        const initial = Array.from({ length: 23 }, (_, i) => ({ resourceType: 'Device', id: `d${i}`, status: 'active', manufacturer: `M${i % 5}` }) as Resource);
        await put(engine, ...initial);
        for (const qs of ['status=active&_count=4', 'status=active&_count=4&_sort=manufacturer', 'status=active&_count=4&_sort=-manufacturer,_id']) {
          const seen: string[] = [];
          let page = await run(engine, 'Device', qs);
          let round = 0;
          for (;;) {
            seen.push(...page.matches.map((m) => m.id));
            // Concurrent activity: a new matching resource, an update of an already-seen one
            // (same sort key) and of a not-yet-seen one.
            round++;
            await put(
              engine,
              { resourceType: 'Device', id: `new-${qs.length}-${round}`, status: 'active', manufacturer: 'M9' } as Resource,
              { ...initial[round % 23], lotNumber: `lot${round}` } as Resource,
              { ...initial[(round * 7) % 23], lotNumber: `lot${round}` } as Resource,
            );
            if (!page.nextCursor) break;
            page = await run(engine, 'Device', `${qs}&_cursor=${page.nextCursor}`);
          }
          expect(new Set(seen).size).toBe(seen.length);
          for (const d of initial) expect(seen).toContain(d.id);
        }
      });
      test('a cursor from another query is refused', async () => {
        const page = await run(engine, 'Observation', '_count=1');
        await expect(engine.search(parse('Observation', `_count=1&status=final&_cursor=${page.nextCursor}`).plan)).rejects.toMatchObject({ status: 400 });
      });
    });
  });
}
