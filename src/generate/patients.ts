/**
 * Patient demographics: age from a population pyramid, sex, culturally consistent names, a home
 * address near one of the region's towns, contact points, MRN and national identifiers — and the
 * near-duplicate second registrations that record-matching ($match) is meant to find.
 */
import type { Address, ContactPoint, Identifier, Patient } from '@medplum/fhirtypes';
import type { PatientContext } from './context';
import { ref } from './context';
import { NICKNAMES, personName, STATE, STREET_KINDS, STREET_NAMES, TOWN_WEIGHTS, TOWNS, type PersonName } from './names';
import { clinicianFor } from './organizations';
import { Random } from './random';
import { concept, SYSTEM } from './terminology';
import { date, dateTime, DAY, YEAR } from './time';

/**
 * The area deprivation decile of a home address (1 = least, 10 = most deprived postal area), as a
 * registration system records it after geocoding the address (in the way of the US Area
 * Deprivation Index, Kind & Buckingham, N Engl J Med 2018;378:2456-8, or England's IMD). It is a
 * property of the postal area, the same for everyone living there: a stream of its own per code.
 */
export const AREA_DEPRIVATION_URL = 'http://nimbus-fhir.org/fhir/StructureDefinition/area-deprivation-decile';

export function areaDeprivationDecile(seed: number, postalCode: string): number {
  return new Random('area-deprivation', seed, postalCode).int(1, 10);
}

/** Share of each 5-year age band (0–4 … 95–99) in the living population at `now`. */
const AGE_BANDS = [5.6, 5.9, 6.1, 6.3, 6.6, 6.9, 6.9, 6.6, 6.2, 6.0, 6.3, 6.5, 6.3, 5.6, 4.6, 3.3, 2.2, 1.3, 0.6, 0.2];
const BAND_INDEX = AGE_BANDS.map((_, i) => i);

export interface Demographics {
  name: PersonName;
  gender: NonNullable<Patient['gender']>;
  address: Address;
  telecom: ContactPoint[];
  mrn: Identifier;
  nationalId: Identifier;
  maritalStatus?: string;
}

/** Draws who the patient is; fills birth/sex/town/home clinician on the context. */
export function sampleDemographics(ctx: PatientContext): Demographics {
  const r = ctx.random;
  const band = r.weighted(BAND_INDEX, AGE_BANDS);
  const age = band * 5 + r.next() * 5;
  ctx.birth = Math.floor((ctx.now - age * YEAR) / DAY) * DAY;
  ctx.sex = r.chance(0.49) ? 'male' : 'female';
  // Administrative gender usually matches; a few people register other/unknown.
  const g = r.next();
  const gender = g < 0.003 ? 'other' : g < 0.004 ? 'unknown' : ctx.sex;
  ctx.town = r.weighted(TOWNS, TOWN_WEIGHTS);
  ctx.homeClinician = clinicianFor(ctx.directory, 'general', ctx.town, r);
  const name = personName(r, ctx.sex);
  const latitude = round6(ctx.town.latitude + r.normal(0, 0.03));
  const longitude = round6(ctx.town.longitude + r.normal(0, 0.04));
  const postalCode = `${ctx.town.postalPrefix}${String(r.int(1, 99)).padStart(2, '0')}`;
  ctx.home = { latitude, longitude };
  ctx.deprivationDecile = areaDeprivationDecile(ctx.seed, postalCode);
  const address: Address = {
    use: 'home',
    type: 'physical',
    line: [`${r.int(1, 9899)} ${r.pick(STREET_NAMES)} ${r.pick(STREET_KINDS)}`],
    city: ctx.town.name,
    state: STATE,
    postalCode,
    country: 'US',
    extension: [
      {
        url: 'http://hl7.org/fhir/StructureDefinition/geolocation',
        extension: [{ url: 'latitude', valueDecimal: latitude }, { url: 'longitude', valueDecimal: longitude }],
      },
      { url: AREA_DEPRIVATION_URL, valueInteger: ctx.deprivationDecile },
    ],
  };
  const telecom: ContactPoint[] = [];
  ctx.hasPhone = r.chance(0.93);
  if (ctx.hasPhone) telecom.push({ system: 'phone', value: `+1-${r.pick(['612', '651', '763', '952', '218'])}-555-${String(r.int(0, 9999)).padStart(4, '0')}`, use: r.chance(0.7) ? 'mobile' : 'home' });
  if (age >= 16 && r.chance(0.6)) telecom.push({ system: 'email', value: `${ascii(name.given[0])}.${ascii(name.family)}${r.int(1, 99)}@example.com`.toLowerCase(), use: 'home' });
  const site = ctx.homeClinician.site;
  const mrn: Identifier = {
    use: 'usual',
    type: concept(SYSTEM.identifierType, 'MR', 'Medical record number'),
    system: site.mrnSystem,
    value: `MRN${String(ctx.index * 7 + r.int(0, 6)).padStart(8, '0')}`,
  };
  // 999-xx-xxxx is never issued as a real US SSN, so synthetic values cannot collide with real ones.
  const nationalId: Identifier = {
    use: 'official',
    type: concept(SYSTEM.identifierType, 'SS', 'Social Security number'),
    system: SYSTEM.nationalId,
    value: `999-${String(ctx.index % 100).padStart(2, '0')}-${String(Math.floor(ctx.index / 100) % 10000).padStart(4, '0')}`,
  };
  let maritalStatus: string | undefined;
  if (age >= 18) maritalStatus = r.weighted(['M', 'S', 'D', 'W'], [50, 30, 12, age > 60 ? 15 : 1]);
  return { name, gender, address, telecom, mrn, nationalId, maritalStatus };
}

