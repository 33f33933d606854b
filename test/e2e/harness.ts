import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
export { installSourcePackage } from '../helpers/source-package';

/**
 * What the editor end-to-end tests need besides the page itself: the nodes of this repository as a
 * package a real Node-RED loads, and a Chromium driven by playwright-core.
 */

export const REPO_ROOT = resolve(__dirname, '..', '..');

/** A system Chromium is used when there is one (AQARA_CHROMIUM names another binary). */
const SYSTEM_CHROMIUM = process.env.AQARA_CHROMIUM ?? '/usr/bin/chromium';

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
 * The browser binary: the system's when present, else the Chromium the dev dependency
 * @sparticuz/chromium ships (unpacked into the system's temp folder on first use), so `npm test`
 * needs nothing but npm. Its own flag set is for serverless hosts and turns web security off, so
 * only its single-process flags are taken over: the tests must see what a real browser would do.
 */
async function chromiumBinary(): Promise<{ path: string; args: string[] }> {
  if (process.env.AQARA_CHROMIUM !== undefined || existsSync(SYSTEM_CHROMIUM)) {
    if (!existsSync(SYSTEM_CHROMIUM)) throw new Error(`AQARA_CHROMIUM=${SYSTEM_CHROMIUM} does not exist`);
    return { path: SYSTEM_CHROMIUM, args: CHROMIUM_ARGS };
  }
  const { default: packaged } = await import('@sparticuz/chromium');
  return { path: await packaged.executablePath(), args: CHROMIUM_ARGS };
}

/** Launches Chromium with a fresh temporary profile (playwright creates and removes it). */
export async function launchChromium(): Promise<Browser> {
  const { path, args } = await chromiumBinary();
  return chromium.launch({ executablePath: path, args, timeout: 60_000 });
}

/**
 * Where screenshots go: docs/ when UPDATE_SCREENSHOTS=1 (the README shows those), else a scratch folder,
 * so an ordinary test run takes them too (and fails if it cannot) without touching the repository.
 */
export function screenshotDir(scratch: string): string {
  return process.env.UPDATE_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs') : scratch;
}
