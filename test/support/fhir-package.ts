// Builds FHIR packages for tests: an npm-format `package.tgz` (ustar entries under `package/`,
// gzip-compressed, as `npm pack` writes them) or the unpacked folder, from a manifest and resources.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

export interface TestPackage {
  manifest: Record<string, unknown>;
  /** File name (inside package/) → JSON content. */
  files: Record<string, unknown>;
}

function header(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

function entries(pkg: TestPackage): Array<[string, Buffer]> {
  return [['package.json', pkg.manifest] as const, ...Object.entries(pkg.files)].map(([name, v]) => [name, Buffer.from(typeof v === 'string' ? v : JSON.stringify(v, null, 1))]);
}

/** Writes `<dir>/<name>.tgz` and answers its path. */
export function writePackageTgz(dir: string, name: string, pkg: TestPackage): string {
  const parts: Buffer[] = [];
  for (const [file, data] of entries(pkg)) {
    parts.push(header(`package/${file}`, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  const out = path.join(dir, `${name}.tgz`);
  fs.writeFileSync(out, zlib.gzipSync(Buffer.concat(parts)));
  return out;
}

/** Writes the unpacked form `<dir>/<name>/package/…` and answers `<dir>/<name>`. */
export function writePackageFolder(dir: string, name: string, pkg: TestPackage): string {
  const root = path.join(dir, name, 'package');
  fs.mkdirSync(root, { recursive: true });
  for (const [file, data] of entries(pkg)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), data);
  }
  return path.join(dir, name);
}
