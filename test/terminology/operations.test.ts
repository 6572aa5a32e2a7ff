// The terminology operations over HTTP on every engine: CodeSystem/$lookup, $validate-code and
// $subsumes, ValueSet/$expand and $validate-code, ConceptMap/$translate — over the bundled R4
// terminology and over CodeSystems/ValueSets/ConceptMaps stored by clients (which validation and
// the :in search modifier then use too), with 4xx answers that name the parameter to fix.
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';
type Param = { name: string; valueString?: string; valueBoolean?: boolean; valueCode?: string; valueCoding?: { code?: string; system?: string }; part?: Param[] };
const param = (body: { parameter?: Param[] }, name: string) => body.parameter?.find((p) => p.name === name);
const params = (body: { parameter?: Param[] }, name: string) => (body.parameter ?? []).filter((p) => p.name === name);

/** A client's own code system with a hierarchy: colour > warm > (red, orange); colour > cool > blue. */
const colours = {
  resourceType: 'CodeSystem',
  id: 'colours',
  url: 'http://example.org/fhir/CodeSystem/colours',
  version: '1',
  name: 'Colours',
  status: 'active',
  content: 'complete',
  hierarchyMeaning: 'is-a',
  concept: [
    {
      code: 'colour',
      display: 'Colour',
      concept: [
        { code: 'warm', display: 'Warm colour', concept: [{ code: 'red', display: 'Red', designation: [{ language: 'de', value: 'Rot' }] }, { code: 'orange', display: 'Orange' }] },
        { code: 'cool', display: 'Cool colour', concept: [{ code: 'blue', display: 'Blue' }, { code: 'teal', display: 'Teal', property: [{ code: 'status', valueCode: 'retired' }] }] },
      ],
    },
  ],
};
const warmColours = {
  resourceType: 'ValueSet',
  id: 'warm-colours',
  url: 'http://example.org/fhir/ValueSet/warm-colours',
  status: 'active',
  compose: { include: [{ system: colours.url, filter: [{ property: 'concept', op: 'is-a', value: 'warm' }] }] },
};
const colourMap = {
  resourceType: 'ConceptMap',
  id: 'colour-to-hex',
  url: 'http://example.org/fhir/ConceptMap/colour-to-hex',
  status: 'active',
  group: [{ source: colours.url, target: 'urn:hex', element: [{ code: 'red', target: [{ code: 'ff0000', equivalence: 'equivalent' }] }] }],
};

