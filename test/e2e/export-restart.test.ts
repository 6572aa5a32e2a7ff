// An export interrupted by kill -9 is resumed after the restart from its last completed file, and
// its manifest then lists every resource exactly once. Real server processes (node dist/src/main.js).
import type { Resource } from '@medplum/fhirtypes';
import { tempDir } from '../support/engines';
import { startServerProcess, waitForExit } from '../support/process';

const FHIR = 'application/fhir+json';
const PATIENTS = 1500;
jest.setTimeout(300_000);

describe('$export across kill -9', () => {
  it('resumes an interrupted export after the restart, every resource exactly once', async () => {
    const dataDir = tempDir();
    // Three resources per file: 500 files, each one resume point, so the job lasts long enough.
    const env = { NIMBUS_DATA_DIR: dataDir, NIMBUS_JOB_POLL_INTERVAL: '50ms', NIMBUS_EXPORT_FILE_RESOURCES: '3' };
    const first = await startServerProcess(env);
    const entry = Array.from({ length: PATIENTS }, (_, i) => ({ request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', name: [{ family: `F${i}` }] } }));
    const loaded = await fetch(`${first.baseUrl}`, { method: 'POST', headers: { 'Content-Type': FHIR }, body: JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry }) });
    expect(loaded.status).toBe(200);

    const kick = await fetch(`${first.baseUrl}/$export?_type=Patient`, { headers: { Accept: FHIR, Prefer: 'respond-async' } });
    expect(kick.status).toBe(202);
    const status = new URL(kick.headers.get('content-location')!).pathname.replace(/^\/fhir/, '');
    for (;;) {
      const poll = await fetch(`${first.baseUrl}${status}`);
      const progress = /in progress: (\d+)/.exec(poll.headers.get('x-progress') ?? '');
      if (progress && Number(progress[1]) >= 60) break;
      expect(poll.status).toBe(202); // still running: it must not finish before the kill
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    first.child.kill('SIGKILL');
    await waitForExit(first.child);

    const second = await startServerProcess(env);
    try {
      let done: Response | undefined;
      while (!done) {
        const poll = await fetch(`${second.baseUrl}${status}`);
        if (poll.status !== 202) done = poll;
        else await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(done.status).toBe(200);
      const manifest = (await done.json()) as { output: Array<{ type: string; url: string; count: number }> };
      expect(manifest.output.reduce((n, o) => n + o.count, 0)).toBe(PATIENTS);
      const ids: string[] = [];
      for (const o of manifest.output) {
        const text = await (await fetch(o.url.replace(/^https?:\/\/[^/]+\/fhir/, second.baseUrl))).text();
        const lines = text.split('\n').filter(Boolean);
        expect(lines.length).toBe(o.count);
        ids.push(...lines.map((l) => (JSON.parse(l) as Resource).id!));
      }
      expect(new Set(ids).size).toBe(PATIENTS);
    } finally {
      second.child.kill('SIGTERM');
      await waitForExit(second.child);
    }
  });
});
