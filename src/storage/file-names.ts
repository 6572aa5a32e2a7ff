// Names of stored files (FileStore, engine.ts): checked once here, so neither engine can be handed
// a path that leaves its directory or collides with another job's files.
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/;

export function checkFileName(name: string): string[] {
  const segments = name.split('/');
  if (name.length > 200 || !segments.length || !segments.every((s) => SEGMENT.test(s) && s !== '.' && s !== '..')) {
    throw new Error(`'${name.slice(0, 80)}' is not a valid file name`);
  }
  return segments;
}

/** Chunk size of stored file text (MongoDB documents; writes are batched to it on SQLite too). */
export const FILE_CHUNK_CHARS = 256 * 1024;

/** Joins a stream of small strings into chunks of about FILE_CHUNK_CHARS. */
export async function* rechunk(chunks: AsyncIterable<string>): AsyncIterable<string> {
  let pending: string[] = [];
  let size = 0;
  for await (const c of chunks) {
    pending.push(c);
    size += c.length;
    if (size >= FILE_CHUNK_CHARS) {
      yield pending.join('');
      pending = [];
      size = 0;
    }
  }
  if (size) yield pending.join('');
}
