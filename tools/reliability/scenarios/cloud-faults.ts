import { performance } from 'node:perf_hooks';
import { AqaraClient } from '../../../src/lib/aqara/client';
import { TokenManager } from '../../../src/lib/tokens/manager';
import { CaptureLogger } from '../../../support/capture-logger';
import type { SimulatorFault } from '../../../simulator/server';
import { sleep } from '../lib/protocol-child';
import { judgeError } from '../lib/clear-error';
import { CONFIG_ID, REFRESH_INTENT, SCENE_ID, SCENE_INTENT, startLab, type Lab } from '../lib/lab';
import { Findings, type ScenarioOutcome, scenarioOutcome } from '../lib/outcome';
import { runScene } from '../../../src/lib/aqara/intents/scenes';

/**
 * Cloud faults: scene runs through a real TokenManager while the simulator misbehaves in every way the
 * client must survive, on the scene intent and on the refresh intent. Every run must succeed or fail
 * with a clear error, and the stored refresh token must stay valid - except when the simulator
 * rotated it and the answer never arrived (dropped after processing, or answered after the client's
 * deadline), which the error must then name as a lost answer.
 */

export interface CloudFaultOptions {
  runsPerFault: number;
  /** Runs for the rows that wait out a timeout; fewer, because each costs the client's deadline. */
  slowRunsPerFault: number;
}

export interface CloudFaultRow {
  fault: string;
  target: 'scene run' | 'token refresh';
  expected: 'ok' | 'fail';
  runs: number;
  ok: number;
  failedClear: number;
  failedUnclear: number;
  tokenValidAfter: number;
  /** Runs whose error said the refresh answer was lost (answerLost and the words). */
  reportedLost: number;
  refreshes: number;
  /** True for the rows where the simulator rotates the token but the client never sees the answer. */
  lostAnswerCase: boolean;
}

export interface CloudFaultFigures {
  rows: CloudFaultRow[];
  clientTimeoutMs: number;
  unclearSamples: string[];
}

interface FaultCase {
  label: string;
  fault: SimulatorFault;
  intent: typeof SCENE_INTENT | typeof REFRESH_INTENT;
  /** How many requests of the run the fault hits; Infinity keeps it for the whole row. */
  times: number;
  expected: 'ok' | 'fail';
  lostAnswer?: boolean;
  slow?: boolean;
}

/** Well above a loopback answer, well below what a test can afford to wait per run. */
const CLIENT_TIMEOUT_MS = 400;
const SLOW_MS = 120;
const PAST_TIMEOUT_MS = 650;

