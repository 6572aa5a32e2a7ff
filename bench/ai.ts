// Clinical AI rows (issue 13, scores and CDS Hooks): `$risk-assessment` of one patient per call for
// a comorbidity score (Conditions) and NEWS2 (the latest vital signs), and a CDS Hooks order-sign
// call with one draft order (no prefetch: the service reads the patient's active medications and
// allergies from the store), each p50/p99 over patients in rotation, 1 connection.
import type { Request } from 'autocannon';
import { rotatingGet } from './crud';
import { naRow, type Row } from './rows';
import { cycle, load, loadRow, origin, probe, type WorkloadContext } from './workload';

export async function aiRows(ctx: WorkloadContext): Promise<Row[]> {
  const rows: Row[] = [];
  const { basePath } = origin(ctx.baseUrl);
  const patients = ctx.ids.get('Patient').slice(0, 1000);
  for (const model of ['charlson', 'news2']) {
    const id = `ai.risk.${model}`;
    const label = `$risk-assessment model=${model} of one patient (1 conn)`;
    if (!patients.length) {
      rows.push(naRow(id, label, 'no Patient ids were loaded'));
      continue;
    }
    const first = await probe(`${ctx.baseUrl}/Patient/${patients[0]}/$risk-assessment?model=${model}`);
    if (first.status !== 200) {
      rows.push(naRow(id, label, `answered ${first.status}: ${first.body.slice(0, 100)}`));
      continue;
    }
    const paths = patients.map((p) => `${basePath}/Patient/${p}/$risk-assessment?model=${model}`);
    await load(ctx, { connections: 1, requests: rotatingGet(paths), durationS: Math.min(1, ctx.durationS / 4) });
    rows.push(loadRow(id, label, await load(ctx, { connections: 1, requests: rotatingGet(paths) })));
  }
  const id = 'ai.cds.order-sign';
  const label = 'CDS Hooks order-sign, one draft, data read from the store (1 conn)';
  if (!patients.length) return [...rows, naRow(id, label, 'no Patient ids were loaded')];
  const { origin: server } = origin(ctx.baseUrl);
  const body = (patient: string) => JSON.stringify({
    hook: 'order-sign', hookInstance: `bench-${patient}`,
    context: { userId: 'Practitioner/bench', patientId: patient, draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: {
      resourceType: 'MedicationRequest', id: 'draft-1', status: 'draft', intent: 'order', subject: { reference: `Patient/${patient}` },
      medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '5640' }] },
    } }] } },
  });
  const first = await probe(`${server}/cds-services/nimbus-medication-safety-sign`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(patients[0]) });
  if (first.status !== 200) return [...rows, naRow(id, label, `answered ${first.status}: ${first.body.slice(0, 100)}`)];
  const next = cycle(patients);
  const requests: Request[] = [{ method: 'POST', path: '/cds-services/nimbus-medication-safety-sign', headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: body(next()) }) }];
  await load(ctx, { connections: 1, requests, durationS: Math.min(1, ctx.durationS / 4) });
  rows.push(loadRow(id, label, await load(ctx, { connections: 1, requests })));
  return rows;
}
