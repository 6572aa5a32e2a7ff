// Validates an OpenAPI document with @seriousme/openapi-schema-validator (the official OpenAPI 3.x
// JSON schemas). The library is ESM-only, so it runs in a child Node process rather than inside
// Jest's CommonJS module system.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './engines';

const SCRIPT = `
import { Validator } from '@seriousme/openapi-schema-validator';
import fs from 'node:fs';
const v = new Validator();
const r = await v.validate(JSON.parse(fs.readFileSync(process.argv[1], 'utf8')));
console.log(JSON.stringify({ version: v.version, valid: r.valid, errors: r.errors }));
`;

export function validateOpenApi(document: unknown): { version: string; valid: boolean; errors?: unknown } {
  const file = path.join(tempDir('nimbus-openapi-'), 'openapi.json');
  fs.writeFileSync(file, JSON.stringify(document));
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT, file], { encoding: 'utf8', cwd: path.resolve(__dirname, '..', '..'), maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`the OpenAPI validator failed to run: ${r.stderr}`);
  return JSON.parse(r.stdout) as { version: string; valid: boolean; errors?: unknown };
}
