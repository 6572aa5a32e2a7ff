// History at instance, type and system level (R4 http.html#history), newest first, paged by an
// opaque cursor so that pages stay disjoint while new versions are written.
import { Router, type Request, type Response } from 'express';
import { errors } from '../fhir/errors';
import { bundle, historyEntry } from '../fhir/bundle';
import { dateRange } from '../search/normalise';
import { assertId, assertResourceType } from '../interactions/resource-write';
import type { HistoryQuery } from '../storage/engine';
import { contextOf } from './context';
import { firstQueryValue, sendJson } from './http-format';
import { param, parsePrefer } from './request';

const HISTORY_PARAMS = new Set(['_count', '_since', '_at', '_cursor', '_format', '_pretty']);

export function historyRoutes(): Router {
  const router = Router();

  const handle = (scope: (req: Request) => Pick<HistoryQuery, 'resourceType' | 'id'>) => async (req: Request, res: Response) => {
    const ctx = contextOf(res);
    const s = scope(req);
    if (s.resourceType) assertResourceType(ctx.services.core, s.resourceType);
    if (s.id) assertId(s.id);
    const query = { ...s, ...parseHistoryParams(req, ctx.services.config) };
    const page = await ctx.data.history(query);
    if (s.id && !page.versions.length && !query.cursor && !(await ctx.data.read(s.resourceType!, s.id))) throw errors.notFound(s.resourceType!, s.id);
    const base = ctx.baseUrl;
    const path = [s.resourceType, s.id].filter(Boolean).join('/');
    const link = (cursor?: string) => {
      const params = new URLSearchParams();
      params.set('_count', String(query.count));
      if (req.query._since) params.set('_since', firstQueryValue(req, '_since')!);
      if (req.query._at) params.set('_at', firstQueryValue(req, '_at')!);
      if (cursor) params.set('_cursor', cursor);
      return `${base}/${path ? `${path}/` : ''}_history?${params.toString()}`;
    };
    const links = [{ relation: 'self', url: link(query.cursor) }];
    if (page.nextCursor) links.push({ relation: 'next', url: link(page.nextCursor) });
    sendJson(req, res, 200, bundle('history', page.versions.map((v) => historyEntry(base, v)), { total: page.total, link: links }));
  };

  router.get('/_history', handle(() => ({})));
  router.get('/:type/_history', handle((req) => ({ resourceType: param(req, 'type') })));
  router.get('/:type/:id/_history', handle((req) => ({ resourceType: param(req, 'type'), id: param(req, 'id') })));
  return router;
}

function parseHistoryParams(req: Request, options: { defaultPageSize: number; maxPageSize: number }) {
  const lenient = parsePrefer(req).lenient;
  for (const name of Object.keys(req.query)) {
    if (!HISTORY_PARAMS.has(name) && !lenient) throw errors.invalidParam(name, 'is not a history parameter (use _count, _since, _at)');
  }
  const countText = firstQueryValue(req, '_count');
  let count = options.defaultPageSize;
  if (countText !== undefined) {
    if (!/^\d{1,9}$/.test(countText)) throw errors.invalidParam('_count', 'must be a whole number');
    count = Math.min(Number(countText), options.maxPageSize);
  }
  const out: Omit<HistoryQuery, 'resourceType' | 'id'> = { count };
  const since = firstQueryValue(req, '_since');
  if (since !== undefined) {
    const p = dateRange(since);
    if (!p) throw errors.invalidParam('_since', `'${since.slice(0, 40)}' is not an instant such as 2024-01-31T12:00:00Z`);
    out.since = new Date(p[0]).toISOString();
  }
  const at = firstQueryValue(req, '_at');
  if (at !== undefined) {
    const p = dateRange(at);
    if (!p) throw errors.invalidParam('_at', `'${at.slice(0, 40)}' is not a date or dateTime`);
    out.at = { start: new Date(p[0]).toISOString(), end: new Date(p[1]).toISOString() };
  }
  const cursor = firstQueryValue(req, '_cursor');
  if (cursor !== undefined) {
    // Opaque to this layer: each engine issues its own format (SQLite a sequence number, MongoDB a
    // keyset token) and refuses one it did not issue with engineErrors.badHistoryCursor.
    if (!/^[A-Za-z0-9_-]{1,512}$/.test(cursor)) throw errors.invalidParam('_cursor', 'is not a cursor this server issued');
    out.cursor = cursor;
  }
  return out;
}
