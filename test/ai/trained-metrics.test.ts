// The measures and the learner on cases small enough to check by hand.
import { auc, bootstrapAuc, brier, calibrationTable, weightedAuc } from '../../src/ai/trained/metrics';
import { contributions, fitLogistic, predictLogistic } from '../../src/ai/trained/logistic';
import { splitByPatient, trainAndEvaluate, TooLittleData } from '../../src/ai/trained/evaluate';

describe('metrics', () => {
  it('AUC is the share of positive–negative pairs ranked right, ties counting half', () => {
    // Pairs (pos, neg): (0.35,0.1) right, (0.35,0.4) wrong, (0.8,0.1) right, (0.8,0.4) right → 3/4.
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
    expect(auc([0.5, 0.5, 0.5], [0, 1, 1])).toBeCloseTo(0.5, 12);
    // 1 pair right, 1 tie (half): (0.2 vs 0.9 neg wrong)… positives {0.9, 0.5}, negatives {0.5, 0.1}:
    // (0.9,0.5) 1, (0.9,0.1) 1, (0.5,0.5) ½, (0.5,0.1) 1 → 3.5/4.
    expect(auc([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0])).toBeCloseTo(0.875, 12);
    expect(auc([0.9, 0.1], [1, 1])).toBeNaN();
  });

  it('Brier score and the calibration table', () => {
    expect(brier([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo((0.01 + 0.16 + 0.4225 + 0.04) / 4, 12);
    expect(calibrationTable([0.05, 0.08, 0.31, 0.35, 0.99, 1], [0, 1, 0, 0, 1, 1])).toEqual([
      { low: 0, high: 0.1, cases: 2, meanPredicted: expect.closeTo(0.065, 12), observedRate: 0.5 },
      { low: 0.3, high: 0.4, cases: 2, meanPredicted: expect.closeTo(0.33, 12), observedRate: 0 },
      { low: 0.9, high: 1, cases: 2, meanPredicted: expect.closeTo(0.995, 12), observedRate: 1 },
    ]);
  });

  it('the bootstrap interval contains the AUC, is reproducible, and narrows with more cases', () => {
    const make = (n: number) => {
      const s: number[] = [];
      const y: number[] = [];
      for (let i = 0; i < n; i++) {
        y.push(i % 3 === 0 ? 1 : 0);
        s.push((i % 3 === 0 ? 0.3 : 0) + ((i * 7919) % 100) / 100);
      }
      return { s, y };
    };
    const small = make(60);
    const large = make(3000);
    const a = bootstrapAuc(small.s, small.y, 500, 7);
    expect(bootstrapAuc(small.s, small.y, 500, 7)).toEqual(a);
    expect(a.low).toBeLessThan(auc(small.s, small.y));
    expect(a.high).toBeGreaterThan(auc(small.s, small.y));
    const b = bootstrapAuc(large.s, large.y, 200, 7);
    expect(b.high - b.low).toBeLessThan(a.high - a.low);
  });
});

describe('L2-regularised logistic regression', () => {
  it('with a vanishing penalty, finds the maximum-likelihood log odds of a 2×2 table', () => {
    // x=0: 2 of 10 positive; x=1: 6 of 10 → intercept ln(2/8), coefficient ln(6/4) − ln(2/8).
    const rows = [...Array(10).fill([0]), ...Array(10).fill([1])] as number[][];
    const labels = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0];
    const m = fitLogistic(rows, labels, 1e-9);
    expect(m.intercept).toBeCloseTo(Math.log(2 / 8), 6);
    expect(m.coefficients[0]).toBeCloseTo(Math.log(6 / 4) - Math.log(2 / 8), 6);
    expect(predictLogistic(m, [1])).toBeCloseTo(0.6, 6);
    // Relative to the mean case (x̄ = 0.5): +half the coefficient for x=1, −half for x=0.
    expect(contributions(m, [1])[0]).toBeCloseTo(m.coefficients[0] / 2, 9);
  });

  it('a larger penalty shrinks the coefficient toward zero', () => {
    const rows = [...Array(10).fill([0]), ...Array(10).fill([1])] as number[][];
    const labels = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0];
    const free = fitLogistic(rows, labels, 1e-9).coefficients[0];
    const shrunk = fitLogistic(rows, labels, 10).coefficients[0];
    expect(shrunk).toBeGreaterThan(0);
    expect(shrunk).toBeLessThan(free * 0.8);
  });

  it('separable data stays finite', () => {
    const m = fitLogistic([[0], [0], [1], [1]], [0, 0, 1, 1], 1);
    expect(Number.isFinite(m.coefficients[0])).toBe(true);
    expect(predictLogistic(m, [1])).toBeGreaterThan(0.5);
  });
});

describe('training and held-out evaluation', () => {
  it('splits by patient: no patient on both sides', () => {
    const examples = Array.from({ length: 500 }, (_, i) => ({ patientId: `p${i % 50}` }));
    const { training, heldOut } = splitByPatient(examples, 0.3, 3);
    const t = new Set(training.map((e) => e.patientId));
    expect(heldOut.some((e) => t.has(e.patientId))).toBe(false);
    expect(training.length + heldOut.length).toBe(500);
    expect(heldOut.length).toBeGreaterThan(50);
  });

  it('refuses too little data, saying what is short', () => {
    const few = Array.from({ length: 50 }, (_, i) => ({ patientId: `p${i}`, features: [i], label: i % 2, baseline: 0 }));
    expect(() => trainAndEvaluate(few, { holdout: 0.3, seed: 1, lambda: 1 })).toThrow(TooLittleData);
    expect(() => trainAndEvaluate(few, { holdout: 0.3, seed: 1, lambda: 1 })).toThrow(/training cases \(need 200\)/);
  });

  it('learns a planted signal and beats an uninformative baseline', () => {
    let seed = 5;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const examples = Array.from({ length: 2000 }, (_, i) => {
      const x = rand() * 4;
      const p = 1 / (1 + Math.exp(-(-3 + 1.2 * x)));
      return { patientId: `p${i % 400}`, features: [x, rand()], label: rand() < p ? 1 : 0, baseline: 0 };
    });
    const { model, metrics } = trainAndEvaluate(examples, { holdout: 0.3, seed: 2, lambda: 1 });
    expect(model.coefficients[0]).toBeGreaterThan(0.8);
    expect(Math.abs(model.coefficients[1])).toBeLessThan(0.5);
    expect(metrics.auc).toBeGreaterThan(0.75);
    expect(metrics.baselineAuc).toBeCloseTo(0.5, 12);
    expect(metrics.aucLow).toBeLessThan(metrics.auc);
    expect(metrics.calibration.reduce((s, b) => s + b.cases, 0)).toBe(metrics.heldOutCases);
  });
});

describe('bootstrap by counts', () => {
  it('a resample as counts gives the AUC of the cases repeated that many times', () => {
    const scores = [0.2, 0.7, 0.7, 0.1, 0.5];
    const labels = [0, 1, 0, 1, 1];
    const order = [3, 0, 4, 1, 2];
    expect(weightedAuc(order, scores, labels, Float64Array.from([1, 1, 1, 1, 1]))).toBeCloseTo(auc(scores, labels), 12);
    // Case 0 drawn three times, case 3 not at all.
    const repeated = [0.2, 0.2, 0.2, 0.7, 0.7, 0.5];
    const repeatedLabels = [0, 0, 0, 1, 0, 1];
    expect(weightedAuc(order, scores, labels, Float64Array.from([3, 1, 1, 0, 1]))).toBeCloseTo(auc(repeated, repeatedLabels), 12);
  });
});
