// Medication safety of draft orders, as pure findings: drug-drug interactions (the draft against
// the patient's active medications and the other drafts), drug-allergy (against active
// AllergyIntolerances) and duplicate therapy (a second drug of one class, or the same ingredient
// ordered again). What the table cannot check (no RxNorm code it knows) is reported, not dropped.
import type { AllergyIntolerance, CodeableConcept, MedicationRequest } from '@medplum/fhirtypes';
import { RXNORM, SNOMED, type DrugKnowledge } from './knowledge';

export type FindingKind = 'interaction' | 'allergy' | 'duplicate' | 'unchecked';

export interface MedicationFinding {
  kind: FindingKind;
  severity: 'critical' | 'warning' | 'info';
  summary: string;
  detail: string;
  /** `MedicationRequest/<id>` of the draft the finding is about. */
  draft: string;
  /** The resource it conflicts with (active order, other draft, allergy). */
  other?: string;
  ruleId: string;
  citation: string;
}

export interface MedicationContext {
  drafts: MedicationRequest[];
  /** Other draft orders of the same session (checked against, not reported on). */
  otherDrafts: MedicationRequest[];
  active: MedicationRequest[];
  allergies: AllergyIntolerance[];
}

const refOf = (r: { resourceType: string; id?: string }) => `${r.resourceType}/${r.id ?? '(no id)'}`;

/** The medication concept of a request: its CodeableConcept, or a contained Medication's code. */
export function medicationConcept(request: MedicationRequest): CodeableConcept | undefined {
  if (request.medicationCodeableConcept) return request.medicationCodeableConcept;
  const ref = request.medicationReference?.reference;
  if (ref?.startsWith('#')) {
    const contained = request.contained?.find((c) => c.resourceType === 'Medication' && c.id === ref.slice(1)) as { code?: CodeableConcept } | undefined;
    return contained?.code;
  }
  return undefined;
}

export function medicationLabel(request: MedicationRequest, knowledge: DrugKnowledge): string {
  const concept = medicationConcept(request);
  const named = concept?.text ?? concept?.coding?.find((c) => c.display)?.display;
  if (named) return named;
  const ingredients = knowledge.ingredientsOf(concept);
  return ingredients.length ? ingredients.map(knowledge.ingredientName).join(' / ') : request.medicationReference?.display ?? 'an uncoded medication';
}

const INACTIVE_ALLERGY = new Set(['inactive', 'resolved']);
const NOT_AN_ALLERGY = new Set(['refuted', 'entered-in-error']);

function allergyIsCurrent(a: AllergyIntolerance): boolean {
  if (a.clinicalStatus?.coding?.some((c) => INACTIVE_ALLERGY.has(c.code ?? ''))) return false;
  return !a.verificationStatus?.coding?.some((c) => NOT_AN_ALLERGY.has(c.code ?? ''));
}

