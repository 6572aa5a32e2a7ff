// Files on SQLite: plain files under `<data directory>/files/`, written to a temporary name and
// renamed (readers see all or nothing). One process owns a SQLite data directory, so the
// directory is as shared as the database. A file's expiry is kept as its modification time;
// sweep() removes files whose time has passed.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { FileStore } from '../engine';
import { checkFileName, rechunk } from '../file-names';

export class SqliteFileStore implements FileStore {
  constructor(private readonly dir: string) {}

  private pathOf(name: string): string {
    return path.join(this.dir, ...checkFileName(name));
  }

  async write(name: string, chunks: AsyncIterable<string>, options: { expiresAt: string }): Promise<number> {
    const target = this.pathOf(name);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    const partial = `${target}.partial`;
    const handle = await fsp.open(partial, 'w');
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
      const files = await fsp.readdir(dir);
      let left = 0;
      for (const f of files) {
        const stat = await fsp.stat(path.join(dir, f)).catch(() => undefined);
        if (stat && stat.mtimeMs <= now.getTime()) await fsp.rm(path.join(dir, f), { force: true });
        else left++;
      }
      if (!left) await fsp.rm(dir, { recursive: true, force: true });
    }
  }
}
