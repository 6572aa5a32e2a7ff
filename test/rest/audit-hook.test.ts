// How a request is described to the audit trail: the FHIR interaction from method and path, the
// resources it names, the query of a search and the patients it concerns.
import { describe as describeAccess } from '../../src/rest/audit-hook';

const isType = (t: string) => ['Patient', 'Observation', 'AuditEvent'].includes(t);

describe('audit description of a request', () => {
  it.each([
    ['GET', '/fhir/Observation/o1', 'read', ['Observation/o1'], undefined, []],
    ['GET', '/fhir/Observation/o1/_history/2', 'vread', ['Observation/o1'], undefined, []],
    ['GET', '/fhir/Observation/o1/_history', 'history-instance', ['Observation/o1'], '', []],
    ['GET', '/fhir/Observation/_history?_since=2026-01-01', 'history-type', [], '_since=2026-01-01', []],
    ['GET', '/fhir/_history', 'history-system', [], '', []],
    ['GET', '/fhir/Observation?patient=p1&code=x', 'search-type', [], 'patient=p1&code=x', ['p1']],
    ['GET', '/fhir/Observation?subject=Patient/p2', 'search-type', [], 'subject=Patient/p2', ['p2']],
    ['POST', '/fhir/Observation/_search', 'search-type', [], '', []],
    ['GET', '/fhir?_type=Observation', 'search-system', [], '_type=Observation', []],
    ['GET', '/fhir/Patient/p3/Observation?code=x', 'search-type', ['Patient/p3'], 'Observation?code=x', ['p3']],
    ['POST', '/fhir/Observation', 'create', [], undefined, []],
    ['PUT', '/fhir/Observation/o1', 'update', ['Observation/o1'], undefined, []],
    ['PATCH', '/fhir/Observation/o1', 'patch', ['Observation/o1'], undefined, []],
    ['DELETE', '/fhir/Observation/o1', 'delete', ['Observation/o1'], undefined, []],
    ['DELETE', '/fhir/Observation?identifier=x', 'delete', [], 'identifier=x', []],
    ['POST', '/fhir', 'batch', [], undefined, []],
    ['GET', '/fhir/Observation/o1/$meta', 'operation', ['Observation/o1'], undefined, []],
  ] as const)('%s %s is %s', (method, url, interaction, resources, query, patients) => {
    const d = describeAccess(method, url, isType)!;
    expect(d.interaction).toBe(interaction);
    expect(d.resources).toEqual(resources);
    expect(d.query).toBe(query);
    expect(d.patients).toEqual(expect.arrayContaining([...patients]));
  });

  it('names the operation, and leaves out what is not an access to data', () => {
    expect(describeAccess('GET', '/fhir/Observation/o1/$meta', isType)!.operation).toBe('$meta');
    expect(describeAccess('GET', '/fhir/metadata', isType)).toBeUndefined();
    expect(describeAccess('GET', '/fhir/.well-known/smart-configuration', isType)).toBeUndefined();
    expect(describeAccess('GET', '/fhir/NotAType/1', isType)).toBeUndefined();
  });
});
