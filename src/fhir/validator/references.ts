// References: the target's type must be one the element allows (ElementDefinition.type.targetProfile),
// judged from the reference text (`Patient/1`, an absolute RESTful URL), the contained resource it
// names, or the Bundle entry whose fullUrl it is; and every contained resource must be referenced
// from its container (dom-3), since a contained resource on its own has no meaning.
import type { ElementNode } from './compile';
import type { ValidatorCore } from './core';
import type { Scope, Walker } from './walker';

const RELATIVE = /^([A-Z][A-Za-z]+)\/([^/]+)(\/_history\/([^/]+))?$/;
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** bundle.html: "fullUrl … SHALL be an absolute URL" (a RESTful URL, or urn:uuid / urn:oid). */
export function checkFullUrls(w: Walker, bundle: Record<string, unknown>, path: string): void {
  if (!Array.isArray(bundle.entry)) return;
  bundle.entry.forEach((e, i) => {
    const fullUrl = (e as { fullUrl?: unknown })?.fullUrl;
    if (typeof fullUrl === 'string' && !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(fullUrl)) {
      w.add('REFERENCE_MALFORMED', `${path}.entry[${i}].fullUrl`, `${path}.entry[${i}].fullUrl must be an absolute URL, not '${fullUrl.slice(0, 100)}'`);
    }
  });
}

export function collectBundleTargets(bundle: Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(bundle.entry)) return out;
  for (const e of bundle.entry) {
    const fullUrl = (e as { fullUrl?: unknown })?.fullUrl;
    const rt = (e as { resource?: { resourceType?: unknown } })?.resource?.resourceType;
    if (typeof fullUrl === 'string' && typeof rt === 'string') out.set(fullUrl, rt);
  }
  return out;
}

/** The resource type a reference points at, when it can be known without reading anything. */
function targetType(ref: string, scope: Scope, core: ValidatorCore): string | undefined {
  if (ref.startsWith('#')) {
    const id = ref.slice(1);
    const c = (Array.isArray((scope.rootResource as { contained?: unknown })?.contained) ? (scope.rootResource as { contained: unknown[] }).contained : []).find(
      (x) => (x as { id?: unknown })?.id === id,
    ) as { resourceType?: unknown } | undefined;
    return typeof c?.resourceType === 'string' ? c.resourceType : undefined;
  }
  const fromBundle = scope.bundle?.get(ref);
  if (fromBundle) return fromBundle;
  const m = RELATIVE.exec(ref) ?? /\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(ref);
  if (m && core.isConcreteResourceType(m[1])) return m[1];
  return undefined;
}

export function checkReference(w: Walker, v: Record<string, unknown>, node: ElementNode, path: string, scope: Scope, core: ValidatorCore): void {
  const ref = v.reference;
  let type: string | undefined;
  if (typeof ref === 'string') {
    const m = RELATIVE.exec(ref);
    if (m && !/^[a-z]+:/.test(ref)) {
      if (!core.isConcreteResourceType(m[1])) {
        w.add('REFERENCE_MALFORMED', `${path}.reference`, `${path}.reference: '${m[1].slice(0, 64)}' is not a resource type`);
        return;
      }
      if (!ID.test(m[2]) || (m[4] !== undefined && !ID.test(m[4]))) {
        w.add('REFERENCE_MALFORMED', `${path}.reference`, `${path}.reference: the id must be 1-64 characters of A-Z a-z 0-9 - .`);
        return;
      }
    }
    // ref-1: a local reference names a contained resource of the containing resource ('#' alone
    // is a contained resource pointing back at its container).
    if (ref.startsWith('#') && ref !== '#' && !targetType(ref, scope, core)) {
      const exists = (Array.isArray((scope.rootResource as { contained?: unknown })?.contained) ? (scope.rootResource as { contained: unknown[] }).contained : []).some(
        (c) => (c as { id?: unknown })?.id === ref.slice(1),
      );
      if (!exists) {
        w.add('CONTAINED_NOT_FOUND', `${path}.reference`, `${path}.reference: '${ref.slice(0, 64)}' names no contained resource (ref-1)`);
        return;
      }
    }
    type = targetType(ref, scope, core);
  }
  if (typeof v.type === 'string') {
    if (type && v.type !== type && core.isConcreteResourceType(v.type)) {
      w.add('REFERENCE_TARGET_TYPE', `${path}.type`, `${path}: the type '${v.type}' does not match the reference to a ${type}`);
    }
    type ??= core.isConcreteResourceType(v.type) ? v.type : undefined;
  }
  if (!type) return;
  const targets = node.types.find((t) => t.code === 'Reference')?.targetProfiles ?? [];
  if (!targets.length) return;
  const allowed = targets.map((p) => core.typeOfProfile(p));
  if (allowed.some((a) => a === undefined || a === 'Resource' || a === type)) return;
  w.add('REFERENCE_TARGET_TYPE', path, `${path}: a reference to a ${type} is not allowed here (allowed: ${allowed.join(', ')})`);
}

/** dom-3: each contained resource is referenced from the rest of the resource, or refers to it. */
export function checkContainedReferenced(w: Walker, resource: Record<string, unknown>, path: string): void {
  const contained = resource.contained as unknown[];
  const refs = new Set<string>();
  collect(resource, refs);
  contained.forEach((c, i) => {
    const id = (c as { id?: unknown })?.id;
    if (typeof id !== 'string') return;
    if (refs.has(`#${id}`)) return;
    const back = new Set<string>();
    collect(c, back);
    if (back.has('#')) return;
    w.add('CONTAINED_NOT_REFERENCED', `${path}.contained[${i}]`, `The contained resource '${id}' is not referenced from the rest of the resource (dom-3)`);
  });
}

/** Every string that could be a local reference: Reference.reference and canonical/uri values. */
function collect(v: unknown, out: Set<string>): void {
  const stack: unknown[] = [v];
  while (stack.length) {
    const x = stack.pop();
    if (typeof x === 'string') {
      if (x.startsWith('#')) out.add(x);
    } else if (Array.isArray(x)) stack.push(...x);
    else if (x && typeof x === 'object') {
      for (const [k, val] of Object.entries(x)) {
        if (k === 'div' && typeof val === 'string') {
          for (const m of val.matchAll(/href="(#[^"]*)"/g)) out.add(m[1]);
        } else stack.push(val);
      }
    }
  }
}
