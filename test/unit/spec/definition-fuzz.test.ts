/**
 * Fuzzing the definition loader with ≥ 10,000 mutated pipeline definitions made from the
 * examples (fields deleted, renamed, retyped, out of range, huge or negative numbers, unicode and
 * control characters, deep nesting, megabyte strings, broken YAML), through the two doors a
 * definition comes in by: YAML text (`mlops validate`, `pipelineFile`) and a workflow input
 * object (the Web UI's JSON). Invariants, for every case: the result is a valid definition or a
 * SpecError, never another exception; the message stays under 8 KiB; it never quotes more than a
 * short piece of any value. Fixed seed, so a failure reproduces; `MLOPS_FUZZ_CASES` runs more.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parse, stringify } from 'yaml';
import { validateCommand } from '../../../src/cli/commands/validate.js';
import { mulberry32 } from '../../../src/data/seeded-random.js';
import { parseDefinitionObject, parseDefinitionText } from '../../../src/spec/load.js';
import { PipelineRunInput } from '../../../src/spec/run-input.js';
import { SpecError } from '../../../src/spec/spec-error.js';

const CASES = Number(process.env.MLOPS_FUZZ_CASES ?? 10_000);
const SEED = 0x15f022;
const MAX_MESSAGE = 8 * 1024;
/** A marker longer than any quote may be: if it shows up whole in a message, a value leaked. */
const LEAK = 'LEAKMARKER-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789';

const examplesDir = path.resolve(import.meta.dirname, '../../../examples');
const bases: Array<{ name: string; text: string; value: unknown }> = readdirSync(examplesDir, { recursive: true, encoding: 'utf8' })
  .filter((file) => /pipeline[^/]*\.yaml$/.test(file))
  .map((file) => {
    const text = readFileSync(path.join(examplesDir, file), 'utf8');
    return { name: file, text, value: parse(text) as unknown };
  });

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const WEIRD_STRINGS = [
  '', ' ', '\u0000', '\u0007bell', 'tab\there', 'line\nbreak', '\u202eevil', '💥🔥', 'ÿþ', '\ud800', 'a'.repeat(1000), LEAK,
  '../../etc/passwd', '${HOME}', '{{ template }}', '- list', '? complex', '&anchor', '*alias', '!!binary AAAA', 'null', 'true', '1e309',
];
const WEIRD_NUMBERS = [0, -1, -0, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 0.1 + 0.2, 1e-320, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 2 ** 31, -(2 ** 53)];

function weirdValue(random: Random, depth = 0): unknown {
  switch (Math.floor(random() * 10)) {
    case 0: return pick(random, WEIRD_STRINGS);
    case 1: return pick(random, WEIRD_NUMBERS);
    case 2: return null;
    case 3: return random() < 0.5;
    case 4: return depth > 3 ? [] : Array.from({ length: Math.floor(random() * 4) }, () => weirdValue(random, depth + 1));
    case 5: return depth > 3 ? {} : { [pick(random, WEIRD_STRINGS)]: weirdValue(random, depth + 1) };
    case 6: return deepNesting(20 + Math.floor(random() * 100));
    case 7: return random() < 0.01 ? 'x'.repeat(1024 * 1024) : `${LEAK}${'y'.repeat(Math.floor(random() * 500))}`;
    case 8: return Math.floor(random() * 2 ** 40) * (random() < 0.5 ? -1 : 1);
    default: return String(random());
  }
}

function deepNesting(depth: number): unknown {
  let value: unknown = LEAK;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { nested: value } : [value];
  return value;
}

/** Every [parent, key] pair in the value, so a mutation can hit any field at any depth. */
function slots(value: unknown, out: Array<[Record<string, unknown> | unknown[], string | number]> = []): Array<[Record<string, unknown> | unknown[], string | number]> {
  if (Array.isArray(value)) value.forEach((item, index) => (out.push([value, index]), slots(item, out)));
  else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) (out.push([value as Record<string, unknown>, key]), slots(item, out));
  return out;
}

function mutateValue(random: Random, base: unknown): unknown {
  const value = structuredClone(base);
  const mutations = 1 + Math.floor(random() * 3);
  for (let m = 0; m < mutations; m++) {
    const all = slots(value);
    if (all.length === 0) return weirdValue(random);
    const [parent, key] = pick(random, all);
    const kind = Math.floor(random() * 6);
    if (Array.isArray(parent)) {
      if (kind === 0) parent.splice(Number(key), 1);
      else parent[Number(key)] = weirdValue(random);
      continue;
    }
    const current = parent[key as string];
    if (kind === 0) delete parent[key as string];
    else if (kind === 1) {
      parent[`${String(key)}${pick(random, ['s', '_', 'X', '\u00e9', ' '])}`] = current;
      delete parent[key as string];
    } else if (kind === 2 && typeof current === 'number') parent[key as string] = pick(random, WEIRD_NUMBERS);
    else if (kind === 3 && typeof current === 'string') parent[key as string] = `${current}${pick(random, WEIRD_STRINGS)}`;
    else parent[key as string] = weirdValue(random);
  }
  return value;
}

