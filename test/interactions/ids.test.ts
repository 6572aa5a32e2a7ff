// Server-assigned ids: valid RFC 9562 version-7 UUIDs (also valid FHIR ids), unique, and
// increasing in creation order, which is what keeps index inserts at the right edge of the B-tree.
import { uuidV7 } from '../../src/interactions/ids';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

test('ids are version-7 UUIDs carrying the creation millisecond', () => {
  const ms = Date.UTC(2026, 10, 25, 12, 0, 0, 123);
  const id = uuidV7(ms);
  expect(id).toMatch(V7);
  expect(id).toMatch(FHIR_ID);
  expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(ms);
});

test('ids are unique and strictly increasing, also many within one millisecond', () => {
  const ms = Date.UTC(2030, 0, 1);
  const ids = Array.from({ length: 20_000 }, () => uuidV7(ms));
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.findIndex((id, i) => i > 0 && id <= ids[i - 1])).toBe(-1);
  expect(ids.filter((id) => !V7.test(id))).toEqual([]);
});

test('a clock that steps back does not make ids go backwards', () => {
  const later = uuidV7(Date.UTC(2031, 0, 1));
  const earlier = uuidV7(Date.UTC(2031, 0, 1) - 5_000);
  expect(earlier > later).toBe(true);
});
