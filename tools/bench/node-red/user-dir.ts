import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../../../test/helpers/temp-dir';
import { installBuiltPackage } from '../../lib/install-package';
import { PACKAGE_NAME } from '../../lib/repo';
import { DIST_DIR } from '../paths';
import type { FlowNode } from './flows';

export interface UserDir {
  path: string;
  remove(): void;
}

/** A Node-RED user directory, optionally with the package installed (tools/lib/install-package.ts). */
export function makeUserDir(options: { withPackage: boolean; flows?: FlowNode[] }): UserDir {
  const temp = makeTempDir('aqara-bench-red-');
  mkdirSync(join(temp.path, 'node_modules'), { recursive: true });
  if (options.withPackage) installBuiltPackage(temp.path, DIST_DIR);
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
