/**
 * What a patient portal searches the directory by, beyond names and places: the languages
 * clinicians speak (Practitioner.communication), when roles and services are available
 * (availableTime), and each HealthcareService's category, type and languages (the union of its
 * clinicians'). Drawn from a stream of its own, so the rest of the directory is the same as before
 * these were added.
 */
import type { CodeableConcept, PractitionerRole } from '@medplum/fhirtypes';
import type { DirectoryResources, Specialty } from './organizations';
import { Random } from './random';
import { concept, SYSTEM } from './terminology';

const LANGUAGE_SYSTEM = 'urn:ietf:bcp:47';
/** Languages after English most spoken at home in the region the towns model, with weights. */
const SECOND_LANGUAGES: ReadonlyArray<[string, string, number]> = [
  ['es', 'Spanish', 30], ['so', 'Somali', 15], ['hmn', 'Hmong', 15], ['vi', 'Vietnamese', 10],
  ['zh', 'Chinese', 10], ['ar', 'Arabic', 8], ['ru', 'Russian', 7], ['fr', 'French', 5],
];

/** service-type codes (terminology.hl7.org CodeSystem/service-type) for each specialty. */
export const SERVICE_TYPES: Record<Specialty, [string, string]> = {
  general: ['124', 'General Practice'],
  cardiology: ['165', 'Cardiology'],
  endocrinology: ['169', 'Endocrinology'],
  pulmonology: ['184', 'Thoracic Medicine'],
  nephrology: ['176', 'Nephrology'],
  psychiatry: ['141', 'Psychiatry (Requires Referral)'],
  orthopedics: ['218', 'Orthopaedic Surgery'],
  emergency: ['117', 'Emergency Medical'],
  radiology: ['209', 'Diag. Radiology /Xray /CT /Fluoroscopy'],
  gastroenterology: ['170', 'Gastroenterology & Hepatology'],
};

const SERVICE_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/service-type';
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri'] as const;

function categoryOf(specialty: Specialty, hospital: boolean): CodeableConcept[] {
  if (!hospital) return [concept(SYSTEM.serviceCategory, '17', 'General Practice')];
  if (specialty === 'emergency') return [concept(SYSTEM.serviceCategory, '14', 'Emergency Department')];
  if (specialty === 'radiology') return [concept(SYSTEM.serviceCategory, '30', 'Specialist Radiology/Imaging')];
  if (specialty === 'general') return [concept(SYSTEM.serviceCategory, '35', 'Hospital')];
  return [concept(SYSTEM.serviceCategory, '27', 'Specialist Medical')];
}

export function addPortalDetails(res: DirectoryResources, seed: number): void {
  const random = new Random('directory-services', seed);
  const languagesOf = new Map<string, string[]>();
  for (const p of res.practitioners) {
    const codes = ['en'];
    const extra = random.chance(0.4) ? (random.chance(0.15) ? 2 : 1) : 0;
    while (codes.length < 1 + extra) {
      const [code] = random.weighted(SECOND_LANGUAGES, SECOND_LANGUAGES.map((l) => l[2]));
      if (!codes.includes(code)) codes.push(code);
    }
    p.communication = codes.map(language);
    languagesOf.set(`Practitioner/${p.id}`, codes);
  }
  const specialtyOfService = new Map<string, Specialty>();
  for (const s of res.services) specialtyOfService.set(`HealthcareService/${s.id}`, s.id!.split('-').slice(2).join('-') as Specialty);
  const serviceLanguages = new Map<string, Set<string>>();
  for (const role of res.roles) {
    const service = role.healthcareService?.[0]?.reference ?? '';
    const specialty = specialtyOfService.get(service);
    role.availableTime = availability(random, specialty);
    const set = serviceLanguages.get(service) ?? new Set<string>();
    for (const code of languagesOf.get(role.practitioner?.reference ?? '') ?? []) set.add(code);
    serviceLanguages.set(service, set);
  }
  const hospitals = new Set(res.locations.filter((l) => l.type?.some((t) => t.coding?.some((c) => c.code === 'HOSP'))).map((l) => `Location/${l.id}`));
  for (const s of res.services) {
    const key = `HealthcareService/${s.id}`;
    const specialty = specialtyOfService.get(key)!;
    const hospital = hospitals.has(s.location?.[0]?.reference ?? '');
    const [code, display] = SERVICE_TYPES[specialty];
    s.category = categoryOf(specialty, hospital);
    s.type = [concept(SERVICE_TYPE_SYSTEM, code, display)];
    const codes = [...(serviceLanguages.get(key) ?? new Set(['en']))];
    s.communication = ['en', ...codes.filter((c) => c !== 'en').sort()].map(language);
  }
}

function language(code: string): CodeableConcept {
  const display = code === 'en' ? 'English' : SECOND_LANGUAGES.find((l) => l[0] === code)![1];
  return { coding: [{ system: LANGUAGE_SYSTEM, code, display }], text: display };
}

/** Clinic hours of a role: weekdays, sometimes a day off or a Saturday morning; emergency always. */
function availability(random: Random, specialty: Specialty | undefined): PractitionerRole['availableTime'] {
  if (specialty === 'emergency') return [{ daysOfWeek: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], allDay: true }];
  const dayOff = random.chance(0.3) ? random.pick(WEEKDAYS) : undefined;
  const days = WEEKDAYS.filter((d) => d !== dayOff);
  const times: NonNullable<PractitionerRole['availableTime']> = [{ daysOfWeek: [...days], availableStartTime: '08:00:00', availableEndTime: '17:00:00' }];
  if (specialty === 'general' && random.chance(0.3)) times.push({ daysOfWeek: ['sat'], availableStartTime: '09:00:00', availableEndTime: '13:00:00' });
  return times;
}
