// Every official R4 example resource (npm hl7.fhir.r4.examples@4.0.1, Bundles aside) is stored
// with PUT under its own id and read back equal to what was sent, except meta.versionId and
// meta.lastUpdated, which the server owns. Rejections are listed with the spec's reason.
import fs from 'node:fs';
import path from 'node:path';
import type { ContractServer } from './target';
import type { ContractSuite } from './contract';

const EXAMPLES_DIR = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));

/**
 * Examples the spec's own rules reject, with the validator's message id and the rule. Each was
 * checked by hand against the R4 definitions; the reference validator reports the same problems.
 */
const EXPECTED_REJECTIONS: Record<string, [messageId: string, rule: string]> = {
  // R4 datatypes.html#id: "Ids can be up to 64 characters long"; this id has 65 (the URL check
  // refuses it before validation; the manifest of the IG below references it).
  'SearchParameter-questionnaireresponse-extensions-QuestionnaireResponse-item-subject.json': ['INVALID_ID', 'id longer than 64 characters'],
  'ImplementationGuide-fhir.json': ['REFERENCE_MALFORMED', 'references the 65-character id above; also lacks the required name and status'],
  // txt-2: "The narrative SHALL have some non-whitespace content"; these divs are empty.
  'ActivityDefinition-blood-tubes-supply.json': ['NARRATIVE_EMPTY', 'txt-2'],
  'ActivityDefinition-heart-valve-replacement.json': ['NARRATIVE_EMPTY', 'txt-2'],
  'EventDefinition-example.json': ['NARRATIVE_EMPTY', 'txt-2'],
  'Questionnaire-zika-virus-exposure-assessment.json': ['NARRATIVE_EMPTY', 'txt-2'],
  // Unknown modifier extensions (example.org URLs without definitions) cannot be accepted (extensibility.html#modifierExtension).
  'Basic-referral.json': ['EXTENSION_UNKNOWN', 'unknown modifierExtension'],
  // Reference targets outside ElementDefinition.type.targetProfile.
  'DeviceMetric-example.json': ['REFERENCE_TARGET_TYPE', 'DeviceMetric.parent is Reference(Device), the example points at a DeviceDefinition'],
  'DeviceUseStatement-example.json': ['REFERENCE_TARGET_TYPE', 'reasonReference does not allow Procedure'],
  'MedicationRequest-medrx0301.json': ['REFERENCE_TARGET_TYPE', 'dispenseRequest.performer is Reference(Organization)'],
  'Observation-clinical-gender.json': ['REFERENCE_TARGET_TYPE', 'performer does not allow Encounter'],
  // v3-orderableDrugForm is case-sensitive and complete: its codes are TAB, PATCH, VIAL…
  'Medication-med0304.json': ['CODE_UNKNOWN_IN_SYSTEM', "'Tab' is not a code of v3-orderableDrugForm (TAB is)"],
  'Medication-med0309.json': ['CODE_UNKNOWN_IN_SYSTEM', "'Tab'"],
  'MedicationAdministration-medadmin0312.json': ['CODE_UNKNOWN_IN_SYSTEM', "'patch' (PATCH is)"],
  'MedicationDispense-meddisp0301.json': ['CODE_UNKNOWN_IN_SYSTEM', "'Vial'"],
  'MedicationDispense-meddisp0325.json': ['CODE_UNKNOWN_IN_SYSTEM', "'patch'"],
  'MedicationRequest-medrx0313.json': ['CODE_UNKNOWN_IN_SYSTEM', "'Tab'"],
  'MedicationRequest-medrx0314.json': ['CODE_UNKNOWN_IN_SYSTEM', "'Tab'"],
  'MedicationRequest-medrx0327.json': ['CODE_UNKNOWN_IN_SYSTEM', "'patch'"],
  'MedicationStatement-example001.json': ['CODE_UNKNOWN_IN_SYSTEM', "'Tab'"],
  'MedicationStatement-example002.json': ['CODE_UNKNOWN_IN_SYSTEM', "'Tab'"],
  'MedicationStatement-example003.json': ['CODE_UNKNOWN_IN_SYSTEM', "'tab'"],
  // A response to a Questionnaire the examples do not hold (there is no Questionnaire/ussg-fht).
  'QuestionnaireResponse-ussg-fht-answers.json': ['QUESTIONNAIRE_UNKNOWN', 'names Questionnaire/ussg-fht, which is not stored'],
  // Required elements missing: Questionnaire.item.linkId (1..1), SearchParameter.base (1..*).
  'Questionnaire-qs1.json': ['MIN_CARDINALITY', 'item.linkId is 1..1'],
  'SearchParameter-codesystem-extensions-CodeSystem-author.json': ['MIN_CARDINALITY', 'SearchParameter.base is 1..*'],
  'SearchParameter-codesystem-extensions-CodeSystem-effective.json': ['MIN_CARDINALITY', 'SearchParameter.base is 1..*'],
  'SearchParameter-codesystem-extensions-CodeSystem-end.json': ['MIN_CARDINALITY', 'SearchParameter.base is 1..*'],
  'SearchParameter-codesystem-extensions-CodeSystem-keyword.json': ['MIN_CARDINALITY', 'SearchParameter.base is 1..*'],
  'SearchParameter-codesystem-extensions-CodeSystem-workflow.json': ['MIN_CARDINALITY', 'SearchParameter.base is 1..*'],
  'SearchParameter-valueset-extensions-ValueSet-author.json': ['MIN_CARDINALITY', 'SearchParameter.base is 1..*'],
  'SearchParameter-valueset-extensions-ValueSet-effective.json': ['MIN_CARDINALITY', 'SearchParameter.base is 1..*'],
  'SearchParameter-valueset-extensions-ValueSet-end.json': ['MIN_CARDINALITY', 'SearchParameter.base is 1..*'],
  'SearchParameter-valueset-extensions-ValueSet-keyword.json': ['MIN_CARDINALITY', 'SearchParameter.base is 1..*'],
  'SearchParameter-valueset-extensions-ValueSet-workflow.json': ['MIN_CARDINALITY', 'SearchParameter.base is 1..*'],
  // URI forms (datatypes.html#uri): a UUID is lowercase, an OID is digits and dots; a ValueSet
  // names a code system by its absolute URL (a contained one through the valueset-system extension).
  'CapabilityStatement-example.json': ['URI_INVALID', 'url urn:uuid:68D043B5-… is not a lowercase UUID'],
  'TerminologyCapabilities-example.json': ['URI_INVALID', 'url urn:uuid:68D043B5-… is not a lowercase UUID'],
  'Library-zika-virus-intervention-logic.json': ['URI_INVALID', 'codeFilter.valueSet urn:oid:X.Y.Z is not an OID'],
  'ValueSet-example-hierarchical.json': ['CODING_SYSTEM_INVALID', "compose.include.system '#hacked' is not absolute"],
  // A CapabilityStatement searchParam has the type of the SearchParameter it names as its definition.
  'CapabilityStatement-knowledge-repository.json': ['SEARCHPARAMETER_DERIVATION', "Library-version is a token, declared as string"],
  'CapabilityStatement-measure-processor.json': ['SEARCHPARAMETER_DERIVATION', "Measure-version is a token, declared as string"],
  'CapabilityStatement-terminology-server.json': ['SEARCHPARAMETER_DERIVATION', "ValueSet-reference is a uri, declared as token"],
  // sdf-4: "If the structure is not abstract, then there SHALL be a baseDefinition" (logical models).
  'StructureDefinition-Definition.json': ['INVARIANT', 'sdf-4'],
  'StructureDefinition-Event.json': ['INVARIANT', 'sdf-4'],
  'StructureDefinition-FiveWs.json': ['INVARIANT', 'sdf-4'],
  'StructureDefinition-Request.json': ['INVARIANT', 'sdf-4'],
};

