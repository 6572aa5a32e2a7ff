// The exact JSON parser and serialisers: depth refusal before any recursion, numbers kept as
// written, range refusal naming the element, and native output whenever nothing needs care.
import fs from 'node:fs';
import path from 'node:path';
import { FhirError } from '../../src/fhir/errors';
import { HOLDS_LEXEMES, cloneJson, markNumberLexemes, numberLexeme, setNumberLexeme } from '../../src/fhir/exact-numbers';
import { MAX_JSON_DEPTH, parseFhirJson, parseStoredJson, serialiseResource, stringifyJson } from '../../src/fhir/json';

function fhirError(fn: () => unknown): FhirError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FhirError) return e;
    throw e;
  }
  throw new Error('expected a FhirError');
}

/** The number tokens of a JSON text, in order (strings skipped). */
function numberTokens(text: string): string[] {
  return [...text.matchAll(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g)].map((m) => m[0]).filter((t) => !t.startsWith('"'));
}

describe('parseFhirJson', () => {
  it('parses plain JSON natively and marks the root as holding no exact numbers', () => {
    const text = '{"resourceType":"Patient","multipleBirthInteger":2,"name":[{"family":"O\'Brien \\"1.50\\""}],"x":-12.5}';
    const v = parseFhirJson(text) as Record<string | symbol, unknown>;
    expect(v).toEqual(JSON.parse(text));
    expect(v[HOLDS_LEXEMES]).toBe(false);
    expect(serialiseResource(v)).toBe(text);
  });

  it.each(['1.50', '100.00', '1.0000000000000000000000001', '-0', '1e2', '1E+2', '2.10e3', '0.010', '12345678901234567890', '1e-400'])(
    'keeps %s exactly as sent through parse and serialise',
    (lexeme) => {
      const text = `{"resourceType":"Observation","status":"final","valueQuantity":{"value":${lexeme},"unit":"mg"},"component":[{"valueQuantity":{"value":${lexeme}}}]}`;
      const v = parseFhirJson(text) as { valueQuantity: { value: number } };
      expect(v.valueQuantity.value).toBe(Number(lexeme));
      expect(serialiseResource(v)).toBe(text);
      expect(stringifyJson({ resourceType: 'Bundle', entry: [{ resource: v }] })).toBe(`{"resourceType":"Bundle","entry":[{"resource":${text}}]}`);
    },
  );

  it('prints back every number as written (20,000 generated decimals of every shape)', () => {
    let seed = 17;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const digits = (n: number) => Array.from({ length: n }, () => String(rand(10))).join('');
    for (let k = 0; k < 20_000; k++) {
      const int = rand(4) === 0 ? '0' : `${1 + rand(9)}${digits(rand(12))}`;
      const frac = rand(3) === 0 ? '' : `.${'0'.repeat(rand(4) === 0 ? rand(9) : 0)}${digits(1 + rand(18))}`;
      const exp = rand(6) === 0 ? `${rand(2) ? 'e' : 'E'}${['', '+', '-'][rand(3)]}${rand(30)}` : '';
      const lexeme = `${rand(3) === 0 ? '-' : ''}${int}${frac}${exp}`;
      const text = `{"v":${lexeme},"a":[${lexeme}]}`;
      expect(serialiseResource(parseFhirJson(text) as object)).toBe(text);
    }
  });

  it('keeps exact numbers through object spread (as prepareVersion builds the stored resource)', () => {
    const body = parseFhirJson('{"resourceType":"ChargeItem","factorOverride":0.50,"id":"x"}') as Record<string, unknown>;
    const { id: _id, ...rest } = body;
    expect(serialiseResource({ ...rest, id: 'y' })).toBe('{"resourceType":"ChargeItem","factorOverride":0.50,"id":"y"}');
  });

  it('follows JSON.parse on duplicate keys, escapes and __proto__', () => {
    const v = parseFhirJson('{"a":1.50,"a":2,"b":"\\u0041\\\\","__proto__":{"c":1.10}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['a', 'b', '__proto__']);
    expect(serialiseResource(v)).toBe('{"a":2,"b":"A\\\\","__proto__":{"c":1.10}}');
  });

  it('refuses nesting deeper than the limit before anything recursive runs (100,000 levels answer at once)', () => {
    const deep = `{"resourceType":"Patient","extension":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect(fhirError(() => parseFhirJson(deep)).errorCode).toBe('TOO_DEEP');
    const atLimit = `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`;
    expect(() => parseFhirJson(atLimit)).not.toThrow();
    expect(fhirError(() => parseFhirJson(`[${atLimit}]`)).errorCode).toBe('TOO_DEEP');
    // Brackets inside strings are text, not nesting.
    expect(() => parseFhirJson(JSON.stringify({ div: '['.repeat(10_000) }))).not.toThrow();
  });

  it('refuses numbers beyond the decimal range with the element named, wherever resourceType sits', () => {
    const e = fhirError(() => parseFhirJson('{"valueQuantity":{"value":1e400},"resourceType":"Observation"}'));
    expect(e.status).toBe(400);
    expect(e.errorCode).toBe('NUMBER_OUT_OF_RANGE');
    expect(e.issues[0].expression).toEqual(['Observation.valueQuantity.value']);
    const big = `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Basic","x":-${'9'.repeat(400)}}}]}`;
    expect(fhirError(() => parseFhirJson(big)).issues[0].expression).toEqual(['Bundle.entry[0].resource.x']);
  });

  it('reports syntax errors as invalid JSON', () => {
    expect(fhirError(() => parseFhirJson('{"a":1.50,')).errorCode).toBe('INVALID_JSON');
    expect(fhirError(() => parseFhirJson('{"a":01}')).errorCode).toBe('INVALID_JSON');
  });

  it('parses stored text of any depth', () => {
    const deep = `${'['.repeat(MAX_JSON_DEPTH + 5)}1.50${']'.repeat(MAX_JSON_DEPTH + 5)}`;
    expect(stringifyJson(parseStoredJson(deep))).toBe(deep);
  });
});

describe('stringifyJson', () => {
  it('pretty-prints like JSON.stringify, keeping lexemes at every level', () => {
    const text = '{"resourceType":"Observation","valueQuantity":{"value":1.50},"note":[{"text":"a"}],"e":[],"o":{}}';
    const v = parseFhirJson(text);
    expect(stringifyJson(v, 2)).toBe(JSON.stringify(JSON.parse(text), null, 2).replace('"value": 1.5', '"value": 1.50'));
    const plain = parseFhirJson('{"a":[1,{"b":2}],"c":"x"}');
    expect(stringifyJson({ wrap: plain, n: [1, 2] }, 2)).toBe(JSON.stringify({ wrap: JSON.parse('{"a":[1,{"b":2}],"c":"x"}'), n: [1, 2] }, null, 2));
  });

  it('serialises objects built in code like JSON.stringify (undefined members, toJSON, nested arrays)', () => {
    const built = { a: undefined, b: [undefined, 1, 'x'], c: new Date(0), d: { e: null } };
    expect(stringifyJson(built)).toBe(JSON.stringify(built));
  });
});

describe('editing parsed trees', () => {
  it('cloneJson keeps lexemes, setNumberLexeme and markNumberLexemes keep marks true to the content', () => {
    const v = parseFhirJson('{"resourceType":"Observation","valueQuantity":{"value":1.50}}') as Record<string, Record<string, unknown>>;
    const copy = cloneJson(v);
    expect(serialiseResource(copy)).toBe('{"resourceType":"Observation","valueQuantity":{"value":1.50}}');
    copy.valueQuantity.value = 2; // an edit leaves a stale lexeme behind: it is not used
    expect(numberLexeme(copy.valueQuantity, 'value')).toBeUndefined();
    expect(markNumberLexemes(copy)).toBe(false);
    expect(serialiseResource(copy)).toBe('{"resourceType":"Observation","valueQuantity":{"value":2}}');
    const moved: Record<string, unknown> = { resourceType: 'Basic' };
    moved.amount = 3.1;
    setNumberLexeme(moved, 'amount', '3.10');
    expect(markNumberLexemes(moved)).toBe(true);
    expect(serialiseResource(moved)).toBe('{"resourceType":"Basic","amount":3.10}');
  });
});

describe('the official R4 examples', () => {
  const dir = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
  it('serialise back with every number token exactly as written', () => {
    // Only the files that hold numbers a double would print differently (e.g. `6.0`): the others
    // take the native path, which the tests above cover.
    let exactFiles = 0;
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      if (!/\d\.\d*0\b|\d[eE]/.test(text)) continue;
      const sent = numberTokens(text);
      if (!sent.some((t) => String(Number(t)) !== t)) continue;
      exactFiles++;
      const out = serialiseResource(parseFhirJson(text) as object);
      expect(numberTokens(out)).toEqual(sent);
      expect(JSON.stringify(JSON.parse(out))).toBe(JSON.stringify(JSON.parse(text)));
    }
    expect(exactFiles).toBeGreaterThan(10);
  });
});
