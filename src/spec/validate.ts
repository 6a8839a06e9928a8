import { PipelineDefinition } from './schema.js';
import { problemsFromZod, type SpecProblem } from './problems.js';

export type Validation =
  | { ok: true; definition: PipelineDefinition }
  | { ok: false; problems: SpecProblem[] };

/** Checks a parsed definition (from YAML, JSON or a UI form) against the schema. Pure. */
export function validateDefinition(value: unknown): Validation {
  const result = PipelineDefinition.safeParse(value, { reportInput: true });
  if (result.success) return { ok: true, definition: result.data };
  return { ok: false, problems: problemsFromZod(result.error) };
}
