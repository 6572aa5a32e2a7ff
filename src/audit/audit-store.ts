// Stores AuditEvents the server built itself. They skip the validator a client's write passes
// (their shape is fixed by audit-event.ts and test/audit checks every shape it produces against
// the same validator), which is most of a write's CPU; they are indexed like any resource so
// that AuditEvent?patient=, ?agent=, ?date= find them.
import type { AuditEvent } from '@medplum/fhirtypes';
import { serialiseResource } from '../fhir/json';
import { nextInstant } from '../interactions/resource-write';
import type { Services } from '../interactions/services';
import type { EngineTransaction } from '../storage/engine';

export async function storeAuditEvents(tx: EngineTransaction, services: Services, events: AuditEvent[]): Promise<void> {
  let lastUpdated: string | undefined;
  for (const event of events) {
    const id = services.newId();
    lastUpdated = nextInstant(services, lastUpdated);
    // resourceType, id and meta first, as every stored resource.
    const { resourceType: _t, id: _i, meta: _m, ...rest } = event;
    const resource = { resourceType: 'AuditEvent', id, meta: { versionId: '1', lastUpdated }, ...rest } as AuditEvent;
    await tx.write({ resourceType: 'AuditEvent', id, versionId: 1, lastUpdated, deleted: false, json: serialiseResource(resource), index: services.indexer(resource) });
  }
}
