// Narrative safety (R4 narrative.html#xhtml, txt-1/txt-2): a `text.div` with scripts, event
// attributes, `javascript:` URLs, iframes or forms is refused with 400 and an expression at
// `….text.div` on every write path — create, update, PATCH and Bundle entries — on both engines,
// and nothing is stored. Narrative is never "sanitised" silently.
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';
const NS = 'xmlns="http://www.w3.org/1999/xhtml"';

const HOSTILE: Record<string, string> = {
  script: `<div ${NS}><p>hello</p><script>alert(1)</script></div>`,
  'event attribute': `<div ${NS}><img src="x.png" alt="x" onerror="alert(1)"/></div>`,
  'javascript: URL': `<div ${NS}><a href="javascript:alert(1)">click</a></div>`,
  'entity-encoded javascript: URL': `<div ${NS}><a href="jav&#x61;script:alert(1)">click</a></div>`,
  iframe: `<div ${NS}><iframe src="https://evil.example"></iframe></div>`,
  form: `<div ${NS}><form action="https://evil.example"><input name="pw"/></form></div>`,
  style: `<div ${NS}><style>body{}</style>x</div>`,
  'no XHTML namespace': '<div><p>plain</p></div>',
  'not well-formed': `<div ${NS}><p>open</div>`,
  'empty (txt-2)': `<div ${NS}>   </div>`,
};

const patient = (div: string, id?: string) => ({ resourceType: 'Patient', ...(id ? { id } : {}), text: { status: 'generated', div }, name: [{ family: 'Doe' }] });

function expectRefusedAtDiv(res: { status: number; body: { resourceType?: string; issue?: Array<{ severity: string; expression?: string[] }> } }, at: RegExp): void {
  expect(res.status).toBe(400);
  expect(res.body.resourceType).toBe('OperationOutcome');
  const errors = (res.body.issue ?? []).filter((i) => i.severity === 'error');
  expect(errors.length).toBeGreaterThan(0);
  expect(errors.some((i) => i.expression?.some((e) => at.test(e)))).toBe(true);
}

const entries = () => [
  { resource: patient(`<div ${NS}>fine</div>`), request: { method: 'POST', url: 'Patient' } },
  { resource: patient(HOSTILE.iframe), request: { method: 'POST', url: 'Patient' } },
];

// Atomic transactions need an engine with multi-document transactions (SQLite here; the FerretDB
// used for MongoDB tests has none and answers every transaction 400 before validation).
describe('narrative rules in transactions [sqlite]', () => {
  it('a transaction with a hostile entry is refused whole, naming the entry', async () => {
    const t = await makeTestServer();
    try {
      const tx = await t.http.post('/fhir').set('Content-Type', FHIR).send(JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: entries() }));
      expect(tx.status).toBe(400);
      expect(JSON.stringify(tx.body)).toMatch(/text\.div/);
      expect((await t.http.get('/fhir/Patient?_summary=count')).body.total).toBe(0);
    } finally {
      await t.close();
    }
  });
});

describeEachEngine('narrative rules on every write', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
    const ok = await t.http.put('/fhir/Patient/n1').set('Content-Type', FHIR).send(JSON.stringify(patient(`<div ${NS}><p>Jane <b>Doe</b></p></div>`, 'n1')));
    expect(ok.status).toBe(201);
  });
  afterAll(() => t.close());

  for (const [name, div] of Object.entries(HOSTILE)) {
    it(`create refuses a narrative with ${name}`, async () => {
      const res = await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send(JSON.stringify(patient(div)));
      expectRefusedAtDiv(res, /^Patient\.text\.div$/);
    });
  }

  it('update refuses it and leaves the stored version untouched', async () => {
    const res = await t.http.put('/fhir/Patient/n1').set('Content-Type', FHIR).send(JSON.stringify(patient(HOSTILE.script, 'n1')));
    expectRefusedAtDiv(res, /^Patient\.text\.div$/);
    const read = await t.http.get('/fhir/Patient/n1');
    expect(read.body.meta.versionId).toBe('1');
    expect(read.body.text.div).not.toContain('script');
  });

  it('JSON Patch cannot slip a script into the narrative', async () => {
    const res = await t.http
      .patch('/fhir/Patient/n1')
      .set('Content-Type', 'application/json-patch+json')
      .send(JSON.stringify([{ op: 'replace', path: '/text/div', value: HOSTILE['event attribute'] }]));
    expectRefusedAtDiv(res, /^Patient\.text\.div$/);
    expect((await t.http.get('/fhir/Patient/n1')).body.meta.versionId).toBe('1');
  });

  it('FHIRPath Patch cannot either', async () => {
    const res = await t.http
      .patch('/fhir/Patient/n1')
      .set('Content-Type', FHIR)
      .send(
        JSON.stringify({
          resourceType: 'Parameters',
          parameter: [
            {
              name: 'operation',
              part: [
                { name: 'type', valueCode: 'replace' },
                { name: 'path', valueString: 'Patient.text.`div`' }, // div is a FHIRPath keyword
                { name: 'value', valueString: HOSTILE['javascript: URL'] },
              ],
            },
          ],
        }),
      );
    expectRefusedAtDiv(res, /^Patient\.text\.div$/);
  });

  it('a batch refuses the hostile entry alone', async () => {
    const batch = await t.http.post('/fhir').set('Content-Type', FHIR).send(JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry: entries() }));
    expect(batch.status).toBe(200);
    expect(batch.body.entry[0].response.status).toMatch(/^201/);
    expect(batch.body.entry[1].response.status).toMatch(/^400/);
    const outcome = batch.body.entry[1].response.outcome;
    expect(outcome.issue.some((i: { expression?: string[] }) => i.expression?.some((e) => /text\.div$/.test(e)))).toBe(true);
  });

  it('contained resources are held to the same rules', async () => {
    const res = await t.http
      .post('/fhir/Patient')
      .set('Content-Type', FHIR)
      .send(
        JSON.stringify({
          resourceType: 'Patient',
          contained: [{ resourceType: 'Practitioner', id: 'gp', text: { status: 'generated', div: HOSTILE.script } }],
          generalPractitioner: [{ reference: '#gp' }],
        }),
      );
    expectRefusedAtDiv(res, /^Patient\.contained\[0\]\.text\.div$/);
  });

  it('ordinary rich narrative is accepted and served back unchanged', async () => {
    const div = `<div ${NS}><h3>Summary</h3><table border="1"><tr><th>Item</th><td colspan="2">A &amp; B &lt; C</td></tr></table><ul><li><a href="https://hl7.org/fhir">spec</a></li></ul><img src="data:image/png;base64,AAAA" alt="x"/></div>`;
    const res = await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send(JSON.stringify(patient(div)));
    expect(res.status).toBe(201);
    expect((await t.http.get(`/fhir/Patient/${res.body.id}`)).body.text.div).toBe(div);
  });
});
