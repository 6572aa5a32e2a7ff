// The rules of Reference.reference a write must satisfy (R4 references.html), above what the JSON
// schema says (any string): a relative reference is `Type/id` or `Type/id/_history/vid` with an R4
// resource type and ids of the id alphabet; `#id` must name a contained resource (ref-1);
// `urn:uuid:`/`urn:oid:` placeholders and conditional references (`Type?criteria`) only mean
// something inside a Bundle (a transaction resolves them before anything is written, so one that
// is left in a plain write dangles). Absolute URLs are another server's business and pass.
import { errors, type Issue } from './errors';
import { childElement, ELEMENT } from './element-types';

type Obj = Record<string, unknown>;

const ID = '[A-Za-z0-9\\-.]{1,64}';
const RELATIVE = new RegExp(`^([A-Za-z]+)/(${ID})(?:/_history/(${ID}))?(?:#${ID})?$`);
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const UUID = /^urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const OID = /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/;
const MAX_ISSUES = 25;

export interface ReferenceRules {
  isResourceType(type: string): boolean;
}

/**
 * Throws a 400 listing every Reference.reference of `resource` (contained and Bundle entry
 * resources included) that breaks the rules above, each with its `expression`. `json`, the
 * resource's text, lets the common case of a resource without references skip the walk.
 */
export function assertReferences(rules: ReferenceRules, resource: object, json?: string): void {
  if (json !== undefined && !json.includes('"reference"')) return;
  const issues: Issue[] = [];
  const type = (resource as Obj).resourceType;
  if (typeof type === 'string') walkResource(resource as Obj, type, { rules, issues, bundle: false, container: undefined });
  if (issues.length) throw errors.invalidResource(issues);
}

interface Scope {
  rules: ReferenceRules;
  issues: Issue[];
  /** Inside a Bundle resource, where placeholders and conditional references have meaning. */
  bundle: boolean;
  /** The resource that holds this one in `contained` (for `#` references). */
  container: Obj | undefined;
}

function walkResource(resource: Obj, at: string, scope: Scope): void {
  const type = resource.resourceType;
  if (typeof type !== 'string') return;
  const inner: Scope = { ...scope, bundle: scope.bundle || type === 'Bundle' };
  walkElement(resource, type, at, resource, inner);
}

function walkElement(node: Obj, context: string, at: string, resource: Obj, scope: Scope): void {
  for (const key of Object.keys(node)) {
    const value = node[key];
    if (value === null || value === undefined) continue;
    const child = key.startsWith('_') ? ELEMENT : childElement(context, key);
    if (!child) continue; // unknown elements are the validator's to report
    const list = Array.isArray(value) ? value : [value];
    for (let i = 0; i < list.length; i++) {
      const item = list[i];
      const where = Array.isArray(value) ? `${at}.${key}[${i}]` : `${at}.${key}`;
      if (item !== null && typeof item === 'object') {
        if (child.type !== 'Resource') walkElement(item as Obj, child.context, where, resource, scope);
        // A contained resource's `#` references resolve in its container; an entry's in itself.
        else walkResource(item as Obj, where, { ...scope, container: key === 'contained' ? (scope.container ?? resource) : undefined });
      } else if (typeof item === 'string' && context === 'Reference' && key === 'reference') {
        const why = problemOf(item, resource, scope);
        if (why && scope.issues.length < MAX_ISSUES) {
          scope.issues.push({ severity: 'error', code: 'value', diagnostics: `${where}: '${item.slice(0, 100)}${item.length > 100 ? '…' : ''}' ${why}`, expression: [where] });
        }
      }
    }
  }
}

/** Why a reference is not acceptable here, or undefined when it is. */
function problemOf(ref: string, resource: Obj, scope: Scope): string | undefined {
  if (ref.startsWith('#')) {
    const root = scope.container ?? resource;
    if (ref === '#') return scope.container ? undefined : "refers to the containing resource, which only a contained resource can do (ref-1)";
    const ids = Array.isArray(root.contained) ? (root.contained as Obj[]).map((c) => c?.id) : [];
    return ids.includes(ref.slice(1)) ? undefined : 'names no contained resource of this resource (ref-1)';
  }
  if (SCHEME.test(ref)) {
    if (/^urn:(uuid|oid):/i.test(ref)) {
      if (!UUID.test(ref) && !OID.test(ref)) return 'is not a valid urn:uuid: or urn:oid: identifier';
      return scope.bundle ? undefined : 'is a Bundle placeholder: outside a Bundle it refers to nothing (in a transaction, it must match the fullUrl of an entry)';
    }
    return undefined; // an absolute URL
  }
  const q = ref.indexOf('?');
  if (q > 0 && /^[A-Za-z]+$/.test(ref.slice(0, q))) {
    if (!scope.rules.isResourceType(ref.slice(0, q))) return `is a conditional reference to '${ref.slice(0, q)}', which is not an R4 resource type`;
    return scope.bundle ? undefined : 'is a conditional reference: these are only resolved in transaction Bundles';
  }
  const m = RELATIVE.exec(ref);
  if (!m) return 'is not a valid reference: use Type/id (an R4 resource type, and an id of 1-64 characters A-Z a-z 0-9 - .), Type/id/_history/vid, #contained-id or an absolute URL';
  if (!scope.rules.isResourceType(m[1])) return `refers to '${m[1]}', which is not an R4 resource type`;
  return undefined;
}
