// Operation parameters parsed and checked from the OperationDefinition (R4 operations.html): one
// parser for every operation, from URLs, Parameters bodies and bare resources.
import type { OperationDefinition } from '@medplum/fhirtypes';
import { r4Definitions } from '../../src/fhir/definitions';
import { FhirError } from '../../src/fhir/errors';
import {
  OperationParameters,
  parametersFromBareResource,
  parametersFromQuery,
  parametersFromResource,
  urlRepresentable,
} from '../../src/operations/parameters';
import { r4OperationDefinition } from '../../src/operations/r4-definitions';

const options = { isResourceType: r4Definitions().isResourceType };

const definition: OperationDefinition = {
  resourceType: 'OperationDefinition',
  id: 'test',
  url: 'http://example.org/OperationDefinition/test',
  name: 'Test',
  status: 'active',
  kind: 'operation',
  code: 'test',
  system: true,
  type: false,
  instance: false,
  parameter: [
    { name: 'count', use: 'in', min: 0, max: '1', type: 'positiveInt' },
    { name: 'flag', use: 'in', min: 0, max: '1', type: 'boolean' },
    { name: 'code', use: 'in', min: 1, max: '1', type: 'code' },
    { name: 'when', use: 'in', min: 0, max: '*', type: 'date' },
    { name: 'ratio', use: 'in', min: 0, max: '1', type: 'decimal' },
    { name: 'coding', use: 'in', min: 0, max: '1', type: 'Coding' },
    { name: 'subject', use: 'in', min: 0, max: '1', type: 'Reference' },
    { name: 'period', use: 'in', min: 0, max: '1', type: 'Period' },
    { name: 'patient', use: 'in', min: 0, max: '1', type: 'Patient' },
    {
      name: 'group',
      use: 'in',
      min: 0,
      max: '*',
      part: [
        { name: 'label', use: 'in', min: 1, max: '1', type: 'string' },
        { name: 'weight', use: 'in', min: 0, max: '1', type: 'integer' },
      ],
    },
    { name: 'result', use: 'out', min: 1, max: '1', type: 'string' },
  ],
};

function refusal(fn: () => unknown): { status: number; text: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof FhirError) return { status: e.status, text: e.issues.map((i) => i.diagnostics).join('; ') };
    throw e;
  }
  throw new Error('expected a FhirError');
}

