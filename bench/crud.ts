// Single-resource interactions: create, read by id, update, and a create/read/update/delete cycle
// over nine linked resource types, all driven by autocannon against the server process.
import type { Resource } from '@medplum/fhirtypes';
import type { Request } from './load';
import { naRow, type Row } from './rows';
import { cycle, FHIR_JSON, load, loadRow, origin, probe, type WorkloadContext } from './workload';

const JSON_HEADERS = { 'content-type': FHIR_JSON, accept: FHIR_JSON };

export function readPaths(ctx: WorkloadContext): string[] {
  const { basePath } = origin(ctx.baseUrl);
  return ctx.ids.get('Patient').slice(0, 1000).map((id) => `${basePath}/Patient/${id}`);
}

/** A GET rotating over `paths`; the ceilings use the very same request shape. */
export function rotatingGet(paths: readonly string[]): Request[] {
  const next = cycle(paths);
  return [{ method: 'GET', headers: { accept: FHIR_JSON }, setupRequest: (req) => ({ ...req, path: next() }) }];
}

export async function readById(ctx: WorkloadContext, connections: number): Promise<Row> {
  const id = `read.${connections}`;
  const label = `read by id (${connections} conn${connections > 1 ? 's' : ''})`;
  const paths = readPaths(ctx);
  if (!paths.length) return naRow(id, label, 'no Patient ids were loaded');
  // A short unmeasured warm-up so that JIT compilation is not part of the figure.
  await load(ctx, { connections, requests: rotatingGet(paths), durationS: Math.min(1, ctx.durationS / 4) });
  return loadRow(id, label, await load(ctx, { connections, requests: rotatingGet(paths) }));
}

/**
 * An operation call with trivial work, `GET Patient/{id}/$meta` (the registry, parameter parsing,
 * the instance check through the door, and a Parameters answer), beside the plain read it wraps:
 * the note says what the operation machinery adds to a read (issue 10: < 0.2 ms).
 */
export async function operationCall(ctx: WorkloadContext, read1?: Row): Promise<Row> {
  const id = 'operation.1';
  const label = 'operation call, trivial work: GET Patient/{id}/$meta (1 conn)';
  const paths = readPaths(ctx).map((p) => `${p}/$meta`);
  if (!paths.length) return naRow(id, label, 'no Patient ids were loaded');
  await load(ctx, { connections: 1, requests: rotatingGet(paths), durationS: Math.min(1, ctx.durationS / 4) });
  const row = loadRow(id, label, await load(ctx, { connections: 1, requests: rotatingGet(paths) }));
  if (row.p50Ms !== undefined && read1?.p50Ms !== undefined) row.note = `p50 ${(row.p50Ms - read1.p50Ms).toFixed(2)} ms over the plain read`;
  return row;
}

function observation(patientId: string): Resource {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: '2025-06-01T10:00:00Z',
    valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  } as Resource;
}

export async function create(ctx: WorkloadContext): Promise<Row> {
  const patient = ctx.ids.get('Patient')[0];
  if (!patient) return naRow('create.16', 'create Observation (16 conns)', 'no Patient ids were loaded');
  const r = await load(ctx, {
    connections: 16,
    method: 'POST',
    path: `${origin(ctx.baseUrl).basePath}/Observation`,
    body: JSON.stringify(observation(patient)),
    headers: { ...JSON_HEADERS, prefer: 'return=minimal' },
  });
  return loadRow('create.16', 'create Observation (16 conns)', r, 'res/s');
}

export async function update(ctx: WorkloadContext): Promise<Row> {
  const id = 'update.16';
  const label = 'update Patient (16 conns)';
  const { basePath } = origin(ctx.baseUrl);
  // Current bodies of a few hundred patients, fetched once; each PUT sends one back unchanged but
  // for a telecom, so every request writes a new version.
  const bodies: { path: string; resource: Record<string, unknown> }[] = [];
  for (const pid of ctx.ids.get('Patient').slice(0, 200)) {
    const p = await probe(`${ctx.baseUrl}/Patient/${pid}`);
    if (p.status === 200) bodies.push({ path: `${basePath}/Patient/${pid}`, resource: JSON.parse(p.body) as Record<string, unknown> });
  }
  if (!bodies.length) return naRow(id, label, 'no readable Patient');
  const next = cycle(bodies);
  let n = 0;
  const requests: Request[] = [
    {
      method: 'PUT',
      headers: { ...JSON_HEADERS, prefer: 'return=minimal' },
      setupRequest: (req) => {
        const b = next();
        const resource = { ...b.resource, telecom: [{ system: 'phone', value: `+1-555-${String(n++ % 10000).padStart(4, '0')}` }] };
        delete (resource as { meta?: unknown }).meta;
        return { ...req, path: b.path, body: JSON.stringify(resource) };
      },
    },
  ];
  return loadRow(id, label, await load(ctx, { connections: 16, requests }));
}

// The nine linked types of the cycle and how each refers to the ones created before it in the
// same cycle (ids live in the connection's autocannon context).
type Ids = Record<string, string | undefined>;
const CODE = (system: string, code: string) => ({ coding: [{ system, code }] });
const SCT = 'http://snomed.info/sct';
const LOINC = 'http://loinc.org';

