// CDS Hooks 2.0 over HTTP at {server}/cds-services: discovery (GET), the services (POST {id}), the
// feedback endpoint (POST {id}/feedback) and the knowledge table the cards cite (GET knowledge).
// The CDS client's JWT is verified first when NIMBUS_CDS_TRUSTED_ISSUERS is set. Data the client
// did not prefetch is read from its fhirServer (with fhirAuthorization) or from this server
// through the request context's door. Errors answer {error, description} with the status the
// specification names (400 malformed, 401 untrusted client, 404 unknown service, 412 data
// unavailable), never an OperationOutcome or a stack trace.
import type { IncomingMessage } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Resource } from '@medplum/fhirtypes';
import { CdsClientVerifier } from '../ai/cds/client-jwt';
import { makeCard, type IssuedCard } from '../ai/cds/cards';
import { hookData, localSource, remoteSource, type FhirSource } from '../ai/cds/data-source';
import { receiveFeedback, storeIssuedCards } from '../ai/cds/feedback';
import { CdsError, checkSentResources, parseHookRequest } from '../ai/cds/hook-request';
import { loadDrugKnowledge } from '../ai/cds/knowledge';
import { CDS_SERVICES, runService } from '../ai/cds/services';
import { CHA2DS2_VASC_MODEL } from '../ai/risk/cha2ds2-vasc';
import { NEWS2_MODEL } from '../ai/risk/news2';
import type { ServerServices } from '../context/server-services';
import { FhirError } from '../fhir/errors';
import { hasErrors } from '../fhir/validator/validator';
import { toFhirError } from './error-middleware';
import { contextFor, type Authenticate } from './context';
import { baseUrlOf } from './request';

