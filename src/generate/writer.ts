/**
 * Output sinks. Both write one patient at a time and wait for 'drain' when a stream's buffer is
 * full, so memory stays flat however many patients are generated.
 *  - ndjson:  <out>/<Type>.ndjson, one resource per line (shared resources first);
 *  - bundles: <out>/shared.json, then <out>/patient-000001.json … (transaction Bundles).
 * Both also write <out>/truth/duplicates.ndjson.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Identifier, Patient, Resource } from '@medplum/fhirtypes';
import { patientBundle, sharedBundle } from './bundles';
import type { PatientRecord } from './record';

export interface RecordSink {
  writeShared(resources: readonly Resource[]): Promise<void>;
  writePatient(index: number, record: PatientRecord): Promise<void>;
  /** Flushes and closes everything; returns the files written, in creation order. */
  close(): Promise<string[]>;
}

async function write(stream: WriteStream, chunk: string): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

async function end(stream: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}

/** The duplicates truth file: ids for NDJSON loads, MRNs for bundle loads (where ids are reassigned). */
class TruthFile {
  private readonly stream: WriteStream;
  readonly path: string;

  constructor(outDir: string) {
    this.path = join(outDir, 'truth', 'duplicates.ndjson');
    this.stream = createWriteStream(this.path);
  }

  async add(record: PatientRecord): Promise<void> {
    if (!record.duplicate) return;
    const mrn = (id: string) => {
      const p = record.resources.find((r): r is Patient => r.resourceType === 'Patient' && `Patient/${r.id}` === id);
      const i: Identifier | undefined = p?.identifier?.find((x) => x.type?.coding?.[0]?.code === 'MR');
      return i ? `${i.system}|${i.value}` : undefined;
    };
    const { a, b, kind } = record.duplicate;
    await write(this.stream, JSON.stringify({ a, b, kind, aMrn: mrn(a), bMrn: mrn(b) }) + '\n');
  }

  close(): Promise<void> {
    return end(this.stream);
  }
}

export class NdjsonSink implements RecordSink {
  private readonly streams = new Map<string, WriteStream>();
  private readonly files: string[] = [];
  private truth!: TruthFile;

  private constructor(private readonly outDir: string) {}

  static async open(outDir: string): Promise<NdjsonSink> {
    await mkdir(join(outDir, 'truth'), { recursive: true });
    const sink = new NdjsonSink(outDir);
    sink.truth = new TruthFile(outDir);
    return sink;
  }

  async writeShared(resources: readonly Resource[]): Promise<void> {
    await this.writeResources(resources);
  }

  async writePatient(_index: number, record: PatientRecord): Promise<void> {
    // Truth is read before the resources are serialised; ndjson does not alter them anyway.
    await this.truth.add(record);
    await this.writeResources(record.resources);
  }

  private async writeResources(resources: readonly Resource[]): Promise<void> {
    // One write per type per patient: fewer syscalls than a write per line.
    const chunks = new Map<string, string[]>();
    for (const r of resources) {
      let lines = chunks.get(r.resourceType);
      if (!lines) chunks.set(r.resourceType, (lines = []));
      lines.push(JSON.stringify(r));
    }
    for (const [type, lines] of chunks) await write(this.stream(type), lines.join('\n') + '\n');
  }

  private stream(type: string): WriteStream {
    let s = this.streams.get(type);
    if (!s) {
      const path = join(this.outDir, `${type}.ndjson`);
      s = createWriteStream(path);
      this.streams.set(type, s);
      this.files.push(path);
    }
    return s;
  }

  async close(): Promise<string[]> {
    await Promise.all([...this.streams.values()].map(end));
    await this.truth.close();
    return [...this.files, this.truth.path];
  }
}

export class BundleSink implements RecordSink {
  private readonly files: string[] = [];
  private truth!: TruthFile;

  private constructor(private readonly outDir: string, private readonly seed: number) {}

  static async open(outDir: string, seed: number): Promise<BundleSink> {
    await mkdir(join(outDir, 'truth'), { recursive: true });
    const sink = new BundleSink(outDir, seed);
    sink.truth = new TruthFile(outDir);
    return sink;
  }

  async writeShared(resources: readonly Resource[]): Promise<void> {
    await this.writeFile('shared.json', sharedBundle(resources));
  }

  async writePatient(index: number, record: PatientRecord): Promise<void> {
    await this.truth.add(record);
    await this.writeFile(`patient-${String(index).padStart(6, '0')}.json`, patientBundle(record.resources, this.seed, index));
  }

  private async writeFile(name: string, bundle: unknown): Promise<void> {
    const path = join(this.outDir, name);
    const stream = createWriteStream(path);
    await write(stream, JSON.stringify(bundle));
    await end(stream);
    this.files.push(path);
  }

  async close(): Promise<string[]> {
    await this.truth.close();
    return [...this.files, this.truth.path];
  }
}
