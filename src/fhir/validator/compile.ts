// Turns a StructureDefinition snapshot into a tree of element nodes the walker can follow without
// searching: children by JSON property name (choice types expanded to `valueQuantity`…), slices
// attached to their slicing entry, cardinalities as numbers. Compiled once per profile, on first use.
import type { ElementDefinitionLike, StructureDefinitionLike } from './registry';

export interface TypeRef {
  code: string;
  profiles: string[];
  targetProfiles: string[];
}

export interface ConstraintDef {
  key: string;
  severity: 'error' | 'warning';
  human: string;
  expression?: string;
  source?: string;
  /** Marked as best practice (elementdefinition-bestpractice), e.g. dom-6 "should have narrative". */
  bestPractice?: boolean;
}

export interface ElementNode {
  id: string;
  path: string;
  /** Last path segment as defined, e.g. `value[x]` or `coding`. */
  name: string;
  sliceName?: string;
  min: number;
  max: number;
  /** In JSON the element is an array when its base definition allows more than one. */
  array: boolean;
  types: TypeRef[];
  choice: boolean;
  fixed?: unknown;
  pattern?: unknown;
  binding?: { strength: string; valueSet?: string };
  constraints: ConstraintDef[];
  maxLength?: number;
  minValue?: unknown;
  maxValue?: unknown;
  contentReference?: string;
  children: ElementNode[];
  slicing?: { discriminators: Array<{ type: string; path: string }>; ordered: boolean; rules: string };
  slices: ElementNode[];
  structure: CompiledStructure;
  /** JSON property → child and the type that property name selects (built on first use). */
  jsonIndex?: Map<string, { node: ElementNode; type?: string }>;
}

export interface CompiledStructure {
  url: string;
  type: string;
  kind: string;
  /** True for a constraint on a type (a profile), false for the base definition of the type. */
  isProfile: boolean;
  root: ElementNode;
  byId: Map<string, ElementNode>;
  definition: StructureDefinitionLike;
}

const MAX_CARD = Number.POSITIVE_INFINITY;
const BEST_PRACTICE = 'http://hl7.org/fhir/StructureDefinition/elementdefinition-bestpractice';

export function parseMax(max: string | undefined, fallback = MAX_CARD): number {
  if (max === undefined) return fallback;
  return max === '*' ? MAX_CARD : Number(max);
}

export function compileStructure(sd: StructureDefinitionLike): CompiledStructure {
  const elements = sd.snapshot?.element;
  if (!elements?.length) throw new Error(`StructureDefinition ${sd.url} has no snapshot`);
  const structure = { url: sd.url, type: sd.type, kind: sd.kind, isProfile: sd.derivation === 'constraint', byId: new Map(), definition: sd } as unknown as CompiledStructure;
  let root: ElementNode | undefined;
  for (const ed of elements) {
    const node = makeNode(ed, structure);
    const id = node.id;
    structure.byId.set(id, node);
    if (!root) {
      root = node;
      continue;
    }
    if (node.sliceName) {
      const sliced = structure.byId.get(id.slice(0, id.length - node.sliceName.length - 1)) ?? findSliceBase(structure, node);
      if (sliced) {
        sliced.slices.push(node);
        continue;
      }
    }
    const parentId = parentOf(id);
    const parent = structure.byId.get(parentId);
    if (!parent) continue; // a malformed snapshot element; the rest of the tree is still usable
    // Old-style renamed choice (`Observation.valueQuantity` beside `Observation.value[x]`): a slice.
    const choice = parent.children.find((c) => c.choice && node.name.startsWith(c.name.slice(0, -3)) && node.name !== c.name);
    if (choice && !node.name.endsWith('[x]')) {
      node.sliceName = node.name;
      choice.slices.push(node);
      continue;
    }
    parent.children.push(node);
  }
  structure.root = root!;
  return structure;
}

