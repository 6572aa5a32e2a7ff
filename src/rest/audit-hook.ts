// Describes each finished request to the audit trail: which FHIR interaction it was (from the
// method and path), its outcome, the caller, the client's address, the resources it named or
// created, the search query and the patients concerned. Runs when the response has been sent, so
// recording costs the client nothing; the trail writes in batches later (audit/audit-trail.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller } from '../access/caller';
import type { RestInteraction } from '../audit/audit-event';
import type { ServerServices } from '../context/server-services';

const HOOKED = new WeakSet<ServerResponse>();
const TOUCHED = new WeakMap<ServerResponse, string[]>();
/** Most found resources of one search whose patients the audit trail looks up. */
const MAX_TOUCHED = 100;

/** Notes resources an answer carries (a search's matches), so the access's AuditEvent names their
 * patients. Costs an array push; the lookup happens in the audit trail's writer. */
export function noteTouched(res: ServerResponse, found: Array<{ resourceType: string; id: string }>): void {
  const list = TOUCHED.get(res) ?? [];
  for (const v of found) {
    if (list.length >= MAX_TOUCHED) break;
    list.push(`${v.resourceType}/${v.id}`);
  }
  TOUCHED.set(res, list);
}

export function auditOnFinish(services: ServerServices, req: IncomingMessage, res: ServerResponse, caller: Caller, requestId: string): void {
  const audit = services.audit;
  if (!audit || HOOKED.has(res)) return;
  const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '';
  const described = describe(req.method ?? 'GET', url, services.core.definitions.isResourceType);
  if (!described) return;
  HOOKED.add(res);
  res.once('finish', () => {
    const resources = [...described.resources];
    const location = res.getHeader('location');
    if (typeof location === 'string') {
      const m = /\/([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})\/_history\//.exec(location);
      if (m) resources.push(`${m[1]}/${m[2]}`);
    }
    const patients = new Set(described.patients);
    if (caller.patient) patients.add(caller.patient);
    // A patient acting for themselves is the patient of everything they touch.
    const self = /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(caller.fhirUser ?? '')?.[1];
    if (self) patients.add(self);
    const interaction = described.interaction === 'batch' && isTransaction(req) ? 'transaction' : described.interaction;
    // What the access read or found, for its patients: the resource the URL names (an Observation
    // read names its subject's Patient) and a search's matches. A caller confined to its patients
    // touches nothing outside their compartments: they are the access's patients already.
    const touched = confinedToPatients(caller) ? [] : [...described.resources, ...(TOUCHED.get(res) ?? [])];
    audit.record({
      interaction,
      status: res.statusCode,
      caller,
      address: addressOf(req, services.config.trustProxy),
      resources,
      patients: [...patients],
      ...(touched.length ? { touched } : {}),
      ...(described.query !== undefined ? { query: described.query } : {}),
      ...(described.operation ? { operation: described.operation } : {}),
      recorded: services.core.clock.now().toISOString(),
      requestId,
    });
  });
}

/** Whether the caller's scopes confine it to known patients (every resource scope a `patient/`
 * one with a patient in context, or a patient user without `system/` scopes): the access policy
 * (auth/smart-policy.ts) then keeps it inside those patients' compartments. */
function confinedToPatients(caller: Caller): boolean {
  const resourceScopes = (caller.scopes ?? []).filter((s) => /^(patient|user|system)\//.test(s));
  if (!resourceScopes.length || caller.kind === 'anonymous') return false;
  if (caller.patient && resourceScopes.every((s) => s.startsWith('patient/'))) return true;
  return /(?:^|\/)Patient\/[A-Za-z0-9\-.]{1,64}$/.test(caller.fhirUser ?? '') && !resourceScopes.some((s) => s.startsWith('system/'));
}

interface Described {
  interaction: RestInteraction;
  resources: string[];
  patients: string[];
  query?: string;
  operation?: string;
}

/** The FHIR interaction of a request below /fhir; undefined for what is not an access to data
 * (the CapabilityStatement, discovery). */
export function describe(method: string, url: string, isType: (t: string) => boolean): Described | undefined {
  const q = url.indexOf('?');
  const path = (q < 0 ? url : url.slice(0, q)).replace(/^\/fhir/, '');
  const rawQuery = q < 0 ? undefined : url.slice(q + 1);
  const s = path.split('/').filter(Boolean);
  if (s[0] === 'metadata' || s[0] === '.well-known' || s[0] === '_async') return undefined;
  const patients = patientsInQuery(rawQuery);
  const out = (interaction: RestInteraction, resources: string[] = [], query?: string, operation?: string): Described => ({
    interaction,
    resources,
    patients: [...patients, ...resources.filter((r) => r.startsWith('Patient/')).map((r) => r.slice(8))],
    ...(query !== undefined ? { query } : {}),
    ...(operation ? { operation } : {}),
  });
  const op = s.find((x) => x.startsWith('$'));
  if (op) return out('operation', s.length >= 3 && isType(s[0]) ? [`${s[0]}/${s[1]}`] : [], rawQuery, op);
  if (s.length === 0) return method === 'POST' ? out('batch') : out('search-system', [], rawQuery ?? '');
  if (s[0] === '_history') return out('history-system', [], rawQuery ?? '');
  if (s[0] === '_search') return out('search-system', [], rawQuery ?? '');
  if (!isType(s[0])) return undefined;
  const [type, id, third, fourth] = s;
  if (s.length === 1) {
    if (method === 'GET' || method === 'HEAD') return out('search-type', [], rawQuery ?? '');
    if (method === 'POST') return out('create', [], rawQuery);
    return out(method === 'PUT' ? 'update' : method === 'PATCH' ? 'patch' : 'delete', [], rawQuery);
  }
  if (id === '_search') return out('search-type', [], rawQuery ?? '');
  if (id === '_history') return out('history-type', [], rawQuery ?? '');
  const ref = `${type}/${id}`;
  if (s.length === 2) {
    const interaction: RestInteraction = method === 'PUT' ? 'update' : method === 'PATCH' ? 'patch' : method === 'DELETE' ? 'delete' : 'read';
    return out(interaction, [ref]);
  }
  if (third === '_history') return fourth ? out('vread', [ref]) : out('history-instance', [ref], rawQuery ?? '');
  // A compartment search: Patient/123/Observation.
  return out('search-type', type === 'Patient' ? [ref] : [], `${third}${rawQuery ? `?${rawQuery}` : ''}`);
}

/** Patients a search names: `patient=123`, `subject=Patient/123`, `_id` on Patient is left to the type. */
function patientsInQuery(query: string | undefined): string[] {
  if (!query) return [];
  const out: string[] = [];
  try {
    for (const [k, v] of new URLSearchParams(query)) {
      const name = k.split(':')[0];
      if (name !== 'patient' && name !== 'subject' && name !== 'beneficiary') continue;
      for (const value of v.split(',')) {
        const m = /^(?:.*\/)?(?:Patient\/)?([A-Za-z0-9\-.]{1,64})$/.exec(value);
        if (m && (name === 'patient' || value.includes('Patient/'))) out.push(m[1]);
      }
    }
  } catch {
    // An unparsable query is the search's to refuse; the audit simply names no patient.
  }
  return out;
}

function isTransaction(req: IncomingMessage): boolean {
  const body = (req as { body?: unknown }).body;
  return Buffer.isBuffer(body) && /"type"\s*:\s*"transaction"/.test(body.toString('utf8'));
}

function addressOf(req: IncomingMessage, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return req.socket.remoteAddress;
}
