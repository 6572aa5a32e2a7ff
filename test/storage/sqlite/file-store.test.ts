// The SQLite engine's file store (export files): sweeping expired files never removes a file that
// is being written. Found by npm run fuzz:api — concurrent $export jobs each sweep when they
// start, and one job's sweep deleted another's `.partial` file mid-write (ENOENT, job failed).
import fs from 'node:fs';
import path from 'node:path';
import { SqliteFileStore } from '../../../src/storage/sqlite/file-store';
import { tempDir } from '../../support/engines';

async function text(chunks: AsyncIterable<string> | undefined): Promise<string | undefined> {
  if (!chunks) return undefined;
  let out = '';
  for await (const c of chunks) out += c;
  return out;
}

describe('SqliteFileStore sweep', () => {
  const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

  it('leaves a file being written alone, and the write completes', async () => {
    const dir = tempDir();
    const store = new SqliteFileStore(dir);
    let release!: () => void;
    const paused = new Promise<void>((r) => (release = r));
    let wroteFirst!: () => void;
    const firstWritten = new Promise<void>((r) => (wroteFirst = r));
    async function* slow() {
      yield 'a'.repeat(300_000); // more than one chunk, so the first reaches the file now
      wroteFirst();
      await paused;
      yield '{"last":true}\n';
    }
    const writing = store.write('job1/Patient-1.ndjson', slow(), { expiresAt: inAnHour() });
    await firstWritten;
    await new Promise((r) => setTimeout(r, 50));
    expect(fs.existsSync(path.join(dir, 'job1', 'Patient-1.ndjson.partial'))).toBe(true);
    await store.sweep(new Date()); // another export starting
    release();
    await expect(writing).resolves.toBeGreaterThan(300_000);
    expect((await text(await store.read('job1/Patient-1.ndjson')))?.endsWith('{"last":true}\n')).toBe(true);
  });

  it('still removes expired files, and partial files a crash abandoned an hour ago', async () => {
    const dir = tempDir();
    const store = new SqliteFileStore(dir);
    await store.write('old/Patient-1.ndjson', (async function* () {
      yield '{}\n';
    })(), { expiresAt: new Date(Date.now() - 1000).toISOString() });
    fs.mkdirSync(path.join(dir, 'crashed'));
    const abandoned = path.join(dir, 'crashed', 'Observation-1.ndjson.partial');
    fs.writeFileSync(abandoned, '{}\n');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    fs.utimesSync(abandoned, twoHoursAgo, twoHoursAgo);
    await store.sweep(new Date());
    expect(fs.existsSync(path.join(dir, 'old'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'crashed'))).toBe(false);
  });
});
