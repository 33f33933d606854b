import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { type Browser, chromium } from 'playwright-core';
import { REPO_ROOT } from '../../support/repo';

/**
 * What the editor end-to-end tests need besides the page itself: the nodes of this repository as a
 * package a real Node-RED loads, and a Chromium driven by playwright-core.
 */

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
async function chromiumBinary(): Promise<{ path: string; args: string[]; libraries?: string }> {
  if (process.env.AQARA_CHROMIUM !== undefined || existsSync(SYSTEM_CHROMIUM)) {
    if (!existsSync(SYSTEM_CHROMIUM)) throw new Error(`AQARA_CHROMIUM=${SYSTEM_CHROMIUM} does not exist`);
    return { path: SYSTEM_CHROMIUM, args: CHROMIUM_ARGS };
  }
  const { default: packaged } = await import('@sparticuz/chromium');
  const path = await oneAtATime(join(tmpdir(), 'aqara-chromium-unpack.lock'), () =>
    packaged.executablePath(),
  );
  return { path, args: CHROMIUM_ARGS, libraries: bundledLibraries() };
}

/** A lock older than this was left by a killed process. */
const STALE_LOCK_MS = 120_000;

/**
 * The package unpacks its binary to a fixed place in the temp folder, and a second test process
 * unpacking at the same time made the first one's launch fail (ETXTBSY: the binary was being written).
 * A folder made with mkdir (atomic) is the lock between the test processes.
 */
async function oneAtATime<T>(lock: string, work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * The libraries that Chromium needs beyond glibc (NSS, NSPR, expat), which a slim system may lack.
 * The package ships them for Amazon Linux and unpacks them only there; they are unpacked here once
 * (into a new folder, renamed into place, so two test processes cannot see half of them) and put on
 * the browser's library path, so the same binary and libraries run on every machine.
 */
function bundledLibraries(): string {
  const packageDir = resolve(require.resolve('@sparticuz/chromium'), '..', '..', '..');
  const version = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string })
    .version;
  const target = join(tmpdir(), `aqara-chromium-libs-${version}`);
  if (!existsSync(join(target, 'lib', 'libnss3.so'))) {
    const unpacking = mkdtempSync(`${target}.unpacking-`);
    execFileSync('tar', ['-x', '-C', unpacking], {
      input: brotliDecompressSync(readFileSync(join(packageDir, 'bin', 'al2023.tar.br'))),
    });
    try {
      renameSync(unpacking, target);
    } catch {
      // Another process got there first: its copy is complete.
      rmSync(unpacking, { recursive: true, force: true });
    }
  }
  return join(target, 'lib');
}

/** Launches Chromium with a fresh temporary profile (playwright creates and removes it). */
export async function launchChromium(): Promise<Browser> {
  const { path, args, libraries } = await chromiumBinary();
  const env = { ...process.env };
  if (libraries !== undefined) {
    env.LD_LIBRARY_PATH = [libraries, env.LD_LIBRARY_PATH].filter(Boolean).join(delimiter);
  }
  return chromium.launch({ executablePath: path, args, env, timeout: 60_000 });
}

/**
 * Where screenshots go: docs/ when UPDATE_SCREENSHOTS=1 (the README shows those), else a scratch folder,
 * so an ordinary test run takes them too (and fails if it cannot) without touching the repository.
 */
export function screenshotDir(scratch: string): string {
  return process.env.UPDATE_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs') : scratch;
}
