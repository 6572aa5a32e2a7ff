// Differential test: random queries over generated data must return exactly the ids that a
// brute-force evaluation selects. The oracle evaluates the SearchParameter's FHIRPath expression
// with fhirpath.js (not our compiled accessors) on each resource and applies the R4 matching rules
// directly in JS, so extraction, indexing, planning and SQL are all checked against it.
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import type { Resource } from '@medplum/fhirtypes';
import type { Engine } from '../../src/storage/engine';
import { dateRange, foldString, numberRange } from '../../src/search/normalise';
import { makeSqliteSearchEngine } from './sqlite-search-harness';
import { ids, put, sorted } from '../search/support';

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(20240601);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];

const FAMILIES = ['Évêque', 'Eve', 'Everest', 'Müller', 'Muller', 'Smith', 'Smythe', 'de la Cruz', 'Ng', 'Nguyễn'];
const CODES = [
  { system: 'http://loinc.org', code: '1234' },
  { system: 'http://loinc.org', code: '5678' },
  { system: 'http://snomed.info/sct', code: '1234' },
  { code: '1234' },
  { system: 'http://loinc.org', code: '9999' },
];
const DATES = ['2013', '2013-01', '2013-01-14', '2013-01-14T10:00:00Z', '2013-01-14T23:30:00-05:00', '2012-12-31T23:59:59Z', '2014-06-01', '2013-01-15'];

function generate(n: number): Resource[] {
  const out: Resource[] = [];
  for (let i = 0; i < n; i++) {
    const p: Record<string, unknown> = { resourceType: 'Patient', id: `p${i}` };
    if (random() < 0.8) p.gender = pick(['male', 'female', 'other']);
    if (random() < 0.8) p.birthDate = pick(['1970', '1970-05', '1970-05-12', '1985-01-01', '2001-12-31']);
    p.name = Array.from({ length: 1 + Math.floor(random() * 2) }, () => ({ family: pick(FAMILIES), given: [pick(['Ann', 'Bob', 'Zoë'])] }));
    out.push(p as unknown as Resource);
    const o: Record<string, unknown> = { resourceType: 'Observation', id: `o${i}`, status: pick(['final', 'preliminary', 'amended']) };
    o.code = { coding: Array.from({ length: 1 + Math.floor(random() * 2) }, () => pick(CODES)) };
    if (random() < 0.9) o.subject = { reference: `Patient/p${Math.floor(random() * n)}` };
    const when = random();
    if (when < 0.6) o.effectiveDateTime = pick(DATES);
    else if (when < 0.85) o.effectivePeriod = { start: pick(DATES), ...(random() < 0.7 ? { end: '2014-01-01' } : {}) };
    if (random() < 0.8) o.valueQuantity = { value: pick([5, 5.4, 99.5, 100, 100.4, 120, 0.01]), system: 'http://unitsofmeasure.org', code: pick(['mg', 'kg']) };
    out.push(o as unknown as Resource);
  }
  return out;
}

const expressions: Record<string, string> = {
  'Patient.family': 'Patient.name.family',
  'Patient.name': 'Patient.name',
  'Patient.gender': 'Patient.gender',
  'Patient.birthdate': 'Patient.birthDate',
  'Observation.code': 'Observation.code',
  'Observation.date': 'Observation.effective',
  'Observation.value-quantity': '(Observation.value as Quantity)',
  'Observation.subject': 'Observation.subject',
};

function values(resource: Resource, key: string): unknown[] {
  return fhirpath.evaluate(resource, expressions[key], undefined, r4Model) as unknown[];
}

type Range = [number, number];
/** The R4 prefix table over a stored range T=[lo,hi] and search range [L,H). */
function rangeMatches(prefix: string, [lo, hi]: Range, [L, H]: Range): boolean {
  const eq = lo >= L && hi <= H && lo < H;
  switch (prefix) {
    case 'eq': return eq;
    case 'ne': return !eq;
    case 'gt': return hi > H;
    case 'lt': return lo < L;
    case 'ge': return hi > H || eq;
    case 'le': return lo < L || eq;
    case 'sa': return lo >= H;
    case 'eb': return hi <= L;
    default: throw new Error(prefix);
  }
}

function storedDateRanges(v: unknown): Range[] {
  if (typeof v === 'string') return [dateRange(v)!];
  const p = v as { start?: string; end?: string };
  return [[p.start ? dateRange(p.start)![0] : -8.64e15, p.end ? dateRange(p.end)![1] : 8.64e15]];
}

interface Query {
  type: 'Patient' | 'Observation';
  qs: string;
  oracle: (r: Resource) => boolean;
}