function findSliceBase(structure: CompiledStructure, node: ElementNode): ElementNode | undefined {
  // Ids without the slice suffix convention (older snapshots): the previous element with the same path.
  let found: ElementNode | undefined;
  for (const n of structure.byId.values()) if (n.path === node.path && !n.sliceName && n !== node) found = n;
  return found;
}

/** `A.b:s.c` → `A.b:s`; dots inside slice names after `:` are not split (they do not occur in R4). */
function parentOf(id: string): string {
  const i = id.lastIndexOf('.');
  return i < 0 ? '' : id.slice(0, i);
}

function makeNode(ed: ElementDefinitionLike, structure: CompiledStructure): ElementNode {
  const id = ed.id ?? ed.path;
  const name = ed.path.slice(ed.path.lastIndexOf('.') + 1);
  const baseMax = ed.base?.max ?? ed.max;
  const node: ElementNode = {
    id,
    path: ed.path,
    name,
    sliceName: ed.sliceName,
    min: ed.min ?? 0,
    max: parseMax(ed.max),
    array: baseMax !== '1' && baseMax !== '0' ? true : false,
    types: (ed.type ?? []).map((t) => ({ code: typeCode(t), profiles: t.profile ?? [], targetProfiles: t.targetProfile ?? [] })),
    choice: name.endsWith('[x]'),
    binding: ed.binding ? { strength: ed.binding.strength, valueSet: ed.binding.valueSet } : undefined,
    constraints: (ed.constraint ?? []).map((c) => ({
      key: c.key,
      severity: c.severity === 'warning' ? 'warning' : 'error',
      human: c.human,
      expression: c.expression,
      source: c.source,
      bestPractice: c.extension?.some((e) => e.url === BEST_PRACTICE && e.valueBoolean === true) || undefined,
    })),
    maxLength: ed.maxLength,
    contentReference: ed.contentReference,
    children: [],
    slices: [],
    structure,
  };
  // The root of a definition has base max `*` but is never an array.
  if (!ed.path.includes('.')) node.array = false;
  // R4 snapshots type Resource.id as a System.String; it is an `id` (datatypes.html#id: 1-64 characters).
  if (/^[A-Za-z]+\.id$/.test(ed.path) && (structure.kind === 'resource' || ed.base?.path === 'Resource.id')) node.types = [{ code: 'id', profiles: [], targetProfiles: [] }];
  for (const [key, value] of Object.entries(ed)) {
    if (key.startsWith('fixed')) node.fixed = value;
    else if (key.startsWith('pattern')) node.pattern = value;
    else if (key.startsWith('minValue')) node.minValue = value;
    else if (key.startsWith('maxValue')) node.maxValue = value;
  }
  if (ed.slicing) {
    node.slicing = {
      discriminators: ed.slicing.discriminator ?? [],
      ordered: ed.slicing.ordered === true,
      rules: ed.slicing.rules ?? 'open',
    };
  }
  return node;
}

/** Primitive `value` elements carry a System type code; the real FHIR type is in an extension. */
function typeCode(t: NonNullable<ElementDefinitionLike['type']>[number]): string {
  if (t.code.startsWith('http://hl7.org/fhirpath/System.')) {
    const fhirType = t.extension?.find((e) => e.url === 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type');
    return fhirType?.valueUrl ?? fhirType?.valueString ?? t.code;
  }
  return t.code;
}

export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The JSON property names of a node's children, resolved once per node. */
export function jsonIndex(children: ElementNode[], owner: { jsonIndex?: ElementNode['jsonIndex'] }): Map<string, { node: ElementNode; type?: string }> {
  if (owner.jsonIndex) return owner.jsonIndex;
  const index = new Map<string, { node: ElementNode; type?: string }>();
  for (const child of children) {
    if (child.choice) {
      const prefix = child.name.slice(0, -3);
      for (const t of child.types) index.set(prefix + capitalise(t.code), { node: child, type: t.code });
    } else index.set(child.name, { node: child, type: child.types.length === 1 ? child.types[0].code : undefined });
  }
  owner.jsonIndex = index;
  return index;
}
