// Generates the CapabilityStatement from what the running server really implements: the resource
// types of the R4 definitions, the interactions the routes serve, the search parameters of the
// search registry, the operations of the operation registry and the conformance resources loaded
// from fhir-profiles/. Nothing here is hand-listed, so the statement cannot advertise a feature
// that is not wired.
import type {
  CapabilityStatement,
  CapabilityStatementRestSecurity,
  CapabilityStatementRestResource,
  CapabilityStatementRestResourceOperation,
  CapabilityStatementRestResourceSearchParam,
} from '@medplum/fhirtypes';
import { FHIR_VERSION } from './definitions';

export type TypeInteraction = 'read' | 'vread' | 'update' | 'patch' | 'delete' | 'history-instance' | 'history-type' | 'create' | 'search-type';
export type SystemInteraction = 'transaction' | 'batch' | 'search-system' | 'history-system';

export interface CapabilitySources {
  software: { name: string; version: string };
  baseUrl: string;
  resourceTypes: readonly string[];
  typeInteractions: TypeInteraction[];
  systemInteractions: SystemInteraction[];
  conditional?: { create: boolean; update: boolean; delete: 'not-supported' | 'single' | 'multiple'; read: boolean };
  /** Search parameters per type (from the search registry), if search is wired. */
  searchParams?: (type: string) => CapabilityStatementRestResourceSearchParam[];
  /** Parameters valid on every type (`_id`, `_lastUpdated`, …). */
  commonSearchParams?: CapabilityStatementRestResourceSearchParam[];
  operations?: { system: CapabilityStatementRestResourceOperation[]; byType: (type: string) => CapabilityStatementRestResourceOperation[] };
  /** Canonical URLs of StructureDefinitions loaded from fhir-profiles/, by the type they constrain. */
  profiles?: (type: string) => string[];
  /** Canonical URLs of the CompartmentDefinitions compartment search serves (from fhir-profiles/). */
  compartments?: string[];
  searchIncludes?: (type: string) => string[];
  searchRevIncludes?: (type: string) => string[];
  /** rest.security (SMART service and its OAuth endpoints) when authorization is on. */
  security?: (baseUrl: string) => CapabilityStatementRestSecurity;
  date: string;
}

export function buildCapabilityStatement(src: CapabilitySources): CapabilityStatement {
  const resources: CapabilityStatementRestResource[] = src.resourceTypes.map((type) => {
    const searchParam = src.searchParams?.(type);
    const operation = src.operations?.byType(type);
    const supportedProfile = src.profiles?.(type);
    const searchInclude = src.searchIncludes?.(type);
    const searchRevInclude = src.searchRevIncludes?.(type);
    return {
      type,
      profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
      ...(supportedProfile?.length ? { supportedProfile } : {}),
      interaction: src.typeInteractions.map((code) => ({ code })),
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: true,
      ...(src.conditional
        ? {
            conditionalCreate: src.conditional.create,
            conditionalUpdate: src.conditional.update,
            conditionalDelete: src.conditional.delete,
            conditionalRead: src.conditional.read ? 'full-support' : 'not-supported',
          }
        : { conditionalRead: 'full-support' as const }),
      ...(searchInclude?.length ? { searchInclude } : {}),
      ...(searchRevInclude?.length ? { searchRevInclude } : {}),
      ...(searchParam?.length ? { searchParam } : {}),
      ...(operation?.length ? { operation } : {}),
    } as CapabilityStatementRestResource;
  });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: src.date,
    publisher: 'Nimbus FHIR',
    kind: 'instance',
    software: src.software,
    implementation: { description: 'Nimbus FHIR server', url: src.baseUrl },
    fhirVersion: FHIR_VERSION as CapabilityStatement['fhirVersion'],
    format: ['application/fhir+json', 'json', 'application/json'],
    rest: [
      {
        mode: 'server',
        ...(src.security ? { security: src.security(src.baseUrl) } : {}),
        resource: resources,
        interaction: src.systemInteractions.map((code) => ({ code })),
        ...(src.compartments?.length ? { compartment: src.compartments } : {}),
        ...(src.commonSearchParams?.length ? { searchParam: src.commonSearchParams } : {}),
        ...(src.operations?.system.length ? { operation: src.operations.system } : {}),
      },
    ],
  } as CapabilityStatement;
}
