// GET [base]/metadata: the CapabilityStatement, generated (once per base URL) from the core
// interactions plus what each mounted feature declares.
import { Router } from 'express';
import type { Feature } from '../app';
import type { Config } from '../config';
import { buildCapabilityStatement, type CapabilitySources, type SystemInteraction, type TypeInteraction } from '../fhir/capability';
import type { Services } from '../interactions/services';
import { sendJson } from './http-format';
import { baseUrlOf } from './request';

const CORE_TYPE_INTERACTIONS: TypeInteraction[] = ['read', 'vread', 'update', 'delete', 'history-instance', 'history-type', 'create'];
const CORE_SYSTEM_INTERACTIONS: SystemInteraction[] = ['history-system'];

export function metadataRoute(
  services: Services,
  config: Config,
  features: Feature[],
  conformance: Pick<CapabilitySources, 'profiles' | 'compartments'> = {},
): Router {
  const router = Router();
  const started = services.clock.now().toISOString();
  const cache = new Map<string, string>();
  router.get('/metadata', (req, res) => {
    const base = baseUrlOf(req, config.baseUrl);
    let text = cache.get(base);
    if (!text) {
      const sources: CapabilitySources = {
        software: { name: 'Nimbus FHIR', version: '0.1.0' },
        baseUrl: base,
        resourceTypes: services.definitions.resourceTypes,
        typeInteractions: [...CORE_TYPE_INTERACTIONS, ...features.flatMap((f) => f.typeInteractions ?? [])],
        systemInteractions: [...CORE_SYSTEM_INTERACTIONS, ...features.flatMap((f) => f.systemInteractions ?? [])],
        date: started,
        ...conformance,
      };
      for (const f of features) Object.assign(sources, f.capability ?? {});
      text = JSON.stringify(buildCapabilityStatement(sources));
      cache.set(base, text);
    }
    sendJson(req, res, 200, text);
  });
  return router;
}
