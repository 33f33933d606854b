/**
 * The Node-RED flow library's scorecard (`node-red-dev validate`) for exactly what users install: the
 * `npm pack` tarball of the built package, unpacked into a temporary folder, so a file missing from
 * `files`, a stale dist/ or a broken example is seen as the flow library would see it.
 *
 * node-red-dev needs catalogue.nodered.org (P08, N01), which is not reachable from here, and the npm
 * registry (P06, P07, D02, D03). It runs under tools/validate/offline-catalogue.cjs, which answers the
 * catalogue as unreachable and keeps a ledger of every request. node-red-dev would score the empty
 * placeholder it is then given as a pass, and it shrugs off failed registry requests (D02 "passes"),
 * so every check fed by a host that was blocked or failed is rewritten here to "not run", with the
 * reason, and node-red-dev's discarded result kept beside it. A check is never reported as passed on
 * data that did not come from where node-red-dev thinks it came from.
 *
 * Usage: node --import tsx tools/validate/run.ts [--output <file>] [--offline]
 *   --output   where the scorecard goes (default docs/scorecard.json)
 *   --offline  block the npm registry too: nothing leaves this machine, registry checks are "not run"
 * Prints one summary line last; exits non-zero if any check failed or the run itself went wrong.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { REPO_ROOT as ROOT } from '../lib/repo';

const PRELOAD = join(__dirname, 'offline-catalogue.cjs');
const DEFAULT_OUTPUT = join(ROOT, 'docs', 'scorecard.json');

/**
 * The preload and the table below describe node-red-dev 0.1.6's code (which check fetches what, and
 * its bugs): another version must be read again before its scorecard can be trusted.
 */
const AUDITED_VERSION = '0.1.6';
const CATALOGUE_HOST = 'catalogue.nodered.org';
/** node-red-dev fetches Node-RED's own packument from here whatever registry npm is set to use. */
const NPMJS_HOST = 'registry.npmjs.org';
const RUN_TIMEOUT_MS = 3 * 60_000;

type Status = 'passed' | 'failed' | 'not run';
/**
 * Where a check's data comes from. `registry`: npm-remote-ls and npm-check find the registry through
 * .npmrc files (not npm's environment), so both npmjs and the configured registry count.
 */
type Feed = 'catalogue' | 'npmjs' | 'registry';

interface CheckSpec {
  title: string;
  feeds: readonly Feed[];
}

/** Every check node-red-dev 0.1.6 reports (P02 is disabled in its source). */
const CHECKS: Readonly<Record<string, CheckSpec>> = {
  P01: { title: 'declares a licence', feeds: [] },
  P03: { title: 'has a repository or bugs URL', feeds: [] },
  P04: { title: 'uses a valid (scoped) name', feeds: [] },
  P05: { title: "has the 'node-red' keyword", feeds: [] },
  P06: { title: 'node-red.version admits a current Node-RED release', feeds: ['npmjs'] },
  P07: { title: "engines.node admits the latest Node-RED's minimum Node.js", feeds: ['npmjs'] },
  P08: { title: 'no similarly named package in the flow library catalogue', feeds: ['catalogue'] },
  N01: { title: 'node types are unique in the flow library catalogue', feeds: ['catalogue'] },
  N02: { title: 'examples use every node (config nodes aside)', feeds: [] },
  D01: { title: 'six or fewer dependencies', feeds: [] },
  D02: { title: 'no known-incompatible package in the dependency tree', feeds: ['registry'] },
  D03: { title: 'production dependencies at their latest versions', feeds: ['registry'] },
};

interface Options {
  output: string;
  offline: boolean;
}

interface PackageJson {
  name: string;
  version: string;
  keywords?: string[];
  dependencies?: Record<string, string>;
  'node-red'?: { nodes?: Record<string, string> };
}

type LedgerEntry =
  | { event: 'request'; host: string; method: string; path: string }
  | { event: 'blocked'; host: string; url: string }
  | { event: 'failed'; host: string; path: string; error: string }
  | { event: 'response'; host: string; path: string; status: number }
  | { event: 'placeholder'; url: string; checks: string; reason: string };

type RawCheck = Record<string, unknown> & { test?: unknown };

