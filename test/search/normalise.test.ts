// Normalisation boundary cases from R4 search.html (dates by precision and zone, numbers by
// significant figures, string folding) and value escaping.
import { dateRange, foldString, numberRange } from '../../src/search/normalise';
import { splitUnescaped, unescapeValue, escapeValue } from '../../src/search/escape';

const iso = (ms: number) => new Date(ms).toISOString();

describe('foldString', () => {
  it('removes accents and case, keeps letters that are not decomposable', () => {
    expect(foldString('Évêque')).toBe('eveque');
    expect(foldString('  Ångström  ')).toBe('angstrom');
    expect(foldString('MÜLLER-Lüdenscheidt')).toBe('muller-ludenscheidt');
    expect(foldString('a \t b')).toBe('a b');
  });
});

describe('dateRange', () => {
  it('covers the whole year, month or day of a partial date (UTC when no zone)', () => {
    expect(dateRange('2013')!.map(iso)).toEqual(['2013-01-01T00:00:00.000Z', '2014-01-01T00:00:00.000Z']);
    expect(dateRange('2013-02')!.map(iso)).toEqual(['2013-02-01T00:00:00.000Z', '2013-03-01T00:00:00.000Z']);
    expect(dateRange('2012-02-29')!.map(iso)).toEqual(['2012-02-29T00:00:00.000Z', '2012-03-01T00:00:00.000Z']);
  });
  it('applies the time zone and the precision of seconds and fractions', () => {
    expect(dateRange('2013-01-14T10:00:00+10:00')!.map(iso)).toEqual(['2013-01-14T00:00:00.000Z', '2013-01-14T00:00:01.000Z']);
    expect(dateRange('2013-01-14T10:00Z')!.map(iso)).toEqual(['2013-01-14T10:00:00.000Z', '2013-01-14T10:01:00.000Z']);
    expect(dateRange('2013-01-14T10:00:00.5Z')!.map(iso)).toEqual(['2013-01-14T10:00:00.500Z', '2013-01-14T10:00:00.600Z']);
    expect(dateRange('2013-01-14T10:00:00.123Z')![1] - dateRange('2013-01-14T10:00:00.123Z')![0]).toBe(1);
  });
  it('refuses impossible dates', () => {
    for (const bad of ['2013-13', '2013-02-30', '2013-01-14T25:00Z', '13-01-01', '2013-01-14T10', 'now']) expect(dateRange(bad)).toBeUndefined();
  });
});

describe('numberRange', () => {
  it('uses the implicit precision of the written value', () => {
    expect(numberRange('100')).toEqual({ value: 100, low: 99.5, high: 100.5 });
    expect(numberRange('100.00')).toEqual({ value: 100, low: 99.995, high: 100.005 });
    expect(numberRange('1e2')).toEqual({ value: 100, low: 50, high: 150 });
    expect(numberRange('-0.5')).toEqual({ value: -0.5, low: -0.55, high: -0.45 });
    expect(numberRange('abc')).toBeUndefined();
    expect(numberRange('1e999')).toBeUndefined();
  });

  it('keeps a range around values written more precisely than a double holds', () => {
    const r = numberRange('1.0000000000000000000000001')!;
    expect(r.value).toBe(1);
    expect(r.low).toBeLessThan(1);
    expect(r.high).toBeGreaterThan(1);
    expect(r.high - r.low).toBeLessThan(1e-15);
    const n = numberRange('-2.50000000000000000000000')!;
    expect([n.low < -2.5, n.high > -2.5]).toEqual([true, true]);
  });
});

describe('escaping', () => {
  it('splits on unescaped separators only', () => {
    expect(splitUnescaped('a\\,b,c', ',')).toEqual(['a\\,b', 'c']);
    expect(splitUnescaped('sys\\|x|code', '|').map(unescapeValue)).toEqual(['sys|x', 'code']);
    expect(splitUnescaped('a$b\\$c', '$').map(unescapeValue)).toEqual(['a', 'b$c']);
    expect(unescapeValue('a\\\\b')).toBe('a\\b');
    expect(escapeValue('a,b|c$d\\')).toBe('a\\,b\\|c\\$d\\\\');
  });
});
