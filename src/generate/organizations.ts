/**
 * The shared care directory: hospitals and clinics (Organization), their sites with coordinates
 * (Location), clinicians (Practitioner + PractitionerRole), departments (HealthcareService) and one
 * Schedule per bookable clinician. Patient records only point into it, so it is written first.
 */
import type { HealthcareService, Location, Organization, Practitioner, PractitionerRole, Schedule } from '@medplum/fhirtypes';
import { personName, STATE, TOWNS, type Town } from './names';
import { addPortalDetails } from './directory-services';
import { Random } from './random';
import { concept, SYSTEM } from './terminology';

export type Specialty =
  | 'general' | 'cardiology' | 'endocrinology' | 'pulmonology' | 'nephrology' | 'psychiatry'
  | 'orthopedics' | 'emergency' | 'radiology' | 'gastroenterology';

/** SNOMED CT practice-setting codes for each specialty. */
export const SPECIALTY_CODES: Record<Specialty, [string, string]> = {
  general: ['394814009', 'General practice'],
  cardiology: ['394579002', 'Cardiology'],
  endocrinology: ['394583002', 'Endocrinology'],
  pulmonology: ['418112009', 'Pulmonary medicine'],
  nephrology: ['394589003', 'Nephrology'],
  psychiatry: ['394587001', 'Psychiatry'],
  orthopedics: ['394801008', 'Trauma and orthopedics'],
  emergency: ['773568002', 'Emergency medicine'],
  radiology: ['394914008', 'Radiology'],
  gastroenterology: ['394584008', 'Gastroenterology'],
};

export interface CareSite {
  organizationId: string;
  locationId: string;
  name: string;
  kind: 'hospital' | 'clinic';
  town: Town;
  /** Patients' medical record numbers at this organization use this system. */
  mrnSystem: string;
}

export interface Clinician {
  practitionerId: string;
  roleId: string;
  /** Bookable clinicians have a Schedule; emergency physicians see walk-ins only. */
  scheduleId?: string;
  site: CareSite;
  specialty: Specialty;
}

export interface DirectoryResources {
  organizations: Organization[];
  locations: Location[];
  practitioners: Practitioner[];
  roles: PractitionerRole[];
  services: HealthcareService[];
  schedules: Schedule[];
}

export interface Directory {
  sites: CareSite[];
  clinicians: Clinician[];
  resources: DirectoryResources;
}

const SITE_PLAN: ReadonlyArray<{ name: string; kind: 'hospital' | 'clinic'; town: string; slug: string }> = [
  { name: 'Northbridge General Hospital', kind: 'hospital', town: 'Northbridge', slug: 'northbridge-general' },
  { name: 'Riverton Medical Center', kind: 'hospital', town: 'Riverton', slug: 'riverton-medical' },
  { name: 'Harbor Point Regional Hospital', kind: 'hospital', town: 'Harbor Point', slug: 'harbor-point-regional' },
  { name: 'Cedar Falls Family Clinic', kind: 'clinic', town: 'Cedar Falls', slug: 'cedar-falls-clinic' },
  { name: 'Lakeshore Community Health Center', kind: 'clinic', town: 'Lakeshore', slug: 'lakeshore-chc' },
  { name: 'Millbrook Primary Care', kind: 'clinic', town: 'Millbrook', slug: 'millbrook-primary' },
  { name: 'Pinewood Family Practice', kind: 'clinic', town: 'Pinewood', slug: 'pinewood-family' },
  { name: 'Oak Prairie Clinic', kind: 'clinic', town: 'Oak Prairie', slug: 'oak-prairie-clinic' },
];

const HOSPITAL_STAFF: ReadonlyArray<[Specialty, number]> = [
  ['general', 2], ['cardiology', 2], ['endocrinology', 1], ['pulmonology', 1], ['nephrology', 1],
  ['psychiatry', 1], ['orthopedics', 1], ['emergency', 2], ['radiology', 1], ['gastroenterology', 1],
];