// A body is falsy when an id it needs is missing (`i.X && {…}` yields '' or undefined).
const CYCLE: { type: string; body: (ids: Ids) => Record<string, unknown> | '' | undefined }[] = [
  { type: 'Patient', body: () => ({ name: [{ family: 'Cycle', given: ['Bench'] }], gender: 'female', birthDate: '1980-02-03' }) },
  { type: 'Encounter', body: (i) => i.Patient && { status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: { reference: `Patient/${i.Patient}` } } },
  {
    type: 'Condition',
    body: (i) => i.Encounter && { clinicalStatus: CODE('http://terminology.hl7.org/CodeSystem/condition-clinical', 'active'), code: CODE(SCT, '38341003'), subject: { reference: `Patient/${i.Patient}` }, encounter: { reference: `Encounter/${i.Encounter}` } },
  },
  {
    type: 'Observation',
    body: (i) => i.Encounter && { status: 'final', code: CODE(LOINC, '8867-4'), subject: { reference: `Patient/${i.Patient}` }, encounter: { reference: `Encounter/${i.Encounter}` }, effectiveDateTime: '2025-06-01T10:00:00Z', valueQuantity: { value: 70, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' } },
  },
  {
    type: 'MedicationRequest',
    body: (i) => i.Encounter && { status: 'active', intent: 'order', medicationCodeableConcept: CODE('http://www.nlm.nih.gov/research/umls/rxnorm', '197361'), subject: { reference: `Patient/${i.Patient}` }, encounter: { reference: `Encounter/${i.Encounter}` } },
  },
  { type: 'Procedure', body: (i) => i.Encounter && { status: 'completed', code: CODE(SCT, '80146002'), subject: { reference: `Patient/${i.Patient}` }, encounter: { reference: `Encounter/${i.Encounter}` } } },
  { type: 'AllergyIntolerance', body: (i) => i.Patient && { code: CODE(SCT, '91936005'), patient: { reference: `Patient/${i.Patient}` } } },
  { type: 'Immunization', body: (i) => i.Encounter && { status: 'completed', vaccineCode: CODE('http://hl7.org/fhir/sid/cvx', '140'), patient: { reference: `Patient/${i.Patient}` }, encounter: { reference: `Encounter/${i.Encounter}` }, occurrenceDateTime: '2025-06-01' } },
  {
    type: 'DiagnosticReport',
    body: (i) => i.Observation && { status: 'final', code: CODE(LOINC, '24331-1'), subject: { reference: `Patient/${i.Patient}` }, encounter: { reference: `Encounter/${i.Encounter}` }, result: [{ reference: `Observation/${i.Observation}` }] },
  },
];

function idFrom(headers: Record<string, unknown> | undefined, body: string): string | undefined {
  const loc = headers?.location ?? headers?.Location;
  const m = typeof loc === 'string' ? /\/[A-Za-z]+\/([^/]+)\/_history\//.exec(loc) : null;
  if (m) return m[1];
  try {
    return (JSON.parse(body) as { id?: string }).id;
  } catch {
    return undefined;
  }
}

/** Creates of all nine, then a read, an update and (in reverse order) a delete of each. */
export function cycleRequests(basePath: string): Request[] {
  const ids = (c: object) => c as Ids;
  // Returning undefined from setupRequest restarts the sequence: a failed create does not leave
  // later steps sending broken references.
  const creates: Request[] = CYCLE.map(({ type, body }, k) => ({
    method: 'POST',
    path: `${basePath}/${type}`,
    headers: JSON_HEADERS,
    setupRequest: (req, c) => {
      if (k === 0) for (const key of Object.keys(c)) delete ids(c)[key];
      const b = body(ids(c));
      return (b ? { ...req, body: JSON.stringify({ resourceType: type, ...b }) } : undefined) as Request;
    },
    onResponse: (status, text, c, headers) => {
      if (status < 300) ids(c)[type] = idFrom(headers as Record<string, unknown>, text);
    },
  }));
  const reads: Request[] = CYCLE.map(({ type }) => ({
    method: 'GET',
    headers: { accept: FHIR_JSON },
    setupRequest: (req, c) => (ids(c)[type] ? { ...req, path: `${basePath}/${type}/${ids(c)[type]}` } : undefined) as Request,
  }));
  const updates: Request[] = CYCLE.map(({ type, body }) => ({
    method: 'PUT',
    headers: { ...JSON_HEADERS, prefer: 'return=minimal' },
    setupRequest: (req, c) => {
      const id = ids(c)[type];
      const b = id && body(ids(c));
      return (b ? { ...req, path: `${basePath}/${type}/${id}`, body: JSON.stringify({ resourceType: type, id, ...b, language: 'en' }) } : undefined) as Request;
    },
  }));
  const deletes: Request[] = [...CYCLE].reverse().map(({ type }) => ({
    method: 'DELETE',
    setupRequest: (req, c) => (ids(c)[type] ? { ...req, path: `${basePath}/${type}/${ids(c)[type]}` } : undefined) as Request,
  }));
  return [...creates, ...reads, ...updates, ...deletes];
}

export async function mixedCycle(ctx: WorkloadContext): Promise<Row> {
  const r = await load(ctx, { connections: 8, requests: cycleRequests(origin(ctx.baseUrl).basePath) });
  const row = loadRow('crud.cycle', 'CRUD cycle, 9 linked types (8 conns)', r);
  row.note = [row.note, `${Math.floor(r.requests / 36)} cycles of 36 requests`].filter(Boolean).join('; ');
  return row;
}
