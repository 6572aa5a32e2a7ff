// Where the estimated model lives: one small document in the engine's system store, shared by every
// server process, expiring so that it follows the data (24 h for an EM estimate; one minute for the
// prior, kept only while the store is too small to estimate from).
import type { SystemStore } from '../../storage/engine';
import { estimateModel, type EstimateOptions, type PatientPages } from './estimate';
import { isValidModel, type MatchModel } from './model';

const COLLECTION = 'match-model';
const KEY = 'Patient';
const EM_LIFETIME_MS = 24 * 3600 * 1000;
const PRIOR_LIFETIME_MS = 60 * 1000;

export async function storedModel(system: SystemStore): Promise<MatchModel | undefined> {
  const doc = await system.get<MatchModel>(COLLECTION, KEY);
  return doc && isValidModel(doc.value) ? doc.value : undefined;
}

export async function saveModel(system: SystemStore, model: MatchModel, now: Date): Promise<void> {
  const expiresAt = new Date(now.getTime() + (model.source === 'em' ? EM_LIFETIME_MS : PRIOR_LIFETIME_MS)).toISOString();
  // Concurrent estimators may race: the last one wins, and either estimate is as good.
  for (let attempt = 0; attempt < 3; attempt++) {
    const doc = await system.get<MatchModel>(COLLECTION, KEY);
    if (!doc ? await system.insert(COLLECTION, KEY, model, { expiresAt }) : await system.replace(COLLECTION, KEY, model, doc.rev, { expiresAt })) return;
  }
}

/** The stored model, or a new estimate (stored for the other processes) when there is none. */
export async function currentModel(system: SystemStore, data: PatientPages, options: EstimateOptions & { now: () => Date }): Promise<MatchModel> {
  const stored = await storedModel(system);
  if (stored) return stored;
  const model = await estimateModel(data, options);
  await saveModel(system, model, options.now());
  return model;
}
