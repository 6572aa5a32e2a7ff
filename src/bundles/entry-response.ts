// The `response` part of batch-response / transaction-response entries (R4 bundle.html,
// Bundle.entry.response): status with its reason phrase, location, etag, lastModified, and the
// resource or an OperationOutcome as the client's Prefer header asks.
import type { BundleEntry, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { FhirError, informational } from '../fhir/errors';
import { parseStoredJson } from '../fhir/json';
import type { WriteOutcome } from '../interactions/crud';
import type { ResourceVersion } from '../storage/engine';

/** What each entry's response carries besides status/location/etag (Prefer: return=…). */
export type EntryReturn = 'minimal' | 'representation' | 'OperationOutcome';

const REASONS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  304: 'Not Modified',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function statusText(status: number): string {
  return `${status} ${REASONS[status] ?? ''}`.trim();
}

function versionFields(base: string, v: ResourceVersion) {
  return {
    etag: `W/"${v.versionId}"`,
    lastModified: v.lastUpdated,
    ...(v.deleted ? {} : { location: `${base}/${v.resourceType}/${v.id}/_history/${v.versionId}` }),
  };
}

export function writeEntry(base: string, outcome: WriteOutcome, ret: EntryReturn): BundleEntry {
  const v = outcome.version;
  const entry: BundleEntry = {
    ...(v && !v.deleted ? { fullUrl: `${base}/${v.resourceType}/${v.id}` } : {}),
    response: { status: statusText(outcome.status), ...(v ? versionFields(base, v) : {}) },
  };
  if (ret === 'representation' && outcome.resource) entry.resource = outcome.resource;
  if (ret === 'OperationOutcome') {
    const what = v ? `${v.resourceType}/${v.id} version ${v.versionId}` : 'nothing';
    entry.response!.outcome = informational(`${statusText(outcome.status)}: ${what}`);
  }
  return entry;
}

/** Several deletions from one conditional delete answer as one entry (the last version wins the etag). */
export function deleteEntry(base: string, outcomes: WriteOutcome[], ret: EntryReturn): BundleEntry {
  const written = outcomes.filter((o) => o.version);
  const entry: BundleEntry = { response: { status: statusText(204) } };
  const last = written[written.length - 1]?.version;
  if (last && written.length === 1) Object.assign(entry.response!, { etag: `W/"${last.versionId}"`, lastModified: last.lastUpdated });
  if (ret === 'OperationOutcome') {
    entry.response!.outcome = informational(
      written.length ? `Deleted ${written.map((o) => `${o.version!.resourceType}/${o.version!.id}`).join(', ')}` : 'Nothing matched; nothing deleted',
    );
  }
  return entry;
}

export function readEntry(base: string, v: ResourceVersion, status: 200 | 304, includeBody: boolean): BundleEntry {
  return {
    fullUrl: `${base}/${v.resourceType}/${v.id}`,
    ...(includeBody && status === 200 && v.json ? { resource: parseStoredJson(v.json) as Resource } : {}),
    response: { status: statusText(status), ...versionFields(base, v) },
  };
}

export function resourceEntry(status: number, resource: Resource | undefined): BundleEntry {
  return { ...(resource ? { resource } : {}), response: { status: statusText(status) } };
}

/** A failed batch entry: its status and the OperationOutcome that says why. */
export function errorEntry(e: FhirError): BundleEntry {
  const outcome: OperationOutcome = e.toOperationOutcome();
  return { response: { status: statusText(e.status), outcome } };
}
