// $match (R4 Patient-match): the record linker (ai/matching/) over the stored patients the caller
// may see. Answers a searchset Bundle, best first, every entry with `search.score` (the posterior
// probability of one person) and the match-grade extension; candidates below `possible` are left
// out and counted in an OperationOutcome entry, as R4 suggests ("records that were close but
// eliminated").
import type { Bundle, BundleEntry, OperationOutcome, Patient } from '@medplum/fhirtypes';
import type { RequestContext } from '../../context/request-context';
import { errors } from '../../fhir/errors';
import { matchFeatures, isMatchable } from '../../ai/matching/features';
import { findCandidates, rankCandidates, MAX_CANDIDATES } from '../../ai/matching/linker';
import { currentModel } from '../../ai/matching/model-store';
import { r4OperationDefinition } from '../r4-definitions';
import type { OperationCall, OperationModule, OperationResult } from '../types';

export const MATCH_GRADE_URL = 'http://hl7.org/fhir/StructureDefinition/match-grade';
const DEFAULT_COUNT = 10;
const MAX_COUNT = 100;

export const matchOperation: OperationModule = {
  definition: r4OperationDefinition('Patient-match'),
  affectsState: false,
  handler: match,
  example: {
    setup: [{ resourceType: 'Patient', id: 'match-example', name: [{ family: 'Example', given: ['Match'] }], birthDate: '1970-01-01', identifier: [{ system: 'urn:example:mrn', value: '12345' }] }],
    level: 'type',
    resourceType: 'Patient',
    parameters: {
      resourceType: 'Parameters',
      parameter: [{ name: 'resource', resource: { resourceType: 'Patient', name: [{ family: 'Example', given: ['Match'] }], birthDate: '1970-01-01' } }],
    },
  },
};

async function match(call: OperationCall, ctx: RequestContext): Promise<OperationResult> {
  const { params } = call;
  const resource = params.resource('resource');
  if (!resource || resource.resourceType !== 'Patient') throw errors.invalidParam('resource', `needs a Patient, not ${resource ? `a ${String(resource.resourceType).slice(0, 64)}` : 'nothing'}`);
  const query = matchFeatures(resource as Patient);
  if (!isMatchable(query)) {
    throw errors.invalidParam('resource', 'has too little to match on: give an identifier with its system, or a family name with a given name or a birth date');
  }
  const count = params.number('count') ?? DEFAULT_COUNT;
  if (!Number.isInteger(count) || count < 1) throw errors.invalidParam('count', 'must be a whole number of at least 1');
  if (count > MAX_COUNT) throw errors.invalidParam('count', `must be at most ${MAX_COUNT}`);
  const onlyCertain = params.boolean('onlyCertainMatches') ?? false;

  // The model is a property of the whole store (aggregate statistics, no person's data), so it is
  // estimated over the engine itself; the candidates come through the caller's door.
  const { engine } = ctx.services;
  const model = await currentModel(engine.system, engine, { now: () => ctx.clock.now(), checkpoint: () => ctx.budget.check() });
  const candidates = await findCandidates(ctx.data, query);
  const ranked = rankCandidates(model, query, candidates);
  const shown = ranked.filter((c) => c.grade !== 'certainly-not');
  const notes: string[] = [];
  let kept = shown;
  if (onlyCertain) {
    kept = shown.filter((c) => c.grade === 'certain');
    // R4: "If there are multiple potential matches, then the match should not return the results
    // with this flag set to true."
    if (kept.length > 1) {
      notes.push(`${kept.length} records are certain matches, so none is returned with onlyCertainMatches=true: the records may be duplicates of one another`);
      kept = [];
    }
  }
  const returned = kept.slice(0, count);
  const eliminated = ranked.length - shown.length;
  if (eliminated) notes.push(`${eliminated} candidate record${eliminated === 1 ? ' was' : 's were'} compared and scored below 'possible'`);
  if (candidates.length >= MAX_CANDIDATES) notes.push(`only the first ${MAX_CANDIDATES} candidates sharing a blocking key were compared`);
  if (model.source === 'prior') notes.push('the store holds too few candidate pairs to estimate match weights from; documented default weights were used');

  const entry: BundleEntry[] = returned.map((c) => ({
    fullUrl: `${ctx.baseUrl}/Patient/${c.version.id}`,
    resource: c.patient,
    search: {
      extension: [{ url: MATCH_GRADE_URL, valueCode: c.grade }],
      mode: 'match',
      score: Math.round(c.probability * 10000) / 10000,
    },
  }));
  if (notes.length) {
    const outcome: OperationOutcome = { resourceType: 'OperationOutcome', issue: notes.map((diagnostics) => ({ severity: 'information', code: 'informational', diagnostics })) };
    entry.push({ resource: outcome, search: { mode: 'outcome' } });
  }
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    total: returned.length,
    link: [{ relation: 'self', url: `${ctx.baseUrl}/Patient/$match` }],
    entry,
  };
  return { out: { return: bundle } };
}
