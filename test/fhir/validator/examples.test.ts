// The official R4 examples against the validator: each validates without errors against its base
// definition (the exceptions are the ones r4-examples.test.ts lists with their rule), the fast
// invariant paths agree with fhirpath.js on every example, and corrupting each example in one
// rule-breaking way is caught every time.
import fs from 'node:fs';
import path from 'node:path';
import { ids, makeValidator } from './support';

const DIR = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
/** Conformance resources are huge and validated by r4-examples.test.ts; here: the clinical record. */
const CONFORMANCE = /^(StructureDefinition|ValueSet|CodeSystem|ConceptMap|SearchParameter|OperationDefinition|CapabilityStatement|ImplementationGuide|NamingSystem|CompartmentDefinition|StructureMap|GraphDefinition|MessageDefinition|TerminologyCapabilities|TestScript)-/;
/** The Bundles that carry the specification's own definitions (several MB each) are left to r4-examples.test.ts too. */
const examples = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.json') && f !== 'package.json' && f !== 'ig-r4.json' && !CONFORMANCE.test(f) && fs.statSync(path.join(DIR, f)).size < 500_000)
  .map((file) => ({ file, resource: JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')) as Record<string, unknown> }));

/** Examples the R4 rules reject (see r4-examples.test.ts for each rule). */
const KNOWN_INVALID = new Set([
  'ActivityDefinition-blood-tubes-supply.json', 'ActivityDefinition-heart-valve-replacement.json', 'EventDefinition-example.json',
  'Questionnaire-zika-virus-exposure-assessment.json', 'Basic-referral.json', 'DeviceMetric-example.json', 'DeviceUseStatement-example.json',
  'MedicationRequest-medrx0301.json', 'Observation-clinical-gender.json', 'Medication-med0304.json', 'Medication-med0309.json',
  'MedicationAdministration-medadmin0312.json', 'MedicationDispense-meddisp0301.json', 'MedicationDispense-meddisp0325.json',
  'MedicationRequest-medrx0313.json', 'MedicationRequest-medrx0314.json', 'MedicationRequest-medrx0327.json',
  'MedicationStatement-example001.json', 'MedicationStatement-example002.json', 'MedicationStatement-example003.json', 'Questionnaire-qs1.json',
  // codeFilter.valueSet 'urn:oid:X.Y.Z' is not an OID
  'Library-zika-virus-intervention-logic.json',
]);

describe('official R4 examples and the validator', () => {
  const fast = makeValidator();
  const slow = makeValidator([], { fastInvariants: false });

  it('covers the clinical examples', () => {
    expect(examples.length).toBeGreaterThan(690);
  });

  it('every example validates without errors against its base definition, apart from the known ones', () => {
    const failing = examples.filter(({ resource }) => fast.errors(resource, { metaProfiles: false }).length > 0).map((e) => e.file);
    expect(failing.sort()).toEqual([...KNOWN_INVALID].filter((f) => examples.some((e) => e.file === f)).sort());
  }, 300_000);

  it('the native and compiled invariants give exactly the verdicts of fhirpath.js', () => {
    const differ: string[] = [];
    for (const { file, resource } of examples) {
      const a = fast.validate(resource, { metaProfiles: false }).filter((i) => i.messageId === 'INVARIANT').map((i) => i.diagnostics);
      const b = slow.validate(resource, { metaProfiles: false }).filter((i) => i.messageId === 'INVARIANT').map((i) => i.diagnostics);
      if (JSON.stringify(a) !== JSON.stringify(b)) differ.push(`${file}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
    expect(differ).toEqual([]);
  }, 600_000);

  describe('corrupting each example once is caught', () => {
    const base = (type: string) => fast.validator.core.baseStructure(type)!;

    it('an extra element', () => {
      const missed = examples.filter(({ resource }) => !ids(fast.errors({ ...resource, nimbusNotAnElement: 1 })).includes('UNKNOWN_ELEMENT'));
      expect(missed.map((e) => e.file)).toEqual([]);
    });

    it('a missing required element (every example whose type has a required top-level element)', () => {
      let corrupted = 0;
      const missed: string[] = [];
      for (const { file, resource } of examples) {
        const required = base(resource.resourceType as string).root.children.find((c) => c.min > 0 && Object.keys(resource).some((k) => k === c.name || (c.choice && k.startsWith(c.name.slice(0, -3)))));
        if (!required) continue;
        const broken = Object.fromEntries(Object.entries(resource).filter(([k]) => !(k === required.name || k === `_${required.name}` || (required.choice && k.startsWith(required.name.slice(0, -3))))));
        corrupted++;
        if (!ids(fast.errors(broken)).includes('MIN_CARDINALITY')) missed.push(file);
      }
      expect(corrupted).toBeGreaterThan(500);
      expect(missed).toEqual([]);
    });

    it('a wrong code in a required binding (every example with a required-bound top-level code)', () => {
      let corrupted = 0;
      const missed: string[] = [];
      for (const { file, resource } of examples) {
        const bound = base(resource.resourceType as string).root.children.find(
          (c) => c.types.length === 1 && c.types[0].code === 'code' && c.binding?.strength === 'required' && typeof resource[c.name] === 'string' && !c.array,
        );
        // Only where the server holds the value set's content (not BCP-13 mime types, BCP-47 languages…).
        if (!bound || fast.terminology.inValueSet(bound.binding!.valueSet!, undefined, 'nimbus-not-a-code') !== false) continue;
        corrupted++;
        if (!ids(fast.errors({ ...resource, [bound.name]: 'nimbus-not-a-code' })).includes('CODE_NOT_IN_REQUIRED_VALUESET')) missed.push(file);
      }
      expect(corrupted).toBeGreaterThan(300);
      expect(missed).toEqual([]);
    });

    it('a broken invariant (dom-4: a contained resource with a version)', () => {
      const missed = examples
        .filter(({ resource }) => resource.resourceType !== 'Bundle' && resource.resourceType !== 'Parameters' && resource.resourceType !== 'Binary')
        .filter(({ resource }) => {
          const contained = [...((resource.contained as unknown[]) ?? []), { resourceType: 'Basic', id: 'nimbus-c', meta: { versionId: '3' }, code: { text: 'x' } }];
          const extension = [...((resource.extension as unknown[]) ?? []), { url: 'http://example.org/ref', valueReference: { reference: '#nimbus-c' } }];
          return !fast.errors({ ...resource, contained, extension }).some((i) => i.messageId === 'INVARIANT' && /dom-4/.test(i.diagnostics));
        });
      expect(missed.map((e) => e.file)).toEqual([]);
    });
  });
});
