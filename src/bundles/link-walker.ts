// Finds every link a resource holds, guided by the R4 element types (the fhirpath.js R4 model):
// Reference.reference, primitives of type uri/url/oid/uuid/canonical, and href/src attributes of
// the narrative, inside nested elements, contained resources, extensions and primitive extensions
// (`_element`). Knowing the type keeps string elements that merely look like links untouched
// (Identifier.value "urn:oid:…" is a string, not a link), as R4 http.html#trules requires.
import { childElement, ELEMENT, isModelResourceType, type ChildInfo } from '../fhir/element-types';

export type LinkKind = 'reference' | 'uri' | 'canonical' | 'narrative';

/** Returns the replacement for a link, or undefined to leave it as it is. */
export type LinkVisitor = (value: string, kind: LinkKind) => string | undefined;

const URI_TYPES = new Set(['uri', 'url', 'oid', 'uuid']);

const NARRATIVE_LINK = /\b(href|src)\s*=\s*"([^"]*)"/g;

function visitNarrative(div: string, visit: LinkVisitor): string {
  return div.replace(NARRATIVE_LINK, (whole, attr: string, value: string) => {
    const replaced = visit(value, 'narrative');
    return replaced === undefined ? whole : `${attr}="${replaced}"`;
  });
}

function visitPrimitive(value: unknown, type: string, context: string, key: string, visit: LinkVisitor): unknown {
  if (typeof value !== 'string') return value;
  let kind: LinkKind | undefined;
  if (context === 'Reference' && key === 'reference') kind = 'reference';
  else if (type === 'canonical') kind = 'canonical';
  else if (URI_TYPES.has(type)) kind = 'uri';
  else if (type === 'xhtml') return visitNarrative(value, visit);
  if (!kind) return value;
  return visit(value, kind) ?? value;
}

function visitObject(node: Record<string, unknown>, context: string, visit: LinkVisitor): void {
  for (const key of Object.keys(node)) {
    const value = node[key];
    if (value === null || value === undefined) continue;
    // Primitive extensions (`_birthDate`): an Element, or an array of Elements with nulls.
    const child = key.startsWith('_') ? ELEMENT : childElement(context, key);
    if (!child) continue; // unknown elements are the validator's business, not ours
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        if (item !== null && typeof item === 'object') visitComplex(item as Record<string, unknown>, child, visit);
        else value[i] = visitPrimitive(item, child.type, context, key, visit);
      }
    } else if (typeof value === 'object') {
      visitComplex(value as Record<string, unknown>, child, visit);
    } else {
      node[key] = visitPrimitive(value, child.type, context, key, visit);
    }
  }
}

function visitComplex(node: Record<string, unknown>, child: ChildInfo, visit: LinkVisitor): void {
  if (child.type === 'Resource') visitResource(node, visit);
  else visitObject(node, child.context, visit);
}

/**
 * Offers every link of `resource` (and of the resources it contains) to `visit`, replacing those
 * for which `visit` returns a value. Mutates `resource` in place.
 */
export function visitResource(resource: Record<string, unknown>, visit: LinkVisitor): void {
  const type = resource.resourceType;
  if (typeof type !== 'string' || !isModelResourceType(type)) return;
  visitObject(resource, type, visit);
}
