// One access as an R4 AuditEvent in the shape of IHE Basic Audit Log Patterns (BALP): type `rest`,
// subtype the FHIR interaction, action C/R/U/D/E, outcome from the HTTP status, agents (the client
// application with its network address, the user as fhirUser), the server as source, and entities
// (the resources touched, the search query, the patient). Pure: the HTTP layer describes the access,
// this turns it into the resource.
import type { AuditEvent, AuditEventAgent, AuditEventEntity } from '@medplum/fhirtypes';
import type { Caller } from '../access/caller';

export type RestInteraction =
  | 'read'
  | 'vread'
  | 'update'
  | 'patch'
  | 'delete'
  | 'history-instance'
  | 'history-type'
  | 'history-system'
  | 'create'
  | 'search-type'
  | 'search-system'
  | 'batch'
  | 'transaction'
  | 'operation';

/** What the HTTP layer knows about one access. */
export interface AccessRecord {
  interaction: RestInteraction;
  /** HTTP status of the answer. */
  status: number;
  caller: Caller;
  /** Client's network address (as the socket, or a trusted proxy, reports it). */
  address?: string;
  /** Resources the request named or produced, as `Type/id`. */
  resources: string[];
  /** Patients the access concerns (the patient in context, a Patient named in the URL or query). */
  patients: string[];
  /** Resources the access read or found (`Type/id`: the one named in the URL, a search's matches),
   * whose patients the audit trail's writer adds to `patients` before the event is built
   * (audit-patients.ts). */
  touched?: string[];
  /** The search's query string (searches and history), without the leading `?`. */
  query?: string;
  /** The operation's name (`$meta`), for operations. */
  operation?: string;
  /** ISO instant. */
  recorded: string;
  requestId: string;
}

const ACTION: Record<RestInteraction, AuditEvent['action']> = {
  read: 'R',
  vread: 'R',
  'history-instance': 'R',
  update: 'U',
  patch: 'U',
  delete: 'D',
  create: 'C',
  'history-type': 'E',
  'history-system': 'E',
  'search-type': 'E',
  'search-system': 'E',
  batch: 'E',
  transaction: 'E',
  operation: 'E',
};

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';

export function auditEventOf(r: AccessRecord): AuditEvent {
  const agents: AuditEventAgent[] = [
    {
      type: { coding: [{ system: DCM, code: '110150', display: 'Application' }] },
      ...(r.caller.clientId ? { who: { identifier: { system: 'urn:nimbus-fhir:client-id', value: r.caller.clientId } }, altId: r.caller.clientId } : { who: { display: 'anonymous' } }),
      requestor: !r.caller.fhirUser,
      ...(r.address ? { network: { address: r.address, type: '2' as const } } : {}),
    },
  ];
  if (r.caller.fhirUser) {
    agents.push({
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type', code: 'humanuser', display: 'human user' }] },
      who: { reference: r.caller.fhirUser },
      ...(r.caller.subject ? { altId: r.caller.subject } : {}),
      requestor: true,
    });
  }
  const entities: AuditEventEntity[] = [];
  const patients = new Set(r.patients);
  for (const ref of new Set(r.resources)) {
    if (ref.startsWith('Patient/')) patients.add(ref.slice('Patient/'.length));
    else entities.push({ what: { reference: ref }, type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' } });
  }
  for (const p of patients) {
    entities.push({ what: { reference: `Patient/${p}` }, type: { system: ENTITY_TYPE, code: '1', display: 'Person' }, role: { system: OBJECT_ROLE, code: '1', display: 'Patient' } });
  }
  // BALP's transaction entity: the X-Request-Id, which ties the event to the server's log lines.
  entities.push({ what: { identifier: { value: r.requestId } }, type: { system: 'https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType', code: 'XrequestId' } });
  if (r.query) {
    entities.push({ type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, role: { system: OBJECT_ROLE, code: '24', display: 'Query' }, query: Buffer.from(r.query, 'utf8').toString('base64') });
  }
  return {
    resourceType: 'AuditEvent',
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
    subtype: [
      { system: 'http://hl7.org/fhir/restful-interaction', code: r.interaction, display: r.interaction },
      ...(r.operation ? [{ system: 'urn:nimbus-fhir:operation', code: r.operation }] : []),
    ],
    action: ACTION[r.interaction],
    recorded: r.recorded,
    // 0 success, 4 minor failure (the client's error), 8 serious failure (the server's).
    outcome: r.status < 400 ? '0' : r.status < 500 ? '4' : '8',
    ...(r.status >= 400 ? { outcomeDesc: `HTTP ${r.status}` } : {}),
    agent: agents,
    source: {
      observer: { display: 'Nimbus FHIR' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
    entity: entities,
  };
}
