// The files `generate` writes: byte-identical for a seed, referentially closed in both formats, and
// a duplicates truth file that matches the Patient records it names.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle, Patient, Resource } from '@medplum/fhirtypes';
import { generate, type GenerateSummary } from '../../src/generate';
import { NICKNAMES } from '../../src/generate/names';
import { referencesIn } from './helpers';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'nimbus-generate-'));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Every file under `dir` (relative path → bytes). */
function snapshot(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files.set(path.slice(dir.length), readFileSync(path));
    }
  }
  return files;
}

function readNdjson(dir: string): Resource[] {
  return readdirSync(dir).filter((f) => f.endsWith('.ndjson')).flatMap((f) =>
    readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Resource));
}

describe('determinism', () => {
  it('writes byte-identical files for the same seed and different ones for another seed', async () => {
    const [a, b, c] = [tempDir(), tempDir(), tempDir()];
    await generate({ patients: 30, seed: 11, format: 'ndjson', outDir: a });
    await generate({ patients: 30, seed: 11, format: 'ndjson', outDir: b });
    await generate({ patients: 30, seed: 12, format: 'ndjson', outDir: c });
    const [sa, sb, sc] = [snapshot(a), snapshot(b), snapshot(c)];
    expect([...sa.keys()].sort()).toEqual([...sb.keys()].sort());
    for (const [path, bytes] of sa) expect(bytes.equals(sb.get(path)!)).toBe(true);
    expect(sa.get('/Observation.ndjson')!.equals(sc.get('/Observation.ndjson')!)).toBe(false);
  });

  it('is deterministic in bundle format too', async () => {
    const [a, b] = [tempDir(), tempDir()];
    await generate({ patients: 10, seed: 5, format: 'bundles', outDir: a });
    await generate({ patients: 10, seed: 5, format: 'bundles', outDir: b });
    const [sa, sb] = [snapshot(a), snapshot(b)];
    expect(sa.size).toBe(12); // shared.json, 10 patient bundles, truth/duplicates.ndjson
    for (const [path, bytes] of sa) expect(bytes.equals(sb.get(path)!)).toBe(true);
  });
});

describe('ndjson output', () => {
  let dir: string;
  let summary: GenerateSummary;
  let resources: Resource[];
  let progress: number[];

  beforeAll(async () => {
    dir = tempDir();
    progress = [];
    summary = await generate({ patients: 120, seed: 3, format: 'ndjson', outDir: dir, onProgress: (n) => progress.push(n) });
    resources = readNdjson(dir);
  });

  it('reports what it wrote', () => {
    expect(resources.length).toBe(summary.resources);
    const byType: Record<string, number> = {};
    for (const r of resources) byType[r.resourceType] = (byType[r.resourceType] ?? 0) + 1;
    expect(summary.byType).toEqual(byType);
    expect(progress).toHaveLength(120);
    expect(progress[119]).toBe(summary.resources);
    expect(summary.files).toContain(join(dir, 'truth', 'duplicates.ndjson'));
  });

  it('resolves every reference to a generated resource', () => {
    const ids = new Set(resources.map((r) => `${r.resourceType}/${r.id}`));
    const dangling = resources.flatMap((r) => referencesIn(r).filter((ref) => !ids.has(ref)).map((ref) => `${r.resourceType}/${r.id} → ${ref}`));
    expect(dangling).toEqual([]);
  });

  it('lists duplicate pairs that exist and differ the way their kind says', () => {
    const lines = readFileSync(join(dir, 'truth', 'duplicates.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const patients = new Map(resources.filter((r): r is Patient => r.resourceType === 'Patient').map((p) => [`Patient/${p.id}`, p]));
    const originals = [...patients.keys()].filter((k) => !k.endsWith('-b')).length;
    expect(originals).toBe(120);
    expect(lines.length).toBe(patients.size - originals); // every second record is in the truth file
    expect(lines.length / originals).toBeGreaterThanOrEqual(0.02);
    expect(lines.length / originals).toBeLessThanOrEqual(0.07);
    for (const { a, b, kind, aMrn, bMrn } of lines) {
      const [pa, pb] = [patients.get(a)!, patients.get(b)!];
      expect(pa && pb).toBeTruthy();
      expect(aMrn).not.toEqual(bMrn);
      expect(pb.identifier!.some((i) => `${i.system}|${i.value}` === bMrn)).toBe(true);
      const [na, nb] = [pa.name![0], pb.name![0]];
      switch (kind) {
        case 'typo':
          expect(nb.family).not.toBe(na.family);
          expect(Math.abs(nb.family!.length - na.family!.length)).toBeLessThanOrEqual(1);
          break;
        case 'nickname':
          expect(nb.given![0]).toBe(NICKNAMES[na.given![0]]);
          break;
        case 'swapped-birth-date': {
          const [y, m, d] = pa.birthDate!.split('-');
          expect(pb.birthDate).toBe(`${y}-${d}-${m}`);
          break;
        }
        case 'missing-phone':
          expect(pa.telecom!.some((t) => t.system === 'phone')).toBe(true);
          expect(pb.telecom?.some((t) => t.system === 'phone') ?? false).toBe(false);
          break;
        default:
          throw new Error(`unknown duplicate kind ${kind}`);
      }
    }
  });
});

describe('bundle output', () => {
  it('writes PUT entries for the directory and self-contained POST transactions per patient', async () => {
    const dir = tempDir();
    await generate({ patients: 25, seed: 9, format: 'bundles', outDir: dir });
    const shared = JSON.parse(readFileSync(join(dir, 'shared.json'), 'utf8')) as Bundle;
    expect(shared.type).toBe('transaction');
    const sharedIds = new Set(shared.entry!.map((e) => {
      expect(e.request).toEqual({ method: 'PUT', url: `${e.resource!.resourceType}/${e.resource!.id}` });
      return e.request!.url;
    }));
    const patientFiles = readdirSync(dir).filter((f) => /^patient-\d{6}\.json$/.test(f));
    expect(patientFiles).toHaveLength(25);
    const uuid = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const file of patientFiles) {
      const bundle = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Bundle;
      expect(bundle.type).toBe('transaction');
      const fullUrls = new Set<string>();
      for (const e of bundle.entry!) {
        expect(e.fullUrl).toMatch(uuid);
        expect(e.request).toEqual({ method: 'POST', url: e.resource!.resourceType });
        expect(e.resource!.id).toBeUndefined();
        fullUrls.add(e.fullUrl!);
      }
      expect(fullUrls.size).toBe(bundle.entry!.length);
      const refs = bundle.entry!.flatMap((e) => referencesIn(e.resource));
      const unresolved = refs.filter((r) => (r.startsWith('urn:uuid:') ? !fullUrls.has(r) : !sharedIds.has(r)));
      expect(unresolved).toEqual([]);
      expect(refs.some((r) => r.startsWith('urn:uuid:'))).toBe(true);
    }
  });
});
