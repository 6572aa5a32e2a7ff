// The stored document shape: native BSON resource, the text kept only when re-serialising would
// change it, index entries and sort keys, and what a read gives back. Pure: no server.
import { emptyIndexValues } from '../../../src/search/index-values';
import { sortField, toResourceVersion, toStoredVersion } from '../../../src/storage/mongo/layout';

const base = { resourceType: 'Observation', id: 'o1', versionId: 2, lastUpdated: '2025-01-01T00:00:00.000Z', deleted: false };

describe('stored version documents', () => {
  it('stores the resource as a native document and no text when JSON.stringify reproduces it', () => {
    const json = JSON.stringify({ resourceType: 'Observation', id: 'o1', valueQuantity: { value: 1.5 } });
    const doc = toStoredVersion({ ...base, json }, 'Observation/o1');
    expect(doc).toEqual({ _id: 'Observation/o1', t: 'Observation', id: 'o1', v: 2, lu: base.lastUpdated, d: false, r: JSON.parse(json) });
    expect(toResourceVersion(doc).json).toBe(json);
  });

  it('keeps the exact text when it would not round-trip (decimal precision, spacing)', () => {
    const json = '{"resourceType":"Observation","id":"o1","valueQuantity":{"value":1.50}}';
    const doc = toStoredVersion({ ...base, json }, 'Observation/o1');
    expect(doc.j).toBe(json);
    expect(doc.r).toEqual({ resourceType: 'Observation', id: 'o1', valueQuantity: { value: 1.5 } });
    expect(toResourceVersion(doc).json).toBe(json);
  });

  it('stores a delete without content, index or sort keys', () => {
    const doc = toStoredVersion({ ...base, deleted: true, index: emptyIndexValues() }, 'Observation/o1');
    expect(doc).toEqual({ _id: 'Observation/o1', t: 'Observation', id: 'o1', v: 2, lu: base.lastUpdated, d: true });
    expect(toResourceVersion(doc)).toEqual({ ...base, deleted: true });
  });

  it('embeds the non-empty index kinds and sort keys by parameter', () => {
    const index = emptyIndexValues();
    index.token.push({ p: 'status', c: 'final' });
    index.sort.push({ p: 'date', min: 10, max: 20 });
    const doc = toStoredVersion({ ...base, json: '{}', index }, 'Observation/o1');
    expect(doc.ix).toEqual({ token: [{ p: 'status', c: 'final' }] });
    expect(doc.so).toEqual({ date: { h: 1, n: 10, x: 20 } });
  });

  it('never lets a parameter code become a path or an operator in a field name', () => {
    expect(sortField('value-quantity')).toBe('value-quantity');
    expect(sortField('_lastUpdated')).toBe('_lastUpdated');
    expect(sortField('a.b')).toBe('a~2e~b');
    expect(sortField('$where')).toBe('~24~where');
  });
});
