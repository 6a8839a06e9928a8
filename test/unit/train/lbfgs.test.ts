import { describe, expect, it } from 'vitest';
import { minimizeLbfgs, type Objective } from '../../../src/train/lbfgs.js';

/** f(x) = Σ_i (100 (x_{i+1} − x_i²)² + (1 − x_i)²), minimum 0 at (1, …, 1). */
const rosenbrock: Objective = (x) => {
  const gradient = new Float64Array(x.length);
  let value = 0;
  for (let i = 0; i < x.length - 1; i++) {
    const a = x[i + 1]! - x[i]! * x[i]!;
    const b = 1 - x[i]!;
    value += 100 * a * a + b * b;
    gradient[i] = gradient[i]! - 400 * x[i]! * a - 2 * b;
    gradient[i + 1] = gradient[i + 1]! + 200 * a;
  }
  return { value, gradient };
};

/** An ill-conditioned quadratic ½ (x − c)ᵀ D (x − c) with D = diag(1 … 1000). */
function quadratic(size: number): { objective: Objective; centre: Float64Array } {
  const centre = Float64Array.from({ length: size }, (_, i) => Math.sin(i + 1) * 3);
  const scale = Float64Array.from({ length: size }, (_, i) => 1000 ** (i / (size - 1)));
  const objective: Objective = (x) => {
    const gradient = new Float64Array(size);
    let value = 0;
    for (let i = 0; i < size; i++) {
      const d = x[i]! - centre[i]!;
      value += 0.5 * scale[i]! * d * d;
      gradient[i] = scale[i]! * d;
    }
    return { value, gradient };
  };
  return { objective, centre };
}

describe('minimizeLbfgs', () => {
  it('finds the minimum of the 2-d Rosenbrock function from the classic start (-1.2, 1)', () => {
    const result = minimizeLbfgs(rosenbrock, Float64Array.of(-1.2, 1), { maxIterations: 200, gradientTolerance: 1e-8 });
    expect(result.converged).toBe(true);
    expect(result.reason).toBe('gradient');
    expect(result.x[0]).toBeCloseTo(1, 7);
    expect(result.x[1]).toBeCloseTo(1, 7);
    expect(result.value).toBeLessThan(1e-14);
    expect(result.iterations).toBeLessThan(60);
  });

  it('finds the minimum of the 20-d Rosenbrock function', () => {
    const start = new Float64Array(20).fill(-1);
    const result = minimizeLbfgs(rosenbrock, start, { maxIterations: 500, gradientTolerance: 1e-7 });
    expect(result.converged).toBe(true);
    for (const v of result.x) expect(v).toBeCloseTo(1, 6);
  });

  it('solves an ill-conditioned quadratic to the gradient tolerance', () => {
    const { objective, centre } = quadratic(50);
    const result = minimizeLbfgs(objective, new Float64Array(50), { maxIterations: 500, gradientTolerance: 1e-9, relativeLossTolerance: 0 });
    expect(result.reason).toBe('gradient');
    const gradientMax = Math.max(...Array.from(result.gradient, Math.abs));
    expect(gradientMax).toBeLessThanOrEqual(1e-9);
    for (let i = 0; i < 50; i++) expect(Math.abs(result.x[i]! - centre[i]!)).toBeLessThan(1e-9);
  });

  it('satisfies the Wolfe decrease condition: the value never goes up between iterations', () => {
    const values: number[] = [];
    const tracked: Objective = (x) => rosenbrock(x);
    for (let limit = 1; limit <= 30; limit++) values.push(minimizeLbfgs(tracked, Float64Array.of(-1.2, 1), { maxIterations: limit, gradientTolerance: 0 }).value);
    for (let i = 1; i < values.length; i++) expect(values[i]!).toBeLessThanOrEqual(values[i - 1]!);
  });

  it('returns at once when the start is already optimal', () => {
    const { objective, centre } = quadratic(5);
    const result = minimizeLbfgs(objective, centre);
    expect(result).toMatchObject({ iterations: 0, evaluations: 1, converged: true, reason: 'gradient' });
  });

  it('stops at maxIterations and says it did not converge', () => {
    const result = minimizeLbfgs(rosenbrock, Float64Array.of(-1.2, 1), { maxIterations: 3, gradientTolerance: 1e-12 });
    expect(result).toMatchObject({ iterations: 3, converged: false, reason: 'max-iterations' });
  });

  it('stops on a small relative change of the value when asked to', () => {
    const { objective } = quadratic(50);
    const result = minimizeLbfgs(objective, new Float64Array(50), { maxIterations: 500, gradientTolerance: 0, relativeLossTolerance: 1e-3 });
    expect(result.reason).toBe('loss-change');
    expect(result.converged).toBe(true);
  });

  it('does not change the start vector and is deterministic', () => {
    const start = Float64Array.of(-1.2, 1);
    const first = minimizeLbfgs(rosenbrock, start, { gradientTolerance: 1e-10 });
    const second = minimizeLbfgs(rosenbrock, start, { gradientTolerance: 1e-10 });
    expect(Array.from(start)).toEqual([-1.2, 1]);
    expect(Array.from(second.x)).toEqual(Array.from(first.x));
  });

  it('copies the gradient, so an objective may reuse one buffer', () => {
    const shared = new Float64Array(2);
    const reusing: Objective = (x) => {
      shared.set(rosenbrock(x).gradient);
      return { value: rosenbrock(x).value, gradient: shared };
    };
    const result = minimizeLbfgs(reusing, Float64Array.of(-1.2, 1), { maxIterations: 200, gradientTolerance: 1e-8 });
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 6);
  });

  it('rejects a start where the objective is not finite', () => {
    const bad: Objective = () => ({ value: Number.NaN, gradient: new Float64Array(1) });
    expect(() => minimizeLbfgs(bad, new Float64Array(1))).toThrow(/finite value/);
  });
});
