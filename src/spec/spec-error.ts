import { formatProblems, type SpecProblem } from './problems.js';

/** A pipeline definition that cannot be used as written. Retrying cannot fix it. */
export class SpecError extends Error {
  override readonly name = 'SpecError';
  constructor(readonly problems: SpecProblem[], readonly source?: string) {
    super(formatProblems(problems, source));
  }
}
