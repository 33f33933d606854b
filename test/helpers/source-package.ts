import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_TYPES } from '../../src/nodes';
import { PACKAGE_NAME, REPO_ROOT } from '../../tools/lib/repo';

export { NODE_TYPES };

const SRC_NODES = join(REPO_ROOT, 'src', 'nodes');

/**
 * Makes this working tree an installed package of a Node-RED user directory, under the package's own
 * name (the editor loads its script from resources/<package name>/): nodes/ and resources/ are the
 * repository's own folders, only each entry file is swapped for one that loads the TypeScript through
 * tsx, so a real Node-RED runs exactly what is in the working tree without a build.
 */
export function installSourcePackage(userDir: string): void {
  const dir = join(userDir, 'node_modules', ...PACKAGE_NAME.split('/'));
  const nodesDir = join(dir, 'nodes');
  mkdirSync(nodesDir, { recursive: true });
  const nodes = Object.fromEntries(NODE_TYPES.map((type) => [type, `nodes/${type}.js`]));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: PACKAGE_NAME, version: '0.0.0', keywords: ['node-red'], 'node-red': { nodes } }),
  );
  const tsx = require.resolve('tsx/cjs');
  for (const type of NODE_TYPES) {
    writeFileSync(
      join(nodesDir, `${type}.js`),
      `require(${JSON.stringify(tsx)});\nmodule.exports = require(${JSON.stringify(join(SRC_NODES, `${type}.ts`))});\n`,
    );
    symlinkSync(join(REPO_ROOT, 'nodes', `${type}.html`), join(nodesDir, `${type}.html`));
  }
  for (const folder of ['locales', 'icons']) {
    symlinkSync(join(REPO_ROOT, 'nodes', folder), join(nodesDir, folder));
  }
  symlinkSync(join(REPO_ROOT, 'resources'), join(dir, 'resources'));
  writeFileSync(
    join(userDir, 'package.json'),
    JSON.stringify({ name: 'user-dir', dependencies: { [PACKAGE_NAME]: '*' } }),
  );
}
