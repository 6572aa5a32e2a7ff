// Write rule for Measure: its criteria are compiled when it is stored (create, update, PATCH,
// conditional and Bundle writes all pass writeWithRules), so a criteria that does not parse
// answers 400 naming it then, not later when someone evaluates the Measure. Only the
// application/x-fhir-query criteria are checked (analytics/measure-criteria.ts), so a Measure
// written for a CQL engine can still be stored; evaluating it here answers 400.
import type { Measure } from '@medplum/fhirtypes';
import { checkStoredMeasure } from '../analytics/measure-criteria';
import type { Services } from '../interactions/services';
import type { VersionWrite } from '../storage/engine';

export function checkMeasureWrite(services: Services, version: VersionWrite): void {
  if (version.resourceType !== 'Measure' || version.deleted || !version.json || !services.search) return;
  checkStoredMeasure(JSON.parse(version.json) as Measure, services.search, services.baseUrl ?? 'http://localhost');
}
