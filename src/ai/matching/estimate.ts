// Estimates the linker's model from the stored patients: a sample of them (pages in id order, which
// for server-assigned ids is an unbiased draw) is blocked against the whole store exactly as $match
// blocks a query, the comparison vectors of those candidate pairs are counted by pattern, and EM
// fits m, u and λ to the counts. Memory holds one page and the pattern counts, never the store.
import type { Patient } from '@medplum/fhirtypes';
import type { ScanPage, ScanPageQuery, EngineReader } from '../../storage/engine';
import { compare, patternKey } from './compare';
import { estimateByEm } from './em';
import { matchFeatures } from './features';
import { findCandidatesOfMany } from './linker';
import { PRIOR_MODEL, type MatchModel } from './model';

export interface PatientPages extends EngineReader {
  scanPage(query: ScanPageQuery): Promise<ScanPage>;
}

export interface EstimateOptions {
  /** Patients sampled (default 1,500: at 10,000 patients about 4,000 candidate pairs). */
  samplePatients?: number;
  pageSize?: number;
  now?: () => Date;
  /** Called between pages (e.g. the request budget's check). */
  checkpoint?: () => void;
}

/** Fewer candidate pairs than this: EM has too little to go on; the prior model is used. */
export const MIN_PAIRS_FOR_EM = 100;

export async function estimateModel(data: PatientPages, options: EstimateOptions = {}): Promise<MatchModel> {
  const sample = options.samplePatients ?? 1500;
  const pageSize = options.pageSize ?? 200;
  const patterns = new Map<string, number>();
  let pairs = 0;
  let patients = 0;
  let after: string | undefined;
  do {
    options.checkpoint?.();
    const page = await data.scanPage({ resourceType: 'Patient', after, limit: Math.min(pageSize, sample - patients) });
    const versions = page.versions.filter((v) => v.json);
    const features = versions.map((v) => matchFeatures(JSON.parse(v.json!) as Patient));
    const candidates = await findCandidatesOfMany(data, features);
    for (const [i, version] of versions.entries()) {
      patients++;
      for (const candidate of candidates[i]) {
        // Each unordered pair once when both ends are sampled; pairs with an identical identifier
        // are certain by rule and would only teach EM that identifiers agree.
        if (candidate.version.id <= version.id) continue;
        const comparison = compare(features[i], candidate.features);
        if (comparison.sameIdentifier) continue;
        const key = patternKey(comparison.vector);
        patterns.set(key, (patterns.get(key) ?? 0) + 1);
        pairs++;
      }
    }
    after = page.next;
  } while (after && patients < sample);
  const estimatedAt = (options.now?.() ?? new Date()).toISOString();
  if (pairs < MIN_PAIRS_FOR_EM) return { ...PRIOR_MODEL, pairs, patients, estimatedAt };
  const { converged: _converged, ...model } = estimateByEm(patterns, PRIOR_MODEL);
  return { ...model, patients, estimatedAt };
}
