import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT } from '../../../support/repo';
import { ProtocolChild } from '../lib/protocol-child';
import { CONFIG_ID, REFRESH_INTENT, SCENE_ID, SCENE_INTENT, startLab, type Lab } from '../lib/lab';
import { Findings, type ScenarioOutcome, scenarioOutcome } from '../lib/outcome';
import { monotonicMs } from '../lib/child-protocol';

/**
 * Concurrent processes: N worker processes, each with many concurrent callers, plus the aqara-test CLI
 * run again and again, all on one token database and one config id, while the simulator revokes every
 * access token on a timer. Every revocation sends all of them to refresh at once; the lease must
 * serialise them so that each refresh token is sent exactly once and nobody is ever refused.
 */

export interface ProcessesOptions {
  processes: number;
  callersPerProcess: number;
  durationMs: number;
  /** How often the simulator revokes every access token. */
  expireEveryMs: number;
  /**
   * False for the stress row, whose revocations come faster than a full round of serialised refreshes:
   * there a run may fail when a second revocation lands between its refresh and its single retry, and
   * the scenario then only requires that every failure be explained by such a revocation.
   * True rows revoke at most every expireEveryMs and only once every worker has recovered from the
   * last revocation (a run worked after it), as Aqara never revokes a token before its first use: on a
   * loaded machine a round of refreshes can take longer than the interval, and a fixed timer then
   * turned these rows into the stress row.
   */
  expectNoFailedRuns: boolean;
}

export interface ProcessesFigures {
  processes: number;
  callersPerProcess: number;
  durationMs: number;
  expireEveryMs: number;
  expectNoFailedRuns: boolean;
  revocations: number;
  sceneRuns: number;
  failedRuns: number;
  /** Failed runs with a revocation between their start and their failure (the only allowed cause). */
  failedRunsExplained: number;
  cliRuns: number;
  cliFailures: number;
  refreshes: number;
  rotations: number;
  /** Refresh tokens the simulator saw more than once (must be 0). */
  tokensSentTwice: number;
  /** 2006/2007 answers (must be 0). */
  authorizationFailures: number;
  /** 108 answers to scene runs, each followed by one shared refresh and a retry. */
  accessTokenRefusals: number;
  finalTokenValid: boolean;
  failureSamples: string[];
}

const CLI = join(REPO_ROOT, 'src', 'cli', 'aqara-test.ts');
const START_TIMEOUT_MS = 60_000;