describe('parameters from the URL', () => {
  it('converts primitive values to their JSON types', () => {
    const p = parametersFromQuery(definition, [['count', '5'], ['flag', 'true'], ['code', 'a b'], ['when', '2024'], ['when', '2024-02-29'], ['ratio', '-1.50'], ['_format', 'json']], options);
    expect(p.number('count')).toBe(5);
    expect(p.boolean('flag')).toBe(true);
    expect(p.string('code')).toBe('a b');
    expect(p.all('when')).toEqual(['2024', '2024-02-29']);
    expect(p.number('ratio')).toBe(-1.5);
    expect(p.has('_format')).toBe(false);
  });

  it('takes a Coding as system|code and a Reference as its literal reference', () => {
    const p = parametersFromQuery(definition, [['code', 'x'], ['coding', 'http://loinc.org|1234-5'], ['subject', 'Patient/1']], options);
    expect(p.get('coding')).toEqual({ system: 'http://loinc.org', code: '1234-5' });
    expect(p.get('subject')).toEqual({ reference: 'Patient/1' });
  });

  it.each([
    [[['code', 'x'], ['nope', '1']], /'nope': is not a parameter of \$test \(known: count, flag, code/],
    [[['count', '1']], /'code': is required/],
    [[['code', 'x'], ['code', 'y']], /'code': may be given at most 1 time/],
    [[['code', 'x'], ['count', '0']], /'count': '0' is not a valid positiveInt/],
    [[['code', 'x'], ['flag', 'yes']], /'flag': 'yes' is not a valid boolean/],
    [[['code', 'x'], ['when', '2024-13']], /'when': '2024-13' is not a valid date/],
    [[['code', 'x'], ['when', '2025-02-30']], /'when': '2025-02-30' is not a calendar date/],
    [[['code', 'x'], ['period', '2024']], /'period': is of type Period and cannot be given in the URL/],
    [[['code', 'x'], ['patient', 'Patient/1']], /'patient': is of type Patient and cannot be given in the URL/],
    [[['code', 'x'], ['group', 'a']], /'group': has parts and cannot be given in the URL/],
    [[['code', 'x'], ['coding', 'nobar']], /'coding': give a Coding as system\|code/],
  ] as Array<[Array<[string, string]>, RegExp]>)('refuses %j with 400 naming the parameter', (pairs, message) => {
    const r = refusal(() => parametersFromQuery(definition, pairs, options));
    expect(r.status).toBe(400);
    expect(r.text).toMatch(message);
  });

  it('passes search parameters through only for operations that accept them', () => {
    const lastn = r4OperationDefinition('Observation-lastn');
    const p = parametersFromQuery(lastn, [['max', '3'], ['code', 'http://loinc.org|1'], ['patient', 'Patient/1']], { ...options, acceptsSearchParameters: true });
    expect(p.number('max')).toBe(3);
    expect(p.searchParams).toEqual([['code', 'http://loinc.org|1'], ['patient', 'Patient/1']]);
    expect(refusal(() => parametersFromQuery(lastn, [['code', 'x']], options)).status).toBe(400);
  });
});

describe('parameters from a Parameters resource', () => {
  const parse = (parameter: unknown[]) => parametersFromResource(definition, { resourceType: 'Parameters', parameter } as never, options);

  it('reads values, resources and nested parts', () => {
    const p = parse([
      { name: 'code', valueCode: 'x' },
      { name: 'count', valuePositiveInt: 2 },
      { name: 'period', valuePeriod: { start: '2024-01-01' } },
      { name: 'patient', resource: { resourceType: 'Patient', id: 'a' } },
      { name: 'group', part: [{ name: 'label', valueString: 'one' }, { name: 'weight', valueInteger: -3 }] },
      { name: 'group', part: [{ name: 'label', valueString: 'two' }] },
    ]);
    expect(p.number('count')).toBe(2);
    expect(p.get('period')).toEqual({ start: '2024-01-01' });
    expect(p.resource('patient')).toEqual({ resourceType: 'Patient', id: 'a' });
    const groups = p.all<OperationParameters>('group');
    expect(groups.map((g) => [g.string('label'), g.number('weight')])).toEqual([['one', -3], ['two', undefined]]);
  });

  it('accepts any text-like primitive for a text-like type, still checked against the declared one', () => {
    expect(parse([{ name: 'code', valueString: 'x' }]).string('code')).toBe('x');
    expect(refusal(() => parse([{ name: 'code', valueString: ' x' }])).text).toMatch(/'code': ' x' is not a valid code/);
  });

  it.each([
    [[{ name: 'code', valueCode: 'x' }, { name: 'count', valueString: '2' }], /'count': needs valuePositiveInt, not valueString/],
    [[{ name: 'code', valueCode: 'x' }, { name: 'count', valuePositiveInt: '2' }], /'count': a positiveInt is a JSON number, not a string/],
    [[{ name: 'code', valueCode: 'x' }, { name: 'flag', valueBoolean: 'true' }], /'flag': a boolean is a JSON boolean/],
    [[{ name: 'code', valueCode: 'x' }, { name: 'patient', resource: { resourceType: 'Observation' } }], /'patient': needs a Patient, not a Observation/],
    [[{ name: 'code', valueCode: 'x' }, { name: 'period', valueCoding: { code: 'a' } }], /'period': needs valuePeriod, not valueCoding/],
    [[{ name: 'code', valueCode: 'x', valueString: 'y' }], /'code': needs exactly one of value\[x\], resource or part/],
    [[{ name: 'code', valueCode: 'x' }, { name: 'group', part: [{ name: 'weight', valueInteger: 1 }] }], /'group.label': is required/],
    [[{ name: 'code', valueCode: 'x' }, { name: 'group', part: [{ name: 'label', valueString: 'a' }, { name: 'colour', valueString: 'red' }] }], /'group.colour': is not a part of group/],
    [[{ name: 'code', valueCode: 'x' }, { valueString: 'nameless' }], /needs a name/],
  ])('refuses %j', (parameter, message) => {
    const r = refusal(() => parse(parameter));
    expect(r.status).toBe(400);
    expect(r.text).toMatch(message);
  });

  it('round-trips through toParameters (how jobs persist their request)', () => {
    const p = parse([{ name: 'code', valueCode: 'x' }, { name: 'when', valueDate: '2024' }, { name: 'group', part: [{ name: 'label', valueString: 'one' }] }]);
    const again = parametersFromResource(definition, p.toParameters(definition, options), options);
    expect(again.string('code')).toBe('x');
    expect(again.all('when')).toEqual(['2024']);
    expect(again.all<OperationParameters>('group')[0].string('label')).toBe('one');
  });
});

describe('a bare resource for the single resource parameter', () => {
  const validate = r4OperationDefinition('Resource-validate');

  it('binds the resource and takes the other parameters from the URL', () => {
    const p = parametersFromBareResource(validate, { resourceType: 'Patient' }, [['mode', 'create']], options);
    expect(p.resource('resource')).toEqual({ resourceType: 'Patient' });
    expect(p.string('mode')).toBe('create');
  });

  it('is refused where the operation takes no single resource parameter', () => {
    const versions = r4OperationDefinition('CapabilityStatement-versions');
    expect(refusal(() => parametersFromBareResource(versions, { resourceType: 'Observation' }, [], options)).text).toMatch(/takes a Parameters resource/);
    expect(refusal(() => parametersFromBareResource(definition, { resourceType: 'Observation' }, [['code', 'x']], options)).text).toMatch(/'patient': needs a Patient, not a Observation/);
  });
});

describe('GET eligibility', () => {
  it('follows the definition: primitive and URL-friendly parameters, or optional complex ones', () => {
    expect(urlRepresentable(r4OperationDefinition('CapabilityStatement-versions'))).toBe(true);
    expect(urlRepresentable(r4OperationDefinition('Resource-meta-add'))).toBe(false);
    expect(urlRepresentable(r4OperationDefinition('Patient-everything'))).toBe(true);
  });
});
