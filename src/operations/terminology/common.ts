// What the terminology operations share: the service (with the conformance resources stored by
// clients brought up to date first), reading a code from code/system, a Coding or a
// CodeableConcept, and the 4xx answers that name the parameter to fix.
import type { RequestContext } from '../../context/request-context';
import { FhirError } from '../../fhir/errors';
import type { TerminologyService, Coding } from '../../terminology/service';
import type { OperationCall } from '../types';

/** The terminology service, after the stored CodeSystems/ValueSets/ConceptMaps have been synced
 * (another process may have written one within the shared-cache interval). */
export async function terminologyOf(ctx: RequestContext): Promise<TerminologyService> {
  await ctx.services.conformance?.sync();
  return ctx.services.core.validator.terminology;
}

/** Whether `known()` holds, asking the database once more before saying no: another process may
 * have stored the resource within the shared-cache interval. */
export async function knownOrRefreshed(ctx: RequestContext, known: () => boolean): Promise<boolean> {
  if (known()) return true;
  if (!ctx.services.conformance) return false;
  await ctx.services.conformance.refresh();
  return known();
}

/** 404 naming the parameter whose value the server does not know. */
export function unknownParam(name: string, what: string): FhirError {
  return new FhirError(404, 'TERMINOLOGY_NOT_FOUND', [{ severity: 'error', code: 'not-found', diagnostics: `Parameter '${name}': ${what} is not known to this server`, expression: [name] }]);
}

/** The canonical of the instance an operation was called on (its `url`), when called on one. */
export function instanceUrl(call: OperationCall): string | undefined {
  if (call.target.level !== 'instance' || !call.target.current?.json) return undefined;
  const url = (JSON.parse(call.target.current.json) as { url?: unknown }).url;
  return typeof url === 'string' ? url : undefined;
}

/** The stored resource an instance-level call targets. */
export function instanceResource<T>(call: OperationCall): T | undefined {
  return call.target.level === 'instance' && call.target.current?.json ? (JSON.parse(call.target.current.json) as T) : undefined;
}

/** A code given as `code` (+ `system`) or as a Coding parameter; undefined when neither. */
export function codingFrom(call: OperationCall, names: { code: string; system?: string; version?: string; coding: string; display?: string }): Coding | undefined {
  const p = call.params;
  const coding = p.get<Coding>(names.coding);
  if (coding && typeof coding === 'object') return coding;
  const code = p.string(names.code);
  if (code === undefined) return undefined;
  return {
    code,
    ...(names.system && p.string(names.system) ? { system: p.string(names.system) } : {}),
    ...(names.version && p.string(names.version) ? { version: p.string(names.version) } : {}),
    ...(names.display && p.string(names.display) ? { display: p.string(names.display) } : {}),
  };
}