export function buildDirectory(seed: number): Directory {
  const random = new Random('directory', seed);
  const sites: CareSite[] = [];
  const clinicians: Clinician[] = [];
  const res: DirectoryResources = { organizations: [], locations: [], practitioners: [], roles: [], services: [], schedules: [] };

  SITE_PLAN.forEach((plan, i) => {
    const town = TOWNS.find((t) => t.name === plan.town) ?? TOWNS[0];
    const site: CareSite = {
      organizationId: `org-${i + 1}`,
      locationId: `loc-${i + 1}`,
      name: plan.name,
      kind: plan.kind,
      town,
      mrnSystem: `http://${plan.slug}.example.org/mrn`,
    };
    sites.push(site);
    const phone = `+1-612-555-${String(1000 + i * 37).padStart(4, '0')}`;
    const address = { use: 'work' as const, line: [`${100 + i * 11} ${plan.kind === 'hospital' ? 'Hospital' : 'Main'} Street`], city: town.name, state: STATE, postalCode: `${town.postalPrefix}${String(10 + i).padStart(2, '0')}`, country: 'US' };
    // Clinics belong to the nearest hospital's network, which is what referrals follow.
    const parent = plan.kind === 'clinic' ? nearestHospital(sites, town) : undefined;
    res.organizations.push({
      resourceType: 'Organization',
      id: site.organizationId,
      identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: String(1000000000 + (i + 1) * 7919) }],
      active: true,
      type: [concept(SYSTEM.organizationType, 'prov', 'Healthcare Provider')],
      name: plan.name,
      telecom: [{ system: 'phone', value: phone, use: 'work' }],
      address: [address],
      ...(parent ? { partOf: { reference: `Organization/${parent.organizationId}`, display: parent.name } } : {}),
    });
    res.locations.push({
      resourceType: 'Location',
      id: site.locationId,
      status: 'active',
      name: `${plan.name} — main site`,
      mode: 'instance',
      type: [plan.kind === 'hospital' ? concept(SYSTEM.locationType, 'HOSP', 'Hospital') : concept(SYSTEM.locationType, 'OF', 'Outpatient facility')],
      telecom: [{ system: 'phone', value: phone }],
      address,
      // Sites sit a little off the town centre so distances between sites are not all zero.
      position: { latitude: round(town.latitude + random.uniform(-0.02, 0.02), 6), longitude: round(town.longitude + random.uniform(-0.02, 0.02), 6) },
      managingOrganization: { reference: `Organization/${site.organizationId}` },
    });

    const staff: ReadonlyArray<[Specialty, number]> = plan.kind === 'hospital' ? HOSPITAL_STAFF : [['general', 3]];
    for (const [specialty, count] of staff) {
      for (let k = 0; k < count; k++) addClinician(random, res, clinicians, site, specialty);
      const [code, display] = SPECIALTY_CODES[specialty];
      res.services.push({
        resourceType: 'HealthcareService',
        id: `hcs-${i + 1}-${specialty}`,
        active: true,
        providedBy: { reference: `Organization/${site.organizationId}` },
        specialty: [concept(SYSTEM.snomed, code, display)],
        location: [{ reference: `Location/${site.locationId}` }],
        name: `${display} — ${plan.name}`,
        telecom: [{ system: 'phone', value: phone }],
        appointmentRequired: specialty !== 'emergency',
        availableTime: specialty === 'emergency'
          ? [{ allDay: true, daysOfWeek: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] }]
          : [{ daysOfWeek: ['mon', 'tue', 'wed', 'thu', 'fri'], availableStartTime: '08:00:00', availableEndTime: '17:00:00' }],
      });
    }
  });
  addPortalDetails(res, seed);
  return { sites, clinicians, resources: res };
}

function addClinician(random: Random, res: DirectoryResources, clinicians: Clinician[], site: CareSite, specialty: Specialty): void {
  const n = res.practitioners.length + 1;
  const gender = random.chance(0.5) ? 'female' : 'male';
  const name = personName(random, gender);
  const practitionerId = `pract-${n}`;
  const roleId = `prole-${n}`;
  const [code, display] = SPECIALTY_CODES[specialty];
  res.practitioners.push({
    resourceType: 'Practitioner',
    id: practitionerId,
    identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: String(1200000000 + n * 104729) }],
    active: true,
    name: [{ use: 'official', family: name.family, given: name.given, prefix: ['Dr.'] }],
    telecom: [{ system: 'email', value: `${ascii(name.given[0])}.${ascii(name.family)}.${n}@${site.mrnSystem.split('/')[2]}`.toLowerCase(), use: 'work' }],
    gender,
    qualification: [{ code: concept('http://terminology.hl7.org/CodeSystem/v2-0360', 'MD', 'Doctor of Medicine') }],
  });
  const bookable = specialty !== 'emergency';
  const scheduleId = bookable ? `sched-${n}` : undefined;
  res.roles.push({
    resourceType: 'PractitionerRole',
    id: roleId,
    active: true,
    practitioner: { reference: `Practitioner/${practitionerId}`, display: `Dr. ${name.given[0]} ${name.family}` },
    organization: { reference: `Organization/${site.organizationId}` },
    code: [concept(SYSTEM.practitionerRole, 'doctor', 'Doctor')],
    specialty: [concept(SYSTEM.snomed, code, display)],
    location: [{ reference: `Location/${site.locationId}` }],
    healthcareService: [{ reference: `HealthcareService/hcs-${site.organizationId.slice(4)}-${specialty}` }],
  });
  if (scheduleId) {
    res.schedules.push({
      resourceType: 'Schedule',
      id: scheduleId,
      active: true,
      serviceType: [concept(SYSTEM.snomed, code, display)],
      specialty: [concept(SYSTEM.snomed, code, display)],
      actor: [{ reference: `Practitioner/${practitionerId}` }, { reference: `Location/${site.locationId}` }],
      comment: `${display} consultations`,
    });
  }
  clinicians.push({ practitionerId, roleId, scheduleId, site, specialty });
}

function nearestHospital(sites: CareSite[], town: Town): CareSite {
  let best = sites[0];
  let bestDistance = Infinity;
  for (const s of sites) {
    if (s.kind !== 'hospital') continue;
    const d = (s.town.latitude - town.latitude) ** 2 + (s.town.longitude - town.longitude) ** 2;
    if (d < bestDistance) {
      best = s;
      bestDistance = d;
    }
  }
  return best;
}

/** Closest site offering the specialty, so patients are cared for near home as in real networks. */
export function clinicianFor(directory: Directory, specialty: Specialty, town: Town, random: Random): Clinician {
  let bestDistance = Infinity;
  let candidates: Clinician[] = [];
  for (const c of directory.clinicians) {
    if (c.specialty !== specialty) continue;
    const d = (c.site.town.latitude - town.latitude) ** 2 + (c.site.town.longitude - town.longitude) ** 2;
    if (d < bestDistance - 1e-9) {
      bestDistance = d;
      candidates = [c];
    } else if (Math.abs(d - bestDistance) <= 1e-9) candidates.push(c);
  }
  return random.pick(candidates);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function ascii(s: string): string {
  return s.normalize('NFD').replace(/[^A-Za-z]/g, '');
}