const CASES: readonly FaultCase[] = [
  { label: 'none', fault: { kind: 'delay', ms: 0 }, intent: SCENE_INTENT, times: 1, expected: 'ok' },
  {
    label: 'HTTP 500 (HTML page)',
    fault: { kind: 'http500' },
    intent: SCENE_INTENT,
    times: 1,
    expected: 'fail',
  },
  {
    label: 'HTTP 500 (JSON)',
    fault: { kind: 'http500', body: 'json' },
    intent: SCENE_INTENT,
    times: 1,
    expected: 'fail',
  },
  { label: 'connection dropped', fault: { kind: 'drop' }, intent: SCENE_INTENT, times: 1, expected: 'fail' },
  {
    label: 'dropped after processing',
    fault: { kind: 'dropAfterProcessing' },
    intent: SCENE_INTENT,
    times: 1,
    expected: 'fail',
  },
  {
    label: 'no answer (hang)',
    fault: { kind: 'hang' },
    intent: SCENE_INTENT,
    times: 1,
    expected: 'fail',
    slow: true,
  },
  { label: 'code 429', fault: { kind: 'code', code: 429 }, intent: SCENE_INTENT, times: 1, expected: 'fail' },
  {
    label: 'code 429, HTTP 429',
    fault: { kind: 'code', code: 429, httpStatus: 429 },
    intent: SCENE_INTENT,
    times: 1,
    expected: 'fail',
  },
  {
    label: 'code 104 (busy)',
    fault: { kind: 'code', code: 104 },
    intent: SCENE_INTENT,
    times: 1,
    expected: 'fail',
  },
  {
    label: 'code 108 once',
    fault: { kind: 'code', code: 108 },
    intent: SCENE_INTENT,
    times: 1,
    expected: 'ok',
  },
  {
    label: 'storm of 108',
    fault: { kind: 'code', code: 108 },
    intent: SCENE_INTENT,
    times: Infinity,
    expected: 'fail',
  },
  {
    label: `slow (${SLOW_MS} ms)`,
    fault: { kind: 'delay', ms: SLOW_MS },
    intent: SCENE_INTENT,
    times: 1,
    expected: 'ok',
  },
  {
    label: `slow past timeout (${PAST_TIMEOUT_MS} ms)`,
    fault: { kind: 'delay', ms: PAST_TIMEOUT_MS },
    intent: SCENE_INTENT,
    times: 1,
    expected: 'fail',
    slow: true,
  },
  // Aqara's own 500 envelope was read: retried, the run succeeds.
  {
    label: 'HTTP 500 (JSON) once',
    fault: { kind: 'http500', body: 'json' },
    intent: REFRESH_INTENT,
    times: 1,
    expected: 'ok',
  },
  // A bare 5xx page on a refresh may have come after a rotation: never retried blindly, the run fails.
  {
    label: 'HTTP 500 page once',
    fault: { kind: 'http500' },
    intent: REFRESH_INTENT,
    times: 1,
    expected: 'fail',
  },
  {
    label: 'HTTP 500 on every attempt',
    fault: { kind: 'http500' },
    intent: REFRESH_INTENT,
    times: 3,
    expected: 'fail',
  },
  {
    label: 'connection dropped',
    fault: { kind: 'drop' },
    intent: REFRESH_INTENT,
    times: 1,
    expected: 'fail',
  },
  {
    label: 'dropped after processing',
    fault: { kind: 'dropAfterProcessing' },
    intent: REFRESH_INTENT,
    times: 1,
    expected: 'fail',
    lostAnswer: true,
  },
  {
    label: 'no answer (hang)',
    fault: { kind: 'hang' },
    intent: REFRESH_INTENT,
    times: 1,
    expected: 'fail',
    slow: true,
  },
  {
    label: 'code 429 once',
    fault: { kind: 'code', code: 429 },
    intent: REFRESH_INTENT,
    times: 1,
    expected: 'ok',
  },
  {
    label: 'code 104 once',
    fault: { kind: 'code', code: 104 },
    intent: REFRESH_INTENT,
    times: 1,
    expected: 'ok',
  },
  {
    label: 'code 104 on every attempt',
    fault: { kind: 'code', code: 104 },
    intent: REFRESH_INTENT,
    times: 3,
    expected: 'fail',
  },
  {
    label: `slow (${SLOW_MS} ms)`,
    fault: { kind: 'delay', ms: SLOW_MS },
    intent: REFRESH_INTENT,
    times: 1,
    expected: 'ok',
  },
  {
    label: `slow past timeout (${PAST_TIMEOUT_MS} ms)`,
    fault: { kind: 'delay', ms: PAST_TIMEOUT_MS },
    intent: REFRESH_INTENT,
    times: 1,
    expected: 'fail',
    lostAnswer: true,
    slow: true,
  },
];

const LOST_WORDS = /answer was lost/i;

export async function runCloudFaultScenario(
  options: CloudFaultOptions,
): Promise<ScenarioOutcome<CloudFaultFigures>> {
  const started = performance.now();
  const findings = new Findings();
  const lab = await startLab();
  const logger = new CaptureLogger();
  const client = new AqaraClient({
    baseUrl: lab.baseUrl,
    appId: lab.app.appId,
    keyId: lab.app.keyId,
    appKey: lab.app.appKey,
    timeoutMs: CLIENT_TIMEOUT_MS,
    logger,
  });
  // Short back-off only to keep the suite quick; attempts and every other rule are the product's.
  const manager = new TokenManager({
    configId: CONFIG_ID,
    appId: lab.app.appId,
    client,
    store: lab.store(),
    logger,
    refreshBackoffMs: 20,
    keepAliveMaxAgeMs: 0,
  });
  const figures: CloudFaultFigures = { rows: [], clientTimeoutMs: CLIENT_TIMEOUT_MS, unclearSamples: [] };
  try {
    lab.seedToken();
    for (const faultCase of CASES) {
      figures.rows.push(await runCase(lab, manager, faultCase, options, findings, figures.unclearSamples));
    }
    const secrets = knownSecrets(lab);
    const leaked = logger.lines.filter((line) =>
      secrets.some((secret) => line.toLowerCase().includes(secret.toLowerCase())),
    );
    findings.check(leaked.length === 0, `${leaked.length} log lines of the manager/client carry a secret`);
  } finally {
    manager.close();
    client.close();
    await lab.close();
  }
  figures.unclearSamples = figures.unclearSamples.slice(0, 10);
  return scenarioOutcome(figures, findings, started);
}

