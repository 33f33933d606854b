import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
export { installSourcePackage } from '../helpers/source-package';

/**
 * What the editor end-to-end tests need besides the page itself: the nodes of this repository as a
 * package a real Node-RED loads, and Debian's Chromium driven by playwright-core.
 */

export const REPO_ROOT = resolve(__dirname, '..', '..');

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
 * Where screenshots go: docs/ when UPDATE_SCREENSHOTS=1 (the README shows those), else a scratch folder,
 * so an ordinary test run takes them too (and fails if it cannot) without touching the repository.
 */
export function screenshotDir(scratch: string): string {
  return process.env.UPDATE_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs') : scratch;
}
