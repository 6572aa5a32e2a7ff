/**
 * The per-patient working state every clinical module writes into: the patient's random stream,
 * deterministic client ids, the resources emitted so far and the facts later modules depend on
 * (birth, sex, home town, care team, the observation window).
 */
import type { Reference, Resource } from '@medplum/fhirtypes';
import type { Directory, Clinician } from './organizations';
import type { Town } from './names';
import type { Random } from './random';

export type Sex = 'female' | 'male';

export class PatientContext {
  readonly resources: Resource[] = [];
  private readonly counters = new Map<string, number>();

  constructor(
    /** 1-based patient number; its zero-padded form keys every id of this record. */
    readonly index: number,
    readonly random: Random,
    readonly directory: Directory,
    /** Fixed clock: nothing in the record happens after it. */
    readonly now: number,
    /** Earliest time the record covers (now − years). */
    readonly horizon: number,
    /** The generator's seed, for streams of their own (see orders.ts). */
    readonly seed = 0,
  ) {
    this.key = String(index).padStart(6, '0');
    this.patientId = `pat-${this.key}`;
  }

  readonly key: string;
  readonly patientId: string;
  birth = 0;
  /** Biological sex drives prevalence and lab reference ranges; administrative gender may differ. */
  sex: Sex = 'female';
  town!: Town;
  homeClinician!: Clinician;
  /** Time of death, or undefined while alive at `now`. */
  death: number | undefined;
  /** Home coordinates (the address's geolocation), for the distance to a clinic. */
  home = { latitude: 0, longitude: 0 };
  /** Area deprivation decile of the home postal area (1 least, 10 most deprived). */
  deprivationDecile = 5;
  /** Whether a phone number is on file (appointment reminders need one). */
  hasPhone = true;

  /** First instant this record can contain an event (later of horizon and birth). */
  get start(): number {
    return Math.max(this.horizon, this.birth);
  }

  /** Last instant this record can contain an event (earlier of now and death). */
  get end(): number {
    return this.death ?? this.now;
  }

  get patientRef(): LiteralReference {
    return { reference: `Patient/${this.patientId}` };
  }

  /** Next id for a prefix within this patient, e.g. obs-000001-0003. */
  nextId(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    return `${prefix}-${this.key}-${String(n).padStart(4, '0')}`;
  }

  add<T extends Resource>(resource: T): T {
    this.resources.push(resource);
    return resource;
  }
}

/**
 * A literal reference. Typed `Reference<never>` so it fits any Medplum `Reference<T>` slot: the
 * generator never embeds the target (`resource`), only the `Type/id` string.
 */
export type LiteralReference = Reference<never>;

export function ref(type: string, id: string): LiteralReference {
  return { reference: `${type}/${id}` };
}
