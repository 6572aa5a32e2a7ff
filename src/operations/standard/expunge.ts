// $expunge (server-specific): removes stored data for good. Instance level: the resource's whole
// history, deleted or not (a patient's right to erasure). Type level: every deleted resource of
// the type, optionally only those deleted before `_before`, walked in pages with a resumable
// cursor. Each removal is decided atomically by the engine (Engine.expunge with a condition), so a
// resource re-created meanwhile is left alone, and each is recorded in an AuditEvent.
import type { RequestContext } from '../../context/request-context';
import { assertMayExpunge } from '../../access/data-access';
import { auditExpunge } from '../../audit/expunge-audit';
import { errors } from '../../fhir/errors';
import { nimbusOperationDefinition } from '../nimbus-definitions';
import type { OperationCall, OperationModule, OperationResult } from '../types';

const PAGE = 200;

interface ExpungeCheckpoint {
  after?: string;
  expunged: number;
  versions: number;
}

export const expungeOperation: OperationModule = {
  definition: nimbusOperationDefinition('expunge'),
  affectsState: true,
  requires: 'admin',
  targetMayBeDeleted: true,
  async: 'allowed',
  resumable: true,
  handler: expunge,
  example: { setup: [{ resourceType: 'Basic', id: 'expunge-example', code: { text: 'example' } }], level: 'instance', resourceType: 'Basic', id: 'expunge-example' },
};

async function expunge(call: OperationCall, ctx: RequestContext): Promise<OperationResult> {
  const { target, params } = call;
  const before = params.string('_before');
  if (target.level === 'instance') {
    if (before !== undefined) throw errors.invalidParam('_before', 'is only for the type level; the instance level removes the whole history');
    const versions = await ctx.data.expunge(target.resourceType!, target.id!);
    if (versions) await auditExpunge(ctx, { reference: `${target.resourceType}/${target.id}`, versions, level: 'instance' });
    return { out: { expunged: versions ? 1 : 0, versions } };
  }
  // Refused before the walk, not only at the first deleted resource it meets.
  assertMayExpunge(ctx.data.policy, target.resourceType!);
  const deletedBefore = before === undefined ? undefined : new Date(before).toISOString();
  const state = (call.job.checkpoint as ExpungeCheckpoint | undefined) ?? { expunged: 0, versions: 0 };
  for (;;) {
    const page = await ctx.data.scanPage({ resourceType: target.resourceType!, after: state.after, limit: PAGE, includeDeleted: true });
    for (const v of page.versions) {
      if (!v.deleted || (deletedBefore !== undefined && v.lastUpdated >= deletedBefore)) continue;
      // The engine decides again, atomically: a resource re-created since the page was read stays.
      const versions = await ctx.data.expunge(v.resourceType, v.id, { deleted: true, deletedBefore });
      if (!versions) continue;
      state.expunged++;
      state.versions += versions;
      await auditExpunge(ctx, { reference: `${v.resourceType}/${v.id}`, versions, level: 'type' });
    }
    if (!page.next) break;
    state.after = page.next;
    await call.job.save(state, state.expunged);
  }
  return { out: { expunged: state.expunged, versions: state.versions } };
}
