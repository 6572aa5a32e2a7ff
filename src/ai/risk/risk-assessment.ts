// A score as a FHIR RiskAssessment. R4 has no element for a points total, so it travels in the
// extension `risk-score` on the prediction (and in words in `rationale`); the share of the score's
// inputs that were found travels in `risk-score-confidence`, and any missing input makes the
// assessment `preliminary` and is named in `note`.
import type { Annotation, RiskAssessment } from '@medplum/fhirtypes';
import type { ScoreResult } from './score';

/** The server's canonical base (operations/registry.ts NIMBUS_CANONICAL_BASE; ai/ sits below operations/). */
const NIMBUS_CANONICAL_BASE = 'http://nimbus-fhir.org/fhir';
export const RISK_SCORE_EXTENSION = `${NIMBUS_CANONICAL_BASE}/StructureDefinition/risk-score`;
export const RISK_CONFIDENCE_EXTENSION = `${NIMBUS_CANONICAL_BASE}/StructureDefinition/risk-score-confidence`;
export const RISK_MODEL_SYSTEM = `${NIMBUS_CANONICAL_BASE}/CodeSystem/risk-model`;
const RISK_PROBABILITY = 'http://terminology.hl7.org/CodeSystem/risk-probability';
const QUALITATIVE_DISPLAY = { negligible: 'Negligible likelihood', low: 'Low likelihood', moderate: 'Moderate likelihood', high: 'High likelihood' } as const;

export function riskAssessment(result: ScoreResult, patientId: string, occurrence: string): RiskAssessment {
  const confidence = Math.round(((result.inputs - result.missing.length) / result.inputs) * 100) / 100;
  const basis = [...new Set(result.components.flatMap((c) => c.basis))].filter((b) => !b.startsWith('Patient/'));
  const rationale = [
    `${result.model.display}: ${result.points} points${result.missing.length ? ' (at least: inputs missing)' : ''}`,
    ...result.components.map((c) => `${c.name} ${c.points}: ${c.finding}`),
    ...result.remarks,
  ].join('; ');
  const note: Annotation[] = [{ text: `Source: ${result.model.source}` }];
  for (const m of result.missing) note.push({ text: `Missing input, not scored: ${m}` });
  return {
    resourceType: 'RiskAssessment',
    status: result.missing.length ? 'preliminary' : 'final',
    subject: { reference: `Patient/${patientId}` },
    occurrenceDateTime: occurrence,
    method: { coding: [{ system: RISK_MODEL_SYSTEM, code: result.model.code, display: result.model.display }], text: result.model.display },
    ...(basis.length ? { basis: basis.map((reference) => ({ reference })) } : {}),
    prediction: [
      {
        extension: [
          { url: RISK_SCORE_EXTENSION, valueInteger: result.points },
          { url: RISK_CONFIDENCE_EXTENSION, valueDecimal: confidence },
        ],
        outcome: { text: result.model.outcome },
        ...(result.probability !== undefined ? { probabilityDecimal: result.probability } : {}),
        qualitativeRisk: { coding: [{ system: RISK_PROBABILITY, code: result.qualitative, display: QUALITATIVE_DISPLAY[result.qualitative] }] },
        rationale,
      },
    ],
    note,
  };
}
