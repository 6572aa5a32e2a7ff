// The record linker: candidates that share a blocking key with a Patient, read through the
// caller's door to the data (so the access policy applies), compared field by field and scored
// with the Fellegi–Sunter model, best first.
import type { Patient } from '@medplum/fhirtypes';
import type { EngineReader, ResourceVersion } from '../../storage/engine';
import type { SearchPlan } from '../../search/plan';
import { MATCH_KEY_CODE, MATCH_KEY_SYSTEM } from '../../search/derived';
import { blockingKeysOf } from './blocking-keys';
import { compare, type Comparison } from './compare';
import { matchFeatures, type MatchFeatures } from './features';
import { scorePair, type MatchModel, type PairScore } from './model';

/** Candidates read per query at most: a block larger than this means the keys are too coarse for
 * the store (documented; the answer then says how many were considered). */
export const MAX_CANDIDATES = 500;

export interface Candidate {
  version: ResourceVersion;
  patient: Patient;
  features: MatchFeatures;
}

export interface ScoredCandidate extends Candidate, PairScore {
  comparison: Comparison;
}

export function candidatePlan(keys: string[], count = MAX_CANDIDATES): SearchPlan {
  return {
    resourceTypes: ['Patient'],
    where: [{ kind: 'or', any: keys.map((code) => ({ kind: 'token', param: MATCH_KEY_CODE, system: MATCH_KEY_SYSTEM, code })) }],
    sort: [],
    count,
    total: 'none',
    include: [],
    revinclude: [],
  };
}

/** The stored patients sharing at least one blocking key with `features` (never the same id). */
export async function findCandidates(data: EngineReader, features: MatchFeatures): Promise<Candidate[]> {
  const keys = blockingKeysOf(features);
  if (!keys.length) return [];
  const result = await data.search(candidatePlan(keys));
  const out: Candidate[] = [];
  for (const version of result.matches) {
    if (!version.json) continue;
    const patient = JSON.parse(version.json) as Patient;
    out.push({ version, patient, features: matchFeatures(patient) });
  }
  return out;
}

/** Rows per search round trip when candidates of many patients are read together. */
const BATCH_PAGE = 1000;

/**
 * Candidates of many patients at once (a page of a store walk): one search for the union of their
 * keys, paged, then each candidate handed to the queries it shares a key with — a round trip per
 * page of patients instead of one per patient. Candidates are not capped here: a walk must see
 * every pair its blocks hold.
 */
export async function findCandidatesOfMany(data: EngineReader, queries: MatchFeatures[]): Promise<Candidate[][]> {
  const keysOf = queries.map((q) => blockingKeysOf(q));
  const byKey = new Map<string, number[]>();
  keysOf.forEach((keys, i) => keys.forEach((k) => byKey.set(k, [...(byKey.get(k) ?? []), i])));
  const out: Candidate[][] = queries.map(() => []);
  if (!byKey.size) return out;
  let cursor: string | undefined;
  do {
    const result = await data.search({ ...candidatePlan([...byKey.keys()], BATCH_PAGE), cursor });
    for (const version of result.matches) {
      if (!version.json) continue;
      const patient = JSON.parse(version.json) as Patient;
      const candidate = { version, patient, features: matchFeatures(patient) };
      const to = new Set(blockingKeysOf(candidate.features).flatMap((k) => byKey.get(k) ?? []));
      for (const i of to) out[i].push(candidate);
    }
    cursor = result.nextCursor;
  } while (cursor);
  return out;
}

/** Scores candidates against the query, best first (ties: higher weight, then id for stability). */
export function rankCandidates(model: MatchModel, query: MatchFeatures, candidates: Candidate[]): ScoredCandidate[] {
  return candidates
    .map((c) => {
      const comparison = compare(query, c.features);
      return { ...c, comparison, ...scorePair(model, comparison) };
    })
    .sort((a, b) => b.probability - a.probability || b.weight - a.weight || (a.version.id < b.version.id ? -1 : 1));
}

export async function matchPatient(data: EngineReader, model: MatchModel, patient: Patient): Promise<ScoredCandidate[]> {
  const features = matchFeatures(patient);
  return rankCandidates(model, features, await findCandidates(data, features));
}
