/**
 * AllergyIntolerance: about one person in five has one or two recorded allergies, coded in SNOMED
 * CT with a typical reaction. Penicillin allergy feeds back into prescribing (see medications.ts).
 */
import type { AllergyIntolerance } from '@medplum/fhirtypes';
import type { PatientContext } from './context';
import { ref } from './context';
import { concept, SYSTEM } from './terminology';
import { dateTime, DAY, YEAR } from './time';

type AllergyCategory = 'food' | 'medication' | 'environment' | 'biologic';

const ALLERGENS: Array<{ code: string; display: string; category: AllergyCategory; reaction: [string, string]; weight: number }> = [
  { code: '91936005', display: 'Allergy to penicillin', category: 'medication', reaction: ['271807003', 'Eruption of skin'], weight: 25 },
  { code: '294505008', display: 'Allergy to sulfonamide', category: 'medication', reaction: ['271807003', 'Eruption of skin'], weight: 8 },
  { code: '91935009', display: 'Allergy to peanut', category: 'food', reaction: ['39579001', 'Anaphylaxis'], weight: 10 },
  { code: '300913006', display: 'Shellfish allergy', category: 'food', reaction: ['247472004', 'Wheal'], weight: 9 },
  { code: '300916003', display: 'Latex allergy', category: 'environment', reaction: ['247472004', 'Wheal'], weight: 5 },
  { code: '232350006', display: 'House dust mite allergy', category: 'environment', reaction: ['76067001', 'Sneezing'], weight: 15 },
  { code: '418689008', display: 'Allergy to grass pollen', category: 'environment', reaction: ['76067001', 'Sneezing'], weight: 20 },
  { code: '424213003', display: 'Allergy to bee venom', category: 'environment', reaction: ['39579001', 'Anaphylaxis'], weight: 6 },
];
const WEIGHTS = ALLERGENS.map((a) => a.weight);

/** Records allergies; returns true when penicillin is among them. */
export function recordAllergies(ctx: PatientContext): boolean {
  const r = ctx.random;
  if (!r.chance(0.2)) return false;
  const count = r.chance(0.25) ? 2 : 1;
  const chosen = new Set<(typeof ALLERGENS)[number]>();
  for (let i = 0; i < count; i++) chosen.add(r.weighted(ALLERGENS, WEIGHTS));
  let penicillin = false;
  for (const a of chosen) {
    penicillin ||= a.code === '91936005';
    const onset = ctx.birth + r.uniform(1, Math.max(1.5, Math.min(25, (ctx.end - ctx.birth) / YEAR))) * YEAR;
    const recorded = Math.max(onset, ctx.start) + r.int(0, 60) * DAY;
    const severe = a.reaction[0] === '39579001';
    ctx.add<AllergyIntolerance>({
      resourceType: 'AllergyIntolerance',
      id: ctx.nextId('allergy'),
      clinicalStatus: concept(SYSTEM.allergyClinical, 'active', 'Active'),
      verificationStatus: r.chance(0.85) ? concept(SYSTEM.allergyVerification, 'confirmed', 'Confirmed') : concept(SYSTEM.allergyVerification, 'unconfirmed', 'Unconfirmed'),
      type: 'allergy',
      category: [a.category],
      criticality: severe ? 'high' : 'low',
      code: concept(SYSTEM.snomed, a.code, a.display, a.display),
      patient: ctx.patientRef,
      onsetDateTime: dateTime(Math.min(onset, ctx.end)),
      recordedDate: dateTime(Math.min(recorded, ctx.end)),
      recorder: ref('Practitioner', ctx.homeClinician.practitionerId),
      reaction: [{ manifestation: [concept(SYSTEM.snomed, a.reaction[0], a.reaction[1], a.reaction[1])], severity: severe ? 'severe' : 'mild' }],
    });
  }
  return penicillin;
}
