// The feedback endpoint (CDS Hooks 2.0 "Feedback"): what clinicians did with our cards, accepted
// (with the suggestions taken) or overridden (with the reason and comment), stored beside the rule
// that raised the card so that override rates per rule can be reviewed. Issued cards are kept for
// FEEDBACK_WINDOW_DAYS; feedback on a card this service did not issue (or that expired) is refused.
import { randomUUID } from 'node:crypto';
import type { SystemStore } from '../../storage/engine';
import type { IssuedCard } from './cards';
import { CdsError } from './hook-request';

export const ISSUED_CARDS = 'cds-issued-cards';
export const FEEDBACK = 'cds-feedback';
export const FEEDBACK_WINDOW_DAYS = 90;

export interface StoredFeedback {
  service: string;
  card: string;
  ruleId: string;
  topic: string;
  patientId: string;
  hookInstance: string;
  outcome: 'accepted' | 'overridden';
  acceptedSuggestions?: string[];
  overrideReason?: { reason?: { system?: string; code?: string; display?: string }; userComment?: string };
  outcomeTimestamp: string;
  receivedAt: string;
}

export async function storeIssuedCards(system: SystemStore, cards: IssuedCard[]): Promise<void> {
  // The SystemStore expires documents by the wall clock, so the window is counted on it too.
  const expiresAt = new Date(Date.now() + FEEDBACK_WINDOW_DAYS * 86_400_000).toISOString();
  await Promise.all(cards.map((c) => system.insert(ISSUED_CARDS, c.uuid, c, { expiresAt })));
}

const bad = (description: string) => new CdsError(400, 'invalid_request', description);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Checks the whole body first (nothing is stored from a body with one bad item), then stores each item. */
export async function receiveFeedback(system: SystemStore, service: string, body: unknown, now: Date): Promise<number> {
  if (!isObject(body) || !Array.isArray(body.feedback) || !body.feedback.length) throw bad('the body must be {"feedback": [ ... ]} with at least one item');
  if (body.feedback.length > 100) throw bad('at most 100 feedback items per request');
  const items: StoredFeedback[] = [];
  for (const [i, f] of body.feedback.entries()) {
    const at = `feedback[${i}]`;
    if (!isObject(f) || typeof f.card !== 'string' || !f.card) throw bad(`${at}.card is required: the card.uuid from the response`);
    if (f.outcome !== 'accepted' && f.outcome !== 'overridden') throw bad(`${at}.outcome must be "accepted" or "overridden"`);
    if (typeof f.outcomeTimestamp !== 'string' || !INSTANT.test(f.outcomeTimestamp) || Number.isNaN(Date.parse(f.outcomeTimestamp))) throw bad(`${at}.outcomeTimestamp is required: an ISO timestamp`);
    const issued = await system.get<IssuedCard>(ISSUED_CARDS, f.card);
    if (!issued || issued.value.service !== service) throw new CdsError(404, 'unknown_card', `${at}.card ${f.card.slice(0, 64)} was not issued by this service (or is older than ${FEEDBACK_WINDOW_DAYS} days)`);
    let acceptedSuggestions: string[] | undefined;
    if (f.outcome === 'accepted') {
      if (!Array.isArray(f.acceptedSuggestions) || !f.acceptedSuggestions.length || !f.acceptedSuggestions.every((s) => isObject(s) && typeof s.id === 'string')) {
        throw bad(`${at}.acceptedSuggestions is required for an accepted outcome: [{"id": "<suggestion uuid>"}]`);
      }
      acceptedSuggestions = f.acceptedSuggestions.map((s) => (s as { id: string }).id);
      const unknown = acceptedSuggestions.filter((id) => !issued.value.suggestions.includes(id));
      if (unknown.length) throw bad(`${at}.acceptedSuggestions names suggestions that are not on card ${f.card}: ${unknown.join(', ').slice(0, 200)}`);
    }
    let overrideReason: StoredFeedback['overrideReason'];
    if (f.overrideReason !== undefined) {
      if (f.outcome !== 'overridden') throw bad(`${at}.overrideReason is only for an overridden outcome`);
      const r = f.overrideReason;
      if (!isObject(r) || (r.reason !== undefined && !isObject(r.reason)) || (r.userComment !== undefined && typeof r.userComment !== 'string')) throw bad(`${at}.overrideReason must be {reason: Coding, userComment: string}`);
      const reason = r.reason as Record<string, unknown> | undefined;
      overrideReason = {
        ...(reason ? { reason: { system: String(reason.system ?? ''), code: String(reason.code ?? ''), ...(reason.display ? { display: String(reason.display) } : {}) } } : {}),
        ...(typeof r.userComment === 'string' ? { userComment: r.userComment.slice(0, 2000) } : {}),
      };
    }
    items.push({
      service, card: f.card, ruleId: issued.value.ruleId, topic: issued.value.topic, patientId: issued.value.patientId, hookInstance: issued.value.hookInstance,
      outcome: f.outcome, ...(acceptedSuggestions ? { acceptedSuggestions } : {}), ...(overrideReason ? { overrideReason } : {}),
      outcomeTimestamp: f.outcomeTimestamp, receivedAt: now.toISOString(),
    });
  }
  for (const item of items) await system.insert(FEEDBACK, `${service}|${item.card}|${item.receivedAt}|${randomUUID()}`, item);
  return items.length;
}
