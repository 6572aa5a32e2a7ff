// Packages published on the npm registry (hl7.terminology.r4, hl7.fhir.us.core for some versions…)
// are fetched with npm's own client (`npm pack name@version`), so the operator's npm settings —
// registry, proxy, credentials, cache — apply as they do for any npm download.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PackageError } from './package-reader';

/** `name@version` (also `@scope/name@version`); a version or dist-tag is required, so what is
 * installed is what was asked for. */
const SPEC = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*@[\w.+-]+$/i;

export function isRegistrySpec(source: string): boolean {
  return SPEC.test(source) && !fs.existsSync(source);
}

/** Downloads the package's tarball into a fresh temporary folder; answers its path and a cleanup. */
export async function fetchPackage(spec: string, options: { timeoutMs?: number } = {}): Promise<{ file: string; cleanup(): void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-package-'));
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.platform === 'win32' ? 'npm.cmd' : 'npm',
        ['pack', spec, '--pack-destination', dir, '--json', '--ignore-scripts'],
        { timeout: options.timeoutMs ?? 300_000, maxBuffer: 16 * 1024 * 1024, cwd: dir },
        (err, out, errOut) => {
          if (err) {
            const why = (errOut || err.message).split('\n').filter((l) => /error/i.test(l)).slice(0, 4).join(' ') || err.message;
            reject(new PackageError(`${spec}: npm could not fetch the package: ${why.trim()}`));
          } else resolve(out);
        },
      );
    });
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.tgz'));
    if (files.length !== 1) throw new PackageError(`${spec}: npm pack produced no package file (${stdout.slice(0, 200)})`);
    return { file: path.join(dir, files[0]), cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}
