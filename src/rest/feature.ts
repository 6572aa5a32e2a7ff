// A part of the REST API mounted by app.ts: its router and what it adds to the CapabilityStatement.
import type { Router } from 'express';
import type { CapabilitySources, SystemInteraction, TypeInteraction } from '../fhir/capability';

export interface Feature {
  name: string;
  router: Router;
  typeInteractions?: TypeInteraction[];
  systemInteractions?: SystemInteraction[];
  /** Contributions to the CapabilityStatement; two features may not both declare the same part. */
  capability?: Partial<Omit<CapabilitySources, 'software' | 'baseUrl' | 'resourceTypes' | 'typeInteractions' | 'systemInteractions' | 'date' | 'operations'>>;
}
