// The one door to stored data. Every read and write of a request — read by id (the fast path
// included), vread, history at every level, search with includes, chains and _has, conditional
// matches, Bundle entries and operations — goes through the DataAccess of its request context,
// built here by `dataAccess()` from the engine and the caller's AccessPolicy. The policy becomes
// predicates of the SearchPlans the engines run (see policy.ts), so the database enforces it and no
// path can forget it. An unrestricted policy gets the engine itself: no cost for anonymous reads.
import { errors, FhirError } from '../fhir/errors';
import type { Predicate, SearchPlan, SearchResult } from '../search/plan';
import type {
  AggregateQuery,
  AggregateResult,
  Engine,
  LatestQuery,
  NumericStats,
  NumericStatsQuery,
  AnswerHistogram,
  AnswerHistogramQuery,
  EngineReader,
  EngineTransaction,
  ExpungeCondition,
  HistoryPage,
  HistoryQuery,
  ReadOptions,
  ResourceVersion,
  ScanPage,
  ScanPageQuery,
  TransactionOptions,
  VersionWrite,
  WorkBudget,
} from '../storage/engine';
import { isAdministrator, type AccessAction, type AccessPolicy, type TypeAccess } from './policy';
import { holdsOnIndex, UncheckablePredicateError } from './index-match';

/** What request handlers, interactions and operations use instead of the engine. */
export interface DataAccess extends EngineReader {
  readonly policy: AccessPolicy;
  /** The current version if the caller may see it; undefined when it does not exist or is hidden.
   * Throws 403 when the caller may not read the type at all. */
  read(resourceType: string, id: string): Promise<ResourceVersion | undefined>;
  vread(resourceType: string, id: string, versionId: number): Promise<ResourceVersion | undefined>;
  search(plan: SearchPlan): Promise<SearchResult>;
  history(query: HistoryQuery): Promise<HistoryPage>;
  /** An engine transaction whose reads and writes pass this door too. */
  transaction<T>(fn: (tx: EngineTransaction) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Counts inside the database over what the caller may see (types refused are left out). */
  aggregate(query: AggregateQuery): Promise<AggregateResult>;
  /** Latest N per group inside the database, over what the caller may see. */
  latest(query: LatestQuery): Promise<ResourceVersion[]>;
  /** Types with live resources, among those the caller may read at all (whether any of them is
   * visible to the caller is for the reads that follow). */
  typesInUse(): Promise<string[]>;
  /** Numeric statistics inside the database, over what the caller may see. */
  numericStats(query: NumericStatsQuery): Promise<NumericStats>;
  /** QuestionnaireResponse answer counts inside the database, over what the caller may see. */
  answerHistogram(query: AnswerHistogramQuery): Promise<AnswerHistogram>;
  /** A page of the current versions of a type the caller may see (long jobs, with a resumable cursor). */
  scanPage(query: ScanPageQuery): Promise<ScanPage>;
  /** New content for the current version in place (see Engine.rewriteCurrent), if the caller may
   * see the resource and the new content stays within its reach; false when it changed meanwhile. */
  rewriteCurrent(expected: ResourceVersion, next: VersionWrite): Promise<boolean>;
  /** Engine.expunge, for a caller whose policy grants `expunge` on the type without restriction
   * (403 otherwise): permanent removal is for administrators, never for a filtered view. */
  expunge(resourceType: string, id: string, condition?: ExpungeCondition): Promise<number>;
}

/** Builds the door for one caller; searches and aggregations through it spend `budget` (the
 * request's time budget and cancellation, see storage/engine.ts WorkBudget). */
export function dataAccess(engine: Engine, policy: AccessPolicy, resourceTypes: readonly string[], budget?: WorkBudget): DataAccess {
  if (policy.unrestricted) return budget ? budgetedOpenAccess(engine, policy, budget) : openAccess(engine, policy);
  return new GuardedAccess(engine, policy, resourceTypes, budget ? { budget } : undefined);
}

const OPEN = new WeakMap<Engine, DataAccess>();

/** Straight through to the engine (one instance per engine, shared by every open request). */
function openAccess(engine: Engine, policy: AccessPolicy): DataAccess {
  let access = OPEN.get(engine);
  if (!access) {
    access = {
      policy,
      read: (type, id) => engine.read(type, id),
      vread: (type, id, v) => engine.vread(type, id, v),
      search: (plan) => engine.search(plan),
      history: (query) => engine.history(query),
      transaction: (fn, options) => engine.transaction(fn, options),
      aggregate: (query) => engine.aggregate(query),
      latest: (query) => engine.latest(query),
      numericStats: (query) => engine.numericStats(query),
      answerHistogram: (query) => engine.answerHistogram(query),
      typesInUse: () => engine.typesInUse(),
      scanPage: (query) => engine.scanPage(query),
      rewriteCurrent: (expected, next) => engine.rewriteCurrent(expected, next),
      expunge: (type, id, condition) => engine.expunge(type, id, condition),
    };
    OPEN.set(engine, access);
  }
  return access;
}

/** Straight through to the engine, with the request's budget on searches and aggregations. */
function budgetedOpenAccess(engine: Engine, policy: AccessPolicy, budget: WorkBudget): DataAccess {
  const options: ReadOptions = { budget };
  return {
    ...openAccess(engine, policy),
    search: (plan) => engine.search(plan, options),
    aggregate: (query) => engine.aggregate(query, options),
    answerHistogram: (query) => engine.answerHistogram(query, options),
  };
}

class GuardedAccess implements DataAccess {
  constructor(
    private readonly engine: Engine,
    readonly policy: AccessPolicy,
    private readonly resourceTypes: readonly string[],
    private readonly options?: ReadOptions,
  ) {}

