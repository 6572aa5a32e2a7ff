// Files on MongoDB as chunked documents in the engine's SystemStore (collection `files`): chunk
// `name#00000001…` (text up to 256 Ki characters each), then the head document `name` with the
// chunk count, written last — a reader that finds the head finds every chunk. Every document
// carries the file's expiry, so the store purges them on its own; any server process over the
// deployment serves any file. GridFS would do the same job; this keeps to the documents and
// operations FerretDB 1.x is known to handle (see docs/analytics.md).
import type { FileStore, SystemStore } from '../engine';
import { checkFileName, rechunk } from '../file-names';

const FILES = 'files';

interface Head {
  chunks: number;
  bytes: number;
}

const chunkKey = (name: string, n: number) => `${name}#${String(n).padStart(8, '0')}`;

export class DocumentFileStore implements FileStore {
  constructor(private readonly store: SystemStore) {}

  async write(name: string, chunks: AsyncIterable<string>, options: { expiresAt: string }): Promise<number> {
    checkFileName(name);
    await this.remove(name);
    let n = 0;
    let bytes = 0;
    for await (const text of rechunk(chunks)) {
      n++;
      bytes += Buffer.byteLength(text, 'utf8');
      if (!(await this.store.insert(FILES, chunkKey(name, n), { text }, options))) throw new Error(`file chunk ${chunkKey(name, n)} exists`);
    }
    if (!(await this.store.insert<Head>(FILES, name, { chunks: n, bytes }, options))) throw new Error(`file ${name} was written twice at once`);
    return bytes;
  }

  async read(name: string): Promise<AsyncIterable<string> | undefined> {
    checkFileName(name);
    const head = await this.store.get<Head>(FILES, name);
    if (!head) return undefined;
    const store = this.store;
    return (async function* () {
      for (let i = 1; i <= head.value.chunks; i++) {
        const chunk = await store.get<{ text: string }>(FILES, chunkKey(name, i));
        if (!chunk) throw new Error(`file ${name} lost chunk ${i}`);
        yield chunk.value.text;
      }
    })();
  }

  /** One file: its head first (readers stop seeing it), then its chunks. */
  async remove(name: string): Promise<void> {
    // Reads first: writing a new file (the common case) then costs no write for the old one.
    if (await this.store.get(FILES, name)) await this.store.delete(FILES, name);
    await this.deleteKeys(`${name}#`);
  }

  async removeAll(prefix: string): Promise<void> {
    checkFileName(prefix);
    await this.deleteKeys(`${prefix}/`);
  }

  private async deleteKeys(prefix: string): Promise<void> {
    for (;;) {
      const page = await this.store.list(FILES, { prefix, limit: 200 });
      if (!page.length) return;
      for (const doc of page) await this.store.delete(FILES, doc.key);
    }
  }

  /** Expired documents are purged by the store itself. */
  async sweep(): Promise<void> {}
}
