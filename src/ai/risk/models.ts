// The validated scores this server computes, by the code `$risk-assessment?model=` takes.
import { cha2ds2Vasc } from './cha2ds2-vasc';
import { charlson } from './charlson';
import { lace } from './lace';
import { news2 } from './news2';
import type { PatientRecord, ScoreResult } from './score';
import { lookupTable } from '../../lookup-table';

export interface RiskModel {
  score(record: PatientRecord): ScoreResult;
  /** Which parts of the record the score reads (so nothing else is fetched). */
  reads: { conditions?: boolean; encounters?: boolean; vitals?: boolean };
}

export const RISK_MODELS: Record<string, RiskModel> = lookupTable({
  charlson: { score: charlson, reads: { conditions: true } },
  'cha2ds2-vasc': { score: cha2ds2Vasc, reads: { conditions: true } },
  lace: { score: lace, reads: { conditions: true, encounters: true } },
  news2: { score: news2, reads: { vitals: true } },
});