  read(type: string, id: string): Promise<ResourceVersion | undefined> {
    return guardedRead(this.engine, this.policy, type, id);
  }

  async vread(type: string, id: string, versionId: number): Promise<ResourceVersion | undefined> {
    // The history of a resource is visible exactly when the resource is.
    if (!(await this.read(type, id))) return undefined;
    return this.engine.vread(type, id, versionId);
  }

  search(plan: SearchPlan): Promise<SearchResult> {
    return guardedSearch(this.engine, this.policy, this.resourceTypes, plan, this.options);
  }

  async history(query: HistoryQuery): Promise<HistoryPage> {
    if (query.resourceType) allowed(this.policy, query.resourceType, 'read');
    if (query.resourceType && query.id) {
      const current = await this.engine.read(query.resourceType, query.id);
      if (current && !(await visible(this.engine, this.policy, current))) return { versions: [], total: 0 };
      return this.engine.history(query);
    }
    // Type and system history: versions of resources the caller may not see are left out of the
    // page (the cursor still walks the whole history, so no later version is skipped); the total
    // would count them, so it is not given.
    const page = await this.engine.history(query);
    const kept = await visibleVersions(this.engine, this.policy, page.versions);
    return kept.length === page.versions.length ? page : { versions: kept, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  transaction<T>(fn: (tx: EngineTransaction) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return this.engine.transaction((tx) => fn(guardedTransaction(tx, this.policy, this.resourceTypes)), options);
  }

  aggregate(query: AggregateQuery): Promise<AggregateResult> {
    const plan = restrictPlan(this.policy, this.resourceTypes, { resourceTypes: query.resourceTypes, where: query.where, sort: [], count: 0, total: 'none', include: [], revinclude: [] });
    return this.engine.aggregate({ ...query, resourceTypes: plan.resourceTypes, where: plan.where }, this.options);
  }

  latest(query: LatestQuery): Promise<ResourceVersion[]> {
    const plan = restrictPlan(this.policy, this.resourceTypes, { resourceTypes: [query.resourceType], where: query.where, sort: [], count: 0, total: 'none', include: [], revinclude: [] });
    return this.engine.latest({ ...query, where: plan.where });
  }

  async typesInUse(): Promise<string[]> {
    return (await this.engine.typesInUse()).filter((t) => this.policy.access(t, 'read').allowed);
  }

  numericStats(query: NumericStatsQuery): Promise<NumericStats> {
    const plan = restrictPlan(this.policy, this.resourceTypes, { resourceTypes: [query.resourceType], where: query.where, sort: [], count: 0, total: 'none', include: [], revinclude: [] });
    return this.engine.numericStats({ ...query, where: plan.where });
  }

  answerHistogram(query: AnswerHistogramQuery): Promise<AnswerHistogram> {
    const plan = restrictPlan(this.policy, this.resourceTypes, { resourceTypes: ['QuestionnaireResponse'], where: query.where, sort: [], count: 0, total: 'none', include: [], revinclude: [] });
    return this.engine.answerHistogram({ where: plan.where }, this.options);
  }

  async scanPage(query: ScanPageQuery): Promise<ScanPage> {
    allowed(this.policy, query.resourceType, 'read');
    const page = await this.engine.scanPage(query);
    return { ...page, versions: await visibleVersions(this.engine, this.policy, page.versions) };
  }

  async rewriteCurrent(expected: ResourceVersion, next: VersionWrite): Promise<boolean> {
    const access = allowed(this.policy, expected.resourceType, 'update');
    if (!(await visible(this.engine, this.policy, expected))) throw errors.notFound(expected.resourceType, expected.id);
    if (access.where.length && !withinReach(access.where, next)) throw errors.forbidden(`this ${next.resourceType} would be outside what the caller may write`);
    return this.engine.rewriteCurrent(expected, next);
  }

  async expunge(resourceType: string, id: string, condition?: ExpungeCondition): Promise<number> {
    assertMayExpunge(this.policy, resourceType);
    return this.engine.expunge(resourceType, id, condition);
  }
}

/** The door as seen from inside an open transaction: reads and writes go to it (its own writes
 * visible), history to the door outside, and a nested transaction is the same transaction. Lets
 * an operation run as a step of a transaction Bundle. */
export function transactionAccess(outside: DataAccess, tx: EngineTransaction): DataAccess {
  return {
    policy: outside.policy,
    read: (type, id) => tx.read(type, id),
    vread: (type, id, v) => tx.vread(type, id, v),
    search: (plan) => tx.search(plan),
    history: (query) => outside.history(query),
    transaction: (fn) => fn(tx),
    // Not part of an engine transaction: they act outside it, through the door.
    aggregate: (query) => outside.aggregate(query),
    latest: (query) => outside.latest(query),
    numericStats: (query) => outside.numericStats(query),
    answerHistogram: (query) => outside.answerHistogram(query),
    typesInUse: () => outside.typesInUse(),
    scanPage: (query) => outside.scanPage(query),
    rewriteCurrent: (expected, next) => outside.rewriteCurrent(expected, next),
    // Not part of the transaction: state-changing operations run in batches only (registry).
    expunge: (type, id, condition) => outside.expunge(type, id, condition),
  };
}

const SERVER_VIEWS = new WeakMap<EngineTransaction, EngineTransaction>();

/**
 * The same transaction with the server's own rights, for invariants the server keeps on the
 * caller's behalf and that span data the caller may not see: a Slot's status mirrors the
 * Appointments that hold it (workflow/scheduling.ts), so a patient's booking must see that
 * another patient's Appointment holds the Slot (409) and must mark the shared Slot busy. Only
 * such bookkeeping uses it, after the caller's own write passed the door; what it reads never
 * reaches the caller. A transaction that is not guarded is its own server view.
 */
export function serverView(tx: EngineTransaction): EngineTransaction {
  return SERVER_VIEWS.get(tx) ?? tx;
}

/** 403 unless the caller may create this version (the type, and its content within reach): for
 * operations that act for a resource before writing it ($hold holds Slots for an Appointment). */
export function assertMayCreate(policy: AccessPolicy, version: VersionWrite): void {
  if (policy.unrestricted) return;
  const access = allowed(policy, version.resourceType, 'create');
  if (access.where.length && !withinReach(access.where, version)) throw errors.forbidden(`this ${version.resourceType} would be outside what the caller may write`);
}

/** The reads and writes of a transaction, through the door. */
function guardedTransaction(tx: EngineTransaction, policy: AccessPolicy, resourceTypes: readonly string[]): EngineTransaction {
  const guarded = guardedTransactionOf(tx, policy, resourceTypes);
  SERVER_VIEWS.set(guarded, tx);
  return guarded;
}

function guardedTransactionOf(tx: EngineTransaction, policy: AccessPolicy, resourceTypes: readonly string[]): EngineTransaction {
  return {
    read: (type, id) => guardedRead(tx, policy, type, id),
    vread: async (type, id, versionId) => ((await guardedRead(tx, policy, type, id)) ? tx.vread(type, id, versionId) : undefined),
    search: (plan) => guardedSearch(tx, policy, resourceTypes, plan),
    write: async (version: VersionWrite) => {
      const current = await tx.read(version.resourceType, version.id);
      const access = allowed(policy, version.resourceType, version.deleted ? 'delete' : current && !current.deleted ? 'update' : 'create');
      // A resource the caller cannot see is not theirs to replace: it answers as if absent.
      if (current && !current.deleted && !(await visible(tx, policy, current))) throw errors.notFound(version.resourceType, version.id);
      // The new content must stay within the caller's reach (e.g. not move into another patient's
      // compartment): judged on its index values before anything is written.
      if (!version.deleted && access.where.length && !withinReach(access.where, version)) {
        throw errors.forbidden(`this ${version.resourceType} would be outside what the caller may write`);
      }
      await tx.write(version);
    },
    // A claim reveals and changes no data: nothing for the policy to check.
    claim: (name) => tx.claim(name),
  };
}

function withinReach(where: Predicate[], version: VersionWrite): boolean {
  if (!version.index) return false;
  try {
    return where.every((p) => holdsOnIndex(p, version.resourceType, version.id, version.index!));
  } catch (e) {
    if (e instanceof UncheckablePredicateError) return false;
    throw e;
  }
}

/** 403 unless the caller is an administrator with unrestricted delete rights on the type: permanent
 * removal is server administration, never for a filtered view (checked before a type-level walk
 * starts, too). */
export function assertMayExpunge(policy: AccessPolicy, resourceType: string): void {
  if (!isAdministrator(policy)) throw errors.forbidden('$expunge removes data permanently: it needs an administrator (system/*.* scope)');
  const access = allowed(policy, resourceType, 'delete');
  if (access.where.length) throw errors.forbidden(`expunging ${resourceType} needs unrestricted access to every ${resourceType}`);
}

function allowed(policy: AccessPolicy, type: string, action: AccessAction): Extract<TypeAccess, { allowed: true }> {
  const access = policy.access(type, action);
  if (!access.allowed) throw errors.forbidden(access.reason);
  return access;
}

async function guardedRead(reader: EngineReader, policy: AccessPolicy, type: string, id: string): Promise<ResourceVersion | undefined> {
  allowed(policy, type, 'read');
  const v = await reader.read(type, id);
  if (!v) return undefined;
  return (await visible(reader, policy, v)) ? v : undefined;
}

/** Whether the caller may see this stored version (the current one of its resource). */
async function visible(reader: EngineReader, policy: AccessPolicy, v: ResourceVersion): Promise<boolean> {
  const access = policy.access(v.resourceType, 'read');
  if (!access.allowed) return false;
  if (!access.where.length) return true;
  // A delete marker has no index values to test: under a restricting policy it stays hidden.
  if (v.deleted) return false;
  return (await matchingIds(reader, v.resourceType, [v.id], access.where)).has(v.id);
}

async function visibleVersions(reader: EngineReader, policy: AccessPolicy, versions: ResourceVersion[]): Promise<ResourceVersion[]> {
  const byType = new Map<string, string[]>();
  for (const v of versions) byType.set(v.resourceType, [...(byType.get(v.resourceType) ?? []), v.id]);
  const keep = new Set<string>();
  for (const [type, ids] of byType) {
    const access = policy.access(type, 'read');
    if (!access.allowed) continue;
    const seen = access.where.length ? await matchingIds(reader, type, [...new Set(ids)], access.where) : new Set(ids);
    for (const id of seen) keep.add(`${type}/${id}`);
  }
  return versions.filter((v) => keep.has(`${v.resourceType}/${v.id}`));
}

/** Which of `ids` are current, live resources of `type` satisfying `where` — asked of the engine,
 * so the policy is judged by the same query compiler as every search. */
async function matchingIds(reader: EngineReader, type: string, ids: string[], where: Predicate[]): Promise<Set<string>> {
  const result = await reader.search({
    resourceTypes: [type],
    where: [{ kind: 'id', ids }, ...where],
    sort: [],
    count: ids.length,
    total: 'none',
    include: [],
    revinclude: [],
  });
  return new Set(result.matches.map((v) => v.id));
}

async function guardedSearch(reader: EngineReader, policy: AccessPolicy, allTypes: readonly string[], plan: SearchPlan, options?: ReadOptions): Promise<SearchResult> {
  const restricted = restrictPlan(policy, allTypes, plan);
  const result = await reader.search(restricted, options);
  if (!result.included.length) return result;
  return { ...result, included: await visibleVersions(reader, policy, result.included) };
}

/**
 * The plan with the policy inside: types the caller may not read leave the search (naming only
 * such types is a 403), the remaining types' conditions join `where`, and every chain and `_has`
 * gets the conditions of the types it looks into — so a chain cannot test, and thereby reveal,
 * resources the caller may not see.
 */
export function restrictPlan(policy: AccessPolicy, allTypes: readonly string[], plan: SearchPlan): SearchPlan {
  const named = plan.resourceTypes.length ? plan.resourceTypes : allTypes;
  const types: string[] = [];
  const conditions = new Map<string, Predicate[]>();
  let refusal: FhirError | undefined;
  for (const type of named) {
    const access = policy.access(type, 'search');
    if (!access.allowed) {
      refusal ??= errors.forbidden(access.reason);
      continue;
    }
    types.push(type);
    conditions.set(type, access.where);
  }
  // An explicit request for a refused type is refused; an open system search just skips it.
  if (plan.resourceTypes.length && refusal && plan.resourceTypes.length === 1) throw refusal;
  if (!types.length) {
    if (refusal) throw refusal;
    return { ...plan, where: [{ kind: 'nothing', reason: 'no type the caller may read' }] };
  }
  const where = plan.where.map((p) => restrictPredicate(policy, p));
  where.push(...typeConditions(types, conditions));
  const everyType = !plan.resourceTypes.length && types.length === allTypes.length;
  return { ...plan, resourceTypes: everyType ? [] : types, where };
}

/** The conditions of the given types as predicates: shared ones directly, differing ones per type. */
function typeConditions(types: string[], conditions: Map<string, Predicate[]>): Predicate[] {
  const first = JSON.stringify(conditions.get(types[0]));
  if (types.every((t) => JSON.stringify(conditions.get(t)) === first)) return conditions.get(types[0]) ?? [];
  return [
    {
      kind: 'or',
      any: types.map((t) => {
        const where = conditions.get(t) ?? [];
        return where.length ? { kind: 'and', all: [{ kind: 'type', types: [t] }, ...where] } : { kind: 'type', types: [t] };
      }),
    },
  ];
}

function restrictPredicate(policy: AccessPolicy, p: Predicate): Predicate {
  switch (p.kind) {
    case 'and':
      return { kind: 'and', all: p.all.map((x) => restrictPredicate(policy, x)) };
    case 'or':
      return { kind: 'or', any: p.any.map((x) => restrictPredicate(policy, x)) };
    case 'not':
      return { kind: 'not', predicate: restrictPredicate(policy, p.predicate) };
    case 'chain': {
      const inner = p.where.map((x) => restrictPredicate(policy, x));
      const targets = new Map<string, Predicate[]>();
      for (const target of p.targetTypes) {
        const access = policy.access(target, 'search');
        if (access.allowed) targets.set(target, access.where);
      }
      if (!targets.size) return { kind: 'nothing', reason: `the chain ${p.param} looks only into types the caller may not read` };
      const [first, ...rest] = [...targets.values()].map((w) => JSON.stringify(w));
      if (rest.every((w) => w === first)) {
        return { ...p, targetTypes: [...targets.keys()], where: [...inner, ...(targets.values().next().value ?? [])] };
      }
      // Conditions differ by target type: one chain per target, each with its own.
      return { kind: 'or', any: [...targets].map(([target, where]) => ({ ...p, targetTypes: [target], where: [...inner, ...where] })) };
    }
    case 'has':
    case 'followed': {
      const access = policy.access(p.sourceType, 'search');
      if (!access.allowed) return { kind: 'nothing', reason: `${p.kind === 'has' ? `_has:${p.sourceType}` : `a follow-up ${p.sourceType}`} looks into a type the caller may not read` };
      return { ...p, where: [...p.where.map((x) => restrictPredicate(policy, x)), ...access.where] };
    }
    case 'latest': {
      // The most recent among what the caller may read (not a hidden later one's verdict).
      const access = policy.access(p.sourceType, 'search');
      if (!access.allowed) return { kind: 'nothing', reason: `the most recent ${p.sourceType} looks into a type the caller may not read` };
      return { ...p, among: [...p.among.map((x) => restrictPredicate(policy, x)), ...access.where], where: p.where.map((x) => restrictPredicate(policy, x)) };
    }
    default:
      return p;
  }
}
