// The static shape of R4 resources and datatypes (element path → types), read from the compact
// element table generated from the R4 StructureDefinitions (element-table.ts). Search needs it to compile plain path expressions into direct JSON
// accessors that still know each value's FHIR type (choice elements `value[x]`, backbone
// elements, `contentReference`), which is what normalisation dispatches on.
import { ELEMENT_FLAG, elementTable, type ElementTable } from './element-table';

/** Where an element of a given path lives in JSON and what it holds. */
export interface ElementInfo {
  /** JSON property name (for a choice element: one per type, e.g. valueQuantity). */
  key: string;
  /** FHIR type code of the value (`Quantity`, `string`, `BackboneElement`, …). */
  type: string;
  /** Context to resolve the next step in: a datatype name, or the element path for backbone
   * elements (e.g. `Observation.component`). */
  context: string;
}

interface ElementDefinitionLike {
  path: string;
  type?: Array<{ code: string }>;
  contentReference?: string;
  isSummary?: boolean;
  min?: number;
}

/** FHIRPath system types in R4 definitions (e.g. `id`'s value) mapped back to FHIR primitives. */
function typeCode(code: string): string {
  if (code.startsWith('http://hl7.org/fhirpath/System.')) return code.slice('http://hl7.org/fhirpath/System.'.length).toLowerCase();
  return code;
}

/** Types whose instances are usable wherever a Quantity is expected (`as Quantity`). */
export const QUANTITY_SUBTYPES = new Set(['Quantity', 'Age', 'Count', 'Distance', 'Duration', 'MoneyQuantity', 'SimpleQuantity']);

export class ElementModel {
  /** Rows are turned into ElementInfo on first lookup (memoised in `children`), not up front. */
  private readonly table: ElementTable;
  private readonly children = new Map<string, Map<string, ElementInfo[] | null>>();
  /** Concrete (non-abstract) resource types of R4. */
  readonly resourceTypes: ReadonlySet<string>;
  /** Summary element names per resource type (top level), for `_summary=true`. */
  private readonly summary = new Map<string, Set<string>>();
  /** Mandatory top-level element names per resource type, kept by `_elements`/`_summary`. */
  private readonly mandatory = new Map<string, Set<string>>();

  constructor(table: ElementTable = elementTable()) {
    this.table = table;
    this.resourceTypes = new Set(table.resourceTypes);
    for (const type of table.resourceTypes) {
      this.summary.set(type, new Set());
      this.mandatory.set(type, new Set());
    }
    for (const [path, [, flags]] of Object.entries(table.elements)) {
      const dot = path.indexOf('.');
      if (dot < 0 || path.indexOf('.', dot + 1) >= 0) continue; // top-level elements only
      const type = path.slice(0, dot);
      const name = path.slice(dot + 1).replace('[x]', '');
      if (flags & ELEMENT_FLAG.summary) this.summary.get(type)?.add(name);
      if (flags & ELEMENT_FLAG.mandatory) this.mandatory.get(type)?.add(name);
    }
  }

  isResourceType(name: string): boolean {
    return this.resourceTypes.has(name);
  }

  /** Children reachable from `context` by the FHIRPath step `name`, or undefined if no such element. */
  child(context: string, name: string): ElementInfo[] | undefined {
    // Memoised: this sits on the write path, once per step per value.
    let byName = this.children.get(context);
    if (!byName) this.children.set(context, (byName = new Map()));
    let found = byName.get(name);
    if (found === undefined) byName.set(name, (found = this.lookup(context, name) ?? null));
    return found ?? undefined;
  }

  private lookup(context: string, name: string): ElementInfo[] | undefined {
    const path = `${context}.${name}`;
    const plain = this.row(path);
    if (plain) return this.describe(path, name, plain, false);
    const choice = this.row(`${path}[x]`);
    if (choice) return this.describe(path, name, choice, true);
    return undefined;
  }

  summaryElements(resourceType: string): ReadonlySet<string> {
    return this.summary.get(resourceType) ?? new Set();
  }

  mandatoryElements(resourceType: string): ReadonlySet<string> {
    return this.mandatory.get(resourceType) ?? new Set();
  }

  private row(path: string): ElementDefinitionLike | undefined {
    const row = Object.prototype.hasOwnProperty.call(this.table.elements, path) ? this.table.elements[path] : undefined;
    if (!row) return undefined;
    const [types, , contentReference] = row;
    return { path, type: types.map((code) => ({ code })), ...(contentReference ? { contentReference } : {}) };
  }

  private describe(path: string, name: string, el: ElementDefinitionLike, choice: boolean): ElementInfo[] {
    if (el.contentReference) {
      // e.g. Questionnaire.item.item → #Questionnaire.item: same shape as the referenced element.
      return [{ key: name, type: 'BackboneElement', context: el.contentReference.replace(/^#/, '') }];
    }
    return (el.type ?? []).map((t) => {
      const type = typeCode(t.code);
      const key = choice ? name + type.charAt(0).toUpperCase() + type.slice(1) : name;
      const backbone = type === 'BackboneElement' || type === 'Element';
      return { key, type, context: backbone ? path : type };
    });
  }
}
