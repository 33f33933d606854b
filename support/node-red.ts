import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultTokenDbPath } from '../src/lib/tokens/store';
import { installBuiltPackage, installSourcePackage } from './install-package';
import { NodeRedProcess, type NodeRedSettings, type NodeRedStartOptions } from './node-red-process';
import { PACKAGE_NAME } from './repo';
import { makeTempDir } from './temp-dir';

/**
 * The one launcher of a real Node-RED for tests, benchmarks, the reliability suite: a user directory
 * in a temporary folder with this package in it (as `npm install` leaves the build, or the working
 * tree's TypeScript through tsx, or none), flows if given, then Node-RED started as `node-red` would
 * (node-red-process.ts). stop() ends the process and removes the folder.
 */

/** `built`: dist/ as npm would install it; `source`: src/ through tsx, no build; `none`: a bare Node-RED. */
export type PackageInstall = 'built' | 'source' | 'none';

export interface UserDirOptions {
  install?: PackageInstall;
  /** With `built`: another build than dist/ (the bench measures a proposed build that way). */
  distDir?: string;
  /** Written to flows.json. */
  flows?: readonly object[];
  /** The temporary folder's name prefix. */
  prefix?: string;
}

export interface UserDir {
  path: string;
  /** The token database's default place in this user directory. */
  dbPath: string;
  remove(): void;
}

export interface NodeRedSession {
  red: NodeRedProcess;
  userDir: string;
  dbPath: string;
  stop(): Promise<void>;
}

/**
 * settings.js defaults: a fixed flows file name (Node-RED would otherwise derive it from the host
 * name); the rest stays at Node-RED's defaults.
 */
const DEFAULT_SETTINGS: NodeRedSettings = { flowFile: 'flows.json' };

/** A Node-RED user directory with the package installed as asked; not started. */
export function prepareUserDir(options: UserDirOptions = {}): UserDir {
  const install = options.install ?? 'built';
  const temp = makeTempDir(options.prefix ?? 'aqara-red-');
  try {
    mkdirSync(join(temp.path, 'node_modules'), { recursive: true });
    if (install === 'source') installSourcePackage(temp.path);
    else {
      if (install === 'built') installBuiltPackage(temp.path, options.distDir);
      // Without a package.json Node-RED still loads what is in node_modules; with one it lists it as user-installed.
      const dependencies = install === 'built' ? { [PACKAGE_NAME]: '*' } : {};
      writeFileSync(
        join(temp.path, 'package.json'),
        JSON.stringify({ name: 'node-red-project', private: true, dependencies }),
      );
    }
    if (options.flows) writeFileSync(join(temp.path, 'flows.json'), JSON.stringify(options.flows));
  } catch (error) {
    temp.remove();
    throw error;
  }
  return { path: temp.path, dbPath: defaultTokenDbPath(temp.path), remove: temp.remove };
}

/** How long a start waits for a build another process is writing into dist/ right now. */
const BUILD_WAIT_MS = 120_000;

async function prepareWhenBuilt(options: UserDirOptions): Promise<UserDir> {
  const deadline = Date.now() + BUILD_WAIT_MS;
  for (;;) {
    try {
      return prepareUserDir(options);
    } catch (error) {
      if (options.install === 'source' || options.install === 'none' || Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export async function startNodeRed(
  options: UserDirOptions & Omit<NodeRedStartOptions, 'userDir'> = {},
): Promise<NodeRedSession> {
  const { install, distDir, flows, prefix, settings, ...start } = options;
  const userDir = await prepareWhenBuilt({ install, distDir, flows, prefix });
  let red: NodeRedProcess;
  try {
    red = await NodeRedProcess.start({
      ...start,
      userDir: userDir.path,
      settings: { ...DEFAULT_SETTINGS, ...settings },
    });
  } catch (error) {
    userDir.remove();
    throw error;
  }
  return {
    red,
    userDir: userDir.path,
    dbPath: userDir.dbPath,
    async stop() {
      await red.stop();
      userDir.remove();
    },
  };
}
