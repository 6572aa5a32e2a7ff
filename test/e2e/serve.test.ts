// The real CLI: banner, settings validation, start-up time and graceful shutdown on SIGTERM.
import { spawnSync } from 'node:child_process';
import { tempDir } from '../support/engines';
import { MAIN, startServerProcess, waitForExit } from '../support/process';

describe('nimbus-fhir serve', () => {
  it('prints one banner line with base URL, engine and data location, and starts in under a second', async () => {
    const dataDir = tempDir();
    const p = await startServerProcess({ NIMBUS_DATA_DIR: dataDir });
    try {
      expect(p.banner).toMatch(/ready at http:\/\/127\.0\.0\.1:\d+\/fhir — engine sqlite \(.*nimbus\.sqlite\)/);
      expect(p.banner).toContain(dataDir);
      const ms = Number(/started in (\d+) ms/.exec(p.banner)![1]);
      // Reported, not asserted as a timing: start-up speed is a bench figure (npm run bench).
      expect(Number.isFinite(ms)).toBe(true);
      const res = await fetch(`${p.baseUrl}/metadata`);
      expect(res.status).toBe(200);
    } finally {
      p.child.kill('SIGTERM');
    }
    const exit = await waitForExit(p.child);
    expect(exit.code).toBe(0);
  }, 30_000);

  it('finishes in-flight requests on SIGTERM, then exits 0 and refuses new connections', async () => {
    const p = await startServerProcess({ NIMBUS_DATA_DIR: tempDir() });
    const inflight = Array.from({ length: 20 }, (_, i) =>
      fetch(`${p.baseUrl}/Patient`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/fhir+json' },
        body: JSON.stringify({ resourceType: 'Patient', id: `x${i}` }),
      }).then((r) => r.status),
    );
    await new Promise((r) => setTimeout(r, 20));
    p.child.kill('SIGTERM');
    const statuses = await Promise.allSettled(inflight);
    const exit = await waitForExit(p.child);
    expect(exit.code).toBe(0);
    // Requests the server had accepted were answered, not dropped half-way.
    for (const s of statuses) if (s.status === 'fulfilled') expect(s.value).toBe(201);
    await expect(fetch(`${p.baseUrl}/metadata`)).rejects.toThrow();
  }, 30_000);

  it('refuses a bad setting with a clear message and exit code 2', () => {
    const r = spawnSync(process.execPath, [MAIN, 'serve', '--port', 'eighty'], { encoding: 'utf8', env: { ...process.env, NIMBUS_DATA_DIR: tempDir() } });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('PORT must be a whole number');
    const r2 = spawnSync(process.execPath, [MAIN, 'serve'], { encoding: 'utf8', env: { ...process.env, NIMBUS_ENGINE: 'oracle' } });
    expect(r2.status).toBe(2);
    expect(r2.stderr).toContain('NIMBUS_ENGINE must be sqlite or mongodb');
  });
});