async function runCase(
  lab: Lab,
  manager: TokenManager,
  faultCase: FaultCase,
  options: CloudFaultOptions,
  findings: Findings,
  unclearSamples: string[],
): Promise<CloudFaultRow> {
  const target = faultCase.intent === REFRESH_INTENT ? 'token refresh' : 'scene run';
  const name = `${faultCase.label} on ${target}`;
  const row: CloudFaultRow = {
    fault: faultCase.label,
    target,
    expected: faultCase.expected,
    runs: 0,
    ok: 0,
    failedClear: 0,
    failedUnclear: 0,
    tokenValidAfter: 0,
    reportedLost: 0,
    refreshes: 0,
    lostAnswerCase: faultCase.lostAnswer === true,
  };
  const runs = faultCase.slow ? options.slowRunsPerFault : options.runsPerFault;
  const refreshesBefore = lab.sim.callCount(REFRESH_INTENT);
  lab.sim.clearFaults();
  if (faultCase.times === Infinity)
    lab.sim.injectFault({ fault: faultCase.fault, intent: faultCase.intent, times: Infinity });

  for (let run = 0; run < runs; run++) {
    // A fault on the refresh intent only bites if the run must refresh: revoking the cached access
    // token makes the run take the product's own path (108, refresh once, retry once).
    if (faultCase.intent === REFRESH_INTENT) lab.sim.expireAccessTokens();
    if (faultCase.times !== Infinity) {
      lab.sim.clearFaults();
      lab.sim.injectFault({ fault: faultCase.fault, intent: faultCase.intent, times: faultCase.times });
    }
    row.runs++;
    let failure: unknown;
    let succeeded = false;
    try {
      await runScene(manager, SCENE_ID);
      succeeded = true;
      row.ok++;
    } catch (error) {
      failure = error;
      const clarity = judgeError(error, knownSecrets(lab));
      if (clarity.clear) row.failedClear++;
      else {
        row.failedUnclear++;
        unclearSamples.push(`${name}: ${clarity.why}: ${String((error as Error).message).slice(0, 200)}`);
      }
    }
    // An answer due after the client's deadline still changes the simulator when it comes.
    if (faultCase.fault.kind === 'delay' && faultCase.fault.ms > CLIENT_TIMEOUT_MS)
      await sleep(faultCase.fault.ms);
    if (faultCase.times !== Infinity) lab.sim.clearFaults();

    const saidLost =
      failure !== undefined &&
      (failure as { answerLost?: unknown }).answerLost === true &&
      LOST_WORDS.test((failure as Error).message);
    if (saidLost) row.reportedLost++;
    const valid = lab.storedTokenValid();
    if (valid) row.tokenValidAfter++;
    else {
      if (!faultCase.lostAnswer) findings.violation(`${name}: the stored refresh token became invalid`);
      else if (!saidLost)
        findings.violation(`${name}: the token was lost but the error did not say the answer was lost`);
      // A person pastes a new token, as the error tells them to.
      manager.setRefreshToken(lab.sim.issueRefreshToken());
    }
    if (faultCase.expected === 'ok' && !succeeded) {
      findings.violation(
        `${name}: expected the run to succeed, it failed: ${String((failure as Error).message)}`,
      );
    }
    if (faultCase.expected === 'fail' && succeeded)
      findings.violation(`${name}: expected the run to fail, it succeeded`);
  }
  lab.sim.clearFaults();
  row.refreshes = lab.sim.callCount(REFRESH_INTENT) - refreshesBefore;
  findings.check(row.failedUnclear === 0, `${name}: ${row.failedUnclear} runs failed without a clear error`);
  if (faultCase.times === Infinity) {
    // One refresh per run and no more: a 108 storm must not turn into a refresh storm.
    findings.check(row.refreshes === row.runs, `${name}: ${row.refreshes} refreshes for ${row.runs} runs`);
  }
  return row;
}

/** Every secret the simulator has seen so far: the app key, refresh tokens sent, access tokens used. */
function knownSecrets(lab: Lab): string[] {
  const secrets = new Set<string>([lab.app.appKey]);
  for (const call of lab.sim.calls) {
    if (call.accessToken) secrets.add(call.accessToken);
    const sent = (call.data as { refreshToken?: unknown } | undefined)?.refreshToken;
    if (typeof sent === 'string') secrets.add(sent);
  }
  const stored = lab.storedToken();
  if (stored) secrets.add(stored);
  return [...secrets];
}