/** Text-level damage: what a bad editor, a truncated upload or a wrong paste produces. */
function mutateText(random: Random, text: string): string {
  const at = Math.floor(random() * text.length);
  switch (Math.floor(random() * 7)) {
    case 0: return text.slice(0, at);
    case 1: return `${text.slice(0, at)}${pick(random, [':', '- ', '\t', '"', "'", '{', '[', '&a', '*b', '!!', '%YAML 9.9\n', '\u0000', '---\n'])}${text.slice(at)}`;
    case 2: return text.replace(/\n {2}/g, '\n\t');
    case 3: return `${text}\n${text}`;
    case 4: return text.split('').reverse().join('');
    case 5: return `${'[' .repeat(2000)}${text}`;
    default: return Buffer.from(Buffer.from(text, 'utf8').map((byte) => (random() < 0.01 ? Math.floor(random() * 256) : byte))).toString('latin1');
  }
}

function checkOutcome(run: () => unknown, label: string): 'valid' | 'invalid' {
  try {
    run();
    return 'valid';
  } catch (err) {
    if (!(err instanceof SpecError)) throw new Error(`${label}: ${(err as Error)?.name ?? typeof err} instead of SpecError: ${String((err as Error)?.message).slice(0, 300)}`);
    expect(err.message.length, `${label}: message of ${err.message.length} characters`).toBeLessThan(MAX_MESSAGE);
    expect(err.message.includes(LEAK), `${label}: a long value was quoted whole: ${err.message.slice(0, 600)}`).toBe(false);
    return 'invalid';
  }
}

describe(`${CASES} mutated pipeline definitions`, () => {
  it('load as a definition or fail with a bounded SpecError, as YAML text and as workflow input', async () => {
    expect(bases.length).toBeGreaterThanOrEqual(5);
    const random = mulberry32(SEED);
    const baseDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-definition-fuzz-'));
    const counts = { text: { valid: 0, invalid: 0 }, input: { valid: 0, invalid: 0 }, cli: 0 };
    const started = performance.now();
    for (let i = 0; i < CASES; i++) {
      const base = pick(random, bases);
      const label = `case ${i} (from ${base.name}, seed ${SEED})`;
      const useText = random() < 0.35;
      const value = useText ? undefined : mutateValue(random, base.value);
      let text: string;
      try {
        // Mutated objects go in as JSON (which is YAML) most of the time: the YAML writer is slow.
        text = useText ? mutateText(random, base.text) : random() < 0.8 ? (JSON.stringify(value) ?? 'null') : stringify(value, { aliasDuplicateObjects: false });
      } catch {
        text = JSON.stringify(value) ?? 'null';
      }
      counts.text[checkOutcome(() => parseDefinitionText(text, 'fuzz.yaml', baseDir), label)]++;
      if (value !== undefined) {
        // The workflow's own check of its input, then the loader's, as modelPipeline does.
        const input = PipelineRunInput.safeParse({ pipeline: value }, { reportInput: true });
        if (input.success) counts.input[checkOutcome(() => parseDefinitionObject(input.data.pipeline, '<inline>', baseDir), label)]++;
        else counts.input.invalid++;
      }
      if (i % 200 === 0) {
        // `mlops validate` on a file: exit 0 or 1, never an exception.
        const file = path.join(baseDir, `case-${i}.yaml`);
        await writeFile(file, text);
        const quiet = [vi.spyOn(console, 'log').mockImplementation(() => undefined), vi.spyOn(console, 'error').mockImplementation(() => undefined)];
        try {
          expect([0, 1]).toContain(await validateCommand(file));
        } finally {
          quiet.forEach((spy) => spy.mockRestore());
        }
        counts.cli++;
      }
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`definition fuzz: ${CASES} cases in ${seconds} s (seed ${SEED}): YAML text ${counts.text.valid} valid / ${counts.text.invalid} SpecError; workflow input ${counts.input.valid} valid / ${counts.input.invalid} refused; ${counts.cli} through mlops validate`);
    expect(counts.text.valid + counts.text.invalid).toBe(CASES);
    expect(counts.text.invalid).toBeGreaterThan(CASES / 2);
    expect(counts.text.valid).toBeGreaterThan(0);
  });
});
