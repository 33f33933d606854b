/**
 * `npm run test:reliability`: runs every reliability scenario at full size, writes the figures to
 * docs/reliability.md and exits non-zero if any promise was broken.
 *   --fast            the small counts of the npm test subset (writes nothing unless --out is given)
 *   --only=a,b        only these scenarios: crash, graceful, processes, cloud, db, fuzz, leak, push
 *   --out=path        where to write the report
 *   --json=path       also write every scenario's figures and violations as JSON (npm test reads them)
 * RELIABILITY_SEED=n  repeats a run's random choices (kill moments, hostile requests).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import prettier from 'prettier';
import { REPO_ROOT } from '../../support/repo';
import type { ScenarioOutcome } from './lib/outcome';
import { chooseSeed } from './lib/prng';
import { FAST, FULL } from './presets';
import { allViolations, renderReport, summaryTable, type SuiteResults } from './reliability-report';
import { runAdminFuzzScenario } from './scenarios/admin-fuzz';
import { runCloudFaultScenario } from './scenarios/cloud-faults';
import { runCrashScenario } from './scenarios/crash';
import { runDbFaultScenario } from './scenarios/db-faults';
import { runGracefulStopScenario } from './scenarios/graceful-stop';
import { runProcessesScenario } from './scenarios/processes';
import { runPushCrashScenario } from './scenarios/push-crash';
import { runSecretLeakScenario } from './scenarios/secret-leak';

const SCENARIOS = ['crash', 'graceful', 'processes', 'cloud', 'db', 'fuzz', 'leak', 'push'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

function option(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv
    .slice(2)
    .find((arg) => arg.startsWith(prefix))
    ?.slice(prefix.length);
}

function commitOf(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    }).trim();
  } catch {
    return 'unknown';
  }
}

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function main(): Promise<number> {
  const fast = process.argv.includes('--fast');
  const preset = fast ? FAST : FULL;
  const only = option('only')?.split(',') ?? [...SCENARIOS];
  const unknown = only.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    say(`unknown scenario(s): ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}`);
    return 2;
  }
  const out = option('out') ?? (fast ? undefined : join(REPO_ROOT, 'docs', 'reliability.md'));
  const seed = chooseSeed();
  const startedAt = new Date();
  const started = performance.now();
  say(
    `reliability suite, preset ${fast ? 'FAST' : 'FULL'}, seed ${seed} (RELIABILITY_SEED=${seed} repeats it)`,
  );

  const results: SuiteResults = { processes: [], aborted: [] };
  const step = async <F>(
    name: ScenarioName,
    label: string,
    run: () => Promise<ScenarioOutcome<F>>,
  ): Promise<ScenarioOutcome<F> | undefined> => {
    if (!only.includes(name)) return undefined;
    say(`- ${label} ...`);
    try {
      const outcome = await run();
      const verdict = outcome.violations.length === 0 ? 'held' : `${outcome.violations.length} violation(s)`;
      say(`  ${label}: ${verdict} in ${(outcome.durationMs / 1000).toFixed(1)} s`);
      for (const text of outcome.violations) say(`    ! ${text.split('\n')[0]}`);
      return outcome;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      results.aborted.push({ scenario: label, message: message.split('\n')[0] });
      say(`  ${label}: the scenario failed: ${message}`);
      return undefined;
    }
  };

  results.crash = await step('crash', 'crash', () => runCrashScenario({ ...preset.crash, seed }));
  results.gracefulStop = await step('graceful', 'graceful stop', () =>
    runGracefulStopScenario({ ...preset.gracefulStop, seed }),
  );
  for (const options of preset.processes) {
    const outcome = await step(
      'processes',
      `${options.processes} processes, revoked every ${options.expireEveryMs} ms`,
      () => runProcessesScenario(options),
    );
    if (outcome) results.processes.push(outcome);
  }
  results.cloudFaults = await step('cloud', 'cloud faults', () => runCloudFaultScenario(preset.cloudFaults));
  results.dbFaults = await step('db', 'database faults', () => runDbFaultScenario(preset.dbFaults));
  results.adminFuzz = await step('fuzz', 'hostile admin input', () =>
    runAdminFuzzScenario({ ...preset.adminFuzz, seed }),
  );
  results.secretLeak = await step('leak', 'secret leakage', () => runSecretLeakScenario());
  results.pushCrash = await step('push', 'SIGKILL during push bursts', () =>
    runPushCrashScenario({ ...preset.pushCrash, seed }),
  );

  const durationMs = performance.now() - started;
  const report = renderReport(results, {
    startedAt,
    durationMs,
    seed,
    preset: fast ? 'FAST' : 'FULL',
    commit: commitOf(),
    node: process.version,
    cpus: os.cpus().length,
    platform: `${os.platform()} ${os.arch()}`,
  });
  const json = option('json');
  if (json) writeFileSync(json, JSON.stringify(results, null, 2));
  if (out) {
    // The report is committed, and `npm run lint` checks every markdown file with Prettier.
    const style = (await prettier.resolveConfig(out)) ?? {};
    writeFileSync(out, await prettier.format(report, { ...style, filepath: out }));
    say(`report written to ${out}`);
  }
  say('');
  say(summaryTable(results));
  const violations = allViolations(results);
  say('');
  say(
    `${violations.length === 0 ? 'all promises held' : `${violations.length} violation(s)`}; took ${(durationMs / 1000).toFixed(0)} s`,
  );
  return violations.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(
      `reliability suite crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exit(1);
  },
);
