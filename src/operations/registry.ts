// The one list of operations this server performs. It answers "which module handles $code at this
// level on this type" for the HTTP routes and Bundle entries, and feeds the CapabilityStatement and
// the stored OperationDefinitions, so the server never advertises an operation it does not do.
import type { CapabilityStatementRestResourceOperation, OperationDefinition } from '@medplum/fhirtypes';
import { errors } from '../fhir/errors';
import type { OperationLevel, OperationModule } from './types';

/** Namespace of the canonical URLs of this server's own conformance resources. */
export const NIMBUS_CANONICAL_BASE = 'http://nimbus-fhir.org/fhir';

export class OperationRegistry {
  /** Modules by code. One code may name operations on different resource types (R4 has
   * CodeSystem/$validate-code and ValueSet/$validate-code); they may not overlap. */
  private readonly byCode = new Map<string, OperationModule[]>();

  constructor(modules: OperationModule[]) {
    for (const m of modules) {
      const code = m.definition.code;
      if (!code || !m.definition.url || !m.definition.id) throw new Error(`an operation needs a code, url and id in its definition (${code ?? '?'})`);
      const same = this.byCode.get(code) ?? [];
      if (same.some((other) => overlaps(other.definition, m.definition))) throw new Error(`two operations are registered as $${code}`);
      this.byCode.set(code, [...same, withAffectsState(m)]);
    }
  }

  get modules(): OperationModule[] {
    return [...this.byCode.values()].flat();
  }

  /** The module for `$code` at this level and type: 404 for an unknown operation, 400 for a level
   * or type its definition does not allow. */
  find(code: string, level: OperationLevel, resourceType?: string): OperationModule {
    const candidates = this.byCode.get(code);
    if (!candidates) throw errors.unknownOperation(code);
    const m = (level !== 'system' && candidates.find((c) => appliesTo(c.definition, resourceType!))) || candidates[0];
    const d = m.definition;
    if (!d[level]) throw errors.operationLevel(code, level, levelsOf(d));
    if (level !== 'system' && !appliesTo(d, resourceType!)) throw errors.operationLevel(code, `${resourceType} ${level}`, (d.resource ?? []).join(', ') || 'none');
    return m;
  }

  /** CapabilityStatement entries: system-level operations, and per type those at type or instance level. */
  capability(): { system: CapabilityStatementRestResourceOperation[]; byType: (type: string) => CapabilityStatementRestResourceOperation[] } {
    const entry = (d: OperationDefinition): CapabilityStatementRestResourceOperation => ({ name: d.code!, definition: d.url! });
    const system = this.modules.filter((m) => m.definition.system).map((m) => entry(m.definition));
    const typed = this.modules.filter((m) => m.definition.type || m.definition.instance);
    return { system, byType: (type) => typed.filter((m) => appliesTo(m.definition, type)).map((m) => entry(m.definition)) };
  }

  /** The definitions as stored resources (readable at OperationDefinition/[id], searchable). */
  definitions(): OperationDefinition[] {
    return this.modules.map((m) => m.definition);
  }
}

function appliesTo(d: OperationDefinition, type: string): boolean {
  return ((d.resource ?? []) as string[]).some((r) => r === type || r === 'Resource' || (r === 'DomainResource' && type !== 'Bundle' && type !== 'Binary' && type !== 'Parameters'));
}

/** Two definitions of one code clash when both are system-level or share a resource type. */
function overlaps(a: OperationDefinition, b: OperationDefinition): boolean {
  if (a.system && b.system) return true;
  const types = (a.resource ?? []) as string[];
  return ((b.resource ?? []) as string[]).some((t) => types.includes(t) || t === 'Resource' || types.includes('Resource'));
}

function levelsOf(d: OperationDefinition): string {
  return (['system', 'type', 'instance'] as const).filter((l) => d[l]).join(', ');
}

/** The served definition says whether the operation changes state (R4's mostly leave it out). */
function withAffectsState(m: OperationModule): OperationModule {
  if (m.definition.affectsState === m.affectsState) return m;
  return { ...m, definition: { ...m.definition, affectsState: m.affectsState } };
}
