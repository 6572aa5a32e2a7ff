// The feedback rule every QuestionnaireResponse write passes (plain create/update/PATCH,
// conditional writes, Bundle entries, import): a response that names its Questionnaire is checked
// against it. The validator already checks contained Questionnaires and those among the conformance
// resources it knows (fhir-profiles/, the R4 core); here, inside the write's transaction, the
// Questionnaires stored by clients are found too (so a Questionnaire written earlier in the same
// Bundle counts), and a response naming a Questionnaire nobody knows is refused.
import type { Questionnaire } from '@medplum/fhirtypes';
import { errors, FhirError } from '../fhir/errors';
import { hasErrors } from '../fhir/validation';
import { checkAgainstQuestionnaire, validatorKnowsQuestionnaire } from '../fhir/validator/questionnaire-response';
import { splitCanonical } from '../fhir/validator/registry';
import { Walker } from '../fhir/validator/walker';
import type { Predicate } from '../search/plan';
import type { EngineReader, VersionWrite } from '../storage/engine';
import type { Services } from '../interactions/services';

const LITERAL = /^(?:.*\/)?Questionnaire\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

/** Refuses (400, every issue listed) a QuestionnaireResponse whose answers do not fit its Questionnaire. */
export async function checkQuestionnaireResponseWrite(tx: EngineReader, services: Services, version: VersionWrite): Promise<void> {
  if (version.deleted || !version.json) return;
  const qr = JSON.parse(version.json) as Record<string, unknown>;
  const ref = qr.questionnaire;
  if (typeof ref !== 'string' || ref.startsWith('#')) return; // none named, or contained (the validator's)
  const core = services.validator.validator.core;
  if (validatorKnowsQuestionnaire(qr, core)) return; // checked by the validation in prepareVersion
  const q = await storedQuestionnaire(tx, ref);
  if (!q) throw unknownQuestionnaire(ref);
  const walker = new Walker(core);
  checkAgainstQuestionnaire(walker, qr, q as unknown as Record<string, unknown>, 'QuestionnaireResponse', core);
  if (hasErrors(walker.issues)) throw errors.invalidResource(walker.issues);
}

/**
 * The stored Questionnaire a canonical names: by `url` (the newest `version` when none is pinned,
 * else that version), or — as some clients write it — a literal `Questionnaire/[id]`.
 */
export async function storedQuestionnaire(reader: EngineReader, ref: string): Promise<Questionnaire | undefined> {
  const { url, version } = splitCanonical(ref);
  const where: Predicate[] = [{ kind: 'uri', param: 'url', match: 'exact', value: url }];
  if (version) where.push({ kind: 'token', param: 'version', code: version });
  const found = await reader.search({ resourceTypes: ['Questionnaire'], where, sort: [], count: 50, total: 'none', include: [], revinclude: [] });
  const candidates = found.matches.filter((m) => !m.deleted && m.json).map((m) => JSON.parse(m.json as string) as Questionnaire);
  if (candidates.length) return candidates.reduce((a, b) => ((b.version ?? '') > (a.version ?? '') ? b : a));
  const literal = LITERAL.exec(url);
  if (!literal) return undefined;
  const current = await reader.read('Questionnaire', literal[1]);
  return current && !current.deleted && current.json ? (JSON.parse(current.json) as Questionnaire) : undefined;
}

function unknownQuestionnaire(ref: string): FhirError {
  return new FhirError(422, 'UNKNOWN_QUESTIONNAIRE', [
    {
      severity: 'error',
      code: 'not-found',
      diagnostics: `The Questionnaire ${ref.slice(0, 300)} is not known to this server: store the Questionnaire first (or name one it holds, by its canonical url), then send the response again`,
      expression: ['QuestionnaireResponse.questionnaire'],
      messageId: 'QUESTIONNAIRE_UNKNOWN',
    },
  ]);
}
