// $meta (R4 Resource-meta): the profiles, tags and security labels in use — across the system, in
// one type (counted inside the database from the index, over what the caller may see), or of one
// resource (its meta as stored, versionId and lastUpdated included).
import type { Coding, Meta } from '@medplum/fhirtypes';
import type { RequestContext } from '../../context/request-context';
import type { AggregateGroup } from '../../storage/engine';
import { r4OperationDefinition } from '../r4-definitions';
import type { OperationCall, OperationModule } from '../types';

export const metaOperation: OperationModule = {
  definition: r4OperationDefinition('Resource-meta'),
  affectsState: false,
  handler: meta,
  example: { setup: [{ resourceType: 'Patient', id: 'meta-example', meta: { tag: [{ system: 'http://example.org/tags', code: 'vip' }] } }], level: 'type', resourceType: 'Patient' },
};

async function meta(call: OperationCall, ctx: RequestContext) {
  const { target } = call;
  if (target.level === 'instance') {
    const stored = (JSON.parse(target.current!.json!) as { meta?: Meta }).meta ?? {};
    return { out: { return: stored } };
  }
  const resourceTypes = target.level === 'type' ? [target.resourceType!] : [];
  const count = (param: string, kind: 'token' | 'uri') => ctx.data.aggregate({ resourceTypes, where: [], groupBy: { param, kind } });
  const [tags, security, profiles] = await Promise.all([count('_tag', 'token'), count('_security', 'token'), count('_profile', 'uri')]);
  const summary: Meta = {};
  if (profiles.groups.length) summary.profile = profiles.groups.map((g) => g.key.value!).sort();
  if (tags.groups.length) summary.tag = codings(tags.groups);
  if (security.groups.length) summary.security = codings(security.groups);
  return { out: { return: summary } };
}

/** Distinct system|code pairs, in a stable order. */
function codings(groups: AggregateGroup[]): Coding[] {
  return groups
    .map((g) => ({ ...(g.key.system ? { system: g.key.system } : {}), ...(g.key.code ? { code: g.key.code } : {}) }))
    .sort((a, b) => `${a.system ?? ''}|${a.code ?? ''}`.localeCompare(`${b.system ?? ''}|${b.code ?? ''}`));
}
