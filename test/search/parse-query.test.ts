// Query → SearchPlan: parameter resolution, modifiers, strict and lenient handling.
import { parse } from './support';
import { FhirError } from '../../src/fhir/errors';

function rejection(type: string, qs: string): FhirError {
  try {
    parse(type, qs);
  } catch (e) {
    return e as FhirError;
  }
  throw new Error(`expected ${qs} to be refused`);
}

describe('parseSearchQuery', () => {
  it('builds token, chain and _has predicates', () => {
    const { plan } = parse('Observation', 'code=http://loinc.org|1234,5678&subject:Patient.name=eve&_has:Provenance:target:agent=Practitioner/1');
    expect(plan.where[0]).toEqual({
      kind: 'or',
      any: [
        { kind: 'token', param: 'code', system: 'http://loinc.org', code: '1234' },
        { kind: 'token', param: 'code', code: '5678' },
      ],
    });
    expect(plan.where[1]).toEqual({ kind: 'chain', param: 'subject', targetTypes: ['Patient'], where: [{ kind: 'string', param: 'name', match: 'prefix', value: 'eve' }] });
    expect(plan.where[2]).toMatchObject({ kind: 'has', sourceType: 'Provenance', param: 'target', where: [{ kind: 'reference', param: 'agent', type: 'Practitioner', id: '1' }] });
  });

  it('derives date ranges and prefixes', () => {
    const { plan } = parse('Observation', 'date=ge2013-01-14');
    expect(plan.where[0]).toEqual({ kind: 'range', valueKind: 'date', param: 'date', prefix: 'ge', low: Date.parse('2013-01-14T00:00:00Z'), high: Date.parse('2013-01-15T00:00:00Z') });
  });

  it('caps _count at the maximum instead of refusing it', () => {
    expect(parse('Patient', '_count=5000').plan.count).toBe(1000);
    expect(parse('Patient', '_summary=count').plan).toMatchObject({ count: 0, total: 'accurate' });
  });

  it('refuses unknown parameters and modifiers, naming every one of them', () => {
    const e = rejection('Patient', 'foo=1&name:banana=x&birthdate=notadate&gender=male');
    expect(e.status).toBe(400);
    const text = e.issues.map((i) => i.diagnostics).join('\n');
    expect(text).toContain("'foo'");
    expect(text).toContain(':banana');
    expect(text).toContain('notadate');
    expect(e.issues.map((i) => i.expression?.[0])).toEqual(['foo', 'name:banana', 'birthdate']);
  });

  it('under lenient handling ignores what it cannot apply and reports it', () => {
    const parsed = parse('Patient', 'foo=1&gender=male&_sort=nonsense', { lenient: true });
    expect(parsed.applied).toEqual([['gender', 'male']]);
    expect(parsed.ignored.map((p) => p.param)).toEqual(['foo', '_sort=nonsense']);
    expect(parsed.plan.sort).toEqual([]);
  });

  it('refuses malformed values of every type', () => {
    for (const qs of ['value-quantity=abc', 'code=a|b|c', 'subject=not a ref', 'gender:missing=maybe', '_count=-1', '_total=some', '_include=Nope:x', 'code=', 'date=2013-02-30']) {
      expect(rejection('Observation', qs).status).toBe(400);
    }
  });

  it('rejects unsupported features explicitly rather than ignoring them', () => {
    expect(rejection('Location', '_query=x').issues[0].diagnostics).toContain('not supported');
    expect(rejection('Patient', '_filter=name eq x').status).toBe(400);
    expect(rejection('Patient', '_containedType=contained').status).toBe(400);
  });

  it('plans near as a box plus the exact distance, sorted by distance unless told otherwise', () => {
    const { plan } = parse('Location', 'near=52.37|4.89|10');
    expect(plan.where[0]).toMatchObject({ kind: 'near', lat: 52.37, lon: 4.89, distanceKm: 10 });
    expect(plan.sort).toEqual([{ param: 'near', descending: false, near: { lat: 52.37, lon: 4.89 } }]);
    expect(parse('Location', 'near=52.37|4.89|1500|m&_sort=name').plan.sort).toEqual([{ param: 'name', descending: false }]);
    expect(parse('Location', 'near=52.37|4.89|1500|m').plan.where[0]).toMatchObject({ distanceKm: 1.5 });
    expect(rejection('Location', '_sort=near').status).toBe(400);
  });

  it('expands :below through a shipped code-system hierarchy', () => {
    const { plan } = parse('Condition', 'category:below=http://terminology.hl7.org/CodeSystem/v3-ActCode|_ActCredentialedCareCode');
    expect(plan.where[0].kind).toBe('or');
  });

  it('parses composite values into per-component predicates', () => {
    const { plan } = parse('Observation', 'code-value-quantity=http://loinc.org|8480-6$lt60|http://unitsofmeasure.org|mm[Hg]');
    expect(plan.where[0]).toEqual({
      kind: 'composite',
      param: 'code-value-quantity',
      components: [
        { kind: 'token', param: 'c0', system: 'http://loinc.org', code: '8480-6' },
        { kind: 'range', valueKind: 'quantity', param: 'c1', prefix: 'lt', low: 59.5, high: 60.5, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
      ],
    });
  });
});