export async function runProcessesScenario(
  options: ProcessesOptions,
): Promise<ScenarioOutcome<ProcessesFigures>> {
  const started = performance.now();
  const findings = new Findings();
  const lab = await startLab();
  const workers: ProtocolChild[] = [];
  let timer: NodeJS.Timeout | undefined;
  const figures: ProcessesFigures = {
    processes: options.processes,
    callersPerProcess: options.callersPerProcess,
    durationMs: options.durationMs,
    expireEveryMs: options.expireEveryMs,
    expectNoFailedRuns: options.expectNoFailedRuns,
    revocations: 0,
    sceneRuns: 0,
    failedRuns: 0,
    failedRunsExplained: 0,
    cliRuns: 0,
    cliFailures: 0,
    refreshes: 0,
    rotations: 0,
    tokensSentTwice: 0,
    authorizationFailures: 0,
    accessTokenRefusals: 0,
    finalTokenValid: false,
    failureSamples: [],
  };
  try {
    lab.seedToken();
    const configFile = writeCliConfig(lab);
    const args = [...lab.childArgs(), String(options.callersPerProcess), String(options.durationMs)];
    for (let i = 0; i < options.processes; i++) workers.push(ProtocolChild.start('scene-worker', args));
    await Promise.all(
      workers.map((worker) => worker.waitFor((event) => event.ev === 'ready', START_TIMEOUT_MS)),
    );
    lab.sim.resetCounters();

    const revokedAt: number[] = [];
    const eventsBefore = workers.map((worker) => worker.events.length);
    const recoveredSince = (at: number): boolean =>
      workers.every((worker, i) =>
        worker.events.slice(eventsBefore[i]).some((event) => event.ev === 'recovered' && event.t > at),
      );
    for (const worker of workers) worker.send({ cmd: 'go' });
    timer = setInterval(() => {
      const last = revokedAt.at(-1);
      if (options.expectNoFailedRuns && last !== undefined && !recoveredSince(last)) return;
      lab.sim.expireAccessTokens();
      revokedAt.push(monotonicMs());
      figures.revocations++;
    }, options.expireEveryMs);
    const summaries = Promise.all(
      workers.map((worker) =>
        worker.waitFor((event) => event.ev === 'summary', options.durationMs + START_TIMEOUT_MS),
      ),
    );
    // The CLI runs one after another for as long as the workers run: each run is a fresh process with
    // no cached access token, so each one refreshes in the middle of the workers' traffic.
    const cliDeadline = performance.now() + options.durationMs;
    while (performance.now() < cliDeadline) {
      const run = await runCli(configFile, lab.dbPath);
      figures.cliRuns++;
      if (run.code !== 0) {
        figures.cliFailures++;
        figures.failureSamples.push(`CLI exit ${run.code}: ${run.stderr.trim().slice(0, 300)}`);
      }
    }
    // The same failure in several workers is one line of the report, with the counts added up.
    const failureCounts = new Map<string, number>();
    for (const summary of await summaries) {
      figures.sceneRuns += Number(summary.ok);
      figures.failedRuns += Number(summary.failed);
      for (const entry of summary.failures as { count: number; failure: { message?: unknown } }[]) {
        const message = String(entry.failure.message);
        failureCounts.set(message, (failureCounts.get(message) ?? 0) + entry.count);
      }
      for (const [from, to] of summary.failedIntervals as [number, number][]) {
        if (revokedAt.some((at) => at >= from && at <= to)) figures.failedRunsExplained++;
      }
    }
    for (const [message, count] of failureCounts) figures.failureSamples.push(`${count} x ${message}`);
    clearInterval(timer);
    timer = undefined;
    figures.sceneRuns += figures.cliRuns - figures.cliFailures;

    const calls = lab.sim.calls;
    findings.check(
      calls.length === lab.sim.callCount(),
      'the simulator trimmed its call log: shorten the run',
    );
    const refreshCalls = calls.filter((call) => call.intent === REFRESH_INTENT);
    figures.refreshes = refreshCalls.length;
    figures.rotations = refreshCalls.filter((call) => call.code === 0).length;
    figures.authorizationFailures = calls.filter((call) => call.code === 2006 || call.code === 2007).length;
    figures.accessTokenRefusals = calls.filter(
      (call) => call.intent === SCENE_INTENT && call.code === 108,
    ).length;
    const sent = new Set(
      refreshCalls.map((call) => (call.data as { refreshToken?: string }).refreshToken ?? ''),
    );
    figures.tokensSentTwice = [...sent].filter((token) => lab.sim.refreshTokenUseCount(token) !== 1).length;
    figures.finalTokenValid = lab.storedTokenValid(CONFIG_ID);

    findings.check(
      figures.rotations === figures.refreshes,
      `${figures.refreshes - figures.rotations} refreshes were not rotations`,
    );
    findings.check(
      figures.tokensSentTwice === 0,
      `${figures.tokensSentTwice} refresh tokens were sent more than once`,
    );
    findings.check(
      figures.authorizationFailures === 0,
      `${figures.authorizationFailures} answers were 2006/2007`,
    );
    if (options.expectNoFailedRuns) {
      findings.check(figures.failedRuns === 0, `${figures.failedRuns} scene runs failed in the workers`);
    } else {
      findings.check(
        figures.failedRunsExplained === figures.failedRuns,
        `${figures.failedRuns - figures.failedRunsExplained} failed runs had no revocation during them`,
      );
    }
    findings.check(figures.cliFailures === 0, `${figures.cliFailures} CLI runs failed`);
    findings.check(figures.finalTokenValid, 'the stored token is not valid at the end');
    findings.check(
      figures.revocations > 0 && figures.rotations > options.processes,
      'too few refreshes to prove anything',
    );
    findings.check(
      lab.sim.sceneRuns.every((run) => run.sceneId === SCENE_ID),
      'an unexpected scene ran',
    );
  } finally {
    if (timer) clearInterval(timer);
    await Promise.all(workers.map((worker) => worker.stop()));
    await lab.close();
  }
  figures.failureSamples = figures.failureSamples.slice(0, 10);
  return scenarioOutcome(figures, findings, started);
}

function writeCliConfig(lab: Lab): string {
  const file = join(lab.dir, 'config.json');
  const aqara = {
    app_id: lab.app.appId,
    app_key: lab.app.appKey,
    key_id: lab.app.keyId,
    base_url: lab.baseUrl,
    scenes: { tv_pin_entry: SCENE_ID, tv_warning: SCENE_ID, tv_power_off: SCENE_ID },
  };
  writeFileSync(file, JSON.stringify({ aqara }), { mode: 0o600 });
  return file;
}

function runCli(configFile: string, dbPath: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        CLI,
        '-config',
        configFile,
        '-action',
        'pin',
        '-db',
        dbPath,
        '-config-id',
        CONFIG_ID,
      ],
      { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString('utf8');
    });
    child.once('error', (error) => {
      stderr += error.message;
    });
    child.once('close', (code) => resolve({ code: code ?? 1, stderr }));
  });
}
