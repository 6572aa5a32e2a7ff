// Bundle entries that call operations (R4 http.html#transaction: `[base]/$op`, `[type]/$op`,
// `[type]/[id]/$op`, with GET and URL parameters or POST and a Parameters resource), run by the
// same invoker as the HTTP routes. Operations that change state run in batches only: inside a
// transaction their writes could not be undone with the rest.
import type { BundleEntry, Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../context/request-context';
import { errors } from '../fhir/errors';
import { invokeOperation } from '../operations/invoke';
import type { EntryRequest } from './entry-request';
import { statusText } from './entry-response';

export async function operationEntry(ctx: RequestContext, e: EntryRequest): Promise<BundleEntry> {
  if (e.method !== 'GET' && e.method !== 'POST') throw errors.badRequest(`an operation entry uses GET or POST, not ${e.method}`);
  const answer = await invokeOperation(ctx, {
    code: e.operation!.slice(1),
    level: e.id ? 'instance' : e.type ? 'type' : 'system',
    resourceType: e.type,
    id: e.id,
    method: e.method,
    query: e.query ? [...new URLSearchParams(e.query)] : [],
    body: e.method === 'POST' ? e.resource : undefined,
    respondAsync: false,
  });
  const body = answer.body as Resource | undefined;
  return { ...(body && typeof body === 'object' && typeof body.resourceType === 'string' ? { resource: body } : {}), response: { status: statusText(answer.status) } };
}

/** Whether an operation entry may run inside a transaction (it must not change data). */
export function assertReadOnlyOperation(ctx: RequestContext, e: EntryRequest): void {
  const module = ctx.services.operations.find(e.operation!.slice(1), e.id ? 'instance' : e.type ? 'type' : 'system', e.type);
  if (module.affectsState) throw errors.badRequest(`${e.operation} changes data and cannot run inside a transaction; send it in a batch Bundle`);
}
