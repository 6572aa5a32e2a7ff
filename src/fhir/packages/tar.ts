// Reads the entries of a tar archive (an npm `package.tgz` once gunzipped): regular files only,
// with their full names (ustar prefix, GNU long names and pax `path` records honoured). A FHIR
// package is a few megabytes to a few tens, so the archive is read whole into memory.
import zlib from 'node:zlib';

export interface TarEntry {
  name: string;
  data: Buffer;
}

export class TarFormatError extends Error {}

const BLOCK = 512;

/** The files of a gzip-compressed (or plain) tar archive. */
export function readTarball(bytes: Buffer): TarEntry[] {
  let tar: Buffer;
  try {
    tar = bytes[0] === 0x1f && bytes[1] === 0x8b ? zlib.gunzipSync(bytes) : bytes;
  } catch (e) {
    throw new TarFormatError(`not a readable gzip file (${(e as Error).message})`);
  }
  return readTar(tar);
}

export function readTar(tar: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  // Neither gzip nor tar (a download error page, a zip file…): say so rather than "package.json is missing".
  if (tar.length < BLOCK || !checksumOk(tar.subarray(0, BLOCK))) throw new TarFormatError('neither a gzip-compressed nor a plain tar archive');
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break; // end of archive
    if (!checksumOk(header)) throw new TarFormatError(`damaged tar header at byte ${offset}`);
    const size = parseOctal(header.subarray(124, 136));
    const type = String.fromCharCode(header[156] || 0x30);
    const dataStart = offset + BLOCK;
    if (dataStart + size > tar.length) throw new TarFormatError('the archive is truncated');
    const data = tar.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') {
      longName = cString(data);
      continue;
    }
    if (type === 'x') {
      paxPath = paxRecords(data).get('path') ?? paxPath;
      continue;
    }
    if (type === 'g') continue;
    const prefix = cString(header.subarray(345, 500));
    const name = paxPath ?? longName ?? (prefix ? `${prefix}/${cString(header.subarray(0, 100))}` : cString(header.subarray(0, 100)));
    longName = paxPath = undefined;
    if (type === '0' || type === '7') out.push({ name, data: Buffer.from(data) });
  }
  return out;
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString('utf8');
}

function parseOctal(b: Buffer): number {
  // Sizes beyond 8 GB use base-256 (high bit set); no FHIR package comes near that.
  if (b[0] & 0x80) throw new TarFormatError('a file in the archive is too large');
  const s = cString(b).trim();
  const n = s ? parseInt(s, 8) : 0;
  if (!Number.isFinite(n)) throw new TarFormatError('damaged tar header (size)');
  return n;
}

function checksumOk(header: Buffer): boolean {
  const stored = parseInt(cString(header.subarray(148, 156)).trim(), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
  return stored === sum;
}

/** pax extended header: records `<len> <key>=<value>\n`. */
function paxRecords(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space < 0) break;
    const len = parseInt(data.subarray(i, space).toString('ascii'), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const record = data.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    i += len;
  }
  return out;
}
