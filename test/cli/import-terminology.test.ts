// The documented loader for a user's code system: `nimbus-fhir import CodeSystem.json` (the real
// CLI from dist/), then a server over the same data directory answers $lookup and $expand from it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { MAIN } from '../support/process';
import { tempDir } from '../support/engines';
import { makeTestServer } from '../support/server';

it('imports a CodeSystem JSON file and a server then uses it', async () => {
  const work = tempDir('nimbus-cli-tx-');
  const dataDir = path.join(work, 'data');
  const file = path.join(work, 'CodeSystem-labs.json');
  const concept = Array.from({ length: 500 }, (_, n) => ({ code: `L${n}`, display: `Lab test ${n}`, property: [{ code: 'parent', valueCode: n < 10 ? 'panel' : `L${Math.floor(n / 10)}` }] }));
  fs.writeFileSync(file, JSON.stringify({ resourceType: 'CodeSystem', id: 'labs', url: 'http://example.org/labs', status: 'active', content: 'complete', concept: [{ code: 'panel', display: 'Panel' }, ...concept] }));
  const r = spawnSync(process.execPath, [MAIN, 'import', file], { env: { ...process.env, NIMBUS_DATA_DIR: dataDir, NIMBUS_LOG_LEVEL: 'silent' }, encoding: 'utf8' });
  expect([r.status, r.stdout]).toEqual([0, expect.stringContaining('1 loaded')]);

  const t = await makeTestServer({ env: { NIMBUS_DATA_DIR: dataDir } });
  try {
    const lookup = await t.http.get('/fhir/CodeSystem/$lookup?system=http://example.org/labs&code=L123');
    expect([lookup.status, lookup.body.parameter.find((p: { name: string }) => p.name === 'display').valueString]).toEqual([200, 'Lab test 123']);
    const below = await t.http.post('/fhir/ValueSet/$expand').set('Content-Type', 'application/fhir+json').send({
      resourceType: 'Parameters',
      parameter: [{ name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: 'http://example.org/labs', filter: [{ property: 'concept', op: 'descendent-of', value: 'L12' }] }] } } }],
    });
    expect(below.body.expansion.total).toBe(10);
  } finally {
    await t.close();
  }
});
