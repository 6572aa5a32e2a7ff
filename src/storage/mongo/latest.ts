// "Latest N per group" on MongoDB in one pass. FerretDB 1.x has none of the stages that would do it
// in the server (`$push`/`$slice`, `$topN`, `$setWindowFields`), so the matched documents are read
// with a projection of three index kinds only (the code, subject and date entries: a few small
// fields per resource, never the resource), each group's `max` most recent kept in a small sorted
// list, and the chosen resources fetched by key. One query for any number of patients and codes
// (per-group searches, the first version, cost one query per (patient, code) pair). Same
// grouping and order as SQLite (engine.ts LatestQuery): token entries with a code × local reference
// targets; the greatest `hi` of the date parameter, missing last; equal dates by id descending.
import type { Document } from 'mongodb';
import type { LatestQuery, ResourceVersion } from '../engine';
import { RESOURCES, VERSION_PROJECTION, currentKey, toResourceVersion, type StoredVersion } from './layout';
import { matchFilter, type SearchContext } from './search/run';

interface Ranked {
  id: string;
  at: number | null;
}

/** Most recent first: later `at`, missing last; equal by id descending. */
function before(a: Ranked, b: Ranked): boolean {
  if (a.at !== b.at) return b.at === null || (a.at !== null && a.at > b.at);
  return a.id > b.id;
}

export async function runLatest(ctx: SearchContext, q: LatestQuery): Promise<ResourceVersion[]> {
  if (!Number.isSafeInteger(q.max) || q.max < 1) throw new Error('latest: max must be a positive integer');
  const filter = await matchFilter(ctx, [q.resourceType], q.where);
  const projection: Document = { id: 1, 'ix.token': 1, 'ix.date': 1, ...(q.perReference ? { 'ix.reference': 1 } : {}) };
  const groups = new Map<string, Ranked[]>();
  const resources = ctx.db.collection<StoredVersion>(RESOURCES);
  for await (const doc of resources.find(filter, { projection, session: ctx.session, batchSize: 1000 })) {
    const ix = (doc.ix ?? {}) as Record<string, Array<Record<string, unknown>> | undefined>;
    const codes = new Set((ix.token ?? []).filter((e) => e.p === q.groupBy && e.c !== undefined).map((e) => `${String(e.s ?? '')}|${String(e.c)}`));
    const owners = q.perReference ? new Set((ix.reference ?? []).filter((e) => e.p === q.perReference && e.i !== undefined).map((e) => `${String(e.t ?? '')}/${String(e.i)}`)) : new Set(['']);
    if (!codes.size || !owners.size) continue;
    let at: number | null = null;
    for (const d of ix.date ?? []) if (d.p === q.orderBy && (at === null || (d.hi as number) > at)) at = d.hi as number;
    const entry: Ranked = { id: doc.id as string, at };
    for (const code of codes) {
      for (const owner of owners) {
        const key = `${owner}\u0000${code}`;
        const list = groups.get(key) ?? [];
        let i = list.length;
        while (i > 0 && before(entry, list[i - 1])) i--;
        if (i < q.max) {
          list.splice(i, 0, entry);
          if (list.length > q.max) list.pop();
          groups.set(key, list);
        }
      }
    }
  }
  const ids = new Set<string>();
  for (const list of groups.values()) for (const r of list) ids.add(r.id);
  const out: ResourceVersion[] = [];
  const keys = [...ids].map((id) => currentKey(q.resourceType, id));
  for (let i = 0; i < keys.length; i += 1000) {
    const docs = await resources.find({ _id: { $in: keys.slice(i, i + 1000) } }, { projection: VERSION_PROJECTION, session: ctx.session }).toArray();
    out.push(...docs.map(toResourceVersion));
  }
  return out;
}
