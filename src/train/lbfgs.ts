/**
 * L-BFGS: a quasi-Newton minimiser for smooth functions of many variables. It keeps the last
 * `memory` steps and gradient changes to approximate the inverse Hessian, and takes steps a
 * strong-Wolfe line search accepts (Nocedal & Wright, Numerical Optimization, alg. 7.4, 3.5, 3.6).
 * Pure and deterministic: the same function and start give bit-identical results.
 */

export interface ObjectiveEvaluation {
  value: number;
  gradient: Float64Array;
}

/** May reuse its returned gradient buffer between calls; the minimiser copies what it keeps. */
export type Objective = (x: Float64Array) => ObjectiveEvaluation;

export interface LbfgsOptions {
  /** How many past steps approximate the curvature; 5–20 is the usual range. */
  memory?: number;
  maxIterations?: number;
  /** Stop when the largest absolute gradient component is at or below this. */
  gradientTolerance?: number;
  /** Stop when (f_prev − f) / max(|f_prev|, |f|, 1) is at or below this. */
  relativeLossTolerance?: number;
  /** Function evaluations allowed within one line search. */
  maxLineSearchEvaluations?: number;
}

export type LbfgsStopReason = 'gradient' | 'loss-change' | 'max-iterations' | 'line-search-failed';

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  gradient: Float64Array;
  iterations: number;
  evaluations: number;
  /** True when a tolerance was met (not when iterations ran out or the line search gave up). */
  converged: boolean;
  reason: LbfgsStopReason;
}

const DEFAULTS: Required<LbfgsOptions> = {
  memory: 10,
  maxIterations: 100,
  gradientTolerance: 1e-5,
  relativeLossTolerance: 64 * Number.EPSILON,
  maxLineSearchEvaluations: 50,
};

// Wolfe constants: sufficient decrease (Armijo) and curvature; 0.9 suits quasi-Newton steps.
const ARMIJO = 1e-4;
const CURVATURE = 0.9;

export function minimizeLbfgs(objective: Objective, start: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const settings = { ...DEFAULTS, ...options };
  const size = start.length;
  const history = new CurvatureHistory(size, settings.memory);
  const x = Float64Array.from(start);
  const first = objective(x);
  let value = first.value;
  const gradient = Float64Array.from(first.gradient);
  const direction = new Float64Array(size);
  const previousX = new Float64Array(size);
  const previousGradient = new Float64Array(size);
  const search = new WolfeLineSearch(objective, size, settings.maxLineSearchEvaluations);
  let evaluations = 1;
  let iterations = 0;
  assertFinite(value, 'the objective at the start');

  const finish = (reason: LbfgsStopReason): LbfgsResult => ({
    x, value, gradient, iterations, evaluations, reason,
    converged: reason === 'gradient' || reason === 'loss-change',
  });

  if (maxAbs(gradient) <= settings.gradientTolerance) return finish('gradient');
  while (iterations < settings.maxIterations) {
    history.descentDirection(gradient, direction);
    let slope = dot(gradient, direction);
    if (!(slope < 0)) {
      // The curvature pairs no longer describe the function well; fall back to steepest descent.
      history.clear();
      for (let i = 0; i < size; i++) direction[i] = -gradient[i]!;
      slope = dot(gradient, direction);
    }
    // Without curvature information the scale of -g is arbitrary; a unit-length first step is safe.
    const initialStep = history.length === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    previousX.set(x);
    previousGradient.set(gradient);
    const previousValue = value;
    const accepted = search.run(x, value, direction, slope, initialStep);
    evaluations += search.evaluations;
    if (!accepted) {
      if (history.length > 0) {
        history.clear(); // retry once from steepest descent before giving up
        continue;
      }
      return finish('line-search-failed');
    }
    x.set(search.x);
    gradient.set(search.gradient);
    value = search.value;
    iterations++;
    history.push(x, previousX, gradient, previousGradient);

    if (maxAbs(gradient) <= settings.gradientTolerance) return finish('gradient');
    const relativeChange = (previousValue - value) / Math.max(Math.abs(previousValue), Math.abs(value), 1);
    if (relativeChange <= settings.relativeLossTolerance) return finish('loss-change');
  }
  return finish('max-iterations');
}

