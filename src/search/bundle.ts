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
import { parseStoredJson, stringifyJson } from '../fhir/json';
import type { ElementModel } from './element-model';

export interface SearchsetOptions {
  /** FHIR base URL, no trailing slash. */
  baseUrl: string;
  /** Path of the search below the base: `Observation`, `Patient/123/Observation`, or '' (system). */
  path: string;
  model: ElementModel;
  /** Warnings about the answer itself (e.g. a parameter whose reindex is still running). */
  warnings?: string[];
}

function queryString(params: Array<[string, string]>): string {
  return new URLSearchParams(params).toString();
}

/** One entry: the resource as an object, or as JSON text ready to be embedded. */
interface EntryPart {
  fullUrl?: string;
  resource: () => Resource;
  text: () => string;
  mode: 'match' | 'include' | 'outcome';
}

function searchsetParts(parsed: ParsedSearch, result: SearchResult, options: SearchsetOptions): { head: Bundle; entries: EntryPart[] } {
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

  const subsets = parsed.summary !== undefined || parsed.elements !== undefined;
  const entry = (v: ResourceVersion, mode: 'match' | 'include'): EntryPart => {
    const stored = v.json ?? '{}';
    const resource = () => {
      const r = parseStoredJson(stored) as Resource;
      return mode === 'match' ? subsetResource(r, parsed.summary, parsed.elements) : r;
    };
    // Stored text is exactly what the server wrote; only a _summary/_elements subset needs a parse.
    return { fullUrl: `${options.baseUrl}/${v.resourceType}/${v.id}`, resource, text: mode === 'match' && subsets ? () => stringifyJson(resource()) : () => stored, mode };
  };
  const entries: EntryPart[] = [...result.matches.map((v) => entry(v, 'match')), ...result.included.map((v) => entry(v, 'include'))];
  if (parsed.ignored.length) {
    const outcome = operationOutcome(parsed.ignored.map((p) => ({ ...problemIssue(p, 'warning'), diagnostics: `Ignored: ${p.text}` })));
    entries.push({ resource: () => outcome, text: () => JSON.stringify(outcome), mode: 'outcome' });
  }
  if (options.warnings?.length) {
    const outcome = operationOutcome(options.warnings.map((diagnostics) => ({ severity: 'warning', code: 'incomplete', diagnostics })));
    entries.push({ resource: () => outcome, text: () => JSON.stringify(outcome), mode: 'outcome' });
  }
  const head: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(result.total !== undefined ? { total: result.total } : {}),
    link: links,
  };
  return { head, entries };
}

export function searchsetBundle(parsed: ParsedSearch, result: SearchResult, options: SearchsetOptions): Bundle {
  const { head, entries } = searchsetParts(parsed, result, options);
  if (!entries.length) return head;
  const entry: BundleEntry[] = entries.map((e) => ({ ...(e.fullUrl ? { fullUrl: e.fullUrl } : {}), resource: e.resource(), search: { mode: e.mode } }));
  return { ...head, entry };
}

/**
 * The same Bundle as searchsetBundle, as JSON text: resources are embedded as their stored text
 * instead of being parsed and serialised again, which was most of the cost of a 1,000-resource
 * page.
 */
export function searchsetText(parsed: ParsedSearch, result: SearchResult, options: SearchsetOptions): string {
  const { head, entries } = searchsetParts(parsed, result, options);
  const text = JSON.stringify(head);
  if (!entries.length) return text;
  const entry = entries.map((e) => `{${e.fullUrl ? `"fullUrl":${JSON.stringify(e.fullUrl)},` : ''}"resource":${e.text()},"search":{"mode":"${e.mode}"}}`);
  return `${text.slice(0, -1)},"entry":[${entry.join(',')}]}`;
}
