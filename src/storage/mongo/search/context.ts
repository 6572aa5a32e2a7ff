// What a MongoDB search runs with (database, capabilities, session, time budget) and the options
// every query of it takes: shared by run.ts and near.ts without an import cycle.
import type { ClientSession, Db } from 'mongodb';
import type { WorkBudget } from '../../engine';
import type { Capabilities } from '../connection';

export interface SearchContext {
  db: Db;
  capabilities: Capabilities;
  session?: ClientSession;
  /** The request's time budget: checked before each query, and what remains of it goes to the
   * database as maxTimeMS (with the signal, so a client that has gone stops the query too). */
  budget?: WorkBudget;
}

interface QueryOptions {
  session?: ClientSession;
  maxTimeMS?: number;
  signal?: AbortSignal;
}

/** The options of the next query: throws when the budget is spent, else gives the rest of it. */
export function queryOptions(ctx: SearchContext): QueryOptions {
  const budget = ctx.budget;
  if (!budget) return { session: ctx.session };
  budget.check();
  const left = budget.remainingMs();
  return { session: ctx.session, signal: budget.signal, ...(Number.isFinite(left) ? { maxTimeMS: Math.max(1, Math.ceil(left)) } : {}) };
}

/** MaxTimeMSExpired: the database stopped the query because the budget we gave it ran out. */
const MAX_TIME_EXPIRED = 50;

/** Runs `work` under the budget: the database's time-limit error becomes the budget's 503, and
 * any error after the budget stopped (the driver aborting on the signal) becomes its reason. */
export async function withinBudget<T>(ctx: SearchContext, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    const budget = ctx.budget;
    if (!budget) throw e;
    if ((e as { code?: unknown }).code === MAX_TIME_EXPIRED) throw budget.exceeded();
    budget.check(); // throws the budget's own reason when that is why the query failed
    throw e;
  }
}

