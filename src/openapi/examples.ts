// One request-body example per resource type, taken from the official R4 examples
// (hl7.fhir.r4.examples, already a dependency for the validator's definitions): the smallest
// example of the type that this server accepts, without its id, meta and narrative. They give
// readers of /docs a body that works, and give API fuzzers (npm run fuzz:api) creates that
// succeed, so that their follow-up calls reach stored resources instead of 404s.
import fs from 'node:fs';
import path from 'node:path';
import type { Json } from './components';

/** Examples larger than this are left out (the document grows with every byte, per type). */
const MAX_BYTES = 3000;

/** `accepts`: whether the server's validator takes the resource (some official examples break
 * R4's own rules, e.g. a reference to a type the element does not allow). */
export function officialExamples(accepts: (resource: Json, type: string) => boolean): (type: string) => Json | undefined {
  let candidates: Map<string, string[]> | undefined;
  const chosen = new Map<string, Json | undefined>();
  return (type) => {
    candidates ??= listCandidates();
    if (!chosen.has(type)) chosen.set(type, (candidates.get(type) ?? []).map(read).find((r) => r?.resourceType === type && standsAlone(r) && accepts(r, type)));
    return chosen.get(type);
  };
}

/** Whether a create of the example can succeed on any server: a QuestionnaireResponse naming its
 * Questionnaire is refused unless that Questionnaire is stored (workflow/questionnaire-response.ts),
 * and the official examples' Questionnaires are not. */
function standsAlone(resource: Json): boolean {
  return !(resource.resourceType === 'QuestionnaireResponse' && resource.questionnaire !== undefined);
}

let dir: string | undefined;

function listCandidates(): Map<string, string[]> {
  const found = new Map<string, Array<{ file: string; size: number }>>();
  try {
    dir = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
  } catch {
    return new Map();
  }
  for (const file of fs.readdirSync(dir)) {
    const m = /^([A-Z][A-Za-z]+)-.+\.json$/.exec(file);
    if (!m) continue;
    const size = fs.statSync(path.join(dir, file)).size;
    if (size <= MAX_BYTES) found.set(m[1], [...(found.get(m[1]) ?? []), { file, size }]);
  }
  return new Map([...found].map(([type, files]) => [type, files.sort((a, b) => a.size - b.size || a.file.localeCompare(b.file)).map((f) => f.file)]));
}

function read(file: string): Json | undefined {
  try {
    const resource = JSON.parse(fs.readFileSync(path.join(dir!, file), 'utf8')) as Json;
    delete resource.id;
    delete resource.meta;
    delete resource.text;
    return resource;
  } catch {
    return undefined; // a file that does not parse is no example
  }
}
