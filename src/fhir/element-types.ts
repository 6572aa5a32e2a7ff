// What a JSON key of an R4 element holds: its FHIR type and the context its own children resolve
// in, from the official R4 model that ships with fhirpath.js. Walks that must tell a Reference
// from a string that merely looks like one (link rewriting, reference rules) share it.
import * as r4Model from 'fhirpath/fhir-context/r4';

const path2Type = r4Model.path2Type as Record<string, string>;
const definedElsewhere = r4Model.pathsDefinedElsewhere as Record<string, string>;
const type2Parent = r4Model.type2Parent as Record<string, string>;

/** What a child element is: its FHIR type and the context its own children resolve in. */
export interface ChildInfo {
  type: string;
  context: string;
}

/** The element of a primitive's `_name` sibling (id and extensions). */
export const ELEMENT: ChildInfo = { type: 'Element', context: 'Element' };

// The same (context, key) pairs recur for every resource of a load: resolve each once.
const childCache = new Map<string, ChildInfo | null>();

/** The child `key` of an element in `context` (a type name or a backbone path); null if unknown. */
export function childElement(context: string, key: string): ChildInfo | null {
  const cacheKey = `${context}\u0000${key}`;
  const cached = childCache.get(cacheKey);
  if (cached !== undefined) return cached;
  let found: ChildInfo | null = null;
  // Datatypes inherit `id`/`extension` from Element, resources `meta`/`text` from their parents.
  for (let ctx: string | undefined = context; ctx && !found; ctx = type2Parent[ctx]) {
    let path = `${ctx}.${key}`;
    if (path2Type[path] === undefined && definedElsewhere[path]) path = definedElsewhere[path];
    const type = path2Type[path];
    if (type === undefined) continue;
    // Backbone elements have no type name of their own: their children are listed under the path.
    found = { type, context: type === 'BackboneElement' || type === 'Element' ? path : type };
  }
  childCache.set(cacheKey, found);
  return found;
}

/** Whether `type` is a resource type the model knows (has an `id` element). */
export function isModelResourceType(type: string): boolean {
  return path2Type[`${type}.id`] !== undefined;
}
