// `nimbus-fhir check` over the engine contract, on both engines: a store written through the REST
// API checks clean (every kind of index value, narrative, a deleted resource, an expunged one); a
// deliberately corrupted index entry, a missing history version and an index row left for a
// resource that is gone are each reported.
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Db } from 'mongodb';
import { checkStore } from '../../src/cli/store-check';
import { createIndexer } from '../../src/search/indexer';
import { createSearchRegistry } from '../../src/search/registry';
import type { Engine } from '../../src/storage/engine';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';
const indexer = createIndexer(createSearchRegistry({ profilesDir: path.resolve(__dirname, '..', '..', 'fhir-profiles') }));
const TYPES = ['Patient', 'Observation', 'Basic'];

describeEachEngine('nimbus-fhir check', (factory) => {
  let t: TestServer;
  let engine: Engine;
  const put = (body: { resourceType: string; id: string } & Record<string, unknown>) =>
    t.http.put(`/fhir/${body.resourceType}/${body.id}`).set('Content-Type', FHIR).send(JSON.stringify(body));
  const check = () => checkStore(engine, { resourceTypes: TYPES, indexer, pageSize: 2 });

  /** Raw access to the database behind the engine, to break it on purpose. */
  const sqlite = () => new Database(engine.location);
  const mongo = () => (engine as unknown as { conn: { db: Db } }).conn.db;

  beforeAll(async () => {
    engine = await factory.make();
    t = await makeTestServer({ engine });
    const writes = [
      {
        resourceType: 'Patient',
        id: 'p1',
        text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Anna Kowalski</div>' },
        identifier: [{ system: 'http://example.org/mrn', value: '123' }],
        name: [{ family: 'Kowalski', given: ['Anna'] }],
        birthDate: '1980-02-03',
        managingOrganization: { reference: 'Organization/o1' },
      },
      { resourceType: 'Patient', id: 'p2', name: [{ family: 'Nowak' }], deceasedBoolean: false },
      {
        resourceType: 'Observation',
        id: 'o1',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
        subject: { reference: 'Patient/p1' },
        effectiveDateTime: '2024-05-01T10:00:00Z',
        component: [
          { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 120.50, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
          { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: { value: 80, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
        ],
      },
      { resourceType: 'Basic', id: 'b1', code: { text: 'to delete' } },
      { resourceType: 'Basic', id: 'b2', code: { text: 'to expunge' } },
      { resourceType: 'Basic', id: 'b3', code: { text: 'kept' } },
    ];
    for (const w of writes) expect((await put(w)).status).toBe(201);
    expect((await put({ resourceType: 'Patient', id: 'p2', name: [{ family: 'Nowak-Second' }] })).status).toBe(200);
    expect((await t.http.delete('/fhir/Basic/b1')).status).toBeLessThan(300);
    expect((await t.http.post('/fhir/Basic/b2/$expunge').set('Content-Type', FHIR).send('{"resourceType":"Parameters"}')).status).toBe(200);
  });
  afterAll(() => t.close());

  it('finds a store written through the API clean', async () => {
    const report = await check();
    expect(report.problems).toEqual([]);
    expect(report.resources).toBe(5);
  });

  it('reports a corrupted index entry', async () => {
    if (factory.name === 'sqlite') {
      const db = sqlite();
      db.prepare("UPDATE idx_token SET c = 'corrupted' WHERE k = (SELECT min(k) FROM idx_token WHERE k / 1048576 = (SELECT rid FROM resources WHERE type = 'Observation' AND id = 'o1'))").run();
      db.close();
    } else {
      await mongo().collection('resources').updateOne({ _id: 'Observation/o1' as never }, { $set: { 'ix.token.0.c': 'corrupted' } });
    }
    const report = await check();
    expect(report.problemCount).toBe(1);
    expect(report.problems[0]).toMatch(/^Observation\/o1 \(version 1\): stored index values differ .*1 missing: token .*1 unexpected: token .*"corrupted"/);
    // $reindex repairs it.
    expect((await t.http.post('/fhir/Observation/$reindex').set('Content-Type', FHIR).send('{"resourceType":"Parameters"}')).status).toBe(200);
    expect((await check()).problems).toEqual([]);
  });

  it('reports a current version missing from history', async () => {
    if (factory.name === 'sqlite') {
      const db = sqlite();
      db.prepare("DELETE FROM versions WHERE type = 'Patient' AND id = 'p2' AND version = 2").run();
      db.close();
    } else {
      await mongo().collection('versions').deleteOne({ _id: 'Patient/p2/_history/2' as never });
    }
    const report = await check();
    expect(report.problems).toEqual(['Patient/p2 (version 2): the current version is missing from history']);
  });

  it('reports index rows of a resource that is gone (SQLite) and an index left on a delete marker', async () => {
    if (factory.name === 'sqlite') {
      const db = sqlite();
      db.prepare('INSERT INTO idx_uri (k, p, v) VALUES (?, (SELECT min(pid) FROM search_param), ?)').run(999_999 * 1048576, 'http://orphan');
      db.close();
      expect((await check()).problems).toContain('1 index rows in idx_uri belong to no resource');
    } else {
      await mongo().collection('resources').updateOne({ _id: 'Basic/b1' as never }, { $set: { ix: { token: [{ p: 'code', t: 'left behind' }] } } });
      expect((await check()).problems).toContainEqual(expect.stringMatching(/^Basic\/b1 \(version 2, deleted\): stored index values differ .*1 unexpected/));
    }
  });
});