const MARITAL_DISPLAY: Record<string, string> = { M: 'Married', S: 'Never Married', D: 'Divorced', W: 'Widowed' };

export function patientResource(ctx: PatientContext, d: Demographics): Patient {
  const adult = (ctx.now - ctx.birth) / YEAR >= 18;
  const patient: Patient = {
    resourceType: 'Patient',
    id: ctx.patientId,
    identifier: [d.mrn, d.nationalId],
    active: ctx.death === undefined,
    name: [{ use: 'official', family: d.name.family, given: d.name.given, ...(adult ? { prefix: [ctx.sex === 'male' ? 'Mr.' : 'Ms.'] } : {}) }],
    ...(d.telecom.length ? { telecom: d.telecom } : {}),
    gender: d.gender,
    birthDate: date(ctx.birth),
    ...(ctx.death !== undefined ? { deceasedDateTime: dateTime(ctx.death) } : {}),
    address: [d.address],
    ...(d.maritalStatus ? { maritalStatus: concept('http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', d.maritalStatus, MARITAL_DISPLAY[d.maritalStatus]) } : {}),
    communication: [{ language: concept('urn:ietf:bcp:47', d.name.language), preferred: true }],
    generalPractitioner: [ref('Practitioner', ctx.homeClinician.practitionerId)],
    managingOrganization: ref('Organization', ctx.homeClinician.site.organizationId),
  };
  return patient;
}

export type DuplicateKind = 'typo' | 'nickname' | 'swapped-birth-date' | 'missing-phone';

/**
 * A second registration of the same person, as made at another desk: new MRN, and one of the
 * classic discrepancies. Returns the kind actually applied (a nickname needs a name that has one).
 */
export function duplicatePatient(ctx: PatientContext, original: Patient, d: Demographics): { patient: Patient; kind: DuplicateKind } {
  const r = ctx.random;
  const copy: Patient = structuredClone(original);
  copy.id = `${ctx.patientId}-b`;
  const otherSites = ctx.directory.sites.filter((s) => s !== ctx.homeClinician.site);
  const site = r.pick(otherSites);
  copy.identifier = [{ ...d.mrn, system: site.mrnSystem, value: `MRN${String(90000000 + ctx.index).padStart(8, '0')}` }];
  copy.managingOrganization = ref('Organization', site.organizationId);
  delete copy.generalPractitioner;
  const name = copy.name![0];
  const birth = copy.birthDate!;
  const [, month, day] = birth.split('-');
  const candidates: DuplicateKind[] = ['typo'];
  if (NICKNAMES[d.name.given[0]]) candidates.push('nickname');
  if (Number(day) <= 12 && day !== month) candidates.push('swapped-birth-date');
  if (copy.telecom?.some((t) => t.system === 'phone')) candidates.push('missing-phone');
  const kind = r.pick(candidates);
  switch (kind) {
    case 'typo':
      name.family = typo(name.family!, r.int(0, 1_000_000));
      break;
    case 'nickname':
      name.given = [NICKNAMES[d.name.given[0]]];
      break;
    case 'swapped-birth-date':
      copy.birthDate = `${birth.slice(0, 4)}-${day}-${month}`;
      break;
    case 'missing-phone':
      copy.telecom = copy.telecom!.filter((t) => t.system !== 'phone');
      if (copy.telecom.length === 0) delete copy.telecom;
      // Second registrations are often terse: no middle name either.
      name.given = name.given!.slice(0, 1);
      break;
  }
  return { patient: copy, kind };
}

/** One keying slip: swap two neighbours, drop, double or replace a letter. Always changes the text. */
export function typo(text: string, draw: number): string {
  const chars = [...text];
  const at = 1 + (draw % Math.max(1, chars.length - 2));
  const op = Math.floor(draw / 1000) % 4;
  if (op === 0 && chars[at] !== chars[at + 1] && at + 1 < chars.length) [chars[at], chars[at + 1]] = [chars[at + 1], chars[at]];
  else if (op === 1 && chars.length > 3) chars.splice(at, 1);
  else if (op === 2) chars.splice(at, 0, chars[at]);
  else chars[at] = chars[at] === 'e' ? 'a' : 'e';
  const result = chars.join('');
  return result === text ? `${text}e` : result;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function ascii(s: string): string {
  return s.normalize('NFD').replace(/[^A-Za-z]/g, '');
}
