import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_TYPES } from '../src/nodes';
import { DIST_DIR, PACKAGE_NAME, REPO_ROOT } from './repo';

/**
 * The built package put into a Node-RED user directory the way `npm install` leaves it, without packing:
 * <userDir>/node_modules/@metron/node-red-aqara-cloud with package.json and what its `files` publish.
 * Everything is copied, not linked, so a rebuild by someone else in the same tree cannot change what this
 * Node-RED runs; the package's own node_modules links to the repository's, where better-sqlite3 is
 * already compiled for this Node.js. (The installed-package test packs and installs for real instead.)
 */

interface Manifest {
  main?: string;
  files?: string[];
  'node-red'?: { nodes?: Record<string, string> };
}

/** Files without which Node-RED would load half a package: each node's entry, compiled .js and .html, and `main`. */
function requiredFiles(manifest: Manifest): string[] {
  const nodes = Object.values(manifest['node-red']?.nodes ?? {});
  return [
    ...nodes,
    ...nodes.map((file) => file.replace(/\.js$/, '.html')),
    // nodes/<type>.js only forwards to the compiled module of the same name.
    ...nodes.map((file) => `dist/${file}`),
    ...(manifest.main ? [manifest.main] : []),
  ];
}

/**
 * Throws when the build is incomplete (not built yet, or being rebuilt right now); `distDir` replaces
 * dist/ (the bench measures a proposed build that way). Returns the package folder.
 */
export function installBuiltPackage(userDir: string, distDir = DIST_DIR): string {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;
  const target = join(userDir, 'node_modules', ...PACKAGE_NAME.split('/'));
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  writeFileSync(join(target, 'package.json'), readFileSync(join(REPO_ROOT, 'package.json')));
  for (const entry of manifest.files ?? []) {
    const source = entry === 'dist' ? distDir : join(REPO_ROOT, entry);
    if (existsSync(source)) cpSync(source, join(target, entry), { recursive: true });
  }
  const missing = requiredFiles(manifest).filter((file) => !existsSync(join(target, file)));
  if (missing.length > 0) {
    throw new Error(`the build is incomplete (${missing.join(', ')} missing): run \`npm run build\` first`);
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(target, 'node_modules'), 'dir');
  return target;
}

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
