// Data safety with real processes (the built CLI): `nimbus-fhir backup` snapshots the SQLite
// database while a server process keeps writing; every write acknowledged before the backup
// began is in it; `restore` refuses while a server holds the directory and restores atomically
// otherwise (keeping the previous database); `check` finds the restored store clean, exits 1 with
// a readable report once an index row is corrupted, and checks a backup file beside a running
// server (--file).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { tempDir } from '../support/engines';
import { MAIN, startServerProcess, waitForExit } from '../support/process';

const env = (dataDir: string) => ({ ...process.env, NIMBUS_DATA_DIR: dataDir, NIMBUS_LOG_LEVEL: 'silent' });

function cli(args: string[], dataDir: string) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { env: env(dataDir), encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
  return { code: r.status, out: r.stdout + r.stderr };
}

/** The CLI without blocking this process (the writers keep running meanwhile). */
function cliAsync(args: string[], dataDir: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { env: env(dataDir), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

describe('backup, restore and check (SQLite, real processes)', () => {
  it('backs up under concurrent writes, restores atomically, and the restored store checks clean', async () => {
    const dataDir = tempDir();
    const backupFile = path.join(tempDir(), 'nightly.sqlite');
    const server = await startServerProcess({ NIMBUS_DATA_DIR: dataDir });
    const acknowledged: string[] = [];
    let stop = false;
    let failures = 0;
    const writer = async (n: number) => {
      for (let i = 0; !stop; i++) {
        const id = `w${n}-${i}`;
        const res = await fetch(`${server.baseUrl}/Patient/${id}`, {
          method: 'PUT',
          headers: { 'Content-Type': 'application/fhir+json' },
          body: JSON.stringify({ resourceType: 'Patient', id, name: [{ family: `Writer${n}`, given: [String(i)] }] }),
        });
        if (res.status === 201) acknowledged.push(id);
        else failures++;
      }
    };
    let writers: Promise<void>[] = [];
    try {
      writers = [0, 1, 2, 3].map(writer);
      while (acknowledged.length < 200) await new Promise((r) => setTimeout(r, 20));
      const before = [...acknowledged];
      const backup = await cliAsync(['backup', backupFile], dataDir);
      const duringAndAfter = acknowledged.length;
      while (acknowledged.length < duringAndAfter + 50) await new Promise((r) => setTimeout(r, 20));
      stop = true;
      await Promise.all(writers);
      expect(backup).toMatchObject({ code: 0 });
      expect(backup.out).toContain(`written to ${backupFile}`);
      expect(failures).toBe(0);
      expect(fs.readdirSync(path.dirname(backupFile))).toEqual(['nightly.sqlite']);

      // The backup file can be checked while the server runs on its own database.
      const checkedBackup = cli(['check', '--types', 'Patient', '--file', backupFile], dataDir);
      expect(checkedBackup.out).toContain('no problems found');
      expect(checkedBackup.code).toBe(0);

      // Restore refuses while a server holds the directory, and changes nothing.
      const refused = cli(['restore', backupFile], dataDir);
      expect(refused.code).not.toBe(0);
      expect(refused.out).toContain(`in use by process ${server.child.pid}`);

      // Restored elsewhere: every write acknowledged before the backup began is there.
      const restoredDir = tempDir();
      const restored = cli(['restore', backupFile], restoredDir);
      expect(restored.code).toBe(0);
      const db = new Database(path.join(restoredDir, 'nimbus.sqlite'), { readonly: true });
      const ids = new Set((db.prepare("SELECT id FROM resources WHERE type = 'Patient'").all() as { id: string }[]).map((r) => r.id));
      db.close();
      expect(before.filter((id) => !ids.has(id))).toEqual([]);
      expect(ids.size).toBeLessThan(acknowledged.length);

      const check = cli(['check'], restoredDir);
      expect(check.out).toContain('no problems found');
      expect(check.code).toBe(0);

      // A deliberately corrupted index row: check exits 1 and says which resource.
      const broken = new Database(path.join(restoredDir, 'nimbus.sqlite'));
      const victim = broken.prepare("SELECT rid, id FROM resources WHERE type = 'Patient' ORDER BY rid LIMIT 1").get() as { rid: number; id: string };
      broken.prepare("UPDATE idx_string SET v = 'tampered' WHERE k = (SELECT min(k) FROM idx_string WHERE k / 1048576 = ?)").run(victim.rid);
      broken.close();
      const failed = cli(['check', '--types', 'Patient'], restoredDir);
      expect(failed.code).toBe(1);
      expect(failed.out).toContain('1 problem found:');
      expect(failed.out).toContain(`Patient/${victim.id} (version 1): stored index values differ`);

      // Restoring over an existing database keeps the previous one beside it.
      const again = cli(['restore', backupFile], restoredDir);
      expect(again.code).toBe(0);
      expect(again.out).toMatch(/previous database is kept as .*nimbus\.sqlite\.before-restore-/);
      expect(cli(['check', '--types', 'Patient'], restoredDir).code).toBe(0);
    } finally {
      stop = true;
      await Promise.all(writers);
      server.child.kill('SIGTERM');
      await waitForExit(server.child);
    }

    // A backup of a stopped server's database (no WAL left) works too.
    const cold = cli(['backup', path.join(tempDir(), 'cold.sqlite')], dataDir);
    expect(cold.code).toBe(0);
  }, 180_000);

  it('refuses backup and restore on the MongoDB engine, pointing at MongoDB tools', () => {
    const r = spawnSync(process.execPath, [MAIN, 'backup', '/tmp/x.sqlite'], {
      env: { ...process.env, NIMBUS_ENGINE: 'mongodb', MONGODB_URI: 'mongodb://127.0.0.1:1/', NIMBUS_LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('mongodump --oplog');
  });
});
