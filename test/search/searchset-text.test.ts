// The searchset Bundle sent over HTTP is built as text with stored resources embedded verbatim
// (searchsetText); it must be exactly the Bundle searchsetBundle builds, in every shape.
import { searchsetBundle, searchsetText } from '../../src/search/bundle';
import type { SearchResult } from '../../src/search/plan';
import type { ResourceVersion } from '../../src/storage/engine';
import { BASE_URL, parse, searchKit } from './support';

function stored(type: string, id: string, body: Record<string, unknown>): ResourceVersion {
  const json = JSON.stringify({ resourceType: type, id, meta: { versionId: '1', lastUpdated: '2025-01-01T00:00:00.000Z' }, ...body });
  return { resourceType: type, id, versionId: 1, lastUpdated: '2025-01-01T00:00:00.000Z', deleted: false, json };
}

const patient = stored('Patient', 'p1', { text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Zoë</div>' }, name: [{ family: 'Zoë "Z" 患者' }], birthDate: '1970-01-01', multipleBirthInteger: 2 });
const observation = stored('Observation', 'o1', { status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' }, valueQuantity: { value: 1.5, unit: 'mg' } });

const cases: [string, string, string, Partial<SearchResult>][] = [
  ['plain matches with a total and a next page', 'Patient', 'name=zo&_total=accurate', { matches: [patient], total: 7, nextCursor: 'abc' }],
  ['matches and includes', 'Observation', '_include=Observation:subject', { matches: [observation], included: [patient] }],
  ['_summary=true subsets matches, not includes', 'Observation', '_summary=true&_include=Observation:subject', { matches: [observation], included: [patient] }],
  ['_elements', 'Patient', '_elements=birthDate', { matches: [patient] }],
  ['_summary=count: no entries', 'Patient', '_summary=count', { total: 3 }],
  ['lenient handling adds an outcome entry', 'Patient', 'nonsense=1', { matches: [patient] }],
  ['nothing found', 'Patient', 'name=nobody', {}],
];

it.each(cases)('%s', (_what, type, qs, partial) => {
  const parsed = parse(type, qs, { lenient: true });
  const result: SearchResult = { matches: [], included: [], ...partial };
  const options = { baseUrl: BASE_URL, path: type, model: searchKit().registry.model };
  const text = searchsetText(parsed, result, options);
  expect(JSON.parse(text)).toEqual(searchsetBundle(parsed, result, options));
  if (qs === 'nonsense=1') expect(JSON.parse(text).entry.map((e: { search: { mode: string } }) => e.search.mode)).toEqual(['match', 'outcome']);
  // Verbatim embedding: the stored text of an unsubsetted resource appears as is.
  if (!qs.includes('_summary') && !qs.includes('_elements')) for (const v of [...result.matches, ...result.included]) expect(text).toContain(v.json);
});
