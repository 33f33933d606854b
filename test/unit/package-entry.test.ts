import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = join(__dirname, '..', '..');

describe('package entry points', () => {
  it('main, types, bin and every node file point at what the build produces', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      main: string;
      types: string;
      bin: Record<string, string>;
      'node-red': { nodes: Record<string, string> };
    };
    const built = [pkg.main, pkg.types, ...Object.values(pkg.bin), ...Object.values(pkg['node-red'].nodes)];
    for (const file of built)
      assert.ok(existsSync(join(ROOT, file)), `${file} is missing after npm run build`);
  });

  it('exposes the library without Node-RED', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the built CommonJS entry, as a user requires it
    const entry = require(join(ROOT, 'dist', 'lib', 'index.js')) as Record<string, unknown>;
    for (const name of ['AqaraClient', 'TokenManager', 'TokenStore', 'signRequest', 'resolveBaseUrl']) {
      assert.equal(typeof entry[name], 'function', name);
    }
  });
});
