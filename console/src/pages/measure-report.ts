// Reading MeasureReports from $evaluate-measure into what the dashboards draw: per group the
// population counts and score, and per stratifier the score and counts of each stratum, all as the
// server reported them (nothing is recomputed here). Strata are named for people: references by
// the name of what they point to, codes by the display their resources carry, months as they are.
import { fhir, resources } from '../fhir';
import { humanName } from '../ui';

export const POPULATION = 'http://terminology.hl7.org/CodeSystem/measure-population';

export interface StratumFigures {
  /** The stratum's value as the server wrote it (`system|code` or text): stable across reports. */
  key: string;
  label: string;
  score?: number;
  counts: Record<string, number>;
}

export interface StratifierFigures {
  id: string;
  /** What the strata are by, e.g. "service type". */
  title: string;
  /** Months (`YYYY-MM`) are drawn over time; everything else as categories. */
  byMonth: boolean;
  strata: StratumFigures[];
}

export interface GroupFigures {
  id: string;
  counts: Record<string, number>;
  score?: number;
  stratifiers: StratifierFigures[];
}

export function countsOf(populations: any[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of populations ?? []) out[p.code?.coding?.find((c: any) => c.system === POPULATION)?.code ?? '?'] = p.count;
  return out;
}

export function stratumKey(value: any): string {
  const c = value?.coding?.[0];
  return c ? `${c.system ?? ''}|${c.code}` : (value?.text ?? '?');
}

const MONTH = /^\d{4}-\d{2}$/;

/** The groups of one report, strata labelled by their key until `labelStrata` names them. */
export function groupsOf(report: any): GroupFigures[] {
  return (report.group ?? []).map((g: any, gi: number) => ({
    id: g.id ?? `group ${gi + 1}`,
    counts: countsOf(g.population),
    score: g.measureScore?.value,
    stratifiers: (g.stratifier ?? []).map((s: any, si: number) => {
      const strata: StratumFigures[] = (s.stratum ?? []).map((st: any) => ({
        key: stratumKey(st.value),
        label: st.value?.text ?? st.value?.coding?.[0]?.display ?? st.value?.coding?.[0]?.code ?? '?',
        score: st.measureScore?.value,
        counts: countsOf(st.population),
      }));
      return {
        id: s.id ?? `stratifier ${si + 1}`,
        title: s.code?.[0]?.text ?? s.code?.[0]?.coding?.[0]?.display ?? s.id ?? 'stratum',
        byMonth: strata.length > 0 && strata.every((st) => MONTH.test(st.key)),
        strata,
      };
    }),
  }));
}

/** The score of the stratum `key` of stratifier `stratifierId` in a report's group `gi`. */
export function stratumScore(report: any, gi: number, stratifierId: string, key: string): number | undefined {
  const s = (report.group?.[gi]?.stratifier ?? []).find((x: any, si: number) => (x.id ?? `stratifier ${si + 1}`) === stratifierId);
  return s?.stratum?.find((st: any) => stratumKey(st.value) === key)?.measureScore?.value;
}

// Names found once per page load: the same schedules and codes come back for every period.
const names = new Map<string, string>();

// Genders read well as their codes.
const GENDER = 'http://hl7.org/fhir/administrative-gender|';
const REFERENCE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

function nameOf(r: any, included: Map<string, any>): string | undefined {
  if (r.resourceType === 'Schedule') {
    // A schedule is its practitioner's (or its place's) and its service.
    const actor = (r.actor ?? []).map((a: any) => included.get(a.reference)).find(Boolean);
    const who = actor ? (actor.resourceType === 'Practitioner' ? humanName(actor) : actor.name) : undefined;
    const what = r.serviceType?.[0]?.coding?.[0]?.display ?? r.serviceType?.[0]?.text;
    return [who, what].filter(Boolean).join(' · ') || r.comment;
  }
  if (r.resourceType === 'Patient' || r.resourceType === 'Practitioner') return humanName(r);
  return r.name ?? r.title;
}

async function nameReferences(refs: string[]): Promise<void> {
  const byType = new Map<string, string[]>();
  for (const ref of refs) {
    const m = REFERENCE.exec(ref);
    if (m && !names.has(ref)) byType.set(m[1], [...(byType.get(m[1]) ?? []), m[2]]);
  }
  await Promise.all(
    [...byType].map(async ([type, ids]) => {
      for (let i = 0; i < ids.length; i += 50) {
        const chunk = ids.slice(i, i + 50);
        const include = type === 'Schedule' ? '&_include=Schedule:actor' : '';
        const bundle = await fhir(`${type}?_id=${chunk.map(encodeURIComponent).join(',')}&_count=${chunk.length}${include}`);
        const all: any[] = (bundle.entry ?? []).map((e: any) => e.resource).filter(Boolean);
        const included = new Map(all.map((r) => [`${r.resourceType}/${r.id}`, r]));
        for (const r of all) {
          if (r.resourceType !== type) continue;
          const name = nameOf(r, included);
          if (name) names.set(`${type}/${r.id}`, name);
        }
      }
    }),
  );
}

/** The display of `key` (`system|code`) at `path` (e.g. `Appointment.serviceType`), from one
 * resource that carries the code: the server reports a stratum by system and code only. The
 * search parameter is the element's name in kebab case, FHIR's convention; lenient handling, and
 * the check that the coding found is the one asked for, keep a parameter that does not exist from
 * naming anything. */
async function nameCode(path: string, key: string): Promise<void> {
  const m = /^([A-Z][A-Za-z]+)\.([a-z][A-Za-z]*)$/.exec(path);
  if (!m || names.has(key)) return;
  const [, type, element] = m;
  const param = element.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const found: any[] = resources(await fhir(`${type}?${param}=${encodeURIComponent(key)}&_count=1&_elements=${element}`, { headers: { Prefer: 'handling=lenient' } }));
  for (const r of found) {
    const value = r[element];
    for (const concept of Array.isArray(value) ? value : [value]) {
      for (const c of concept?.coding ?? (concept?.code ? [concept] : [])) if (c.display && `${c.system ?? ''}|${c.code}` === key) names.set(key, c.display);
    }
  }
}

/** Names the strata of `groups` in place (references and codes; months and bands are readable). */
export async function labelStrata(measure: any, groups: GroupFigures[]): Promise<void> {
  const refs = new Set<string>();
  const codes = new Map<string, string>();
  groups.forEach((g, gi) =>
    g.stratifiers.forEach((s, si) => {
      for (const st of s.strata) {
        if (REFERENCE.test(st.key)) refs.add(st.key);
        else if (st.key.includes('|') && !st.key.startsWith(GENDER) && !names.has(st.key)) {
          const expression = measure.group?.[gi]?.stratifier?.[si]?.criteria?.expression;
          if (typeof expression === 'string') codes.set(st.key, expression);
        }
      }
    }),
  );
  await Promise.all([nameReferences([...refs]), ...[...codes].map(([key, path]) => nameCode(path, key))]);
  for (const g of groups) {
    for (const s of g.stratifiers) {
      for (const st of s.strata) {
        const name = names.get(st.key);
        if (name) st.label = name;
        else if (st.key.includes('|')) st.label = st.label.charAt(0).toUpperCase() + st.label.slice(1);
      }
    }
  }
}
