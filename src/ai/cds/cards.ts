// CDS Hooks 2.0 cards (cds-hooks.hl7.org "Card Attributes"): uuid, a summary under 140 characters,
// indicator, source with label and URL, suggestions with actions and override reasons. What the
// feedback endpoint later needs to know about a card (its service, rule and patient) is returned
// beside it, to be stored when the card is issued.
import { randomUUID } from 'node:crypto';
import { lookupTable } from '../../lookup-table';

export interface Coding {
  system: string;
  code: string;
  display: string;
}
export interface Action {
  type: 'create' | 'update' | 'delete';
  description: string;
  resourceId?: string;
  resource?: unknown;
}
export interface Suggestion {
  label: string;
  uuid: string;
  isRecommended?: boolean;
  actions: Action[];
}
export interface Card {
  uuid: string;
  summary: string;
  detail?: string;
  indicator: 'info' | 'warning' | 'critical';
  source: { label: string; url: string; topic?: Coding };
  suggestions?: Suggestion[];
  selectionBehavior?: 'at-most-one' | 'any';
  overrideReasons?: Coding[];
}

/** What is kept about an issued card, so feedback can be tied to the rule that raised it. */
export interface IssuedCard {
  uuid: string;
  service: string;
  hookInstance: string;
  patientId: string;
  ruleId: string;
  topic: string;
  suggestions: string[];
}

const NIMBUS = 'http://nimbus-fhir.org/fhir/CodeSystem';
export const TOPIC_SYSTEM = `${NIMBUS}/cds-topic`;
export const OVERRIDE_REASON_SYSTEM = `${NIMBUS}/cds-override-reason`;

export const OVERRIDE_REASONS: Coding[] = [
  { system: OVERRIDE_REASON_SYSTEM, code: 'benefit-outweighs-risk', display: 'Benefit outweighs the risk for this patient' },
  { system: OVERRIDE_REASON_SYSTEM, code: 'will-monitor', display: 'Will monitor or adjust the dose' },
  { system: OVERRIDE_REASON_SYSTEM, code: 'tolerated-before', display: 'Patient has tolerated this before' },
  { system: OVERRIDE_REASON_SYSTEM, code: 'not-accurate', display: 'The information is not accurate for this patient' },
];

const TOPICS: Record<string, string> = lookupTable({
  interaction: 'Drug-drug interaction',
  allergy: 'Drug-allergy conflict',
  duplicate: 'Duplicate therapy',
  unchecked: 'Medication not checked',
  'news2': 'Early warning score',
  'stroke-prevention': 'Stroke prevention in atrial fibrillation',
  'overdue-measure': 'Overdue care measure',
});

/** The spec asks for a summary of under 140 characters: longer text is cut at a word with an ellipsis. */
export function summaryOf(text: string): string {
  if (text.length < 140) return text;
  const cut = text.slice(0, 138);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), 100))}…`;
}

export interface CardInput {
  topic: keyof typeof TOPICS;
  ruleId: string;
  summary: string;
  detail: string;
  indicator: Card['indicator'];
  sourceLabel: string;
  /** Where a reader finds the rule and its citation. */
  sourceUrl: string;
  /** `delete` suggestions: the draft orders to remove, with their labels. */
  removeDrafts?: Array<{ resourceId: string; label: string; recommended: boolean }>;
  overridable: boolean;
}

export function makeCard(input: CardInput, issue: Omit<IssuedCard, 'uuid' | 'ruleId' | 'topic' | 'suggestions'>): { card: Card; issued: IssuedCard } {
  const suggestions: Suggestion[] = (input.removeDrafts ?? []).map((d) => ({
    label: `Remove the draft order for ${d.label}`.slice(0, 200),
    uuid: randomUUID(),
    ...(d.recommended ? { isRecommended: true } : {}),
    actions: [{ type: 'delete', description: `Remove the draft order for ${d.label}`, resourceId: d.resourceId }],
  }));
  const card: Card = {
    uuid: randomUUID(),
    summary: summaryOf(input.summary),
    detail: input.detail,
    indicator: input.indicator,
    source: { label: input.sourceLabel, url: input.sourceUrl, topic: { system: TOPIC_SYSTEM, code: String(input.topic), display: TOPICS[input.topic] } },
    ...(suggestions.length ? { suggestions, selectionBehavior: 'at-most-one' as const } : {}),
    ...(input.overridable ? { overrideReasons: OVERRIDE_REASONS } : {}),
  };
  return { card, issued: { ...issue, uuid: card.uuid, ruleId: input.ruleId, topic: String(input.topic), suggestions: suggestions.map((s) => s.uuid) } };
}
