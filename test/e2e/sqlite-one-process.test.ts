// SQLite is one process per data directory (issue 18): a second server process, or an import or
// export, on a directory a server is using refuses to start, naming the holder and pointing at
// MongoDB for scale-out; the lock is the operating system's, so a process killed with SIGKILL
// leaves nothing stale behind. Real processes (the built CLI).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SqliteEngine } from '../../src/storage/sqlite/sqlite-engine';
import { tempDir } from '../support/engines';
import { MAIN, startServerProcess, waitForExit } from '../support/process';

function cli(args: string[], dataDir: string) {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    env: { ...process.env, NIMBUS_DATA_DIR: dataDir, NIMBUS_LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: '0' },
    encoding: 'utf8',
    timeout: 30_000,
    killSignal: 'SIGKILL',
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('SQLite: one process per data directory', () => {
  it('refuses a second server, an import and an export while a server runs, naming it', async () => {
    const dataDir = tempDir();
    const first = await startServerProcess({ NIMBUS_DATA_DIR: dataDir });
    try {
      const second = cli(['serve'], dataDir);
      expect(second.code).not.toBe(0);
      expect(second.out).toContain(`in use by process ${first.child.pid} on `);
      expect(second.out).toContain('nimbus-fhir serve');
      expect(second.out).toMatch(/use MongoDB \(NIMBUS_ENGINE=mongodb; see docs\/scale-out\.md\)/);

      const input = path.join(tempDir(), 'p.ndjson');
      fs.writeFileSync(input, `${JSON.stringify({ resourceType: 'Patient', id: 'x' })}\n`);
      const imported = cli(['import', input], dataDir);
      expect(imported.code).not.toBe(0);
      expect(imported.out).toContain(`in use by process ${first.child.pid}`);
      const exported = cli(['export', tempDir()], dataDir);
      expect(exported.code).not.toBe(0);
      expect(exported.out).toContain(`in use by process ${first.child.pid}`);

      // The first server is unaffected.
      const created = await fetch(`${first.baseUrl}/Patient`, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Patient' }) });
      expect(created.status).toBe(201);
    } finally {
      first.child.kill('SIGTERM');
      await waitForExit(first.child);
    }
    // Stopped: the directory is free again.
    const again = await startServerProcess({ NIMBUS_DATA_DIR: dataDir });
    again.child.kill('SIGTERM');
    expect(await waitForExit(again.child)).toEqual({ code: 0, signal: null });
  }, 90_000);

  it('leaves no stale lock when the holder is killed with SIGKILL', async () => {
    const dataDir = tempDir();
    const first = await startServerProcess({ NIMBUS_DATA_DIR: dataDir });
    first.child.kill('SIGKILL');
    await waitForExit(first.child);
    const next = await startServerProcess({ NIMBUS_DATA_DIR: dataDir });
    try {
      expect((await fetch(`${next.baseUrl}/metadata`)).status).toBe(200);
    } finally {
      next.child.kill('SIGTERM');
      await waitForExit(next.child);
    }
  }, 60_000);

  it('lets exactly one of several processes started at once on a new directory run', async () => {
    const dataDir = tempDir();
    const children = Array.from({ length: 3 }, () =>
      spawn(process.execPath, [MAIN, 'serve'], { env: { ...process.env, NIMBUS_DATA_DIR: dataDir, NIMBUS_LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    const outputs = children.map((c) => {
      let out = '';
      c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      c.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      return () => out;
    });
    // The refused ones exit; the one that runs prints its banner.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !(children.filter((c) => c.exitCode !== null).length === 2 && outputs.some((o) => o().includes('ready at')))) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    try {
      expect(children.filter((c) => c.exitCode !== null && c.exitCode !== 0)).toHaveLength(2);
      expect(outputs.filter((o) => o().includes('ready at'))).toHaveLength(1);
      expect(outputs.filter((o) => o().includes('is in use by'))).toHaveLength(2);
    } finally {
      for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
      await Promise.all(children.map((c) => waitForExit(c)));
    }
  }, 60_000);

  it('an import holds the lock while it runs: a server cannot start in the middle of it', async () => {
    const dataDir = tempDir();
    // `import -` reads stdin: it opens the store, then waits for input we have not sent yet.
    const importer = spawn(process.execPath, [MAIN, 'import', '-'], { env: { ...process.env, NIMBUS_DATA_DIR: dataDir, NIMBUS_LOG_LEVEL: 'silent' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    importer.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    importer.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const info = path.join(dataDir, 'nimbus.sqlite.lock.json');
      const deadline = Date.now() + 30_000;
      while (!fs.existsSync(info) && importer.exitCode === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(JSON.parse(fs.readFileSync(info, 'utf8'))).toMatchObject({ pid: importer.pid, command: 'import' });

      const server = cli(['serve'], dataDir);
      expect(server.code).not.toBe(0);
      expect(server.out).toContain(`in use by process ${importer.pid} on `);
      expect(server.out).toContain('nimbus-fhir import');

      importer.stdin!.end(`${JSON.stringify({ resourceType: 'Patient', id: 'imported' })}\n`);
      expect(await waitForExit(importer)).toEqual({ code: 0, signal: null });
      expect(out).toMatch(/1 loaded/);
    } finally {
      if (importer.exitCode === null) importer.kill('SIGKILL');
    }
    // Done: the directory is free, and holds what was imported.
    const after = await startServerProcess({ NIMBUS_DATA_DIR: dataDir });
    try {
      expect((await fetch(`${after.baseUrl}/Patient/imported`)).status).toBe(200);
    } finally {
      after.child.kill('SIGTERM');
      await waitForExit(after.child);
    }
  }, 90_000);

  it('refuses a second engine on the same file within one process too', async () => {
    const file = path.join(tempDir(), 'nimbus.sqlite');
    const engine = new SqliteEngine({ file });
    try {
      expect(() => new SqliteEngine({ file })).toThrow(/is in use by process \d+ on .*stop that process first/);
    } finally {
      await engine.close();
    }
    const reopened = new SqliteEngine({ file });
    await reopened.close();
  });
});
