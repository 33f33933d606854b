import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../../test/helpers/temp-dir';
import { DIST_DIR, REPO_ROOT } from '../paths';
import type { FlowNode } from './flows';

const PACKAGE_NAME = '@metron/node-red-aqara-cloud';

export interface UserDir {
  path: string;
  remove(): void;
}

/**
 * A Node-RED user directory, optionally with the package installed the way `npm install` leaves it:
 * a real folder <userDir>/node_modules/@metron/node-red-aqara-cloud holding package.json and dist/.
 * dist/ is copied, not linked, so a rebuild by someone else during the bench cannot change what this
 * Node-RED runs. The package's own node_modules links to the repository's, where axios and
 * better-sqlite3 (already compiled for this Node) are installed.
 */
export function makeUserDir(options: { withPackage: boolean; flows?: FlowNode[] }): UserDir {
  const temp = makeTempDir('aqara-bench-red-');
  const modules = join(temp.path, 'node_modules');
  mkdirSync(modules, { recursive: true });
  if (options.withPackage) {
    const target = join(modules, ...PACKAGE_NAME.split('/'));
    mkdirSync(target, { recursive: true });
    if (!existsSync(join(DIST_DIR, 'nodes', 'aqara-scene.js'))) {
      throw new Error(`${DIST_DIR}/nodes is missing: run npm run build first`);
    }
    cpSync(DIST_DIR, join(target, 'dist'), { recursive: true });
    // Node-RED's view of the package (entry files, editor, locales, icons) and the editor script.
    for (const folder of ['nodes', 'resources']) {
      cpSync(join(REPO_ROOT, folder), join(target, folder), { recursive: true });
    }
    writeFileSync(join(target, 'package.json'), readFileSync(join(REPO_ROOT, 'package.json')));
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(target, 'node_modules'), 'dir');
  }
  // Without a package.json Node-RED still loads what is in node_modules; with one it lists it as user-installed.
  const dependencies = options.withPackage ? { [PACKAGE_NAME]: '*' } : {};
  writeFileSync(
    join(temp.path, 'package.json'),
    JSON.stringify({ name: 'node-red-project', private: true, dependencies }),
  );
  if (options.flows) writeFileSync(join(temp.path, 'flows.json'), JSON.stringify(options.flows));
  return { path: temp.path, remove: temp.remove };
}

/**
 * settings.js for every bench Node-RED: a fixed flows file name (Node-RED would otherwise derive it from
 * the host name) and a fixed credential secret (no generated-key warning, and credentials survive the
 * restarts of the start-up scenario); the rest stays at Node-RED's defaults.
 */
export const BENCH_SETTINGS = {
  flowFile: 'flows.json',
  credentialSecret: 'aqara-bench-not-a-secret',
} as const;
