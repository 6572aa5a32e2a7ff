// A job interrupted by kill -9 is never left "running": after a restart on the same data
// directory, the resumable $reindex continues from its last checkpoint and completes, counting
// every resource exactly once. Real server processes (node dist/src/main.js serve).
import { tempDir } from '../support/engines';
import { startServerProcess, waitForExit } from '../support/process';

const FHIR = 'application/fhir+json';
const PATIENTS = 1500;
jest.setTimeout(300_000);

describe('jobs across kill -9', () => {
  it('resumes an interrupted $reindex after the restart', async () => {
    const dataDir = tempDir();
    const env = { NIMBUS_DATA_DIR: dataDir, NIMBUS_JOB_POLL_INTERVAL: '50ms' };
    const first = await startServerProcess(env);
    const entry = Array.from({ length: PATIENTS }, (_, i) => ({ request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', name: [{ family: `F${i}` }] } }));
    const loaded = await fetch(`${first.baseUrl}`, { method: 'POST', headers: { 'Content-Type': FHIR }, body: JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry }) });
    expect(loaded.status).toBe(200);

    // One resource per page: every page is a checkpoint, so the job is long enough to interrupt.
    const kick = await fetch(`${first.baseUrl}/Patient/$reindex`, {
      method: 'POST',
      headers: { 'Content-Type': FHIR, Prefer: 'respond-async' },
      body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'batchSize', valuePositiveInt: 1 }] }),
    });
    expect(kick.status).toBe(202);
    const status = new URL(kick.headers.get('content-location')!).pathname.replace(/^\/fhir/, '');
    for (;;) {
      const poll = await fetch(`${first.baseUrl}${status}`);
      const progress = /in progress: (\d+)\//.exec(poll.headers.get('x-progress') ?? '');
      if (progress && Number(progress[1]) >= 50) break;
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
      const body = (await done.json()) as { parameter: Array<{ name: string; valueInteger: number }> };
      const out = Object.fromEntries(body.parameter.map((p) => [p.name, p.valueInteger]));
      expect(out.reindexed + out.skipped).toBe(PATIENTS);
      expect(out.types).toBe(1);
    } finally {
      second.child.kill('SIGTERM');
      await waitForExit(second.child);
    }
  });
});
