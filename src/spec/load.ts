/**
 * Reads a pipeline definition from a YAML file or text, validates it, and points every problem
 * at its line. Relative data paths are resolved against the definition's folder (s3:// stays).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { PipelineDefinition } from './schema.js';
import { validateDefinition } from './validate.js';
import { parseDataSource } from '../data/data-source-url.js';
import { SpecError } from './spec-error.js';
import type { SpecProblem } from './problems.js';

export interface LoadedDefinition {
  definition: PipelineDefinition;
  /** sha256 of the definition as validated (defaults filled in), in canonical JSON. */
  definitionHash: string;
  /** Where the file was read from; undefined for inline text or objects. */
  file?: string;
}

export async function loadDefinitionFile(file: string): Promise<LoadedDefinition> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new SpecError([{ path: '', message: `cannot read the definition file: ${(err as Error).message}` }], file);
  }
  return { ...parseDefinitionText(text, file, path.dirname(path.resolve(file))), file: path.resolve(file) };
}

/** Parses YAML (or JSON, which is YAML) text; `baseDir` resolves relative data paths. */
export function parseDefinitionText(text: string, source = '<inline>', baseDir = process.cwd()): LoadedDefinition {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const problems: SpecProblem[] = doc.errors.map((e) => ({
      path: '',
      line: e.linePos?.[0]?.line,
      message: `not valid YAML: ${e.message.split('\n')[0]!.slice(0, 200)}`,
    }));
    throw new SpecError(problems, source);
  }
  let value: unknown;
  try {
    // toJS resolves aliases: an undefined one, or a billion-laughs expansion past yaml's alias limit, throws here.
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new SpecError([{ path: '', message: `not valid YAML: ${String((err as Error).message).split('\n')[0]!.slice(0, 200)}` }], source);
  }
  const result = validateDefinition(value);
  if (!result.ok) {
    for (const problem of result.problems) problem.line = lineOf(doc, lineCounter, problem.path);
    throw new SpecError(result.problems, source);
  }
  return finish(result.definition, baseDir);
}

/** Validates an already-parsed object (a UI form or JSON input). */
export function parseDefinitionObject(value: unknown, source = '<inline>', baseDir = process.cwd()): LoadedDefinition {
  const result = validateDefinition(value);
  if (!result.ok) throw new SpecError(result.problems, source);
  return finish(result.definition, baseDir);
}

function finish(definition: PipelineDefinition, baseDir: string): LoadedDefinition {
  const resolved: PipelineDefinition = {
    ...definition,
    data: { ...definition.data, source: resolveDataSource(baseDir, definition.data.source) },
  };
  return { definition: resolved, definitionHash: hashDefinition(definition) };
}

/** A path relative to the definition's folder becomes absolute; an s3:// URL stays as written. */
export function resolveDataSource(baseDir: string, source: string): string {
  const location = parseDataSource(source);
  return typeof location !== 'string' && location.kind === 'file' ? path.resolve(baseDir, source) : source;
}

export function hashDefinition(definition: PipelineDefinition): string {
  return createHash('sha256').update(canonicalJson(definition)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The line of the deepest YAML node that exists along a problem's path. */
function lineOf(doc: ReturnType<typeof parseDocument>, counter: LineCounter, dotted: string): number | undefined {
  const keys: (string | number)[] = [];
  for (const m of dotted.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) keys.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  for (let n = keys.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
    if (n > 0) {
      // A key whose value is null still has a key node with a position.
      const parent = n === 1 ? doc.contents : doc.getIn(keys.slice(0, n - 1), true);
      const pair = (parent as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | null)?.items?.find(
        (item) => item.key?.value === keys[n - 1],
      );
      if (pair?.key?.range) return counter.linePos(pair.key.range[0]).line;
    }
  }
  return undefined;
}
