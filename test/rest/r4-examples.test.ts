// Every official R4 example resource (npm hl7.fhir.r4.examples@4.0.1, Bundles aside) is stored
// with PUT under its own id and read back equal to what was sent, except meta.versionId and
// meta.lastUpdated, which the server owns. Rejections are listed with the spec's reason.
import fs from 'node:fs';
import path from 'node:path';
import { makeTestServer, type TestServer } from '../support/server';

const EXAMPLES_DIR = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));

/** Examples the spec's own rules reject, with the rule. */
const EXPECTED_REJECTIONS: Record<string, string> = {
  // R4 datatypes.html#id: "Ids can be up to 64 characters long"; this id has 65.
  'SearchParameter-questionnaireresponse-extensions-QuestionnaireResponse-item-subject.json': 'id longer than 64 characters',
  // …and the FHIR ImplementationGuide lists that SearchParameter in its manifest with a reference
  // whose id has those 65 characters (references.html: Type/id, ids of at most 64).
  'ImplementationGuide-fhir.json': 'reference to an id longer than 64 characters',
};

function loadExamples(): { file: string; resource: Record<string, unknown> & { resourceType: string; id: string } }[] {
  return fs
    .readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.json') && f !== 'package.json' && f !== 'ig-r4.json')
    .map((file) => ({ file, resource: JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, file), 'utf8')) }))
    .filter(({ resource }) => typeof resource.resourceType === 'string' && resource.resourceType !== 'Bundle');
}

function withoutServerMeta(r: Record<string, unknown>): Record<string, unknown> {
  const { meta, ...rest } = r as { meta?: Record<string, unknown> };
  const { versionId: _v, lastUpdated: _l, ...keptMeta } = meta ?? {};
  return Object.keys(keptMeta).length ? { ...rest, meta: keptMeta } : rest;
}

describe('official R4 examples', () => {
  let t: TestServer;
  const examples = loadExamples();
  beforeAll(async () => {
    t = await makeTestServer();
  });
  afterAll(() => t.close());

  it('covers the R4 example set', () => {
    expect(examples.length).toBeGreaterThan(5000);
    expect(new Set(examples.map((e) => e.resource.resourceType)).size).toBeGreaterThanOrEqual(139);
  });

  it('stores every example with PUT and reads it back unchanged', async () => {
    const rejected: Record<string, string> = {};
    const mismatched: string[] = [];
    const batch = 16;
    for (let i = 0; i < examples.length; i += batch) {
      await Promise.all(
        examples.slice(i, i + batch).map(async ({ file, resource }) => {
          const url = `/fhir/${resource.resourceType}/${resource.id}`;
          const put = await t.http.put(url).set('Content-Type', 'application/fhir+json').send(JSON.stringify(resource));
          if (put.status !== 201 && put.status !== 200) {
            rejected[file] = put.body.issue?.map((x: { diagnostics: string }) => x.diagnostics).join('; ') ?? String(put.status);
            return;
          }
          const got = await t.http.get(url);
          expect(got.status).toBe(200);
          if (JSON.stringify(withoutServerMeta(got.body)) !== JSON.stringify(withoutServerMeta(resource))) {
            // Key order is the server's (resourceType, id, meta first); compare structurally.
            try {
              expect(withoutServerMeta(got.body)).toEqual(withoutServerMeta(resource));
            } catch {
              mismatched.push(file);
            }
          }
        }),
      );
    }
    expect(mismatched).toEqual([]);
    expect(Object.keys(rejected).sort()).toEqual(Object.keys(EXPECTED_REJECTIONS).sort());
    for (const file of Object.keys(EXPECTED_REJECTIONS)) expect(rejected[file]).toMatch(/not a valid FHIR id|Invalid id|not a valid reference/);
  }, 300_000);
});
