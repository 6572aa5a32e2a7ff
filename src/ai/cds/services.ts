// The CDS services this server offers (discovery) and what each does when called: one list, so
// discovery never advertises a service that does not run. Each returns card inputs; the HTTP layer
// (rest/cds-hooks-routes.ts) turns them into cards, stores what feedback needs and answers.
import type { AllergyIntolerance, Bundle, MedicationRequest } from '@medplum/fhirtypes';
import type { CardInput } from './cards';
import type { HookData } from './data-source';
import type { HookRequest } from './hook-request';
import type { DrugKnowledge } from './knowledge';
import { checkMedications, medicationLabel, type MedicationFinding } from './medication-checks';
import { PATIENT_VIEW_PREFETCH, patientViewCards } from './patient-view';

export interface CdsServiceDefinition {
  hook: 'patient-view' | 'order-select' | 'order-sign';
  id: string;
  title: string;
  description: string;
  prefetch: Record<string, string>;
}

export interface ServiceDeps {
  knowledge: DrugKnowledge;
  now: Date;
  /** The URL of the knowledge table (`{base}/cds-services/knowledge`), for card sources. */
  knowledgeUrl: string;
}

const ORDER_PREFETCH = {
  patient: 'Patient/{{context.patientId}}',
  medications: 'MedicationRequest?patient={{context.patientId}}&status=active',
  allergies: 'AllergyIntolerance?patient={{context.patientId}}',
};

const ORDER_DESCRIPTION =
  'Drug-drug interactions of the draft MedicationRequests against the patient\'s active MedicationRequests and each other (a curated table starting from the ONC high-priority list, Phansalkar et al. 2012, every row cited; RxNorm ingredients, products mapped to ingredients), drug-allergy conflicts with active AllergyIntolerances, and duplicate therapy (same ingredient, or two drugs of one class). Each card suggests removing the draft order.';

export const CDS_SERVICES: CdsServiceDefinition[] = [
  {
    hook: 'patient-view', id: 'nimbus-patient-risk', title: 'Patient risk (NEWS2, stroke prevention, overdue HbA1c)',
    description: 'Risk cards when a chart is opened: NEWS2 from vital signs of the last 24 hours (low-medium risk and above), CHA2DS2-VASc for atrial fibrillation without an active oral anticoagulant (ESC 2020 thresholds), and HbA1c older than 6 months in diabetes. Overdue-measure checks are limited to HbA1c: no other care measure is evaluated.',
    prefetch: PATIENT_VIEW_PREFETCH,
  },
  { hook: 'order-select', id: 'nimbus-medication-safety-select', title: 'Medication safety as orders are selected', description: `For the orders in context.selections: ${ORDER_DESCRIPTION}`, prefetch: ORDER_PREFETCH },
  { hook: 'order-sign', id: 'nimbus-medication-safety-sign', title: 'Medication safety before orders are signed', description: `For every draft order: ${ORDER_DESCRIPTION}`, prefetch: ORDER_PREFETCH },
];

export async function runService(service: CdsServiceDefinition, request: HookRequest, data: HookData, deps: ServiceDeps): Promise<CardInput[]> {
  const patientId = String(request.context.patientId);
  if (service.hook === 'patient-view') return patientViewCards(data, patientId, deps.now, deps.knowledge, deps.knowledgeUrl);
  const drafts = ((request.context.draftOrders as Bundle).entry ?? []).map((e) => e.resource).filter((r): r is MedicationRequest => r?.resourceType === 'MedicationRequest');
  const selected = service.hook === 'order-select'
    ? drafts.filter((d) => (request.context.selections as string[]).some((s) => s === `MedicationRequest/${d.id}` || s === d.id))
    : drafts;
  if (!selected.length) return [];
  const active = ((await data.get('medications')) as MedicationRequest[]).filter((m) => m.resourceType === 'MedicationRequest' && m.status === 'active');
  const allergies = ((await data.get('allergies')) as AllergyIntolerance[]).filter((a) => a.resourceType === 'AllergyIntolerance');
  const findings = checkMedications({ drafts: selected, otherDrafts: drafts.filter((d) => !selected.includes(d)), active, allergies }, deps.knowledge);
  return findings.map((f) => findingCard(f, selected, deps));
}

function findingCard(f: MedicationFinding, drafts: MedicationRequest[], deps: ServiceDeps): CardInput {
  const draft = drafts.find((d) => `MedicationRequest/${d.id}` === f.draft);
  const label = draft ? medicationLabel(draft, deps.knowledge) : f.draft;
  const removable = f.kind !== 'unchecked' && draft?.id !== undefined;
  return {
    topic: f.kind, ruleId: f.ruleId, indicator: f.severity, summary: f.summary, detail: f.detail,
    sourceLabel: f.kind === 'interaction' && f.ruleId.startsWith('onc-') ? 'ONC high-priority drug-drug interactions (Phansalkar et al. 2012)' : 'Nimbus FHIR medication-safety table',
    sourceUrl: `${deps.knowledgeUrl}#${f.ruleId}`,
    ...(removable ? { removeDrafts: [{ resourceId: f.draft, label, recommended: f.severity === 'critical' }] } : {}),
    overridable: f.kind !== 'unchecked',
  };
}
