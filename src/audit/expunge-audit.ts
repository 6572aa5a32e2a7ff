// The audit record of an $expunge: one AuditEvent per removed resource, written like any resource
// (validated, indexed, versioned) through the caller's door. Kept to this one function so that the
// audit trail of the security work (an AuditEvent per access, batched off the request path) can
// take it over without touching the operation.
import type { AuditEvent } from '@medplum/fhirtypes';
import type { RequestContext } from '../context/request-context';
import { create } from '../interactions/crud';

export interface ExpungeRecord {
  /** The removed resource, `Type/id`. */
  reference: string;
  /** Versions removed (delete markers included). */
  versions: number;
  /** `instance` (a resource's whole history) or `type` (deleted resources of a type). */
  level: 'instance' | 'type';
}

export async function auditExpunge(ctx: RequestContext, record: ExpungeRecord): Promise<void> {
  const { caller } = ctx;
  const who = caller.fhirUser ? { reference: caller.fhirUser } : { display: caller.clientId ? `client ${caller.clientId}` : 'anonymous caller' };
  const event: AuditEvent = {
    resourceType: 'AuditEvent',
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
    subtype: [
      { system: 'http://hl7.org/fhir/restful-interaction', code: 'operation', display: 'operation' },
      { system: 'http://nimbus-fhir.org/fhir/OperationDefinition/expunge', code: 'expunge', display: '$expunge' },
    ],
    action: 'D',
    recorded: ctx.clock.now().toISOString(),
    outcome: '0',
    agent: [{ who, requestor: true }],
    source: { observer: { display: 'nimbus-fhir' } },
    entity: [
      {
        what: { reference: record.reference },
        description: `${record.level}-level $expunge removed ${record.versions} version${record.versions === 1 ? '' : 's'}`,
      },
    ],
  };
  await create(ctx.data, ctx.services.core, 'AuditEvent', event);
}
