import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { NODE_TYPES } from '../../src/nodes';
import { REPO_ROOT } from '../../support/repo';

/**
 * The layout of docs/architecture.md that the linter cannot see (the import rules are in
 * eslint.config.mjs): what src/nodes holds, and that every source file's name says which one it is.
 */
describe('the layout', () => {
  it('src/nodes holds exactly the node types of its index.ts, one file each, and index.ts', () => {
    const files = readdirSync(join(REPO_ROOT, 'src', 'nodes')).sort();
    assert.deepEqual(files, [...NODE_TYPES.map((type) => `${type}.ts`), 'index.ts'].sort());
  });

  it('src/nodes/index.ts, which the runtime reads, imports nothing', () => {
    const text = readFileSync(join(REPO_ROOT, 'src', 'nodes', 'index.ts'), 'utf8');
    assert.doesNotMatch(text, /\bimport\b|\brequire\(/);
  });

  it('no two source files share a base name, but index.ts', () => {
    const tracked = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    })
      .split('\n')
      // nodes/ is Node-RED's: each node's .js, .html and help are named by the node type there.
      .filter((file) => /\.(ts|mts|cts|js|mjs|cjs)$/.test(file) && !file.startsWith('nodes/'));
    const byName = new Map<string, string[]>();
    for (const file of tracked) {
      const name = basename(file);
      if (name === 'index.ts') continue;
      byName.set(name, [...(byName.get(name) ?? []), file]);
    }
    const shared = [...byName.values()].filter((files) => files.length > 1);
    assert.deepEqual(shared, []);
  });
});
