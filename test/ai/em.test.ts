// EM recovers known Fellegi–Sunter parameters from the pattern counts they imply (expected counts,
// so the test is exact and deterministic), starting from the linker's documented prior.
import { FIELD_NAMES, patternKey, type ComparisonVector, type Field } from '../../src/ai/matching/compare';
import { estimateByEm } from '../../src/ai/matching/em';
import { PRIOR_MODEL } from '../../src/ai/matching/model';

const truth = {
  lambda: 0.1,
  m: { birthDate: [0.9, 0.05, 0.03, 0.02], address: [0.85, 0.05, 0.1], phone: [0.8, 0.2], email: [0.7, 0.3] },
  u: { birthDate: [0.01, 0.001, 0.04, 0.949], address: [0.02, 0.01, 0.97], phone: [0.02, 0.98], email: [0.01, 0.99] },
};
type Used = keyof typeof truth.m;
const USED = Object.keys(truth.m) as Used[];

function expectedPatterns(pairs: number): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (i: number, levels: number[]) => {
    if (i === USED.length) {
      let pm = truth.lambda;
      let pu = 1 - truth.lambda;
      USED.forEach((f, j) => {
        pm *= truth.m[f][levels[j]];
        pu *= truth.u[f][levels[j]];
      });
      const vector = Object.fromEntries(FIELD_NAMES.map((f) => [f, USED.includes(f as Used) ? levels[USED.indexOf(f as Used)] : -1])) as ComparisonVector;
      out.set(patternKey(vector), pairs * (pm + pu));
      return;
    }
    truth.m[USED[i]].forEach((_, l) => walk(i + 1, [...levels, l]));
  };
  walk(0, []);
  return out;
}

it('recovers λ, m and u from the counts of comparison patterns', () => {
  const model = estimateByEm(expectedPatterns(200_000), PRIOR_MODEL, { maxIterations: 1000, tolerance: 1e-9 });
  expect(model.source).toBe('em');
  expect(model.lambda).toBeCloseTo(truth.lambda, 2);
  for (const f of USED) {
    truth.m[f].forEach((p, l) => expect(Math.abs(model.m[f as Field][l] - p)).toBeLessThan(0.02));
    truth.u[f].forEach((p, l) => expect(Math.abs(model.u[f as Field][l] - p)).toBeLessThan(0.02));
  }
  // Fields no pair carries stay at the prior.
  expect(model.m.given).toEqual(PRIOR_MODEL.m.given.map((p) => expect.closeTo(p, 6)));
});

it('keeps a level never seen among matches at a plausible weight (the prior pseudo-pairs)', () => {
  // 60 matches that always agree on phone, 6,000 non-matches that never do.
  const agree = patternKey({ ...Object.fromEntries(FIELD_NAMES.map((f) => [f, -1])), birthDate: 0, address: 0, phone: 0 } as ComparisonVector);
  const differ = patternKey({ ...Object.fromEntries(FIELD_NAMES.map((f) => [f, -1])), birthDate: 3, address: 2, phone: 1 } as ComparisonVector);
  const model = estimateByEm(new Map([[agree, 60], [differ, 6000]]), PRIOR_MODEL);
  expect(model.m.phone[1]).toBeGreaterThan(0.01);
  expect(Math.log2(model.m.phone[1] / model.u.phone[1])).toBeGreaterThan(-8);
});
