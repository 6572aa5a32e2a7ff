// The OperationDefinitions of this server's own operations, shipped as JSON in the repository's
// fhir-profiles/operations/ (canonical URLs under NIMBUS_CANONICAL_BASE). Read from the repository,
// not from the configured profiles directory, because the operations are part of the server.
import fs from 'node:fs';
import path from 'node:path';
import type { OperationDefinition } from '@medplum/fhirtypes';

const DIR = path.resolve(__dirname, '..', '..', 'fhir-profiles', 'operations');
const DIST_DIR = path.resolve(__dirname, '..', '..', '..', 'fhir-profiles', 'operations');

export function nimbusOperationDefinition(code: string): OperationDefinition {
  const file = [DIR, DIST_DIR].map((d) => path.join(d, `OperationDefinition-${code}.json`)).find((f) => fs.existsSync(f));
  if (!file) throw new Error(`no OperationDefinition-${code}.json in fhir-profiles/operations`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as OperationDefinition;
}
