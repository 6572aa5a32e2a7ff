/**
 * Immunizations (CVX): the childhood schedule by age, seasonal influenza with age-dependent uptake,
 * the 2021 COVID-19 primary series, adult Tdap boosters, zoster at 50+ and pneumococcal at 65.
 */
import type { Immunization } from '@medplum/fhirtypes';
import type { PatientContext } from './context';
import { ref } from './context';
import { concept, SYSTEM } from './terminology';
import { clinicTime, dateTime, DAY, YEAR } from './time';

const VACCINES = {
  hepB: ['08', 'hepatitis B vaccine, pediatric or pediatric/adolescent dosage'],
  dtap: ['20', 'DTaP'],
  ipv: ['10', 'IPV'],
  mmr: ['03', 'MMR'],
  varicella: ['21', 'varicella'],
  hpv: ['165', 'Human Papillomavirus 9-valent vaccine'],
  influenza: ['140', 'Influenza, seasonal, injectable, preservative free'],
  covid: ['208', 'COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose'],
  tdap: ['115', 'Tdap'],
  zoster: ['187', 'zoster vaccine recombinant'],
  pneumococcal: ['33', 'pneumococcal polysaccharide vaccine, 23 valent'],
} as const;
type Vaccine = keyof typeof VACCINES;

/** Ages (years) at which each childhood dose is due. */
const CHILDHOOD: Array<[Vaccine, number[]]> = [
  ['hepB', [0, 1 / 12, 0.5]],
  ['dtap', [2 / 12, 4 / 12, 6 / 12, 1.25, 4.5]],
  ['ipv', [2 / 12, 4 / 12, 0.5, 4.5]],
  ['mmr', [1, 4.5]],
  ['varicella', [1, 4.5]],
  ['hpv', [11.5, 12]],
];

export function recordImmunizations(ctx: PatientContext): void {
  const r = ctx.random;
  const give = (vaccine: Vaccine, at: number) => {
    if (at < ctx.start || at > ctx.end) return;
    const [code, display] = VACCINES[vaccine];
    const when = clinicTime(at, r.int(9, 16), r.int(0, 3) * 15);
    if (when > ctx.end) return;
    ctx.add<Immunization>({
      resourceType: 'Immunization',
      id: ctx.nextId('imm'),
      status: 'completed',
      vaccineCode: concept(SYSTEM.cvx, code, display, display),
      patient: ctx.patientRef,
      occurrenceDateTime: dateTime(when),
      primarySource: true,
      location: ref('Location', ctx.homeClinician.site.locationId),
      lotNumber: `${code.padStart(3, '0')}${String.fromCharCode(65 + r.int(0, 25))}${r.int(1000, 9999)}`,
      performer: [{ actor: ref('Practitioner', ctx.homeClinician.practitionerId) }],
    });
  };
  const ageOn = (at: number) => (at - ctx.birth) / YEAR;

  for (const [vaccine, ages] of CHILDHOOD) {
    // Most families follow the schedule; a few skip a vaccine altogether.
    if (!r.chance(vaccine === 'hpv' ? 0.6 : 0.92)) continue;
    for (const age of ages) give(vaccine, ctx.birth + age * YEAR + r.int(0, 30) * DAY);
  }

  const firstYear = new Date(ctx.start).getUTCFullYear();
  const lastYear = new Date(ctx.end).getUTCFullYear();
  for (let year = firstYear; year <= lastYear; year++) {
    const season = Date.UTC(year, 9, 1) + r.int(0, 70) * DAY;
    const age = ageOn(season);
    const uptake = age < 0.5 ? 0 : age < 5 ? 0.6 : age < 18 ? 0.45 : age < 50 ? 0.32 : age < 65 ? 0.48 : 0.7;
    if (r.chance(uptake)) give('influenza', season);
    if (age >= 19 && r.chance(0.035)) give('tdap', season + r.int(-200, -20) * DAY);
    if (year === 2021 && age >= 12 && r.chance(0.65)) {
      const first = Date.UTC(2021, 2, 1) + r.int(0, 120) * DAY;
      give('covid', first);
      give('covid', first + 21 * DAY);
    }
  }
  const at50 = ctx.birth + 50 * YEAR + r.int(0, 3 * 365) * DAY;
  if (r.chance(0.35)) {
    give('zoster', at50);
    give('zoster', at50 + r.int(60, 180) * DAY);
  }
  if (r.chance(0.65)) give('pneumococcal', ctx.birth + 65 * YEAR + r.int(0, 365) * DAY);
}
