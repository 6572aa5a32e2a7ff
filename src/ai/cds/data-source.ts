// Where a CDS service's data comes from: the prefetch the client sent, else the client's FHIR server
// (`fhirServer` with `fhirAuthorization`: a real HTTP request with the given bearer token), else
// this server itself through the caller's door (ctx.data, so the access policy applies). A
// prefetch template with its tokens filled in is the query in every case, so all three agree.
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { parseStoredJson } from '../../fhir/json';
import { FhirError } from '../../fhir/errors';
import { searchResources, type RecordReader } from '../risk/patient-record';
import { CdsError, type HookRequest, type ResourceCheck } from './hook-request';

export interface FhirSource {
  /** For messages: where the data was read. */
  readonly label: string;
  /** A read (`Type/id`) or search (`Type?query`) as a prefetch template gives it, tokens filled in. */
  query(relativeUrl: string): Promise<Resource[]>;
}

/** Most resources one query may bring back (a CDS call must stay fast). */
const MAX_RESOURCES = 1000;
const REMOTE_TIMEOUT_MS = 5000;

function split(relativeUrl: string): { type: string; id?: string; pairs: Array<[string, string]> } {
  const [path, qs = ''] = relativeUrl.split('?', 2);
  const [type, id] = path.split('/');
  return { type, ...(id ? { id } : {}), pairs: [...new URLSearchParams(qs)] };
}

export function localSource(reader: RecordReader): FhirSource {
  return {
    label: 'this server',
    async query(relativeUrl) {
      const { type, id, pairs } = split(relativeUrl);
      try {
        if (id) {
          const v = await reader.data.read(type, id);
          return v?.json && !v.deleted ? [parseStoredJson(v.json) as Resource] : [];
        }
        const count = pairs.find(([k]) => k === '_count');
        return await searchResources(reader, type, pairs, count ? Math.min(Number(count[1]) || 1, MAX_RESOURCES) : MAX_RESOURCES);
      } catch (e) {
        if (e instanceof FhirError && e.status < 500) {
          // The caller may not read this data (401/403) or the template does not fit the data.
          throw new CdsError(412, 'data_unavailable', `cannot read ${type} from this server (${e.status}: ${e.message.slice(0, 200)}); send the prefetch, or fhirServer with fhirAuthorization`);
        }
        throw e;
      }
    },
  };
}

/** The client's FHIR server over HTTP, with its bearer token; follows `next` links up to the cap.
 * Its resources are checked like sent ones: a malformed one is the data source's fault (412). */
export function remoteSource(fhirServer: string, accessToken: string | undefined, check: ResourceCheck, fetchImpl: typeof fetch = fetch): FhirSource {
  const checked = (resources: Resource[], url: string) => {
    for (const r of resources) {
      const why = check(r);
      if (why) throw new CdsError(412, 'data_unavailable', `fhirServer sent an invalid ${r.resourceType} for ${url.slice(0, 200)}: ${why}`);
    }
    return resources;
  };
  const get = async (url: string): Promise<{ status: number; body?: Resource }> => {
    let res: Response;
    try {
      res = await fetchImpl(url, {
        headers: { Accept: 'application/fhir+json', ...(accessToken ? { Authorization: `Bearer ${accessToken}` } : {}) },
        signal: AbortSignal.timeout(REMOTE_TIMEOUT_MS),
        redirect: 'error',
      });
    } catch (e) {
      throw new CdsError(412, 'data_unavailable', `fhirServer could not be reached for ${url.slice(0, 200)}: ${(e as Error).message.slice(0, 120)}`);
    }
    if (res.status === 404 || res.status === 410) return { status: res.status };
    if (!res.ok) throw new CdsError(412, 'data_unavailable', `fhirServer answered ${res.status} to ${url.slice(0, 200)}`);
    const body = (await res.json().catch(() => undefined)) as Resource | undefined;
    if (!body || typeof body.resourceType !== 'string') throw new CdsError(412, 'data_unavailable', `fhirServer did not answer a FHIR resource for ${url.slice(0, 200)}`);
    return { status: res.status, body };
  };
  return {
    label: fhirServer,
    async query(relativeUrl) {
      const { id } = split(relativeUrl);
      const first = await get(`${fhirServer}/${relativeUrl}`);
      if (!first.body) return [];
      if (id) return checked([first.body], relativeUrl);
      const out = checked(resourcesOf(first.body), relativeUrl);
      let next = (first.body as Bundle).link?.find((l) => l.relation === 'next')?.url;
      while (next && out.length < MAX_RESOURCES && next.startsWith(fhirServer)) {
        const page = await get(next);
        if (!page.body) break;
        out.push(...checked(resourcesOf(page.body), relativeUrl));
        next = (page.body as Bundle).link?.find((l) => l.relation === 'next')?.url;
      }
      return out.slice(0, MAX_RESOURCES);
    },
  };
}

/** The resources a prefetch value or query answer stands for (a Bundle's matches, or itself). */
export function resourcesOf(value: Resource | null): Resource[] {
  if (!value) return [];
  if (value.resourceType === 'Bundle') {
    return ((value as Bundle).entry ?? []).filter((e) => e.resource && e.search?.mode !== 'outcome' && e.resource.resourceType !== 'OperationOutcome').map((e) => e.resource as Resource);
  }
  return [value];
}

/** Fills the prefetch tokens of a template from the hook context; undefined when a token has no value. */
export function fillTemplate(template: string, context: Record<string, unknown>): string | undefined {
  let missing = false;
  const userId = typeof context.userId === 'string' ? context.userId : '';
  const users: Record<string, string> = {};
  const [userType, userRef] = userId.split('/');
  if (userRef) users[`user${userType}Id`] = userRef;
  const filled = template.replace(/\{\{\s*([A-Za-z.]+)\s*\}\}/g, (_, token: string) => {
    const value = token.startsWith('context.') ? context[token.slice('context.'.length)] : users[token];
    if (typeof value !== 'string' || !value) {
      missing = true;
      return '';
    }
    return encodeURIComponent(value);
  });
  return missing ? undefined : filled;
}

export interface HookData {
  /** The resources of a prefetch key: from the prefetch when sent, else read from the source. */
  get(key: string): Promise<Resource[]>;
}

export function hookData(request: HookRequest, templates: Record<string, string>, source: () => FhirSource): HookData {
  const cache = new Map<string, Promise<Resource[]>>();
  return {
    get(key) {
      let found = cache.get(key);
      if (!found) {
        const sent = request.prefetch[key];
        // CDS Hooks 2.0: a client that failed to prefetch may send an OperationOutcome; read the data then.
        if (key in request.prefetch && sent?.resourceType !== 'OperationOutcome') found = Promise.resolve(resourcesOf(sent));
        else {
          const url = fillTemplate(templates[key], request.context);
          found = url === undefined ? Promise.resolve([]) : source().query(url);
        }
        cache.set(key, found);
      }
      return found;
    },
  };
}
