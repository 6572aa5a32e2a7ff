// L2-regularised logistic regression fitted by Newton's method (iteratively reweighted least
// squares). Why not a packaged learner: the npm logistic-regression package of the ml.js family
// has no regularisation and no intercept, and runs a fixed 50,000 steps of plain gradient ascent
// (slow, and its result depends on the learning rate). With a dozen features Newton's method is
// exact and deterministic, converging in under 20 steps; the linear algebra (the Newton system)
// is the `ml-matrix` library's. Features are standardised first, so one penalty fits all, and the
// intercept is not penalised.
import { Matrix, solve } from 'ml-matrix';

export interface LogisticModel {
  /** The intercept and one coefficient per feature, on the original (unstandardised) scale. */
  intercept: number;
  coefficients: number[];
  /** Training means and standard deviations of the features (for contributions and reporting). */
  means: number[];
  sds: number[];
  lambda: number;
  iterations: number;
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** Fits P(y=1|x) = sigmoid(b0 + b·x), minimising the negative log-likelihood + lambda/2·|b_std|². */
export function fitLogistic(rows: number[][], labels: number[], lambda = 1, maxIterations = 50): LogisticModel {
  const n = rows.length;
  const k = rows[0]?.length ?? 0;
  if (n === 0 || labels.length !== n) throw new Error('fitLogistic needs as many labels as rows, and at least one row');
  const means = Array.from({ length: k }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / n);
  const sds = means.map((m, j) => Math.sqrt(rows.reduce((s, r) => s + (r[j] - m) ** 2, 0) / n) || 1);
  // Design matrix with a leading column of ones for the intercept.
  const X = new Matrix(rows.map((r) => [1, ...r.map((v, j) => (v - means[j]) / sds[j])]));
  let beta = new Array<number>(k + 1).fill(0);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const p = X.mmul(Matrix.columnVector(beta)).to1DArray().map(sigmoid);
    // Gradient g = Xᵀ(p − y) + λβ (intercept unpenalised); Hessian H = XᵀWX + λI.
    const residual = Matrix.columnVector(p.map((pi, i) => pi - labels[i]));
    const gradient = X.transpose().mmul(residual).to1DArray().map((g, j) => g + (j === 0 ? 0 : lambda * beta[j]));
    const weighted = new Matrix(X.to2DArray().map((row, i) => row.map((v) => v * p[i] * (1 - p[i]))));
    const hessian = X.transpose().mmul(weighted);
    for (let j = 1; j <= k; j++) hessian.set(j, j, hessian.get(j, j) + lambda);
    const step = solve(hessian, Matrix.columnVector(gradient)).to1DArray();
    beta = beta.map((b, j) => b - step[j]);
    if (Math.max(...step.map(Math.abs)) < 1e-8) {
      iterations++;
      break;
    }
  }
  // Back to the original scale: b_j = β_j / sd_j, b0 = β0 − Σ β_j·mean_j / sd_j.
  const coefficients = beta.slice(1).map((b, j) => b / sds[j]);
  const intercept = beta[0] - coefficients.reduce((s, c, j) => s + c * means[j], 0);
  return { intercept, coefficients, means, sds, lambda, iterations };
}

export function predictLogistic(model: Pick<LogisticModel, 'intercept' | 'coefficients'>, row: number[]): number {
  return sigmoid(model.intercept + model.coefficients.reduce((s, c, j) => s + c * row[j], 0));
}

/** Each feature's share of this case's log-odds relative to the average training case:
 * coefficient × (value − training mean), so a feature at its mean contributes nothing. */
export function contributions(model: Pick<LogisticModel, 'coefficients' | 'means'>, row: number[]): number[] {
  return model.coefficients.map((c, j) => c * (row[j] - model.means[j]));
}
