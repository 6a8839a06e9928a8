/**
 * A clone must stand alone: no tracked file may point at a path outside the repository (a sibling
 * folder such as the team's shared notes, a developer's home, the workspace root) or cite a document
 * that is not in the repository. The versioned tool cache in the home directory is the one allowed
 * exception (~/.cache/mlops-control-plane), and system paths (/usr, /etc, /tmp, /proc) are fine.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');

// Built from parts so this file does not match its own rules.
const sharedFolder = ['..', 'shared'].join('/');
const workspaceRoots = ['/' + 'work/', '/' + 'home/', '/' + 'Users/'];
const notesOutsideRepo = ['REFERENCE', 'DESIGN', 'ENVIRONMENT', 'STYLE'].map((name) => `${name}.md`);
const parentChain = /(?<![\w.])((?:\.\.\/)+)([A-Za-z_][\w.-]*)/g;

export interface OutsideReference {
  file: string;
  line: number;
  text: string;
}

/** Every place in `content` (a file at `file`, relative to the repo root) that reaches outside the repo. */
export function findOutsideReferences(file: string, content: string, trackedFiles: Set<string>): OutsideReference[] {
  const found: OutsideReference[] = [];
  const lines = content.split('\n');
  lines.forEach((text, index) => {
    const hit = (what: string) => found.push({ file, line: index + 1, text: `${what}: ${text.trim().slice(0, 160)}` });
    if (text.includes(sharedFolder)) hit('sibling shared folder');
    for (const prefix of workspaceRoots) if (text.includes(prefix)) hit(`absolute path under ${prefix}`);
    for (const note of notesOutsideRepo) {
      if (text.includes(note) && ![...trackedFiles].some((f) => path.basename(f) === note)) hit(`cites ${note}, not in the repository`);
    }
    for (const match of text.matchAll(parentChain)) {
      const relative = `${match[1] ?? ""}${match[2] ?? ""}`;
      const fromFile = path.resolve(root, path.dirname(file), relative);
      const fromRoot = path.resolve(root, relative);
      const inside = (p: string) => p === root || p.startsWith(root + path.sep);
      if (!inside(fromFile) && !inside(fromRoot)) hit(`relative path ${relative} leaves the repository`);
    }
  });
  return found;
}

function trackedTextFiles(): string[] {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
  return files.filter((f) => f !== 'package-lock.json' && !f.startsWith('test/fixtures/') && !/\.(png|jpe?g|parquet|onnx|gz|ico)$/.test(f));
}

describe('the repository stands alone', () => {
  it('finds a sibling folder, an absolute workspace path, an escaping relative path and a missing note', () => {
    const tracked = new Set(['scripts/x']);
    const sample = [`cp ${sharedFolder}/k8s-crds/a.yaml .`, `cat ${workspaceRoots[0]}notes.txt`, 'source ../../../outside/env', `see ${notesOutsideRepo[0]}`, 'cd .. && ls ../scripts'].join('\n');
    const found = findOutsideReferences('scripts/x', sample, tracked);
    expect(found.map((f) => f.line)).toEqual([1, 2, 3, 4]);
  });

  it('no tracked file refers to a path outside the clone', () => {
    const files = trackedTextFiles();
    const tracked = new Set(files);
    const found: OutsideReference[] = [];
    for (const file of files) {
      let content: string;
      try { content = readFileSync(path.join(root, file), 'utf8'); } catch { continue; }
      if (content.includes('\0')) continue;
      found.push(...findOutsideReferences(file, content, tracked));
    }
    expect(found.map((f) => `${f.file}:${f.line} ${f.text}`)).toEqual([]);
  });
});
