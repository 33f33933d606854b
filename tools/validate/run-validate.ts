/**
 * The Node-RED flow library's scorecard (`node-red-dev validate`) for exactly what users install: the
 * `npm pack` tarball of the built package, unpacked into a temporary folder.
 *
 * node-red-dev runs under offline-catalogue.cjs, which never asks the unreachable flow library catalogue
 * (and with --offline, nothing at all). A check is never reported as passed on data that was not fetched:
 * the catalogue checks are always "not run", the registry checks are "not run" with --offline or when a
 * request failed; node-red-dev's own result for them is kept as `discarded`.
 *
 * Usage: node --import tsx tools/validate/run-validate.ts [--output <file>] [--offline]
 *   --output   where the scorecard goes (default docs/scorecard.json)
 *   --offline  nothing leaves this machine; the registry checks are "not run"
 * Prints one summary line last; exits non-zero if any check failed or the run itself went wrong.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { REPO_ROOT as ROOT } from '../../support/repo';

/** The preload and the rewrites below describe this version's code: another one must be read again. */
const AUDITED_VERSION = '0.1.6';
const CATALOGUE_CHECKS = ['P08', 'N01'];
const REGISTRY_CHECKS = ['P06', 'P07', 'D02', 'D03'];
/** Every check node-red-dev 0.1.6 reports (P02 is disabled in its source). */
const TITLES: Readonly<Record<string, string>> = {
  P01: 'declares a licence',
  P03: 'has a repository or bugs URL',
  P04: 'uses a valid (scoped) name',
  P05: "has the 'node-red' keyword",
  P06: 'node-red.version admits a current Node-RED release',
  P07: "engines.node admits the latest Node-RED's minimum Node.js",
  P08: 'no similarly named package in the flow library catalogue',
  N01: 'node types are unique in the flow library catalogue',
  N02: 'examples use every node (config nodes aside)',
  D01: 'six or fewer dependencies',
  D02: 'no known-incompatible package in the dependency tree',
  D03: 'production dependencies at their latest versions',
};

type Status = 'passed' | 'failed' | 'not run';
type RawCheck = Record<string, unknown>;
interface CheckEntry {
  title: string;
  status: Status;
  test: boolean | null;
  reason?: string;
  note?: string;
  discarded?: RawCheck | null;
  [extra: string]: unknown;
}
interface PackageJson {
  name: string;
  version: string;
  keywords?: string[];
  dependencies?: Record<string, string>;
  'node-red'?: { nodes?: Record<string, string> };
}

const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));

function parseArgs(argv: readonly string[]): { output: string; offline: boolean } {
  const options = { output: join(ROOT, 'docs', 'scorecard.json'), offline: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--offline') options.offline = true;
    else if (argv[i] === '--output' && argv[i + 1] !== undefined) options.output = resolve(argv[++i] ?? '');
    else throw new Error(`unknown argument ${argv[i]}; usage: run-validate.ts [--output <file>] [--offline]`);
  }
  return options;
}

/** Packs and unpacks the package; returns the unpacked folder (what `npm install` would put in place). */
function packInto(work: string): string {
  // --ignore-scripts: prepack would rebuild dist/; `npm run validate` has just built it.
  const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [report] = JSON.parse(packed) as [{ filename: string }];
  execFileSync('tar', ['-xzf', join(work, report.filename), '-C', work]);
  return join(work, 'package');
}

/** Our checks of what node-red-dev 0.1.6 lets through: the scorecard cannot see the ones it skips. */
function recheck(checks: Record<string, CheckEntry>, packed: PackageJson, output: string): void {
  const { P05, N02, D02 } = checks;
  if (P05 && packed.keywords?.includes('node-red') !== true) {
    Object.assign(P05, { status: 'failed', test: false, reason: "package.json keywords lack 'node-red'" });
  }
  if (P05)
    P05.note =
      're-checked by run-validate.ts: node-red-dev 0.1.6 passes P05 whether or not the keyword is there';
  // An .html node-red-dev cannot parse, or an example it cannot read, is skipped with a console line.
  const skipped = [...output.matchAll(/^(?:Unable to parse|Unable to read example\s*:)\s+(.+)$/gm)];
  if (N02 && skipped.length > 0) {
    const files = skipped.map((match) => match[1]).join(', ');
    Object.assign(N02, { status: 'failed', test: false, reason: `node-red-dev could not read ${files}` });
  }
  const dependencies = Object.keys(packed.dependencies ?? {});
  if (D02?.status !== 'not run' && D02 && dependencies.length > 1) {
    D02.note = `node-red-dev ${AUDITED_VERSION} walks only the first dependency's tree (${dependencies[0]})`;
  }
}

