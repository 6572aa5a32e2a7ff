// Decides whether an access policy's predicates hold for a version about to be written, from the
// IndexValues the indexer computed for it — before anything reaches the database, so a refused
// write never has to be undone (MongoDB without transactions could not). Only the predicate kinds
// access policies are made of are supported (compartment references, granular token/string/uri
// filters, ids and types, and boolean combinations); anything else is refused loudly rather than
// guessed. test/access/index-match.test.ts checks it against both engines' search on the same
// predicates, so it cannot drift from the database path.
import type { IndexValues } from '../search/index-values';
import type { Predicate } from '../search/plan';

export class UncheckablePredicateError extends Error {}

export function holdsOnIndex(p: Predicate, resourceType: string, id: string, index: IndexValues): boolean {
  switch (p.kind) {
    case 'and':
      return p.all.every((x) => holdsOnIndex(x, resourceType, id, index));
    case 'or':
      return p.any.some((x) => holdsOnIndex(x, resourceType, id, index));
    case 'not':
      return !holdsOnIndex(p.predicate, resourceType, id, index);
    case 'nothing':
      return false;
    case 'id':
      return p.ids.includes(id);
    case 'type':
      return p.types.includes(resourceType);
    case 'reference':
      if (p.identifierValue !== undefined || p.version !== undefined) break;
      return index.reference.some(
        (e) =>
          e.p === p.param &&
          (p.url !== undefined ? e.u === p.url : (p.type === undefined || e.t === p.type) && (p.id === undefined || e.i === p.id)),
      );
    case 'token':
      if (p.text !== undefined || p.typeSystem !== undefined || p.typeCode !== undefined) break;
      return index.token.some(
        (e) =>
          e.p === p.param &&
          (p.system === undefined || (p.system === null ? e.s === undefined : e.s === p.system)) &&
          (p.code === undefined || e.c === p.code),
      );
    case 'string':
      return index.string.some((e) => e.p === p.param && (p.match === 'exact' ? e.e === p.value : p.match === 'prefix' ? e.v.startsWith(p.value) : e.v.includes(p.value)));
    case 'uri':
      if (p.match !== 'exact') break;
      return index.uri.some((e) => e.p === p.param && e.v === p.value);
    default:
      break;
  }
  throw new UncheckablePredicateError(`an access condition of kind '${p.kind}' cannot be checked before a write`);
}
