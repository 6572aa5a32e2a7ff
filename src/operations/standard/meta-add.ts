// $meta-add (R4 Resource-meta-add): adds profiles, tags and security labels to a resource, as sets
// (no duplicates: profiles by URL, codings by system and code), without a new version.
import type { Meta } from '@medplum/fhirtypes';
import { r4OperationDefinition } from '../r4-definitions';
import type { OperationModule } from '../types';
import { editMeta, sameCoding } from './meta-edit';

export const metaAddOperation: OperationModule = {
  definition: r4OperationDefinition('Resource-meta-add'),
  affectsState: true,
  handler: (call, ctx) => editMeta(call, ctx, addMeta),
  example: {
    setup: [{ resourceType: 'Patient', id: 'meta-add-example' }],
    level: 'instance',
    resourceType: 'Patient',
    id: 'meta-add-example',
    parameters: { resourceType: 'Parameters', parameter: [{ name: 'meta', valueMeta: { tag: [{ system: 'http://example.org/tags', code: 'vip' }] } }] },
  },
};

export function addMeta(current: Meta, change: Meta): Meta {
  const out: Meta = { ...current };
  if (change.profile?.length) out.profile = [...new Set([...(current.profile ?? []), ...change.profile])];
  for (const key of ['tag', 'security'] as const) {
    const added = change[key] ?? [];
    if (!added.length) continue;
    const list = [...(current[key] ?? [])];
    for (const c of added) if (!list.some((x) => sameCoding(x, c))) list.push(c);
    out[key] = list;
  }
  return out;
}
