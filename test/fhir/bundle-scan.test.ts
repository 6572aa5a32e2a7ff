// The definitions Bundle scanner must yield exactly what JSON.parse would, whatever the chunk
// boundaries cut through (escapes, multi-byte characters, keys), and stop when told.
import fs from 'node:fs';
import path from 'node:path';
import { scanBundleEntries } from '../../src/fhir/bundle-scan';
import { tempDir } from '../support/engines';

const bundle = {
  resourceType: 'Bundle',
  id: 'entry-like "entry" [ { ',
  type: 'collection',
  meta: { tag: [{ code: 'entry' }] },
  entry: [
    { fullUrl: 'urn:a', resource: { resourceType: 'Patient', id: 'a', name: [{ text: 'Zoë "quoted" \\ back\\\\slash {[' }] } },
    { resource: { resourceType: 'Observation', id: 'b', valueString: '日本語 ✓ }]', note: [{ text: 'x'.repeat(700) }] } },
    { fullUrl: 'urn:c', resource: { resourceType: 'Patient', id: 'c', nested: { entry: [{ resource: { id: 'inner' } }] } } },
  ],
};

function write(text: string): string {
  const file = path.join(tempDir(), 'bundle.json');
  fs.writeFileSync(file, text);
  return file;
}

describe('scanBundleEntries', () => {
  it.each([1, 2, 3, 7, 64, 1024])('yields every entry resource with chunks of %i bytes', (chunk) => {
    for (const text of [JSON.stringify(bundle), JSON.stringify(bundle, null, 2)]) {
      const seen: unknown[] = [];
      scanBundleEntries(write(text), (r) => (seen.push(r), 'continue'), chunk);
      expect(seen).toEqual(bundle.entry.map((e) => e.resource));
    }
  });

  it('stops when the visitor says so', () => {
    const seen: string[] = [];
    scanBundleEntries(write(JSON.stringify(bundle)), (r) => (seen.push(r.id as string), seen.length === 2 ? 'stop' : 'continue'), 5);
    expect(seen).toEqual(['a', 'b']);
  });
});
