/**
 * @module eval/logistic
 * L2-regularised logistic regression fitted by Newton's method, for calibrating confidence
 * signals into a probability that an answer is right. Feature counts are small (tens) and rows
 * few (hundreds to thousands), so a dense Newton step with a Cholesky solve converges in a handful
 * of iterations and needs no dependency. Features are standardised first so one L2 strength fits
 * every scale; the intercept is not penalised.
 */

export interface LogisticModel {
  /** Probability of the positive class for one feature vector. */
  predict(x: readonly number[]): number;
  /** Weights on the original (unstandardised) features, intercept first. */
  readonly weights: readonly number[];
}

export interface LogisticOptions {
  /** Strength of the L2 penalty, in pseudo-rows (default 1). */
  l2?: number;
  iterations?: number;
}

/** Solves A x = b for symmetric positive definite A (Cholesky); A is overwritten. */
function solveSpd(a: number[][], b: number[]): number[] {
  const n = b.length;
  for (let j = 0; j < n; j++) {
    const rowJ = a[j]!;
    let d = rowJ[j]!;
    for (let k = 0; k < j; k++) d -= rowJ[k]! * rowJ[k]!;
    const diag = Math.sqrt(Math.max(d, 1e-12));
    rowJ[j] = diag;
    for (let i = j + 1; i < n; i++) {
      const rowI = a[i]!;
      let s = rowI[j]!;
      for (let k = 0; k < j; k++) s -= rowI[k]! * rowJ[k]!;
      rowI[j] = s / diag;
    }
  }
  const y = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= a[i]![k]! * y[k]!;
    y[i] = s / a[i]![i]!;
  }
  const x = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= a[k]![i]! * x[k]!;
    x[i] = s / a[i]![i]!;
  }
  return x;
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Fits P(y = 1 | x). `y` holds 0..1 targets (fractional scores are allowed). */
export function fitLogistic(
  rows: readonly (readonly number[])[],
  y: readonly number[],
  options: LogisticOptions = {},
): LogisticModel {
  const l2 = options.l2 ?? 1;
  const iterations = options.iterations ?? 25;
  const n = rows.length;
  const d = rows[0]?.length ?? 0;
  const means = new Array<number>(d).fill(0);
  const scales = new Array<number>(d).fill(0);
  for (const row of rows) for (let j = 0; j < d; j++) means[j]! += row[j]! / n;
  for (const row of rows) for (let j = 0; j < d; j++) scales[j]! += (row[j]! - means[j]!) ** 2 / n;
  for (let j = 0; j < d; j++) scales[j] = Math.sqrt(scales[j]!) || 1;
  const xs = rows.map((row) => [1, ...row.map((v, j) => (v - means[j]!) / scales[j]!)]);
  const w = new Array<number>(d + 1).fill(0);
  const base = n === 0 ? 0.5 : y.reduce((s, v) => s + v, 0) / n;
  w[0] = Math.log(Math.min(0.999, Math.max(0.001, base)) / (1 - Math.min(0.999, Math.max(0.001, base))));
  for (let iteration = 0; iteration < iterations && n > 0; iteration++) {
    const gradient = new Array<number>(d + 1).fill(0);
    const hessian = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    for (let r = 0; r < n; r++) {
      const x = xs[r]!;
      let z = 0;
      for (let j = 0; j <= d; j++) z += w[j]! * x[j]!;
      const p = sigmoid(z);
      const e = p - y[r]!;
      const v = p * (1 - p);
      for (let j = 0; j <= d; j++) {
        gradient[j]! += e * x[j]!;
        const hj = hessian[j]!;
        const vx = v * x[j]!;
        for (let k = 0; k <= j; k++) hj[k]! += vx * x[k]!;
      }
    }
    for (let j = 1; j <= d; j++) {
      gradient[j]! += l2 * w[j]!;
      hessian[j]![j]! += l2;
    }
    hessian[0]![0]! += 1e-9;
    for (let j = 0; j <= d; j++) for (let k = j + 1; k <= d; k++) hessian[j]![k] = hessian[k]![j]!;
    const step = solveSpd(hessian, gradient);
    let change = 0;
    for (let j = 0; j <= d; j++) {
      w[j]! -= step[j]!;
      change = Math.max(change, Math.abs(step[j]!));
    }
    if (change < 1e-4) break;
  }
  // Fold the standardisation into the weights so prediction is one dot product on raw features.
  const weights = new Array<number>(d + 1);
  weights[0] = w[0]!;
  for (let j = 0; j < d; j++) {
    weights[j + 1] = w[j + 1]! / scales[j]!;
    weights[0] -= (w[j + 1]! * means[j]!) / scales[j]!;
  }
  return {
    weights,
    predict(x) {
      let z = weights[0]!;
      for (let j = 0; j < d; j++) z += weights[j + 1]! * x[j]!;
      return sigmoid(z);
    },
  };
}