function loadExamples(): { file: string; resource: Record<string, unknown> & { resourceType: string; id: string } }[] {
  return fs
    .readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.json') && f !== 'package.json' && f !== 'ig-r4.json')
    .map((file) => ({ file, resource: JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, file), 'utf8')) }))
    .filter(({ resource }) => typeof resource.resourceType === 'string' && resource.resourceType !== 'Bundle');
}

function withoutServerMeta(r: Record<string, unknown>): Record<string, unknown> {
  const { meta, ...rest } = r as { meta?: Record<string, unknown> };
  const { versionId: _v, lastUpdated: _l, ...keptMeta } = meta ?? {};
  return Object.keys(keptMeta).length ? { ...rest, meta: keptMeta } : rest;
}

export const r4ExamplesContract: ContractSuite = {
  id: 'r4-examples',
  title: 'official R4 examples',
  define({ target, it }) {
    let t: ContractServer;
    const examples = loadExamples();
    beforeAll(async () => {
      t = await target.start();
    });
    afterAll(() => t.close());

    it('covers the R4 example set', () => {
      expect(examples.length).toBeGreaterThan(5000);
      expect(new Set(examples.map((e) => e.resource.resourceType)).size).toBeGreaterThanOrEqual(139);
    });

    /** PUTs each example and reads it back: what was refused (with the server's messages) and
     * what came back different. */
    async function storeAndReadBack(list: typeof examples): Promise<{ rejected: Record<string, string>; mismatched: string[] }> {
      const rejected: Record<string, string> = {};
      const mismatched: string[] = [];
      const batch = 16;
      // A QuestionnaireResponse is checked against the Questionnaire it names, which must be stored
      // first (QuestionnaireResponse-gcs names Questionnaire/gcs): the responses go last, on their own.
      const isResponse = (e: (typeof list)[number]) => e.resource.resourceType === 'QuestionnaireResponse';
      const groups = [list.filter((e) => !isResponse(e)), list.filter(isResponse)];
      for (const group of groups) {
        for (let i = 0; i < group.length; i += batch) {
        await Promise.all(
          group.slice(i, i + batch).map(async ({ file, resource }) => {
            const url = `/fhir/${resource.resourceType}/${resource.id}`;
            const put = await t.http.put(url).set('Content-Type', 'application/fhir+json').send(JSON.stringify(resource));
            if (put.status !== 201 && put.status !== 200) {
              rejected[file] = put.body.issue?.map((x: { diagnostics: string; extension?: { valueString: string }[] }) => `${x.extension?.[0]?.valueString ?? ''} ${x.diagnostics}`).join('; ') ?? String(put.status);
              return;
            }
            const got = await t.http.get(url);
            expect(got.status).toBe(200);
            if (JSON.stringify(withoutServerMeta(got.body)) !== JSON.stringify(withoutServerMeta(resource))) {
              // Key order is the server's (resourceType, id, meta first); compare structurally.
              try {
                expect(withoutServerMeta(got.body)).toEqual(withoutServerMeta(resource));
              } catch {
                mismatched.push(file);
              }
            }
          }),
        );
        }
      }
      return { rejected, mismatched };
    }

    function expectRejections(rejected: Record<string, string>, files: string[]): void {
      // Unexpected refusals with their reasons, so a failure says why.
      expect(Object.fromEntries(Object.entries(rejected).filter(([file]) => !files.includes(file)))).toEqual({});
      expect(files.filter((file) => !(file in rejected))).toEqual([]);
      for (const file of files) {
        const [messageId] = EXPECTED_REJECTIONS[file];
        if (messageId === 'INVALID_ID') expect(rejected[file]).toMatch(/not a valid FHIR id/);
        else expect(rejected[file]).toContain(messageId);
      }
    }

    it('stores one example of every type, and every example the spec rejects, with PUT and reads them back unchanged', async () => {
      const firstOfType = new Map<string, (typeof examples)[number]>();
      for (const e of examples) if (!firstOfType.has(e.resource.resourceType) && !EXPECTED_REJECTIONS[e.file]) firstOfType.set(e.resource.resourceType, e);
      const sample = [...firstOfType.values(), ...examples.filter((e) => EXPECTED_REJECTIONS[e.file])];
      expect(sample.length).toBeGreaterThan(170);
      const { rejected, mismatched } = await storeAndReadBack(sample);
      expect(mismatched).toEqual([]);
      expectRejections(rejected, Object.keys(EXPECTED_REJECTIONS));
    }, 900_000);

    it('stores every example with PUT and reads it back unchanged', async () => {
      const { rejected, mismatched } = await storeAndReadBack(examples);
      expect(mismatched).toEqual([]);
      expectRejections(rejected, Object.keys(EXPECTED_REJECTIONS));
      // 5,300 resources, ~1,900 of them large conformance resources validated in full (ElementDefinition
      // invariants included): minutes on a busy 2-core machine.
    }, 900_000);
  },
};
