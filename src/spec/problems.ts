import type { z } from 'zod';

/** One thing wrong with a pipeline definition, in terms a person can act on. */
export interface SpecProblem {
  /** Dotted path with indexes, e.g. `deploy.canary.steps[1].weight`; empty for the root. */
  path: string;
  message: string;
  /** 1-based line in the YAML file, when the definition came from one. */
  line?: number;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

const show = (value: unknown): string => (value === undefined ? 'nothing' : JSON.stringify(value));

/** Turns zod's issues into problems; messages say what was expected and what was found. */
export function problemsFromZod(error: z.ZodError): SpecProblem[] {
  const problems: SpecProblem[] = [];
  for (const issue of error.issues) {
    const path = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({ path: formatPath([...issue.path, key]), message: 'unknown field (check the spelling; see the pipeline-definition reference in the README)' });
      }
      continue;
    }
    let message = issue.message;
    if (issue.code === 'invalid_type' && !/^expected/.test(message)) {
      message = issue.input === undefined ? `required: expected ${issue.expected}` : `expected ${issue.expected}, got ${show(issue.input)}`;
    } else if (issue.code === 'invalid_value' && !/^expected/.test(message)) {
      message = `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${show(issue.input)}`;
    } else if (issue.code === 'too_small' && !/^expected/.test(message)) {
      message = `expected ${issue.origin === 'array' ? 'at least' : 'a value of at least'} ${String(issue.minimum)}${issue.origin === 'array' ? ' item(s)' : ''}${issue.origin === 'string' ? ' character(s)' : ''}, got ${show(issue.input)}`;
    } else if (issue.code === 'too_big' && !/^expected/.test(message)) {
      message = `expected at most ${String(issue.maximum)}, got ${show(issue.input)}`;
    }
    problems.push({ path, message });
  }
  return problems;
}

export function formatProblems(problems: readonly SpecProblem[], source?: string): string {
  const lines = problems.map((p) => {
    const where = p.line !== undefined ? `line ${p.line}: ` : '';
    return `  - ${where}${p.path === '' ? '(root)' : p.path}: ${p.message}`;
  });
  const head = `${source ? `${source}: ` : ''}invalid pipeline definition (${problems.length} problem${problems.length === 1 ? '' : 's'})`;
  return [head, ...lines].join('\n');
}
