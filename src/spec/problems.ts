import type { z } from 'zod';

/** One thing wrong with a pipeline definition, in terms a person can act on. */
export interface SpecProblem {
  /** Dotted path with indexes, e.g. `deploy.canary.steps[1].weight`; empty for the root. */
  path: string;
  message: string;
  /** 1-based line in the YAML file, when the definition came from one. */
  line?: number;
}

/** `deploy.canary.steps[1].weight`; a key longer than a quote is cut like a quoted value (keys are input too). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else {
      const name = cut(String(key), 40);
      out += out === '' ? name : `.${name}`;
    }
  }
  return out;
}

/** Longest quoted value in a message: enough to recognise a typo, never a file's contents. */
const MAX_QUOTED = 40;
/** Problems listed in one message; the rest are counted ("and N more"). */
const MAX_LISTED_PROBLEMS = 20;
/** Longest single problem line. */
const MAX_PROBLEM_LENGTH = 300;

/** A value as quoted in a message: short JSON, cut with an ellipsis. */
export function quoteValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED - 3)}...` : text;
}

const show = quoteValue;

/** Turns zod's issues into problems; messages say what was expected and what was found. */
export function problemsFromZod(error: z.ZodError): SpecProblem[] {
  const problems: SpecProblem[] = [];
  for (const issue of error.issues) {
    const path = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      // A schema's own message (the storage section's "credentials do not belong here") says more than ours.
      const own = /^Unrecognized key/.test(issue.message) ? undefined : issue.message;
      for (const key of issue.keys) {
        problems.push({ path: formatPath([...issue.path, key]), message: own ?? 'unknown field (check the spelling; see the pipeline-definition reference in the README)' });
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

/**
 * The message for a list of problems, bounded: at most 20 problems of at most 300 characters
 * each, so a hostile or huge input cannot make a failure message that Temporal or a terminal
 * chokes on (or that carries a file's contents).
 */
export function formatProblems(problems: readonly SpecProblem[], source?: string): string {
  const lines = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => {
    const where = p.line !== undefined ? `line ${p.line}: ` : '';
    const line = `  - ${where}${p.path === '' ? '(root)' : cut(p.path, 120)}: ${p.message}`;
    return cut(line, MAX_PROBLEM_LENGTH);
  });
  if (problems.length > MAX_LISTED_PROBLEMS) lines.push(`  - and ${problems.length - MAX_LISTED_PROBLEMS} more`);
  const head = `${source ? `${cut(source, 200)}: ` : ''}invalid pipeline definition (${problems.length} problem${problems.length === 1 ? '' : 's'})`;
  return [head, ...lines].join('\n');
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
