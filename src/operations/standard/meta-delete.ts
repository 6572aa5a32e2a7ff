// $meta-delete (R4 Resource-meta-delete): removes profiles (by URL), tags and security labels (by
// system and code) from a resource, without a new version.
import type { Meta } from '@medplum/fhirtypes';
import { r4OperationDefinition } from '../r4-definitions';
import type { OperationModule } from '../types';
import { editMeta, sameCoding, withoutEmpty } from './meta-edit';

export const metaDeleteOperation: OperationModule = {
  definition: r4OperationDefinition('Resource-meta-delete'),
  affectsState: true,
  handler: (call, ctx) => editMeta(call, ctx, deleteMeta),
  example: {
    setup: [{ resourceType: 'Patient', id: 'meta-delete-example', meta: { tag: [{ system: 'http://example.org/tags', code: 'vip' }] } }],
    level: 'instance',
    resourceType: 'Patient',
    id: 'meta-delete-example',
    parameters: { resourceType: 'Parameters', parameter: [{ name: 'meta', valueMeta: { tag: [{ system: 'http://example.org/tags', code: 'vip' }] } }] },
  },
};

export function deleteMeta(current: Meta, change: Meta): Meta {
  return withoutEmpty({
    ...current,
    ...(current.profile ? { profile: current.profile.filter((p) => !(change.profile ?? []).includes(p)) } : {}),
    ...(current.tag ? { tag: current.tag.filter((t) => !(change.tag ?? []).some((c) => sameCoding(t, c))) } : {}),
    ...(current.security ? { security: current.security.filter((t) => !(change.security ?? []).some((c) => sameCoding(t, c))) } : {}),
  });
}