/** The last `memory` (step, gradient change) pairs, in a ring, and the two-loop recursion over them. */
class CurvatureHistory {
  private readonly steps: Float64Array[];
  private readonly gradientChanges: Float64Array[];
  private readonly inverseCurvatures: Float64Array;
  private readonly alphas: Float64Array;
  private newest = -1;
  length = 0;

  constructor(private readonly size: number, private readonly memory: number) {
    this.steps = Array.from({ length: memory }, () => new Float64Array(size));
    this.gradientChanges = Array.from({ length: memory }, () => new Float64Array(size));
    this.inverseCurvatures = new Float64Array(memory);
    this.alphas = new Float64Array(memory);
  }

  clear(): void {
    this.length = 0;
    this.newest = -1;
  }

  push(x: Float64Array, previousX: Float64Array, gradient: Float64Array, previousGradient: Float64Array): void {
    const slot = (this.newest + 1) % this.memory;
    const step = this.steps[slot]!;
    const change = this.gradientChanges[slot]!;
    for (let i = 0; i < this.size; i++) {
      step[i] = x[i]! - previousX[i]!;
      change[i] = gradient[i]! - previousGradient[i]!;
    }
    const curvature = dot(step, change);
    // A pair without positive curvature would make the approximation indefinite: skip it.
    if (!(curvature > 1e-10 * Math.sqrt(dot(step, step) * dot(change, change)))) return;
    this.inverseCurvatures[slot] = 1 / curvature;
    this.newest = slot;
    this.length = Math.min(this.length + 1, this.memory);
  }

  /** direction = −H·gradient, with H the L-BFGS inverse-Hessian approximation. */
  descentDirection(gradient: Float64Array, direction: Float64Array): void {
    const { size, memory, steps, gradientChanges, inverseCurvatures, alphas } = this;
    for (let i = 0; i < size; i++) direction[i] = -gradient[i]!;
    if (this.length === 0) return;
    for (let k = 0, slot = this.newest; k < this.length; k++, slot = (slot - 1 + memory) % memory) {
      const alpha = inverseCurvatures[slot]! * dot(steps[slot]!, direction);
      alphas[slot] = alpha;
      axpy(-alpha, gradientChanges[slot]!, direction);
    }
    const newestChange = gradientChanges[this.newest]!;
    const scale = 1 / (inverseCurvatures[this.newest]! * dot(newestChange, newestChange));
    for (let i = 0; i < size; i++) direction[i] = direction[i]! * scale;
    const oldest = (this.newest - this.length + 1 + memory) % memory;
    for (let k = 0, slot = oldest; k < this.length; k++, slot = (slot + 1) % memory) {
      const beta = inverseCurvatures[slot]! * dot(gradientChanges[slot]!, direction);
      axpy(alphas[slot]! - beta, steps[slot]!, direction);
    }
  }
}

/**
 * Finds a step length along a descent direction that satisfies the strong Wolfe conditions:
 * enough decrease, and a slope that has flattened. Bracketing, then zoom with safeguarded
 * cubic interpolation. Keeps the point it accepts so the caller need not evaluate it again.
 */
class WolfeLineSearch {
  readonly x: Float64Array;
  readonly gradient: Float64Array;
  value = Number.NaN;
  evaluations = 0;
  private readonly trialX: Float64Array;
  private readonly trialGradient: Float64Array;
  private trialValue = Number.NaN;
  private trialSlope = Number.NaN;

  constructor(private readonly objective: Objective, size: number, private readonly maxEvaluations: number) {
    this.x = new Float64Array(size);
    this.gradient = new Float64Array(size);
    this.trialX = new Float64Array(size);
    this.trialGradient = new Float64Array(size);
  }

