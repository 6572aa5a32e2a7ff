// Snapshot generation for profiles given only as a differential (most profiles in packages and
// test suites): start from the base definition's snapshot, expand datatypes where the differential
// reaches inside them, add slices (each a copy of the sliced element and its children), and merge
// each differential element's constraints into its snapshot element.
import type { ConformanceRegistry, ElementDefinitionLike, StructureDefinitionLike } from './registry';

type Element = ElementDefinitionLike & { id: string };

/** Properties a differential element sets on its snapshot element (everything but identity). */
const IDENTITY = new Set(['id', 'path', 'base']);
const MAX_DEPTH = 10;

export function generateSnapshot(sd: StructureDefinitionLike, registry: ConformanceRegistry, depth = 0): StructureDefinitionLike {
  if (sd.snapshot?.element?.length) return sd;
  if (depth > MAX_DEPTH) throw new Error(`${sd.url}: base definitions nest too deep`);
  if (!sd.baseDefinition) throw new Error(`${sd.url} has neither a snapshot nor a baseDefinition`);
  let base = registry.structureDefinition(sd.baseDefinition);
  if (!base) throw new Error(`${sd.url}: its base ${sd.baseDefinition} is not known`);
  if (!base.snapshot?.element?.length) base = generateSnapshot(base, registry, depth + 1);
  const elements: Element[] = structuredClone(base.snapshot!.element).map((e) => ({ ...e, id: e.id ?? e.path }));
  for (const raw of sd.differential?.element ?? []) {
    const d = normaliseChoice({ ...raw, id: raw.id ?? (raw.sliceName ? `${raw.path}:${raw.sliceName}` : raw.path) } as Element, elements);
    let index = elements.findIndex((e) => e.id === d.id);
    if (index < 0 && d.sliceName && d.id.endsWith(`:${d.sliceName}`)) index = addSlice(elements, d);
    if (index < 0) {
      expandTowards(elements, d.id, registry);
      index = elements.findIndex((e) => e.id === d.id);
      if (index < 0 && d.sliceName) index = addSlice(elements, d);
    }
    if (index < 0) throw new Error(`${sd.url}: the differential element ${d.id} has no place in the snapshot`);
    merge(elements[index], d);
  }
  // A profile of a type keeps the root's path; an extension definition's root is `Extension`.
  return { ...sd, snapshot: { element: elements } };
}

/**
 * `Observation.valueQuantity` in a differential is the Quantity case of `Observation.value[x]`: the
 * element itself when the choice allows only that type, else a type slice `value[x]:valueQuantity`
 * (created here, with type slicing on the choice), so that constraints on a Quantity never apply to
 * a CodeableConcept value.
 */
function normaliseChoice(d: Element, elements: Element[]): Element {
  if (elements.some((e) => e.id === d.id)) return d;
  const segs = d.id.split('.');
  for (let i = 1; i < segs.length; i++) {
    const parent = segs.slice(0, i).join('.');
    const seg = segs[i].split(':')[0];
    const choice = elements.find((e) => {
      const name = e.id.slice(parent.length + 1);
      return e.id.startsWith(`${parent}.`) && name.endsWith('[x]') && !name.includes('.') && !name.includes(':') && seg.startsWith(name.slice(0, -3)) && seg.length > name.length - 3;
    });
    if (!choice) continue;
    const prefix = choice.id.slice(parent.length + 1, -3);
    const typeName = seg.slice(prefix.length);
    const t = choice.type?.find((x) => x.code.toLowerCase() === typeName.toLowerCase());
    if (!t) return d;
    const single = (choice.type?.length ?? 0) <= 1;
    const sliceId = `${choice.id}:${seg}`;
    if (!single && !elements.some((e) => e.id === sliceId)) {
      choice.slicing ??= { discriminator: [{ type: 'type', path: '$this' }], rules: 'open' };
      const at = addSlice(elements, { ...structuredClone(choice), id: sliceId, sliceName: seg } as Element);
      if (at >= 0) elements[at].type = [t];
    }
    segs[i] = single ? `${prefix}[x]${segs[i].slice(seg.length)}` : `${prefix}[x]:${seg}${segs[i].slice(seg.length)}`;
    const id = segs.join('.');
    const out: Element = { ...d, id, path: id.replace(/:[^.]+/g, '') };
    if (i === segs.length - 1) {
      if (!single) out.sliceName = seg;
      if (!out.type) out.type = [t];
    }
    return out;
  }
  return d;
}

/** Inserts a new slice: a copy of the sliced element and its children, after the last slice. */
function addSlice(elements: Element[], d: Element): number {
  const slicedId = d.id.slice(0, d.id.length - d.sliceName!.length - 1);
  const at = elements.findIndex((e) => e.id === slicedId);
  if (at < 0) return -1;
  let end = at + 1;
  while (end < elements.length && (elements[end].id.startsWith(`${slicedId}.`) || elements[end].id.startsWith(`${slicedId}:`))) end++;
  const copies: Element[] = [];
  for (let i = at; i < end; i++) {
    const e = elements[i];
    if (i !== at && !e.id.startsWith(`${slicedId}.`)) continue;
    const copy = structuredClone(e);
    copy.id = d.id + e.id.slice(slicedId.length);
    if (i === at) {
      delete copy.slicing;
      copy.sliceName = d.sliceName;
    }
    copies.push(copy);
  }
  elements.splice(end, 0, ...copies);
  return end;
}

/** Expands the datatype of the nearest existing ancestor of `id` so that `id` can exist. */
function expandTowards(elements: Element[], id: string, registry: ConformanceRegistry): void {
  const segs = id.split('.');
  for (let n = segs.length - 1; n >= 1; n--) {
    const ancestorId = segs.slice(0, n).join('.');
    const at = elements.findIndex((e) => e.id === ancestorId);
    if (at < 0) continue;
    const ancestor = elements[at];
    if (elements.some((e) => e.id.startsWith(`${ancestorId}.`))) return; // already expanded; the id is simply unknown
    const type = ancestor.type?.[0];
    if (!type) return;
    const typeSd = (type.profile?.[0] && registry.structureDefinition(type.profile[0])) || registry.typeDefinition(type.code);
    const typeElements = typeSd?.snapshot?.element ?? (typeSd ? generateSnapshot(typeSd, registry).snapshot!.element : undefined);
    if (!typeElements) return;
    const rootPath = typeElements[0].path;
    const children = typeElements.slice(1).map((e) => {
      const copy = structuredClone(e) as Element;
      const tailId = (e.id ?? e.path).slice(rootPath.length);
      copy.id = ancestorId + tailId;
      copy.path = ancestor.path + e.path.slice(rootPath.length);
      return copy;
    });
    elements.splice(at + 1, 0, ...children);
    if (n < segs.length - 1) expandTowards(elements, id, registry);
    return;
  }
}

function merge(target: Element, d: Element): void {
  for (const [key, value] of Object.entries(d)) {
    if (IDENTITY.has(key) || value === undefined) continue;
    if (key === 'constraint') {
      const existing = target.constraint ?? [];
      const keys = new Set(existing.map((c) => c.key));
      target.constraint = [...existing, ...(value as NonNullable<Element['constraint']>).filter((c) => !keys.has(c.key))];
      continue;
    }
    // A fixed or pattern value replaces any other of either kind.
    if (key.startsWith('fixed') || key.startsWith('pattern')) {
      for (const k of Object.keys(target)) if (k.startsWith('fixed') || k.startsWith('pattern')) delete (target as Record<string, unknown>)[k];
    }
    (target as Record<string, unknown>)[key] = structuredClone(value);
  }
}
