import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { NODE_TYPES } from '../../src/nodes';

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

  it('node-red.nodes lists every node type, each a one-line entry in nodes/ loading the build', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      files: string[];
      'node-red': { nodes: Record<string, string> };
    };
    assert.deepEqual(
      pkg['node-red'].nodes,
      Object.fromEntries(NODE_TYPES.map((type) => [type, `nodes/${type}.js`])),
    );
    for (const folder of ['dist', 'nodes', 'resources']) assert.ok(pkg.files.includes(folder), folder);
    for (const type of NODE_TYPES) {
      assert.equal(
        readFileSync(join(ROOT, 'nodes', `${type}.js`), 'utf8'),
        `module.exports = require('../dist/nodes/${type}.js');\n`,
      );
      // What Node-RED needs beside the entry file, and the TypeScript the entry's build comes from.
      for (const file of [
        `nodes/${type}.html`,
        `nodes/locales/en-US/${type}.json`,
        `nodes/locales/en-US/${type}.html`,
        `src/nodes/${type}.ts`,
      ]) {
        assert.ok(existsSync(join(ROOT, file)), file);
      }
    }
  });

  it('exposes the library without Node-RED', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the built CommonJS entry, as a user requires it
    const entry = require(join(ROOT, 'dist', 'lib', 'index.js')) as Record<string, unknown>;
    for (const name of ['AqaraClient', 'TokenManager', 'TokenStore', 'signRequest', 'resolveBaseUrl']) {
      assert.equal(typeof entry[name], 'function', name);
    }
  });

  it('loading every node file loads none of the runtime dependencies: they wait for the first config', () => {
    // A fresh process, so nothing another test loaded counts. Node-RED loads every node file when it
    // starts, with or without Aqara flows; axios alone costs 100-250 ms of that start.
    const loaded = execFileSync(
      process.execPath,
      [
        '-e',
        `for (const file of ${JSON.stringify(NODE_TYPES.map((type) => join(ROOT, 'nodes', `${type}.js`)))}) require(file);
        const names = Object.keys(require.cache).filter((m) => m.includes('node_modules')).map((m) => m.split('node_modules/').pop().split('/')[0]);
        process.stdout.write(JSON.stringify([...new Set(names)]));`,
      ],
      { encoding: 'utf8' },
    );
    assert.deepEqual(JSON.parse(loaded), []);
  });
});
