import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const SRC_NODES = resolve(__dirname, '..', '..', 'src', 'nodes');
export const NODE_TYPES = ['aqara-config', 'aqara-scene', 'aqara-token-status'] as const;

/**
 * Makes the nodes under src/ an installed package of a Node-RED user directory: small wrappers load
 * the TypeScript through tsx, and the .html, locales and icons are linked, so a real Node-RED runs
 * exactly what is in the working tree without a build.
 */
export function installSourcePackage(userDir: string, name = 'aqara-src-under-test'): void {
  const dir = join(userDir, 'node_modules', name);
  mkdirSync(dir, { recursive: true });
  const nodes = Object.fromEntries(NODE_TYPES.map((type) => [type, `${type}.js`]));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name, version: '0.0.0', keywords: ['node-red'], 'node-red': { nodes } }),
  );
  const tsx = require.resolve('tsx/cjs');
  for (const type of NODE_TYPES) {
    writeFileSync(
      join(dir, `${type}.js`),
      `require(${JSON.stringify(tsx)});\nmodule.exports = require(${JSON.stringify(join(SRC_NODES, `${type}.ts`))});\n`,
    );
    symlinkSync(join(SRC_NODES, `${type}.html`), join(dir, `${type}.html`));
  }
  symlinkSync(join(SRC_NODES, 'locales'), join(dir, 'locales'));
  symlinkSync(join(SRC_NODES, 'icons'), join(dir, 'icons'));
  writeFileSync(
    join(userDir, 'package.json'),
    JSON.stringify({ name: 'user-dir', dependencies: { [name]: '*' } }),
  );
}
