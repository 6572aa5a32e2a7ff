/**
 * Patient feedback: one shared Questionnaire and the QuestionnaireResponses some patients return
 * after a visit. Answers depend on how long the patient waited, so service analytics can find the
 * relation between waiting time and satisfaction in the data.
 */
import type { Questionnaire, QuestionnaireResponse } from '@medplum/fhirtypes';
import type { PatientContext } from './context';
import { ref } from './context';
import type { Visit } from './encounters';
import { dateTime, HOUR } from './time';

export const FEEDBACK_QUESTIONNAIRE_URL = 'http://nimbus.example.org/fhir/Questionnaire/patient-feedback';

export function feedbackQuestionnaire(now: number): Questionnaire {
  return {
    resourceType: 'Questionnaire',
    id: 'patient-feedback',
    url: FEEDBACK_QUESTIONNAIRE_URL,
    version: '1',
    name: 'PatientFeedback',
    title: 'How was your visit?',
    status: 'active',
    subjectType: ['Patient'],
    date: dateTime(now - 3650 * 24 * HOUR),
    publisher: 'Nimbus FHIR example network',
    item: [
      { linkId: 'satisfaction', text: 'Overall, how satisfied are you with your visit? (1 = very unsatisfied, 5 = very satisfied)', type: 'integer', required: true },
      { linkId: 'wait-acceptable', text: 'Was the waiting time acceptable?', type: 'boolean', required: true },
      { linkId: 'recommend', text: 'How likely are you to recommend us to friends or family? (0–10)', type: 'integer', required: true },
      { linkId: 'comment', text: 'Anything else you would like to tell us?', type: 'string' },
    ],
  };
}

const COMMENTS_GOOD = ['Friendly staff.', 'The doctor took time to explain everything.', 'Quick and efficient.', 'Very clean clinic.'];
const COMMENTS_BAD = ['Waited far too long.', 'Nobody told me about the delay.', 'Hard to find parking.', 'Felt rushed.'];

export function recordFeedback(ctx: PatientContext, visit: Visit): void {
  const r = ctx.random;
  const wait = visit.waitMinutes ?? 15;
  const satisfaction = Math.max(1, Math.min(5, Math.round(5.2 - wait / 25 + r.normal(0, 0.8))));
  const recommend = Math.max(0, Math.min(10, Math.round(satisfaction * 2 + r.normal(0, 1.2))));
  const authored = Math.min(ctx.end, visit.end + r.uniform(1, 72) * HOUR);
  const item: QuestionnaireResponse['item'] = [
    { linkId: 'satisfaction', answer: [{ valueInteger: satisfaction }] },
    { linkId: 'wait-acceptable', answer: [{ valueBoolean: wait <= 20 }] },
    { linkId: 'recommend', answer: [{ valueInteger: recommend }] },
  ];
  if (r.chance(0.3)) item.push({ linkId: 'comment', answer: [{ valueString: r.pick(satisfaction >= 4 ? COMMENTS_GOOD : COMMENTS_BAD) }] });
  ctx.add<QuestionnaireResponse>({
    resourceType: 'QuestionnaireResponse',
    id: ctx.nextId('qr'),
    questionnaire: FEEDBACK_QUESTIONNAIRE_URL,
    status: 'completed',
    subject: ctx.patientRef,
    encounter: ref('Encounter', visit.id),
    authored: dateTime(authored),
    author: ctx.patientRef,
    source: ctx.patientRef,
    item,
  });
}