function randomQuery(): Query {
  const kind = pick(['family', 'name', 'gender', 'birthdate', 'code', 'date', 'quantity', 'subject']);
  switch (kind) {
    case 'family':
    case 'name': {
      const modifier = pick(['', ':exact', ':contains']);
      const target = pick(FAMILIES);
      const value = modifier === ':exact' ? target : foldString(target).slice(0, 1 + Math.floor(random() * 4));
      const key = kind === 'family' ? 'Patient.family' : 'Patient.name';
      const strings = (r: Resource) =>
        values(r, key).flatMap((v) => (typeof v === 'string' ? [v] : [(v as { family?: string }).family ?? '', ...((v as { given?: string[] }).given ?? [])]));
      return {
        type: 'Patient',
        qs: `${kind}${modifier}=${encodeURIComponent(value)}`,
        oracle: (r) =>
          strings(r).some((s) => (modifier === ':exact' ? s === value : modifier === ':contains' ? foldString(s).includes(value) : foldString(s).startsWith(value))),
      };
    }
    case 'gender': {
      const not = random() < 0.3;
      const v = pick(['male', 'female', 'other']);
      return { type: 'Patient', qs: `gender${not ? ':not' : ''}=${v}`, oracle: (r) => values(r, 'Patient.gender').includes(v) !== not };
    }
    case 'birthdate':
    case 'date': {
      const prefix = pick(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb']);
      const v = pick(kind === 'date' ? DATES : ['1970', '1970-05-12', '1985', '2001-12-31']);
      const search = dateRange(v)!;
      const key = kind === 'date' ? 'Observation.date' : 'Patient.birthdate';
      return {
        type: kind === 'date' ? 'Observation' : 'Patient',
        qs: `${kind}=${prefix}${encodeURIComponent(v)}`,
        oracle: (r) => values(r, key).some((x) => storedDateRanges(x).some((t) => rangeMatches(prefix, t, search))),
      };
    }
    case 'code': {
      const c = pick(CODES);
      const form = pick(['code', 'system|code', '|code', 'system|']);
      const qs = form === 'code' ? c.code : form === 'system|code' ? `${c.system ?? ''}|${c.code}` : form === '|code' ? `|${c.code}` : `${c.system ?? 'http://loinc.org'}|`;
      const [sys, code] = qs.includes('|') ? qs.split('|') : [undefined, qs];
      return {
        type: 'Observation',
        qs: `code=${encodeURIComponent(qs)}`,
        oracle: (r) =>
          values(r, 'Observation.code').some((cc) =>
            ((cc as { coding?: Array<{ system?: string; code?: string }> }).coding ?? []).some(
              (k) => (code === '' || k.code === code) && (sys === undefined || (sys === '' ? !k.system : k.system === sys)),
            ),
          ),
      };
    }
    case 'quantity': {
      const prefix = pick(['eq', 'gt', 'lt', 'ge', 'le', 'ne']);
      const v = pick(['5', '5.4', '100', '100.0', '1e2', '120', '0.01']);
      const unit = pick(['', '|http://unitsofmeasure.org|mg']);
      const n = numberRange(v)!;
      return {
        type: 'Observation',
        qs: `value-quantity=${prefix}${encodeURIComponent(v + unit)}`,
        oracle: (r) =>
          values(r, 'Observation.value-quantity').some((q) => {
            const qq = q as { value: number; code?: string };
            return (!unit || qq.code === 'mg') && rangeMatches(prefix, [qq.value, qq.value], [n.low, n.high]);
          }),
      };
    }
    default: {
      const target = `Patient/p${Math.floor(random() * 40)}`;
      return { type: 'Observation', qs: `subject=${target}`, oracle: (r) => values(r, 'Observation.subject').some((s) => (s as { reference?: string }).reference === target) };
    }
  }
}

describe('search differential (random queries vs brute force)', () => {
  let engine: Engine;
  const data = generate(40);
  beforeAll(async () => {
    engine = await makeSqliteSearchEngine();
    await put(engine, ...data);
  });
  afterAll(async () => engine.close());

  it('returns exactly the brute-force ids for 400 random queries (single and AND-combined)', async () => {
    let nonEmpty = 0;
    for (let i = 0; i < 400; i++) {
      const a = randomQuery();
      let qs = a.qs;
      let oracle = a.oracle;
      if (random() < 0.3) {
        const b = randomQuery();
        if (b.type === a.type) {
          qs = `${a.qs}&${b.qs}`;
          oracle = (r) => a.oracle(r) && b.oracle(r);
        }
      }
      const expected = data.filter((r) => r.resourceType === a.type && oracle(r)).map((r) => r.id!);
      const actual = await ids(engine, a.type, `${qs}&_count=1000`);
      if (expected.length) nonEmpty++;
      expect({ query: `${a.type}?${decodeURIComponent(qs)}`, ids: sorted(actual) }).toEqual({ query: `${a.type}?${decodeURIComponent(qs)}`, ids: sorted(expected) });
    }
    // The generator must produce meaningful queries, not 400 empty answers.
    expect(nonEmpty).toBeGreaterThan(200);
  });
});
