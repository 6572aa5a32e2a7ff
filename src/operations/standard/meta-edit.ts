// $meta-add and $meta-delete change only a resource's meta. By this server's choice (R4 leaves it
// open) they create no new version: versionId and lastUpdated stay, so the ETags clients hold for
// If-Match stay valid. The new content is validated and indexed like any write, then swapped in
// with compare-and-set; a concurrent write makes it read again and retry.
import type { Coding, Meta, Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../../context/request-context';
import { errors } from '../../fhir/errors';
import { parseStoredJson, serialiseResource } from '../../fhir/json';
import { readIn } from '../../interactions/crud';
import type { OperationCall, OperationResult } from '../types';

const ATTEMPTS = 20;

export type MetaEdit = (current: Meta, change: Meta) => Meta;

export async function editMeta(call: OperationCall, ctx: RequestContext, edit: MetaEdit): Promise<OperationResult> {
  const change = call.params.get<Meta>('meta') ?? {};
  for (const key of Object.keys(change)) {
    if (key !== 'profile' && key !== 'tag' && key !== 'security') {
      throw errors.invalidParam('meta', `only profile, tag and security can be added or removed, not ${key}`);
    }
  }
  const { core } = ctx.services;
  const { resourceType, id } = call.target;
  let current = call.target.current!;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    // Parsed and written back exactly: decimals keep their text (fhir/json.ts).
    const next = parseStoredJson(current.json!) as Resource;
    const meta = edit(next.meta ?? {}, change);
    next.meta = meta;
    const issues = core.validator.validate(next, next.resourceType).filter((i) => i.severity === 'error' || i.severity === 'fatal');
    if (issues.length) throw errors.invalidResource(issues);
    const json = serialiseResource(next);
    const written = await ctx.data.rewriteCurrent(current, { ...current, json, index: core.indexer(next) });
    if (written) return { out: { return: meta } };
    current = await readIn(ctx.data, core, resourceType!, id!);
  }
  throw errors.conflict(`${resourceType}/${id} kept changing while its meta was edited; try again`);
}

/** Profiles, tags and security labels are sets: profiles by URL, codings by system and code. */
export function sameCoding(a: Coding, b: Coding): boolean {
  return (a.system ?? '') === (b.system ?? '') && (a.code ?? '') === (b.code ?? '');
}

export function withoutEmpty(meta: Meta): Meta {
  const out = { ...meta };
  for (const key of ['profile', 'tag', 'security'] as const) if (out[key] && !out[key]!.length) delete out[key];
  return out;
}
