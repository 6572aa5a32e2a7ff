// The searchset Bundle: matches (search.mode = match), included resources (include) and, under
// lenient handling, an OperationOutcome (outcome) naming what was ignored; self/next/previous
// links built from the parameters that were actually applied.
import type { Bundle, BundleEntry, BundleLink, Resource } from '@medplum/fhirtypes';
import type { ResourceVersion } from '../storage/engine';
import type { SearchResult } from './plan';
import type { ParsedSearch } from './parse-query';
import { problemIssue } from './errors';
import { operationOutcome } from '../fhir/errors';
import { subsetResource } from '../fhir/summary';
import type { ElementModel } from './element-model';

export interface SearchsetOptions {
  /** FHIR base URL, no trailing slash. */
  baseUrl: string;
  /** Path of the search below the base: `Observation`, `Patient/123/Observation`, or '' (system). */
  path: string;
  model: ElementModel;
}

function queryString(params: Array<[string, string]>): string {
  return new URLSearchParams(params).toString();
}

export function searchsetBundle(parsed: ParsedSearch, result: SearchResult, options: SearchsetOptions): Bundle {
  const base = `${options.baseUrl}/${options.path}`.replace(/\/$/, '');
  const link = (relation: string, cursor?: string): BundleLink => {
    const params = [...parsed.applied];
    if (cursor) params.push(['_cursor', cursor]);
    const qs = queryString(params);
    return { relation, url: qs ? `${base}?${qs}` : base };
  };
  const links: BundleLink[] = [link('self', parsed.plan.cursor)];
  if (result.nextCursor) links.push(link('next', result.nextCursor));
  if (result.previousCursor) links.push(link('previous', result.previousCursor));

  const entry = (v: ResourceVersion, mode: 'match' | 'include'): BundleEntry => {
    let resource = JSON.parse(v.json ?? '{}') as Resource;
    if (mode === 'match') resource = subsetResource(resource, parsed.summary, parsed.elements);
    return {
      fullUrl: `${options.baseUrl}/${v.resourceType}/${v.id}`,
      resource,
      search: { mode },
    };
  };
  const entries: BundleEntry[] = [...result.matches.map((v) => entry(v, 'match')), ...result.included.map((v) => entry(v, 'include'))];
  if (parsed.ignored.length) {
    entries.push({
      resource: operationOutcome(parsed.ignored.map((p) => ({ ...problemIssue(p, 'warning'), diagnostics: `Ignored: ${p.text}` }))),
      search: { mode: 'outcome' },
    });
  }
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(result.total !== undefined ? { total: result.total } : {}),
    link: links,
    ...(entries.length ? { entry: entries } : {}),
  };
}