  /** Returns false when no acceptable step was found within the evaluation budget. */
  run(start: Float64Array, startValue: number, direction: Float64Array, startSlope: number, initialStep: number): boolean {
    this.evaluations = 0;
    let bestDecrease: number | undefined;
    const evaluate = (step: number): void => {
      for (let i = 0; i < start.length; i++) this.trialX[i] = start[i]! + step * direction[i]!;
      const result = this.objective(this.trialX);
      this.evaluations++;
      this.trialGradient.set(result.gradient);
      this.trialValue = result.value;
      this.trialSlope = dot(this.trialGradient, direction);
      // Remember the lowest Armijo point, used if the budget runs out before curvature is met.
      if (Number.isFinite(this.trialValue) && this.sufficientDecrease(step, startValue, startSlope) && (bestDecrease === undefined || this.trialValue < bestDecrease)) {
        bestDecrease = this.trialValue;
        this.accept();
      }
    };
    const flatEnough = (): boolean => Math.abs(this.trialSlope) <= -CURVATURE * startSlope;

    let low = { step: 0, value: startValue, slope: startSlope };
    let high: { step: number; value: number; slope: number } | undefined;
    let step = initialStep;
    // Bracketing: grow the step until it overshoots the minimum or the decrease fails.
    while (this.evaluations < this.maxEvaluations) {
      evaluate(step);
      const trial = { step, value: this.trialValue, slope: this.trialSlope };
      if (!Number.isFinite(trial.value) || !this.sufficientDecrease(step, startValue, startSlope) || (this.evaluations > 1 && trial.value >= low.value)) {
        high = trial;
        break;
      }
      if (flatEnough()) return this.accept();
      if (trial.slope >= 0) {
        high = low;
        low = trial;
        break;
      }
      low = trial;
      step *= 2;
    }
    // Zoom: shrink [low, high] (low always satisfies the decrease condition) until a step is flat enough.
    while (high && this.evaluations < this.maxEvaluations) {
      step = interpolateStep(low, high);
      evaluate(step);
      const trial = { step, value: this.trialValue, slope: this.trialSlope };
      if (!Number.isFinite(trial.value) || !this.sufficientDecrease(step, startValue, startSlope) || trial.value >= low.value) {
        high = trial;
      } else {
        if (flatEnough()) return this.accept();
        if (trial.slope * (high.step - low.step) >= 0) high = low;
        low = trial;
      }
      if (Math.abs(high.step - low.step) <= 1e-16 * Math.max(1, Math.abs(low.step))) break;
    }
    // Out of budget: settle for the lowest point with sufficient decrease, already kept by `evaluate`.
    return bestDecrease !== undefined;
  }

  private sufficientDecrease(step: number, startValue: number, startSlope: number): boolean {
    return this.trialValue <= startValue + ARMIJO * step * startSlope;
  }

  private accept(): true {
    this.x.set(this.trialX);
    this.gradient.set(this.trialGradient);
    this.value = this.trialValue;
    return true;
  }
}

/** Minimiser of the cubic through both ends (values and slopes), kept inside the middle 80%. */
function interpolateStep(a: { step: number; value: number; slope: number }, b: { step: number; value: number; slope: number }): number {
  const lower = Math.min(a.step, b.step);
  const width = Math.abs(b.step - a.step);
  const d1 = a.slope + b.slope - 3 * (a.value - b.value) / (a.step - b.step);
  const discriminant = d1 * d1 - a.slope * b.slope;
  let candidate = Number.NaN;
  if (discriminant >= 0 && Number.isFinite(b.value)) {
    const d2 = Math.sign(b.step - a.step) * Math.sqrt(discriminant);
    candidate = b.step - (b.step - a.step) * (b.slope + d2 - d1) / (b.slope - a.slope + 2 * d2);
  }
  const margin = 0.1 * width;
  if (!Number.isFinite(candidate) || candidate < lower + margin || candidate > lower + width - margin) return lower + width / 2;
  return candidate;
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function axpy(scale: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] = y[i]! + scale * x[i]!;
}

function maxAbs(values: Float64Array): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const magnitude = Math.abs(values[i]!);
    if (magnitude > max || Number.isNaN(magnitude)) max = magnitude;
  }
  return max;
}

function assertFinite(value: number, what: string): void {
  if (!Number.isFinite(value)) throw new RangeError(`L-BFGS needs a finite value for ${what}, got ${value}`);
}
