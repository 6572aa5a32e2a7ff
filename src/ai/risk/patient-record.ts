// Reads what a score needs of one patient through the caller's door (ctx.data), so the access
// policy decides what the score may see: search plans built by the search layer, paged by the
// engines' cursors, and, for vital signs, only the latest Observation of each code (one `latest`
// statement in the database).
import type { Condition, Encounter, Observation, Patient, Resource } from '@medplum/fhirtypes';
import type { DataAccess } from '../../access/data-access';
import { parseStoredJson } from '../../fhir/json';
import { parseSearchQuery } from '../../search/parse-query';
import type { SearchServices } from '../../search/service';
import type { RiskModel } from './models';
import { VITAL_SIGN_CODES, VITAL_SIGN_SYSTEM } from './news2';
import type { PatientRecord, VitalSign } from './score';

export interface RecordReader {
  data: DataAccess;
  search: SearchServices;
  baseUrl: string;
}

function planOf(reader: RecordReader, type: string, query: Array<[string, string]>) {
  const { search } = reader;
  return parseSearchQuery(search.registry, query, {
    resourceTypes: [type],
    lenient: false,
    defaultCount: search.defaultCount,
    maxCount: search.maxCount,
    now: search.now(),
    baseUrl: reader.baseUrl,
    terminology: search.terminology,
    systemLevel: false,
  }).plan;
}

const hasAnyCode = (o: Observation, codes: string[]) =>
  [...(o.code?.coding ?? []), ...(o.component ?? []).flatMap((c) => c.code?.coding ?? [])].some((c) => c.system === VITAL_SIGN_SYSTEM && codes.includes(c.code ?? ''));

/** Every match of a search (paged inside the engine), optionally only the first `limit`. */
export async function searchResources<T extends Resource>(reader: RecordReader, type: string, query: Array<[string, string]>, limit = Infinity): Promise<T[]> {
  const { search } = reader;
  const plan = planOf(reader, type, query);
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await reader.data.search({ ...plan, count: Math.min(limit, search.maxCount), total: 'none', include: [], revinclude: [], ...(cursor ? { cursor } : {}) });
    for (const v of page.matches) out.push(parseStoredJson(v.json!) as T);
    cursor = page.nextCursor;
  } while (cursor && out.length < limit);
  return out.slice(0, limit === Infinity ? undefined : limit);
}

const clinicalTime = (o: Observation) => o.effectiveDateTime ?? o.effectiveInstant ?? o.effectivePeriod?.end ?? o.effectivePeriod?.start;

export async function readPatientRecord(reader: RecordReader, patient: Patient, asOf: Date, reads: RiskModel['reads']): Promise<PatientRecord> {
  const subject = `Patient/${patient.id}`;
  const until = asOf.toISOString();
  const record: PatientRecord = { patientId: patient.id!, birthDate: patient.birthDate, gender: patient.gender, asOf, conditions: [], encounters: [], vitals: {} };
  if (reads.conditions) record.conditions = await searchResources<Condition>(reader, 'Condition', [['patient', subject]]);
  if (reads.encounters) {
    const all = await searchResources<Encounter>(reader, 'Encounter', [['patient', subject]]);
    record.encounters = all.filter((e) => !e.period?.start || Date.parse(e.period.start) <= asOf.getTime());
  }
  if (reads.vitals) {
    // One statement for every parameter: the latest Observation per code (components included,
    // through combo-code) inside the database, then the latest per NEWS2 parameter here.
    const codes = Object.values(VITAL_SIGN_CODES).flat();
    const where = planOf(reader, 'Observation', [
      ['patient', subject],
      ['combo-code', codes.map((c) => `${VITAL_SIGN_SYSTEM}|${c}`).join(',')],
      ['date', `le${until}`],
      ['status', 'final,amended,corrected,preliminary'],
    ]).where;
    const found = await reader.data.latest({ resourceType: 'Observation', where, groupBy: 'combo-code', orderBy: 'date', max: 1 });
    const observations = found.map((v) => parseStoredJson(v.json!) as Observation);
    for (const [sign, signCodes] of Object.entries(VITAL_SIGN_CODES) as Array<[VitalSign, string[]]>) {
      const latest = observations
        .filter((o) => hasAnyCode(o, signCodes) && clinicalTime(o) !== undefined && Date.parse(clinicalTime(o)!) <= asOf.getTime())
        .sort((a, b) => Date.parse(clinicalTime(b)!) - Date.parse(clinicalTime(a)!) || (b.id ?? '').localeCompare(a.id ?? ''))[0];
      if (latest) record.vitals[sign] = latest;
    }
  }
  return record;
}
