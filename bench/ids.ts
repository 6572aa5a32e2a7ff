// Ids the workloads need (patients to read, observations to update…), learnt while loading. A
// bounded sample per type: at 1M resources keeping every id would only cost memory.
export class IdPool {
  private readonly byType = new Map<string, string[]>();
  constructor(private readonly capPerType = 5000) {}

  add(type: string, id: string): void {
    let list = this.byType.get(type);
    if (!list) this.byType.set(type, (list = []));
    if (list.length < this.capPerType) list.push(id);
  }

  /** Adds from a location such as `http://h/fhir/Patient/123/_history/1` or `Patient/123`. */
  addLocation(location: string): void {
    const m = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(location);
    if (m) this.add(m[1], m[2]);
  }

  get(type: string): readonly string[] {
    return this.byType.get(type) ?? [];
  }
}
