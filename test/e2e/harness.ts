import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

/**
 * What the editor end-to-end tests need besides the page itself: the nodes of this repository as a
 * package a real Node-RED loads, and Debian's Chromium driven by playwright-core.
 */

export const REPO_ROOT = resolve(__dirname, '..', '..');
const SRC_NODES = join(REPO_ROOT, 'src', 'nodes');
const TYPES = ['aqara-config', 'aqara-scene', 'aqara-token-status'];

/** Debian's package; CI installs it with `apt-get install -y chromium`. AQARA_CHROMIUM points elsewhere. */
export const CHROMIUM = process.env.AQARA_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a throw-away browser that talks to nothing but the local Node-RED. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches Chromium with a fresh temporary profile (playwright creates and removes it). A missing
 * browser is a failure with the fix in the message, never a skip: CI must not pass without these tests.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the editor end-to-end tests need it. ` +
        'Install it with `apt-get update && apt-get install -y chromium` (Debian), ' +
        'or set AQARA_CHROMIUM to another Chromium binary.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/**
 * Makes the nodes under src/ an installed package of a Node-RED user directory: small wrappers load
 * the TypeScript through tsx, and the .html, locales and icons are linked, so the editor gets exactly
 * what is in the working tree without a build.
 */
export function installSourcePackage(userDir: string): void {
  const dir = join(userDir, 'node_modules', 'aqara-e2e-under-test');
  mkdirSync(dir, { recursive: true });
  const nodes = Object.fromEntries(TYPES.map((type) => [type, `${type}.js`]));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'aqara-e2e-under-test',
      version: '0.0.0',
      keywords: ['node-red'],
      'node-red': { nodes },
    }),
  );
  const tsx = require.resolve('tsx/cjs');
  for (const type of TYPES) {
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
    JSON.stringify({ name: 'user-dir', dependencies: { 'aqara-e2e-under-test': '*' } }),
  );
}

/**
 * Where screenshots go: docs/ when UPDATE_SCREENSHOTS=1 (the README shows those), else a scratch folder,
 * so an ordinary test run takes them too (and fails if it cannot) without touching the repository.
 */
export function screenshotDir(scratch: string): string {
  return process.env.UPDATE_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs') : scratch;
}