export function checkMedications(context: MedicationContext, knowledge: DrugKnowledge): MedicationFinding[] {
  const findings: MedicationFinding[] = [];
  const draftIds = new Set(context.drafts.map(refOf));
  const others = [
    ...context.active.filter((m) => !draftIds.has(refOf(m))).map((m) => ({ request: m, role: 'active order' })),
    ...context.otherDrafts.filter((m) => !draftIds.has(refOf(m))).map((m) => ({ request: m, role: 'other draft order' })),
  ];
  const ingredientsOf = (m: MedicationRequest) => knowledge.ingredientsOf(medicationConcept(m));
  const name = knowledge.ingredientName;

  context.drafts.forEach((draft, index) => {
    const draftRef = refOf(draft);
    const label = medicationLabel(draft, knowledge);
    const mine = ingredientsOf(draft);
    if (!mine.length) {
      findings.push({
        kind: 'unchecked', severity: 'info', draft: draftRef, ruleId: 'unchecked', citation: 'Nimbus FHIR drug-knowledge table',
        summary: `Not checked for interactions or allergies: ${label} has no RxNorm code the table knows`.slice(0, 139),
        detail: `The draft order's medication carries no RxNorm ingredient or product this server's knowledge table (version ${knowledge.version}) maps. Check it by other means.`,
      });
      return;
    }
    // Earlier drafts of this same request are "other drafts" too, so two new drafts are checked against each other once.
    const peers = [...others, ...context.drafts.slice(0, index).map((m) => ({ request: m, role: 'draft order' }))];
    for (const { request, role } of peers) {
      const theirs = ingredientsOf(request);
      const otherLabel = medicationLabel(request, knowledge);
      for (const x of mine) {
        for (const y of theirs) {
          for (const rule of knowledge.interactions(x, y)) {
            findings.push({
              kind: 'interaction', severity: rule.severity, draft: draftRef, other: refOf(request), ruleId: rule.id, citation: rule.citation,
              summary: rule.summary,
              detail: `**${label}** (draft) with **${otherLabel}** (${role}, ${refOf(request)}): ${name(x)} + ${name(y)}.\n\n${rule.management}\n\nSource: ${rule.citation}`,
            });
          }
          if (x === y) {
            findings.push({
              kind: 'duplicate', severity: 'warning', draft: draftRef, other: refOf(request), ruleId: `same-ingredient`, citation: knowledge.duplicateCitation,
              summary: `Duplicate order: ${name(x)} is already ordered (${role})`.slice(0, 139),
              detail: `**${label}** duplicates **${otherLabel}** (${role}, ${refOf(request)}). Remove the draft, or stop the existing order if this replaces it.\n\nSource: ${knowledge.duplicateCitation}`,
            });
          }
        }
      }
      const shared = knowledge.duplicateClasses.filter((c) => mine.some((x) => knowledge.classesOf(x).includes(c)) && theirs.some((y) => knowledge.classesOf(y).includes(c)) && !mine.some((x) => theirs.includes(x)));
      for (const c of shared) {
        findings.push({
          kind: 'duplicate', severity: 'warning', draft: draftRef, other: refOf(request), ruleId: `class-${c}`, citation: knowledge.duplicateCitation,
          summary: `Duplicate therapy: two ${knowledge.className(c)} (${label} and ${otherLabel})`.slice(0, 139),
          detail: `**${label}** (draft) and **${otherLabel}** (${role}, ${refOf(request)}) are both ${knowledge.className(c)}.\n\nSource: ${knowledge.duplicateCitation}`,
        });
      }
    }
    for (const allergy of context.allergies.filter(allergyIsCurrent)) {
      const codes = allergy.code?.coding ?? [];
      const hits = new Set<string>();
      let citation = '';
      for (const c of codes) {
        if (c.system === SNOMED && c.code) {
          const rule = knowledge.allergy(c.code);
          if (rule) for (const x of mine) if (knowledge.membersOf(rule.class).includes(x)) { hits.add(x); citation = rule.citation; }
        }
        if (c.system === RXNORM && c.code) {
          for (const x of knowledge.ingredientsOf({ coding: [c] })) if (mine.includes(x)) { hits.add(x); citation = 'Allergy recorded to the ingredient itself (RxNorm).'; }
        }
      }
      if (!hits.size) continue;
      const allergen = allergy.code?.text ?? codes.find((c) => c.display)?.display ?? 'a recorded allergy';
      findings.push({
        kind: 'allergy', severity: allergy.criticality === 'low' ? 'warning' : 'critical', draft: draftRef, other: refOf(allergy), ruleId: `allergy-${codes[0]?.code ?? 'coded'}`, citation,
        summary: `${label} conflicts with the patient's ${allergen}`.slice(0, 139),
        detail: `**${label}** contains ${[...hits].map(name).join(', ')}; the patient has **${allergen}** (${refOf(allergy)}, criticality ${allergy.criticality ?? 'unknown'}).\n\nSource: ${citation}`,
      });
    }
  });
  return findings;
}
