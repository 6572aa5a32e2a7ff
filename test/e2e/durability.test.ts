// An acknowledged write survives kill -9: the server is SIGKILLed in the middle of a burst of
// concurrent creates, restarted on the same data directory, and every create that got a 201 must
// be readable with the content that was sent.
import { tempDir } from '../support/engines';
import { startServerProcess, waitForExit } from '../support/process';

describe('durability (SIGKILL during writes)', () => {
  it('every write acknowledged with 201 is readable after restart', async () => {
    const dataDir = tempDir();
    const first = await startServerProcess({ NIMBUS_DATA_DIR: dataDir });
    const acknowledged = new Map<string, string>();
    let stop = false;
    let failures = 0;

    const client = async (n: number) => {
      for (let i = 0; !stop && i < 5000; i++) {
        const family = `Family-${n}-${i}`;
        try {
          const res = await fetch(`${first.baseUrl}/Patient`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/fhir+json' },
            body: JSON.stringify({ resourceType: 'Patient', name: [{ family }] }),
          });
          if (res.status === 201) {
            const body = (await res.json()) as { id: string };
            acknowledged.set(body.id, family);
          }
        } catch {
          failures++; // connections cut by the kill
          return;
        }
      }
    };
    const clients = Array.from({ length: 8 }, (_, n) => client(n));
    // Kill once a good number of writes were acknowledged, while the clients are still writing.
    while (acknowledged.size < 300) await new Promise((r) => setTimeout(r, 5));
    first.child.kill('SIGKILL');
    stop = true;
    await Promise.all(clients);
    const exit = await waitForExit(first.child);
    expect(exit.signal).toBe('SIGKILL');

    const second = await startServerProcess({ NIMBUS_DATA_DIR: dataDir });
    try {
      const missing: string[] = [];
      for (const [id, family] of acknowledged) {
        const res = await fetch(`${second.baseUrl}/Patient/${id}`);
        const body = res.status === 200 ? ((await res.json()) as { name: { family: string }[] }) : undefined;
        if (body?.name[0].family !== family) missing.push(id);
      }
      expect(acknowledged.size).toBeGreaterThanOrEqual(300);
      expect(missing).toEqual([]);
    } finally {
      second.child.kill('SIGTERM');
      await waitForExit(second.child);
    }
  }, 120_000);
});
