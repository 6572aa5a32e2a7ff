// The operations this server performs: the one list the registry is built from.
import type { OperationModule } from './types';
import { validateOperation } from './standard/validate';
import { versionsOperation } from './standard/versions';
import { metaOperation } from './standard/meta';
import { metaAddOperation } from './standard/meta-add';
import { metaDeleteOperation } from './standard/meta-delete';
import { reindexOperation } from './standard/reindex';
import { expungeOperation } from './standard/expunge';
import { everythingOperation } from './analytics/everything';
import { lastnOperation } from './analytics/lastn';
import { exportOperation } from './analytics/export';
import { statsOperation } from './analytics/stats';
import { populationStatsOperation } from './analytics/population-stats';
import { evaluateMeasureOperation } from './analytics/evaluate-measure';

import { findOperation } from './scheduling/find';
import { holdOperation } from './scheduling/hold';
import { bookOperation } from './scheduling/book';
import { cancelOperation } from './scheduling/cancel';
import { rescheduleOperation } from './scheduling/reschedule';
import { riskAssessmentOperation } from './ai/risk-assessment';
import { questionnaireAggregateOperation } from './feedback/aggregate';
import { matchOperation } from './ai/match';
import { trainOperation } from './ai/train';
import { predictOperation } from './ai/predict';
import { lookupOperation } from './terminology/lookup';
import { codeSystemValidateCodeOperation, valueSetValidateCodeOperation } from './terminology/validate-code';
import { subsumesOperation } from './terminology/subsumes';
import { expandOperation } from './terminology/expand';
import { translateOperation } from './terminology/translate';


export function standardOperations(): OperationModule[] {
  return [
    versionsOperation,
    validateOperation,
    metaOperation,
    metaAddOperation,
    metaDeleteOperation,
    reindexOperation,
    expungeOperation,
    everythingOperation,
    lastnOperation,
    exportOperation,
    statsOperation,
    populationStatsOperation,
    evaluateMeasureOperation,
    findOperation,
    holdOperation,
    bookOperation,
    cancelOperation,
    rescheduleOperation,
    riskAssessmentOperation,
    questionnaireAggregateOperation,
    matchOperation,
    trainOperation,
    predictOperation,
    lookupOperation,
    codeSystemValidateCodeOperation,
    subsumesOperation,
    expandOperation,
    valueSetValidateCodeOperation,
    translateOperation,
    // New operations: one line each, grouped by area, so parallel branches merge cleanly.
  ];
}
