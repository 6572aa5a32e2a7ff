// Files on SQLite: plain files under `<data directory>/files/`, written to a temporary name and
// renamed (readers see all or nothing). One process owns a SQLite data directory, so the
// directory is as shared as the database. A file's expiry is kept as its modification time;
// sweep() removes files whose time has passed. A `.partial` file is a write in progress (its
// modification time is its last write, not an expiry): sweep() leaves it alone unless it has not
// been written to for an hour (a write a crash abandoned). Found by npm run fuzz:api: concurrent
// $export jobs each sweep at start and removed one another's partial files mid-write.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { FileStore } from '../engine';
import { checkFileName, rechunk } from '../file-names';

/** A partial file untouched this long was abandoned (writes touch it at least every chunk). */
const ABANDONED_PARTIAL_MS = 60 * 60 * 1000;

export class SqliteFileStore implements FileStore {
  constructor(private readonly dir: string) {}

  private pathOf(name: string): string {
    return path.join(this.dir, ...checkFileName(name));
  }

  async write(name: string, chunks: AsyncIterable<string>, options: { expiresAt: string }): Promise<number> {
    const target = this.pathOf(name);
    const partial = `${target}.partial`;
    const handle = await openIn(path.dirname(target), partial);
    let bytes = 0;
    try {
      for await (const chunk of rechunk(chunks)) {
        const buffer = Buffer.from(chunk, 'utf8');
        await handle.write(buffer);
        bytes += buffer.length;
      }
      await handle.sync();
    } catch (e) {
      await handle.close();
      await fsp.rm(partial, { force: true });
      throw e;
    }
    await handle.close();
    const expires = new Date(options.expiresAt);
    await fsp.utimes(partial, expires, expires);
    await fsp.rename(partial, target);
    return bytes;
  }

  async read(name: string): Promise<AsyncIterable<string> | undefined> {
    const file = this.pathOf(name);
    const stat = await fsp.stat(file).catch(() => undefined);
    if (!stat?.isFile() || stat.mtimeMs <= Date.now()) return undefined;
    return fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 256 * 1024 });
  }

  async remove(name: string): Promise<void> {
    await fsp.rm(this.pathOf(name), { force: true });
  }

  async removeAll(prefix: string): Promise<void> {
    await fsp.rm(path.join(this.dir, ...checkFileName(prefix)), { recursive: true, force: true });
  }

  async sweep(now: Date): Promise<void> {
    const groups = await fsp.readdir(this.dir, { withFileTypes: true }).catch(() => []);
    for (const g of groups) {
      if (!g.isDirectory()) continue;
      const dir = path.join(this.dir, g.name);
      const files = await fsp.readdir(dir).catch(() => []); // removed meanwhile (a cancelled job's files)
      let left = 0;
      for (const f of files) {
        const stat = await fsp.stat(path.join(dir, f)).catch(() => undefined);
        const expiry = f.endsWith('.partial') ? (stat?.mtimeMs ?? 0) + ABANDONED_PARTIAL_MS : stat?.mtimeMs;
        if (stat && expiry! <= now.getTime()) await fsp.rm(path.join(dir, f), { force: true });
        else left++;
      }
      if (!left) await fsp.rm(dir, { recursive: true, force: true });
    }
  }
}

/** Opens `file` for writing in `dir`, creating the directory; once more if a sweep removed the
 * (then empty) directory between the two steps. */
async function openIn(dir: string, file: string): Promise<fsp.FileHandle> {
  for (let attempt = 0; ; attempt++) {
    await fsp.mkdir(dir, { recursive: true });
    try {
      return await fsp.open(file, 'w');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 0) throw e;
    }
  }
}
