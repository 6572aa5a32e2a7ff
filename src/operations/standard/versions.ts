// $versions (R4 CapabilityStatement-versions): the FHIR versions this endpoint serves. One: R4,
// whose major.minor is 4.0; there is no fhirVersion MIME parameter negotiation to offer others.
import { r4OperationDefinition } from '../r4-definitions';
import type { OperationModule } from '../types';

export const versionsOperation: OperationModule = {
  definition: r4OperationDefinition('CapabilityStatement-versions'),
  affectsState: false,
  handler: async () => ({ out: { version: ['4.0'], default: '4.0' } }),
  example: { level: 'system' },
};
