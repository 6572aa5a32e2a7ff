// Every likely duplicate pair in the store, for a data steward: walks the patients page by page
// (resumable cursor, one page in memory), blocks each against the store like $match, and reports
// each pair once (from its lower id) when its grade is at least `minGrade`.
import type { Patient } from '@medplum/fhirtypes';
import { findCandidatesOfMany, rankCandidates, type ScoredCandidate } from './linker';
import type { PatientPages } from './estimate';
import { matchFeatures } from './features';
import { THRESHOLDS, type MatchGrade, type MatchModel } from './model';

export interface DuplicatePair {
  a: { id: string; patient: Patient };
  b: ScoredCandidate;
}

export interface DuplicateWalkOptions {
  minGrade?: Exclude<MatchGrade, 'certainly-not'>;
  pageSize?: number;
  onPage?: (patientsSeen: number) => void;
}

export async function findDuplicatePairs(data: PatientPages, model: MatchModel, onPair: (pair: DuplicatePair) => void | Promise<void>, options: DuplicateWalkOptions = {}): Promise<{ patients: number; pairs: number }> {
  const floor = THRESHOLDS[options.minGrade ?? 'probable'];
  let after: string | undefined;
  let patients = 0;
  let pairs = 0;
  do {
    const page = await data.scanPage({ resourceType: 'Patient', after, limit: options.pageSize ?? 500 });
    const versions = page.versions.filter((v) => v.json);
    const patientsOfPage = versions.map((v) => JSON.parse(v.json!) as Patient);
    const features = patientsOfPage.map(matchFeatures);
    const candidates = await findCandidatesOfMany(data, features);
    for (const [i, version] of versions.entries()) {
      patients++;
      const later = candidates[i].filter((c) => c.version.id > version.id);
      const patient = patientsOfPage[i];
      for (const b of rankCandidates(model, features[i], later)) {
        if (b.probability < floor) continue;
        pairs++;
        await onPair({ a: { id: version.id, patient }, b });
      }
    }
    options.onPage?.(patients);
    after = page.next;
  } while (after);
  return { patients, pairs };
}
