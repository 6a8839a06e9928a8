/**
 * Arrows point one way: workflows → (types of) activities → src. What both sides need (messages,
 * search-attribute keys, state types) lives in src/temporal/, so src/ never imports workflows/ or
 * activities/ (a client importing workflow code would drag the sandbox's rules, or I/O, across).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');
const importFrom = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOutsideSrc(file: string, content: string): string[] {
  const bad: string[] = [];
  for (const match of content.matchAll(importFrom)) {
    const specifier = match[1] ?? match[2] ?? '';
    if (!specifier.startsWith('.')) continue;
    const target = path.relative(root, path.resolve(root, path.dirname(file), specifier));
    if (target.startsWith('workflows/') || target.startsWith('activities/')) bad.push(`${file} imports ${specifier}`);
  }
  return bad;
}

describe('import direction', () => {
  it('recognises an import of workflow code from src/', () => {
    expect(importsOutsideSrc('src/cli/commands/x.ts', "import { abortSignal } from '../../../workflows/messages.js';")).toHaveLength(1);
    expect(importsOutsideSrc('src/cli/commands/x.ts', "import { abortSignal } from '../../temporal/contract.js';")).toHaveLength(0);
  });

  it('src/ never imports workflows/ or activities/', () => {
    const files = execFileSync('git', ['ls-files', 'src'], { cwd: root, encoding: 'utf8' }).split('\n').filter((f) => /\.(ts|mts|mjs|js)$/.test(f));
    const bad = files.flatMap((file) => importsOutsideSrc(file, readFileSync(path.join(root, file), 'utf8')));
    expect(bad).toEqual([]);
  });
});
