// `serve --demo[=N]`: a first start with something to show. When the store has no Patient yet,
// N generated patients (default 50; src/generate) are loaded before the server listens, with the
// clock at today, so the console's charts, dashboards (last 12 months) and free Slots (the next
// 14 days) all have data. A store that has patients is left alone.
import type { Resource } from '@medplum/fhirtypes';
import { BulkLoader, type LoadTotals } from '../bundles/bulk-load';
import { bundleContext } from '../bundles/context';
import { ConfigError } from '../config';
import { generatePatientRecords, type GeneratedItem } from '../generate';
import type { Server } from '../server';

export const DEMO_PATIENTS = 50;
const DEMO_SEED = 1;
const DEMO_YEARS = 5;

/** Splits `--demo`/`--demo=N` off the serve arguments; the rest go to loadConfig. */
export function takeDemoFlag(args: string[]): { demo?: number; rest: string[] } {
  let demo: number | undefined;
  const rest: string[] = [];
  for (const a of args) {
    const m = /^--demo(?:=(.*))?$/.exec(a);
    if (!m) {
      rest.push(a);
      continue;
    }
    if (m[1] === undefined) demo = DEMO_PATIENTS;
    else if (/^\d+$/.test(m[1]) && Number(m[1]) >= 1 && Number(m[1]) <= 10000) demo = Number(m[1]);
    else throw new ConfigError(`--demo=N takes a number of patients from 1 to 10000, got '${m[1]}'`);
  }
  return { demo, rest };
}

// Slots before what claims them (an Appointment write claims the Slots it references).
const FIRST = new Set(['Schedule', 'Slot']);
const slotsFirst = (list: Resource[]) => [...list.filter((r) => FIRST.has(r.resourceType)), ...list.filter((r) => !FIRST.has(r.resourceType))];

/** The demo's records: the shared directory with its free-slot grid, then each patient's record. */
export function demoRecords(patients: number, now: Date): Iterable<GeneratedItem> {
  return generatePatientRecords({ patients, seed: DEMO_SEED, years: DEMO_YEARS, now });
}

/** Loads the demo data unless a Patient is stored already; what was loaded, or undefined.
 * `records` defaults to the demo's own (a test on a slow engine passes a part of them). */
export async function loadDemoData(server: Pick<Server, 'systemContext'>, patients: number, say: (line: string) => void, now = new Date(), records: Iterable<GeneratedItem> = demoRecords(patients, now)): Promise<LoadTotals | undefined> {
  const system = server.systemContext();
  const existing = await system.data.scanPage({ resourceType: 'Patient', limit: 1 });
  if (existing.versions.some((v) => !v.deleted)) {
    say('demo: the store already has patients; no demo data loaded');
    return undefined;
  }
  say(`demo: loading ${patients} generated patients (${DEMO_YEARS} years of records up to today)…`);
  const started = performance.now();
  const loader = new BulkLoader(bundleContext(system, 'minimal'));
  let line = 0;
  // A slow store (FerretDB writes about a resource a second on a busy machine) takes minutes:
  // say how far it got, at most every 10 s, each time a chunk is written.
  let said = started;
  let saidLoaded = 0;
  for (const item of records) {
    for (const resource of slotsFirst(item.shared ?? item.patient.resources)) {
      await loader.add(resource, { file: 'demo', line: ++line });
      if (performance.now() - said >= 10_000 && loader.totals.loaded > saidLoaded) {
        said = performance.now();
        saidLoaded = loader.totals.loaded;
        say(`demo: ${loader.totals.loaded} resources loaded so far (${((said - started) / 1000).toFixed(0)} s)…`);
      }
    }
  }
  await loader.flush();
  const { loaded, failed } = loader.totals;
  say(`demo: ${loaded} resources loaded in ${((performance.now() - started) / 1000).toFixed(1)} s${failed ? `, ${failed} failed (first: ${loader.failures[0]?.reason})` : ''}`);
  return loader.totals;
}