describeEachEngine('terminology operations', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
  });
  afterAll(() => t.close());
  const post = (url: string, body: unknown) => t.http.post(url).set('Content-Type', FHIR).send(JSON.stringify(body));
  const put = (r: { resourceType: string; id: string }) => t.http.put(`/fhir/${r.resourceType}/${r.id}`).set('Content-Type', FHIR).send(JSON.stringify(r));

  it('$lookup answers display, designations and hierarchy properties of a bundled code', async () => {
    const res = await t.http.get('/fhir/CodeSystem/$lookup?system=http://terminology.hl7.org/CodeSystem/v3-ActCode&code=AMB');
    expect(res.status).toBe(200);
    expect(param(res.body, 'display')?.valueString).toBe('ambulatory');
    expect(param(res.body, 'name')?.valueString).toBeTruthy();
    const parents = params(res.body, 'property').filter((p) => p.part?.find((x) => x.name === 'code')?.valueCode === 'parent');
    expect(parents.map((p) => p.part?.find((x) => x.name === 'value')?.valueCode)).toContain('_ActEncounterCode');
  });

  it('$lookup refuses bad input naming the parameter', async () => {
    const noCode = await t.http.get('/fhir/CodeSystem/$lookup?system=http://hl7.org/fhir/administrative-gender');
    expect([noCode.status, noCode.body.resourceType, noCode.body.issue[0].diagnostics]).toEqual([400, 'OperationOutcome', expect.stringContaining("'code'")]);
    const unknown = await t.http.get('/fhir/CodeSystem/$lookup?system=http://example.org/no-such-system&code=x');
    expect([unknown.status, unknown.body.issue[0].diagnostics]).toEqual([404, expect.stringContaining("'system'")]);
    const badCode = await t.http.get('/fhir/CodeSystem/$lookup?system=http://hl7.org/fhir/administrative-gender&code=nope');
    expect([badCode.status, badCode.body.issue[0].diagnostics]).toEqual([404, expect.stringContaining('nope')]);
  });

  it('CodeSystem/$validate-code: right code, wrong display, unknown code', async () => {
    const ok = await t.http.get('/fhir/CodeSystem/$validate-code?url=http://hl7.org/fhir/administrative-gender&code=male');
    expect([ok.status, param(ok.body, 'result')?.valueBoolean, param(ok.body, 'display')?.valueString]).toEqual([200, true, 'Male']);
    const display = await t.http.get('/fhir/CodeSystem/$validate-code?url=http://hl7.org/fhir/administrative-gender&code=male&display=Bloke');
    expect(param(display.body, 'message')?.valueString).toContain('Bloke');
    const bad = await t.http.get('/fhir/CodeSystem/$validate-code?url=http://hl7.org/fhir/administrative-gender&code=martian');
    expect([bad.status, param(bad.body, 'result')?.valueBoolean]).toEqual([200, false]);
    expect(param(bad.body, 'message')?.valueString).toContain('martian');
    const unknown = await t.http.get('/fhir/CodeSystem/$validate-code?url=http://example.org/none&code=x');
    expect([unknown.status, unknown.body.issue[0].diagnostics]).toEqual([404, expect.stringContaining("'url'")]);
    const missing = await t.http.get('/fhir/CodeSystem/$validate-code?url=http://hl7.org/fhir/administrative-gender');
    expect([missing.status, missing.body.issue[0].diagnostics]).toEqual([400, expect.stringContaining("'code'")]);
  });

  it('$subsumes relates two codes in the is-a hierarchy', async () => {
    const q = (a: string, b: string) => t.http.get(`/fhir/CodeSystem/$subsumes?system=http://terminology.hl7.org/CodeSystem/v3-ActCode&codeA=${a}&codeB=${b}`);
    expect(param((await q('_ActEncounterCode', 'AMB')).body, 'outcome')?.valueCode).toBe('subsumes');
    expect(param((await q('AMB', '_ActEncounterCode')).body, 'outcome')?.valueCode).toBe('subsumed-by');
    expect(param((await q('AMB', 'AMB')).body, 'outcome')?.valueCode).toBe('equivalent');
    expect(param((await q('AMB', 'EMER')).body, 'outcome')?.valueCode).toBe('not-subsumed');
    const missing = await t.http.get('/fhir/CodeSystem/$subsumes?system=http://terminology.hl7.org/CodeSystem/v3-ActCode&codeA=AMB');
    expect([missing.status, missing.body.issue[0].diagnostics]).toEqual([400, expect.stringContaining("'codeB'")]);
  });

  it('$expand a bundled value set, with filter, paging and designations', async () => {
    const all = await t.http.get('/fhir/ValueSet/$expand?url=http://hl7.org/fhir/ValueSet/administrative-gender');
    expect(all.status).toBe(200);
    expect(all.body.resourceType).toBe('ValueSet');
    expect(all.body.expansion.total).toBe(4);
    expect(all.body.expansion.contains.map((c: { code: string }) => c.code)).toEqual(['male', 'female', 'other', 'unknown']);
    const filtered = await t.http.get('/fhir/ValueSet/$expand?url=http://hl7.org/fhir/ValueSet/administrative-gender&filter=fem');
    expect(filtered.body.expansion.contains.map((c: { code: string }) => c.code)).toEqual(['female']);
    const page = await t.http.get('/fhir/ValueSet/$expand?url=http://hl7.org/fhir/ValueSet/administrative-gender&count=2&offset=1');
    expect([page.body.expansion.total, page.body.expansion.offset, page.body.expansion.contains.map((c: { code: string }) => c.code)]).toEqual([4, 1, ['female', 'other']]);
    const bad = await t.http.get('/fhir/ValueSet/$expand?url=http://hl7.org/fhir/ValueSet/administrative-gender&count=-1');
    expect([bad.status, bad.body.issue[0].diagnostics]).toEqual([400, expect.stringContaining("'count'")]);
    const unknown = await t.http.get('/fhir/ValueSet/$expand?url=http://example.org/ValueSet/none');
    expect([unknown.status, unknown.body.issue[0].diagnostics]).toEqual([404, expect.stringContaining("'url'")]);
    const nothing = await t.http.get('/fhir/ValueSet/$expand');
    expect([nothing.status, nothing.body.issue[0].diagnostics]).toEqual([400, expect.stringContaining("'url'")]);
  });

  it('$expand a ValueSet POSTed in the call', async () => {
    const vs = { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', filter: [{ property: 'concept', op: 'descendent-of', value: '_ActEncounterCode' }] }] } };
    const res = await post('/fhir/ValueSet/$expand', { resourceType: 'Parameters', parameter: [{ name: 'valueSet', resource: vs }, { name: 'filter', valueString: 'emergency' }] });
    expect(res.status).toBe(200);
    expect(res.body.expansion.contains.map((c: { code: string }) => c.code)).toEqual(['EMER']);
  });

  it('ValueSet/$validate-code: in, not in, unknown value set', async () => {
    const base = '/fhir/ValueSet/$validate-code?url=http://hl7.org/fhir/ValueSet/administrative-gender&system=http://hl7.org/fhir/administrative-gender';
    expect(param((await t.http.get(`${base}&code=female`)).body, 'result')?.valueBoolean).toBe(true);
    const no = await t.http.get(`${base}&code=F`);
    expect([param(no.body, 'result')?.valueBoolean, param(no.body, 'message')?.valueString]).toEqual([false, expect.stringContaining('F')]);
    const cc = await post('/fhir/ValueSet/$validate-code', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'url', valueUri: 'http://hl7.org/fhir/ValueSet/administrative-gender' },
        { name: 'codeableConcept', valueCodeableConcept: { coding: [{ system: 'urn:x', code: 'x' }, { system: 'http://hl7.org/fhir/administrative-gender', code: 'other' }] } },
      ],
    });
    expect(param(cc.body, 'result')?.valueBoolean).toBe(true);
    const unknown = await t.http.get('/fhir/ValueSet/$validate-code?url=http://example.org/ValueSet/none&code=x');
    expect([unknown.status, unknown.body.issue[0].diagnostics]).toEqual([404, expect.stringContaining("'url'")]);
  });

  it('$translate through a bundled ConceptMap, forwards and in reverse', async () => {
    const res = await t.http.get('/fhir/ConceptMap/$translate?url=http://hl7.org/fhir/ConceptMap/cm-administrative-gender-v2&system=http://hl7.org/fhir/administrative-gender&code=female');
    expect(param(res.body, 'result')?.valueBoolean).toBe(true);
    const match = param(res.body, 'match')!;
    expect(match.part?.find((p) => p.name === 'concept')?.valueCoding).toEqual({ system: 'http://terminology.hl7.org/CodeSystem/v2-0001', code: 'F' });
    const back = await t.http.get('/fhir/ConceptMap/$translate?url=http://hl7.org/fhir/ConceptMap/cm-administrative-gender-v2&system=http://terminology.hl7.org/CodeSystem/v2-0001&code=M&reverse=true');
    expect(param(back.body, 'match')?.part?.find((p) => p.name === 'concept')?.valueCoding?.code).toBe('male');
    const none = await t.http.get('/fhir/ConceptMap/$translate?url=http://hl7.org/fhir/ConceptMap/cm-administrative-gender-v2&system=http://hl7.org/fhir/administrative-gender&code=zzz');
    expect(param(none.body, 'result')?.valueBoolean).toBe(false);
    const unknown = await t.http.get('/fhir/ConceptMap/$translate?url=http://example.org/ConceptMap/none&code=x');
    expect([unknown.status, unknown.body.issue[0].diagnostics]).toEqual([404, expect.stringContaining("'url'")]);
    const missing = await t.http.get('/fhir/ConceptMap/$translate?url=http://hl7.org/fhir/ConceptMap/cm-administrative-gender-v2');
    expect([missing.status, missing.body.issue[0].diagnostics]).toEqual([400, expect.stringContaining("'code'")]);
  });

  it('uses CodeSystems, ValueSets and ConceptMaps stored by clients, at type and instance level', async () => {
    for (const r of [colours, warmColours, colourMap]) expect((await put(r)).status).toBe(201);
    const lookup = await t.http.get(`/fhir/CodeSystem/$lookup?system=${colours.url}&code=red`);
    expect([lookup.status, param(lookup.body, 'display')?.valueString]).toEqual([200, 'Red']);
    expect(params(lookup.body, 'designation')[0].part?.find((p) => p.name === 'value')?.valueString).toBe('Rot');

    const expand = await t.http.get(`/fhir/ValueSet/$expand?url=${warmColours.url}`);
    expect(expand.body.expansion.contains.map((c: { code: string; contains?: Array<{ code: string }> }) => [c.code, (c.contains ?? []).map((x) => x.code)])).toEqual([['warm', ['red', 'orange']]]);
    const instance = await t.http.get('/fhir/ValueSet/warm-colours/$expand?excludeNested=true&includeDesignations=true');
    expect(instance.body.expansion.contains.map((c: { code: string }) => c.code)).toEqual(['warm', 'red', 'orange']);
    expect(instance.body.expansion.contains[1].designation).toEqual([{ language: 'de', value: 'Rot' }]);
    const active = await post('/fhir/ValueSet/$expand', { resourceType: 'Parameters', parameter: [{ name: 'url', valueUri: colours.url }, { name: 'activeOnly', valueBoolean: true }, { name: 'excludeNested', valueBoolean: true }] });
    expect(active.body.expansion.contains.map((c: { code: string }) => c.code)).not.toContain('teal');

    const subsumes = await t.http.get('/fhir/CodeSystem/colours/$subsumes?codeA=cool&codeB=blue');
    expect(param(subsumes.body, 'outcome')?.valueCode).toBe('subsumes');
    const vc = await t.http.get(`/fhir/ValueSet/warm-colours/$validate-code?system=${colours.url}&code=blue`);
    expect(param(vc.body, 'result')?.valueBoolean).toBe(false);
    const csvc = await t.http.get('/fhir/CodeSystem/colours/$validate-code?code=teal');
    expect(param(csvc.body, 'result')?.valueBoolean).toBe(true);
    const tr = await t.http.get(`/fhir/ConceptMap/$translate?system=${colours.url}&code=red&targetsystem=urn:hex`);
    expect(param(tr.body, 'match')?.part?.find((p) => p.name === 'concept')?.valueCoding).toEqual({ system: 'urn:hex', code: 'ff0000' });

    // The search modifier :below uses the stored code system too.
    const obs = (id: string, code: string) => ({ resourceType: 'Observation', id, status: 'final', code: { coding: [{ system: colours.url, code }] } });
    for (const o of [obs('o-red', 'red'), obs('o-blue', 'blue')]) expect((await put(o)).status).toBe(201);
    const below = await t.http.get(`/fhir/Observation?code:below=${colours.url}|warm`);
    expect(below.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual(['o-red']);
    const inVs = await t.http.get(`/fhir/Observation?code:in=${warmColours.url}`);
    expect(inVs.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual(['o-red']);
  });

  it('forgets a stored code system when it is deleted, and sees a changed one at once', async () => {
    const cs = { ...colours, id: 'shapes', url: 'http://example.org/fhir/CodeSystem/shapes', concept: [{ code: 'circle', display: 'Circle' }] };
    expect((await put(cs)).status).toBe(201);
    expect((await t.http.get(`/fhir/CodeSystem/$lookup?system=${cs.url}&code=circle`)).status).toBe(200);
    expect((await put({ ...cs, concept: [{ code: 'square', display: 'Square' }] })).status).toBe(200);
    expect((await t.http.get(`/fhir/CodeSystem/$lookup?system=${cs.url}&code=circle`)).status).toBe(404);
    expect((await t.http.get(`/fhir/CodeSystem/$lookup?system=${cs.url}&code=square`)).status).toBe(200);
    expect((await t.http.delete('/fhir/CodeSystem/shapes')).status).toBe(204);
    const gone = await t.http.get(`/fhir/CodeSystem/$lookup?system=${cs.url}&code=square`);
    expect([gone.status, gone.body.issue[0].diagnostics]).toEqual([404, expect.stringContaining("'system'")]);
  });
});
