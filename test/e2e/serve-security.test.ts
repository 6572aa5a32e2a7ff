// The real CLI with the security settings: anonymous access beyond loopback is refused at start-up
// with a message saying how to turn auth on (and allowed with --allow-anonymous), and the audit
// trail's queue is written on a graceful shutdown (SIGTERM before the batch timer fires).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { SqliteEngine } from '../../src/storage/sqlite/sqlite-engine';
import { tempDir } from '../support/engines';
import { MAIN, startServerProcess, waitForExit } from '../support/process';

describe('nimbus-fhir serve: security settings', () => {
  it('refuses auth off on a non-loopback address, saying how to turn auth on', () => {
    const r = spawnSync(process.execPath, [MAIN, 'serve'], { encoding: 'utf8', env: { ...process.env, HOST: '0.0.0.0', PORT: '0', NIMBUS_DATA_DIR: tempDir() } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 with authorization off/);
    expect(r.stderr).toMatch(/--auth smart/);
    expect(r.stderr).toMatch(/--allow-anonymous/);
  });

  it('writes the queued AuditEvents on SIGTERM', async () => {
    const dataDir = tempDir();
    const p = await startServerProcess({ NIMBUS_DATA_DIR: dataDir, NIMBUS_AUDIT: 'true' });
    try {
      const created = await fetch(`${p.baseUrl}/Patient`, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Patient' }) });
      expect(created.status).toBe(201);
      expect((await fetch(`${p.baseUrl}/Patient`)).status).toBe(200);
    } finally {
      p.child.kill('SIGTERM');
    }
    expect((await waitForExit(p.child)).code).toBe(0);
    if (process.env.DEBUG_AUDIT) console.log(p.output());
    const engine = new SqliteEngine({ file: path.join(dataDir, 'nimbus.sqlite') });
    try {
      const found = await engine.search({ resourceTypes: ['AuditEvent'], where: [], sort: [], count: 100, total: 'none', include: [], revinclude: [] });
      const subtypes = found.matches.map((v) => (JSON.parse(v.json!) as { subtype: Array<{ code: string }> }).subtype[0].code).sort();
      expect(subtypes).toEqual(['create', 'search-type']);
    } finally {
      await engine.close();
    }
  }, 30_000);
});