export function cdsHooksRoutes(services: ServerServices, authenticate: Authenticate): express.Router {
  const { config, logger } = services;
  const knowledge = loadDrugKnowledge();
  const clock = () => services.core.clock.now();
  const verifier = new CdsClientVerifier(config.cdsTrustedIssuers, services.engine.system, clock);
  const router = express.Router();
  const originOf = (req: Request) => baseUrlOf(req, config).replace(/\/fhir$/, '');
  const validFhir = (resource: Resource): string | undefined => {
    const issues = services.core.validator.validate(resource, resource.resourceType);
    if (!hasErrors(issues)) return undefined;
    const first = issues.find((i) => i.severity === 'error' || i.severity === 'fatal')!;
    return `${first.expression?.[0] ? `${first.expression[0]}: ` : ''}${first.diagnostics}`.slice(0, 300);
  };

  router.use((req, res, next) => {
    res.locals.mount = '/cds-services';
    next();
  });
  if (verifier.enabled) {
    router.use(async (req, res, next) => {
      // The knowledge table is reference data a clinician's browser opens from a card's source.url
      // (spec: loaded "in a browser context"), which carries no CDS client JWT.
      if (req.method === 'GET' && req.path === '/knowledge') return next();
      const endpoint = `${originOf(req)}/cds-services${req.path === '/' ? '' : req.path.replace(/\/$/, '')}`;
      // Feedback is addressed to its own URL; a client may also name the service it gives feedback on.
      const audiences = endpoint.endsWith('/feedback') ? [endpoint, endpoint.slice(0, -'/feedback'.length)] : [endpoint];
      res.locals.cdsClient = await verifier.verify(req.headers.authorization, audiences);
      next();
    });
  }
  router.use(express.json({ limit: config.maxBodyBytes, type: () => true, strict: false }));

  router.get('/', (_req, res) => {
    res.json({ services: CDS_SERVICES });
  });

  router.get('/knowledge', (_req, res) => {
    res.json({
      about: knowledge.about,
      version: knowledge.version,
      ...knowledge.rows(),
      duplicateTherapy: { classes: knowledge.duplicateClasses, citation: knowledge.duplicateCitation },
      scores: [
        { id: 'news2', source: NEWS2_MODEL.source },
        { id: 'cha2ds2-vasc', source: CHA2DS2_VASC_MODEL.source },
        { id: 'hba1c-overdue', source: 'American Diabetes Association. Standards of Medical Care in Diabetes, 6. Glycemic Targets (A1C at least twice a year in patients meeting treatment goals).' },
      ],
    });
  });

  router.post('/:id', async (req, res) => {
    const service = CDS_SERVICES.find((s) => s.id === req.params.id);
    if (!service) throw new CdsError(404, 'unknown_service', `there is no CDS service '${String(req.params.id).slice(0, 64)}'; GET /cds-services lists them`);
    const request = parseHookRequest(req.body, service.hook);
    checkSentResources(request, validFhir);
    const origin = originOf(req);
    let source: FhirSource | undefined;
    const sourceFor = (): FhirSource => {
      if (source) return source;
      if (request.fhirServer) {
        if (!request.fhirAuthorization) throw new CdsError(412, 'data_unavailable', 'fhirServer was given without fhirAuthorization: send the prefetch, or a token for that server');
        source = remoteSource(request.fhirServer, request.fhirAuthorization.access_token, validFhir);
      } else source = localSourceFor(req, res, services, authenticate, verifier.enabled);
      return source;
    };
    const inputs = await runService(service, request, hookData(request, service.prefetch, sourceFor), { knowledge, now: clock(), knowledgeUrl: `${origin}/cds-services/knowledge` });
    const issued: IssuedCard[] = [];
    const cards = inputs.map((input) => {
      const made = makeCard(input, { service: service.id, hookInstance: request.hookInstance, patientId: String(request.context.patientId) });
      issued.push(made.issued);
      return made.card;
    });
    await storeIssuedCards(services.engine.system, issued);
    res.json({ cards });
  });

  router.post('/:id/feedback', async (req, res) => {
    const service = CDS_SERVICES.find((s) => s.id === req.params.id);
    if (!service) throw new CdsError(404, 'unknown_service', `there is no CDS service '${String(req.params.id).slice(0, 64)}'`);
    const received = await receiveFeedback(services.engine.system, service.id, req.body, clock());
    res.json({ received });
  });

  router.use((req, res, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'POST') return next(new CdsError(404, 'not_found', `no CDS Hooks endpoint answers ${req.method} ${req.originalUrl.slice(0, 200)}`));
    res.setHeader('Allow', 'GET, POST');
    next(new CdsError(405, 'method_not_allowed', `CDS Hooks endpoints answer GET (discovery) and POST (services, feedback), not ${req.method}`));
  });
  router.use((e: unknown, req: Request, res: Response, _next: NextFunction) => {
    let answer: CdsError;
    if (e instanceof CdsError) answer = e;
    else {
      const f = toFhirError(e, config.maxBodyBytes);
      answer = new CdsError(f.status, f.errorCode.toLowerCase(), f.status >= 500 ? 'internal error; the incident has been logged' : f.message);
      if (f.status >= 500 && !(e instanceof FhirError)) logger.error({ err: e, method: req.method, route: req.route?.path }, 'CDS Hooks request failed');
    }
    if (answer.status < 500) logger.info({ status: answer.status, error: answer.error, method: req.method }, 'CDS Hooks request refused');
    if (res.headersSent) return void res.end();
    if (answer.status === 401) res.setHeader('WWW-Authenticate', `Bearer error="${answer.error}"`);
    res.status(answer.status).json({ error: answer.error, description: answer.description });
  });
  return router;
}

/** This server as the data source, for the caller the CDS call stands for: its own bearer token
 * (when no CDS client JWT occupies the Authorization header), otherwise anonymous. */
function localSourceFor(req: Request, res: Response, services: ServerServices, authenticate: Authenticate, jwtInHeader: boolean): FhirSource {
  const asCaller: IncomingMessage = jwtInHeader ? Object.create(req, { headers: { value: { ...req.headers, authorization: undefined } } }) : req;
  let reader: Promise<Parameters<typeof localSource>[0]> | undefined;
  const open = () =>
    (reader ??= contextFor(services, authenticate, asCaller, res, baseUrlOf(req, services.config)).then(
      (ctx) => ({ data: ctx.data, search: services.search, baseUrl: ctx.baseUrl }),
      (e: unknown) => {
        if (e instanceof FhirError && (e.status === 401 || e.status === 403)) throw new CdsError(412, 'data_unavailable', `this server's data needs authorization (${e.message.slice(0, 160)}): send the prefetch`);
        throw e;
      },
    ));
  return {
    label: 'this server',
    async query(url) {
      return localSource(await open()).query(url);
    },
  };
}