interface CheckEntry {
  title: string;
  status: Status;
  /** node-red-dev's own field: null when the check was not run. */
  test: boolean | null;
  reason?: string;
  note?: string;
  /** What node-red-dev wrote for a check that was not really run, kept so the rewrite can be audited. */
  discarded?: RawCheck | null;
  [extra: string]: unknown;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { output: DEFAULT_OUTPUT, offline: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--offline') options.offline = true;
    else if (arg === '--output' && argv[i + 1] !== undefined) options.output = resolve(argv[++i] ?? '');
    else throw new Error(`unknown argument ${arg}; usage: run.ts [--output <file>] [--offline]`);
  }
  return options;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function nodeRedDev(): { bin: string; version: string } {
  const manifest = require.resolve('node-red-dev/package.json', { paths: [ROOT] });
  const pkg = readJson(manifest);
  const version = isRecord(pkg) && typeof pkg.version === 'string' ? pkg.version : 'unknown';
  return { bin: join(dirname(manifest), 'bin', 'run'), version };
}

/** The registry npm-remote-ls (D02) and npm-check (D03) use: both read npm's configuration. */
function configuredRegistryHost(): string {
  try {
    const url = execFileSync('npm', ['config', 'get', 'registry'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return new URL(url).hostname.toLowerCase();
  } catch {
    return NPMJS_HOST;
  }
}

function hostsOf(feed: Feed, registryHost: string): string[] {
  if (feed === 'catalogue') return [CATALOGUE_HOST];
  if (feed === 'npmjs') return [NPMJS_HOST];
  return [...new Set([NPMJS_HOST, registryHost])];
}

/** Packs and unpacks the package; returns the unpacked folder (what `npm install` would put in place). */
function packInto(work: string, pkg: PackageJson): string {
  const nodeFiles = Object.values(pkg['node-red']?.nodes ?? {});
  const missing = nodeFiles.filter((file) => !existsSync(join(ROOT, file)));
  if (!existsSync(join(ROOT, 'dist')) || missing.length > 0) {
    throw new Error(
      `dist/ is missing or incomplete (${missing.join(', ') || 'dist/'}): run \`npm run build\` first ` +
        '(`npm run validate` does)',
    );
  }
  // --ignore-scripts: prepack would rebuild dist/ behind our back; we validate the dist/ just checked.
  const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const report = JSON.parse(packed) as unknown;
  const filename = Array.isArray(report) && isRecord(report[0]) ? report[0].filename : undefined;
  if (typeof filename !== 'string') throw new Error(`npm pack gave no tarball name: ${packed}`);
  execFileSync('tar', ['-xzf', join(work, filename), '-C', work]);
  return join(work, 'package');
}

function readLedger(file: string): LedgerEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LedgerEntry);
}

/** Hosts whose answers did not reach node-red-dev, each with the first reason seen. */
function unreachableHosts(ledger: readonly LedgerEntry[]): Map<string, string> {
  const down = new Map<string, string>();
  const mark = (host: string, reason: string): void => {
    const key = host.toLowerCase();
    if (!down.has(key)) down.set(key, reason);
  };
  for (const entry of ledger) {
    if (entry.event === 'blocked') {
      mark(entry.host, 'blocked by the offline preload, which answers it as unreachable');
    } else if (entry.event === 'failed') {
      mark(entry.host, `request for ${entry.path} failed: ${entry.error}`);
    } else if (entry.event === 'response' && entry.status >= 400) {
      // npm-remote-ls and npm-check carry on after an error answer as if the package had no data.
      mark(entry.host, `${entry.path} answered HTTP ${entry.status}`);
    } else if (entry.event === 'placeholder') {
      mark(new URL(entry.url).hostname, `${entry.url} failed (${entry.reason}); a placeholder was scored`);
    }
  }
  return down;
}

function unreachableLabel(host: string): string {
  return host === CATALOGUE_HOST ? 'catalogue unreachable' : 'npm registry unreachable';
}

interface Scored {
  checks: Record<string, CheckEntry>;
  rewritten: string[];
  problems: string[];
}

/**
 * Turns node-red-dev's scorecard into ours: every check gets a status; checks fed by an unreachable
 * host become "not run"; the known blind spots of node-red-dev 0.1.6 are checked or labelled here.
 */
function score(
  raw: Record<string, unknown>,
  down: ReadonlyMap<string, string>,
  registryHost: string,
  packed: PackageJson,
  nodeRedDevOutput: string,
): Scored {
  const checks: Record<string, CheckEntry> = {};
  const rewritten: string[] = [];
  const problems: string[] = [];

  for (const [id, spec] of Object.entries(CHECKS)) {
    const result = isRecord(raw[id]) ? (raw[id] as RawCheck) : undefined;
    const hosts = spec.feeds.flatMap((feed) => hostsOf(feed, registryHost));
    const unreachable = hosts.filter((host) => down.has(host));
    if (unreachable.length > 0) {
      checks[id] = {
        title: spec.title,
        status: 'not run',
        test: null,
        reason:
          unreachable.map((host) => `${unreachableLabel(host)} (${host}: ${down.get(host)})`).join('; ') +
          "; node-red-dev's own result rests on data it never got and is discarded",
        discarded: result ?? null,
      };
      if (result?.test === true) rewritten.push(id);
      continue;
    }
    if (!result || typeof result.test !== 'boolean') {
      checks[id] = {
        title: spec.title,
        status: 'failed',
        test: null,
        reason: `node-red-dev ${AUDITED_VERSION} did not report this check`,
      };
      continue;
    }
    checks[id] = {
      title: spec.title,
      status: result.test ? 'passed' : 'failed',
      ...result,
      test: result.test,
    };
  }

  // node-red-dev 0.1.6 sets P05 to true in both branches, so it cannot fail: look for ourselves.
  const p05 = checks.P05;
  if (p05 && p05.status !== 'not run') {
    const hasKeyword = packed.keywords?.includes('node-red') === true;
    p05.status = hasKeyword ? 'passed' : 'failed';
    p05.test = hasKeyword;
    p05.note = 're-checked by run.ts: node-red-dev 0.1.6 passes P05 whether or not the keyword is there';
    if (!hasKeyword) p05.reason = "package.json keywords lack 'node-red'";
  }

  // An .html node-red-dev cannot parse is skipped with a console line, so N02 never looks at that node.
  const unparsed = [...nodeRedDevOutput.matchAll(/^Unable to parse\s+(.+)$/gm)].map((match) => match[1]);
  const unreadable = [...nodeRedDevOutput.matchAll(/Unable to read example\s*:\s*(.+)$/gm)].map(
    (match) => match[1],
  );
  const n02 = checks.N02;
  if (n02 && (unparsed.length > 0 || unreadable.length > 0)) {
    n02.status = 'failed';
    n02.test = false;
    n02.reason = [
      unparsed.length > 0 ? `node-red-dev could not parse the editor file of ${unparsed.join(', ')}` : '',
      unreadable.length > 0 ? `example files that are not a JSON flow array: ${unreadable.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
  }

  // node-red-dev 0.1.6 returns from inside its loop over dependencies: only the first one is walked.
  const d02 = checks.D02;
  const dependencies = Object.keys(packed.dependencies ?? {});
  if (d02 && d02.status !== 'not run' && dependencies.length > 1) {
    d02.note =
      `node-red-dev ${AUDITED_VERSION} walks only the first dependency's tree (${dependencies[0]}); ` +
      `${dependencies.slice(1).join(', ')} not looked at`;
  }

  // A blocked or failed host no check is known to read means the audit above is out of date.
  const known = new Set(
    Object.values(CHECKS).flatMap((spec) => spec.feeds.flatMap((feed) => hostsOf(feed, registryHost))),
  );
  for (const [host, reason] of down) {
    if (!known.has(host)) problems.push(`node-red-dev used ${host}, which no audited check reads: ${reason}`);
  }
  for (const id of Object.keys(raw)) {
    if (id !== 'package' && !(id in CHECKS)) problems.push(`node-red-dev reported an unaudited check ${id}`);
  }
  return { checks, rewritten, problems };
}

function summaryLine(
  checks: Readonly<Record<string, CheckEntry>>,
  down: ReadonlyMap<string, string>,
  registryHost: string,
): string {
  const ids = (status: Status): string[] =>
    Object.entries(checks)
      .filter(([, entry]) => entry.status === status)
      .map(([id]) => id);
  const notRun = ids('not run');
  const byLabel = new Map<string, string[]>();
  for (const id of notRun) {
    const hosts = (CHECKS[id]?.feeds ?? [])
      .flatMap((feed) => hostsOf(feed, registryHost))
      .filter((host) => down.has(host));
    const label = unreachableLabel(hosts[0] ?? '');
    byLabel.set(label, [...(byLabel.get(label) ?? []), id]);
  }
  // The catalogue first: it is unreachable on every run, the registry only on a bad day or --offline.
  const why = [...byLabel]
    .sort(
      ([a], [b]) =>
        Number(b === unreachableLabel(CATALOGUE_HOST)) - Number(a === unreachableLabel(CATALOGUE_HOST)),
    )
    .map(([label, list]) => `${label}: ${list.join(' ')}`)
    .join('; ');
  const failed = ids('failed');
  return (
    `scorecard: ${ids('passed').length} passed, ${notRun.length} not run` +
    (why ? ` (${why})` : '') +
    `, ${failed.length} failed` +
    (failed.length > 0 ? ` (${failed.join(' ')})` : '')
  );
}

function main(): number {
  const options = parseArgs(process.argv.slice(2));
  const tool = nodeRedDev();
  if (tool.version !== AUDITED_VERSION) {
    console.error(
      `node-red-dev ${tool.version} is installed, but tools/validate was written against ${AUDITED_VERSION}: ` +
        'read its validate command again (which checks fetch what) before trusting its scorecard',
    );
    return 1;
  }
  // Needed offline too: D02/D03 go to the .npmrc registry, and a blocked host must be attributed.
  const registryHost = configuredRegistryHost();
  const work = mkdtempSync(join(tmpdir(), 'aqara-scorecard-'));
  try {
    const pkgDir = packInto(work, readJson(join(ROOT, 'package.json')) as PackageJson);
    const packed = readJson(join(pkgDir, 'package.json')) as PackageJson;
    const problems: string[] = [];
    for (const file of Object.values(packed['node-red']?.nodes ?? {})) {
      for (const wanted of [file, file.replace(/\.js$/, '.html')]) {
        if (!existsSync(join(pkgDir, wanted))) problems.push(`the packed package lacks ${wanted}`);
      }
    }

    const ledger = join(work, 'ledger.jsonl');
    const rawOutput = join(work, 'node-red-dev.json');
    const allowHosts = options.offline ? '' : [...new Set([NPMJS_HOST, registryHost])].join(',');
    const run = spawnSync(
      process.execPath,
      ['--require', PRELOAD, tool.bin, 'validate', '-p', pkgDir, '-o', rawOutput],
      {
        cwd: work,
        env: { ...process.env, NRD_OFFLINE_LEDGER: ledger, NRD_OFFLINE_ALLOW_HOSTS: allowHosts },
        encoding: 'utf8',
        // node-red-dev opens a readline on stdin that it never uses.
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: RUN_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
    process.stdout.write(output.replace(/^/gm, '  | '));
    process.stdout.write('\n');
    if (run.status !== 0 || !existsSync(rawOutput)) {
      console.error(
        `node-red-dev validate did not finish (${run.error?.message ?? `exit ${run.status ?? run.signal}`}), ` +
          'so there is no scorecard',
      );
      for (const [host, reason] of unreachableHosts(readLedger(ledger))) console.error(`${host}: ${reason}`);
      return 1;
    }

    const raw = readJson(rawOutput);
    if (!isRecord(raw)) throw new Error('node-red-dev wrote a scorecard that is not an object');
    const down = unreachableHosts(readLedger(ledger));
    const scored = score(raw, down, registryHost, packed, output);
    problems.push(...scored.problems);
    const counts = { passed: 0, notRun: 0, failed: 0 };
    for (const entry of Object.values(scored.checks)) {
      if (entry.status === 'passed') counts.passed++;
      else if (entry.status === 'failed') counts.failed++;
      else counts.notRun++;
    }

    const card = {
      package: { name: packed.name, version: packed.version },
      ...scored.checks,
      validation: {
        tool: `node-red-dev@${tool.version} validate`,
        input: `npm pack --ignore-scripts of ${packed.name}@${packed.version}, unpacked`,
        network: options.offline
          ? 'none: the offline preload blocked every host'
          : `only ${allowHosts}; ${CATALOGUE_HOST} is answered as unreachable by the offline preload`,
        summary: counts,
        unreachable: Object.fromEntries(down),
        rewrittenFromPassToNotRun: scored.rewritten,
        problems,
      },
    };
    mkdirSync(dirname(options.output), { recursive: true });
    writeFileSync(options.output, `${JSON.stringify(card, null, 2)}\n`);

    for (const id of scored.rewritten) {
      console.log(
        `${id}: node-red-dev said passed; rewritten to "not run": ${scored.checks[id]?.reason ?? ''}`,
      );
    }
    for (const [id, entry] of Object.entries(scored.checks)) {
      if (entry.status === 'failed') console.log(`${id} failed (${entry.title}): ${describeFailure(entry)}`);
    }
    for (const problem of problems) console.error(`problem: ${problem}`);
    console.log(`written ${options.output}`);
    console.log(summaryLine(scored.checks, down, registryHost));
    return counts.failed > 0 || problems.length > 0 ? 1 : 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function describeFailure(entry: CheckEntry): string {
  if (entry.reason) return entry.reason;
  // node-red-dev's details (e.g. which packages are out of date), without our own bookkeeping fields.
  const details = Object.fromEntries(
    Object.entries(entry).filter(([key]) => !['title', 'status', 'test'].includes(key)),
  );
  return JSON.stringify(details);
}

process.exitCode = main();