function main(): number {
  const options = parseArgs(process.argv.slice(2));
  const manifest = require.resolve('node-red-dev/package.json', { paths: [ROOT] });
  const { version } = readJson(manifest) as { version: string };
  if (version !== AUDITED_VERSION) {
    console.error(
      `node-red-dev ${version} is installed; tools/validate was written against ${AUDITED_VERSION}`,
    );
    return 1;
  }
  const work = mkdtempSync(join(tmpdir(), 'aqara-scorecard-'));
  try {
    const pkgDir = packInto(work);
    const packed = readJson(join(pkgDir, 'package.json')) as PackageJson;
    const problems = Object.values(packed['node-red']?.nodes ?? {})
      .flatMap((file) => [file, file.replace(/\.js$/, '.html'), `dist/${file}`])
      .filter((file) => !existsSync(join(pkgDir, file)))
      .map((file) => `the packed package lacks ${file} (run \`npm run build\`)`);

    const rawFile = join(work, 'node-red-dev.json');
    const bin = join(dirname(manifest), 'bin', 'run');
    const run = spawnSync(
      process.execPath,
      ['--require', join(__dirname, 'offline-catalogue.cjs'), bin, 'validate', '-p', pkgDir, '-o', rawFile],
      {
        cwd: work,
        env: { ...process.env, VALIDATE_OFFLINE: options.offline ? '1' : '' },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'], // node-red-dev opens a readline on stdin that it never uses
        timeout: 3 * 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
    process.stdout.write(`${output.replace(/^/gm, '  | ')}\n`);
    if (run.status !== 0 || !existsSync(rawFile)) {
      console.error(`node-red-dev validate did not finish (${run.error?.message ?? `exit ${run.status}`})`);
      return 1;
    }
    const raw = readJson(rawFile) as Record<string, RawCheck | undefined>;

    const failedRequest = /^request failed: (.+)$/m.exec(output)?.[1];
    const unreachable: Record<string, string> = {
      'catalogue.nodered.org': 'not contacted: node-red-dev was given an empty catalogue instead',
    };
    if (options.offline) unreachable['registry.npmjs.org'] = '--offline: nothing leaves this machine';
    else if (failedRequest)
      unreachable[failedRequest.split('/')[0] ?? ''] = `request failed: ${failedRequest}`;
    const notRun = (id: string): string | undefined => {
      if (CATALOGUE_CHECKS.includes(id))
        return `catalogue unreachable (catalogue.nodered.org ${unreachable['catalogue.nodered.org']})`;
      if (!REGISTRY_CHECKS.includes(id)) return undefined;
      if (options.offline) return 'npm registry unreachable (--offline: nothing leaves this machine)';
      return failedRequest && `npm registry unreachable (request failed: ${failedRequest})`;
    };

    const checks: Record<string, CheckEntry> = {};
    for (const [id, title] of Object.entries(TITLES)) {
      const result = raw[id];
      const reason = notRun(id);
      if (reason) {
        checks[id] = {
          title,
          status: 'not run',
          test: null,
          reason: `${reason}; node-red-dev's result is discarded`,
          discarded: result ?? null,
        };
      } else if (typeof result?.test !== 'boolean') {
        checks[id] = {
          title,
          status: 'failed',
          test: null,
          reason: `node-red-dev ${AUDITED_VERSION} did not report this check`,
        };
      } else {
        checks[id] = { title, status: result.test ? 'passed' : 'failed', ...result, test: result.test };
      }
    }
    recheck(checks, packed, output);
    problems.push(
      ...Object.keys(raw)
        .filter((id) => id !== 'package' && !(id in TITLES))
        .map((id) => `node-red-dev reported an unknown check ${id}`),
    );

    const ids = (status: Status): string[] =>
      Object.keys(checks).filter((id) => checks[id]?.status === status);
    const [passed, skipped, failed] = [ids('passed'), ids('not run'), ids('failed')];
    const card = {
      package: { name: packed.name, version: packed.version },
      ...checks,
      validation: {
        tool: `node-red-dev@${version} validate`,
        input: `npm pack --ignore-scripts of ${packed.name}@${packed.version}, unpacked`,
        network: options.offline ? 'none' : 'the npm registry only',
        summary: { passed: passed.length, notRun: skipped.length, failed: failed.length },
        unreachable,
        rewrittenFromPassToNotRun: skipped.filter((id) => checks[id]?.discarded?.test === true),
        problems,
      },
    };
    mkdirSync(dirname(options.output), { recursive: true });
    writeFileSync(options.output, `${JSON.stringify(card, null, 2)}\n`);

    for (const id of failed) {
      const { title, reason, ...details } = checks[id] ?? { title: '' };
      // node-red-dev's details (e.g. which packages are out of date) when we have no reason of our own.
      console.log(`${id} failed (${title}): ${reason ?? JSON.stringify(details)}`);
    }
    for (const problem of problems) console.error(`problem: ${problem}`);
    const why = (
      [
        ['catalogue unreachable', CATALOGUE_CHECKS],
        ['npm registry unreachable', REGISTRY_CHECKS],
      ] as const
    )
      .map(([label, group]) => [label, skipped.filter((id) => group.includes(id))] as const)
      .filter(([, list]) => list.length > 0)
      .map(([label, list]) => `${label}: ${list.join(' ')}`);
    console.log(`written ${options.output}`);
    console.log(
      `scorecard: ${passed.length} passed, ${skipped.length} not run${why.length ? ` (${why.join('; ')})` : ''}, ` +
        `${failed.length} failed${failed.length ? ` (${failed.join(' ')})` : ''}`,
    );
    return failed.length > 0 || problems.length > 0 ? 1 : 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = main();
