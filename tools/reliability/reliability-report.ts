import type { AdminFuzzFigures } from './scenarios/admin-fuzz';
import type { CloudFaultFigures } from './scenarios/cloud-faults';
import type { CrashFigures } from './scenarios/crash';
import type { DbFaultFigures } from './scenarios/db-faults';
import type { GracefulStopFigures } from './scenarios/graceful-stop';
import type { ProcessesFigures } from './scenarios/processes';
import type { PushCrashFigures } from './scenarios/push-crash';
import type { SecretLeakFigures } from './scenarios/secret-leak';
import type { ScenarioOutcome } from './lib/outcome';
import { formatMs } from './lib/percentiles';

/** Everything one run of the suite produced; a scenario that did not run (or threw) is absent. */
export interface SuiteResults {
  crash?: ScenarioOutcome<CrashFigures>;
  gracefulStop?: ScenarioOutcome<GracefulStopFigures>;
  processes: ScenarioOutcome<ProcessesFigures>[];
  cloudFaults?: ScenarioOutcome<CloudFaultFigures>;
  dbFaults?: ScenarioOutcome<DbFaultFigures>;
  adminFuzz?: ScenarioOutcome<AdminFuzzFigures>;
  secretLeak?: ScenarioOutcome<SecretLeakFigures>;
  pushCrash?: ScenarioOutcome<PushCrashFigures>;
  /** Scenarios that threw instead of returning: the suite itself failed there. */
  aborted: { scenario: string; message: string }[];
}

export interface RunInfo {
  startedAt: Date;
  durationMs: number;
  seed: number;
  preset: string;
  commit: string;
  node: string;
  cpus: number;
  platform: string;
}

/** What the figures do not show, so nobody reads more into them than is there. */
const LIMITS: readonly string[] = [
  "The simulator is this project's model of Aqara, not Aqara: it rotates the refresh token on every refresh and " +
    'kills the old one at once, and it does NOT revoke older access tokens when a new one is issued. If real Aqara ' +
    "did, processes sharing one account would keep revoking each other's access tokens (not measured here).",
  "Read-only is `PRAGMA query_only` on the manager's own connection: the suite runs as root, for whom a chmod 0400 " +
    'file is still writable.',
  '`PRAGMA max_page_count` only fails writes that need a new page; the rotation commit rewrites the row in place, so ' +
    'the page cap can only hit the lease. The file-size-limit rows are the full disk for every write.',
  'The crash loop refreshes back to back, so its loss rate is per kill of a process that is always rotating; it says ' +
    'how wide the window is, not how often a real deployment (one refresh a week) loses a token.',
  'Timings are from a shared two-core machine with other work running; window and stall figures are indicative.',
];

/** A markdown table; cells are escaped so a `|` in an error text cannot break the layout. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly (string | number | boolean)[])[],
): string {
  const cell = (value: string | number | boolean): string =>
    String(typeof value === 'boolean' ? (value ? 'yes' : 'no') : value)
      .replace(/\|/g, '\\|')
      .replace(/\n/g, ' ');
  return [
    `| ${headers.map(cell).join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}

function pct(part: number, whole: number): string {
  return whole === 0 ? 'n/a' : `${((100 * part) / whole).toFixed(1)} %`;
}

function minutes(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

export function allViolations(results: SuiteResults): string[] {
  const named: [string, ScenarioOutcome<unknown> | undefined][] = [
    ['crash', results.crash],
    ['graceful stop', results.gracefulStop],
    ...results.processes.map((outcome, i): [string, ScenarioOutcome<unknown>] => [
      `processes #${i + 1}`,
      outcome,
    ]),
    ['cloud faults', results.cloudFaults],
    ['database faults', results.dbFaults],
    ['hostile admin input', results.adminFuzz],
    ['secret leakage', results.secretLeak],
    ['SIGKILL during push bursts', results.pushCrash],
  ];
  return [
    ...named.flatMap(([name, outcome]) => (outcome?.violations ?? []).map((text) => `${name}: ${text}`)),
    ...results.aborted.map((entry) => `${entry.scenario}: the scenario itself failed: ${entry.message}`),
  ];
}

/** The headline figures, one line per promise: what the team issue asked to see. */
export function summaryTable(results: SuiteResults): string {
  const rows: (string | number | boolean)[][] = [];
  const crash = results.crash?.figures;
  if (crash) {
    rows.push([
      'crash',
      'SIGKILLs / tokens lost',
      `${crash.kills} / ${crash.losses}`,
      'losses only inside the window',
    ]);
    rows.push([
      'crash',
      'losses inside / outside the rotation window',
      `${crash.lossesInsideWindow} / ${crash.losses - crash.lossesInsideWindow}`,
      'outside = 0',
    ]);
    rows.push([
      'crash',
      'window receive -> commit p50 / p99',
      `${formatMs(crash.windowP50Ms)} / ${formatMs(crash.windowP99Ms)}`,
      '',
    ]);
  }
  const graceful = results.gracefulStop?.figures;
  if (graceful) {
    rows.push([
      'graceful stop (SIGTERM) during a refresh',
      'stops / tokens lost',
      `${graceful.stops} / ${graceful.losses}`,
      'lost = 0',
    ]);
  }
  for (const outcome of results.processes) {
    const f = outcome.figures;
    rows.push([
      `${f.processes} processes + CLI, revoked every ${f.expireEveryMs} ms`,
      'refreshes = rotations / sent twice / 2006-2007 / failed runs',
      `${f.refreshes} = ${f.rotations} / ${f.tokensSentTwice} / ${f.authorizationFailures} / ${f.failedRuns + f.cliFailures}`,
      f.expectNoFailedRuns ? 'equal / 0 / 0 / 0' : 'equal / 0 / 0 / each failure explained',
    ]);
  }
  const cloud = results.cloudFaults?.figures;
  if (cloud) {
    const runs = cloud.rows.reduce((sum, row) => sum + row.runs, 0);
    const unclear = cloud.rows.reduce((sum, row) => sum + row.failedUnclear, 0);
    const lostRows = cloud.rows.filter((row) => row.lostAnswerCase);
    const invalidElsewhere = cloud.rows
      .filter((row) => !row.lostAnswerCase)
      .reduce((sum, row) => sum + row.runs - row.tokenValidAfter, 0);
    rows.push([
      'cloud faults',
      'runs / failed unclear / token invalid outside lost-answer rows',
      `${runs} / ${unclear} / ${invalidElsewhere}`,
      'unclear = 0, invalid = 0',
    ]);
    rows.push([
      'cloud faults',
      'lost-answer runs reported as lost',
      `${lostRows.reduce((sum, row) => sum + row.reportedLost, 0)} of ${lostRows.reduce((sum, row) => sum + row.runs, 0)}`,
      'all',
    ]);
  }
  const db = results.dbFaults?.figures;
  if (db) {
    const ran = db.rows.filter((row) => !row.skipped);
    rows.push([
      'database faults',
      'cases / crashes / token valid after',
      `${ran.length} / ${ran.filter((row) => row.crashed).length} / ${ran.filter((row) => row.tokenValidAfter).length}`,
      'no crash, valid after',
    ]);
  }
  const fuzz = results.adminFuzz?.figures;
  if (fuzz) {
    const sum = (key: 'serverErrors' | 'notJson4xx' | 'wrongStatus' | 'transportErrors'): number =>
      fuzz.rows.reduce((total, row) => total + row[key], 0);
    rows.push([
      'hostile admin input',
      'requests / 5xx / non-JSON 4xx / wrong status / victim token changed',
      `${fuzz.requests} / ${sum('serverErrors')} / ${sum('notJson4xx')} / ${sum('wrongStatus')} / ${fuzz.victimTokenUnchanged ? 'no' : 'YES'}`,
      'all 0, unchanged',
    ]);
  }
  const leak = results.secretLeak?.figures;
  if (leak) {
    rows.push([
      'secret leakage',
      'places searched / secret hits',
      `${leak.rows.length} / ${leak.rows.reduce((sum, row) => sum + row.hits, 0)}`,
      'hits = 0',
    ]);
  }
  const push = results.pushCrash?.figures;
  if (push) {
    rows.push([
      'SIGKILL during push bursts',
      'kills / acknowledged pushes lost / emitted twice',
      `${push.kills} / ${push.lost} / ${push.emittedTwice}`,
      'lost = 0, twice = 0',
    ]);
  }
  return table(['scenario', 'figure', 'value', 'required'], rows);
}

export function renderReport(results: SuiteResults, info: RunInfo): string {
  const violations = allViolations(results);
  const out: string[] = [];
  out.push('# Reliability figures', '');
  out.push(
    `Written by \`npm run test:reliability\` (tools/reliability/run-reliability.ts, preset ${info.preset}) on ${info.startedAt.toISOString()}, ` +
      `commit ${info.commit}, Node ${info.node}, ${info.platform}, ${info.cpus} cores. Seed ${info.seed} ` +
      `(repeat with \`RELIABILITY_SEED=${info.seed} npm run test:reliability\`). The run took ${minutes(info.durationMs)}.`,
    '',
  );
  out.push(
    violations.length === 0
      ? '**Every promise below held in this run.**'
      : `**${violations.length} promise(s) broken in this run** - see [Violations](#violations).`,
    '',
  );
  out.push(
    "Everything runs against the project's Aqara simulator on 127.0.0.1 and real SQLite files in temporary folders; " +
      'Node-RED scenarios run a real Node-RED 4 process with the built package installed in its user directory. ' +
      'A fast subset of the same scenarios with the same assertions runs in `npm test` (test/reliability/).',
    '',
  );
  out.push('## Summary', '', summaryTable(results), '');

  if (results.crash) out.push(...crashSection(results.crash));
  if (results.gracefulStop) out.push(...gracefulSection(results.gracefulStop));
  if (results.processes.length > 0) out.push(...processesSection(results.processes));
  if (results.cloudFaults) out.push(...cloudSection(results.cloudFaults));
  if (results.dbFaults) out.push(...dbSection(results.dbFaults));
  if (results.adminFuzz) out.push(...fuzzSection(results.adminFuzz));
  if (results.secretLeak) out.push(...leakSection(results.secretLeak));
  if (results.pushCrash) out.push(...pushCrashSection(results.pushCrash));

  out.push('## Limits of the method', '', LIMITS.map((text) => `- ${text}`).join('\n'), '');
  out.push('## Violations', '');
  out.push(
    violations.length === 0 ? 'None.' : violations.map((text) => `- ${text.split('\n')[0]}`).join('\n'),
    '',
  );
  const notes = [
    ...(results.crash?.notes ?? []),
    ...(results.gracefulStop?.notes ?? []),
    ...results.processes.flatMap((outcome) => outcome.notes),
    ...(results.cloudFaults?.notes ?? []),
    ...(results.dbFaults?.notes ?? []),
    ...(results.adminFuzz?.notes ?? []),
    ...(results.secretLeak?.notes ?? []),
    ...(results.pushCrash?.notes ?? []),
  ];
  if (notes.length > 0)
    out.push('## Notes from the run', '', notes.map((text) => `- ${text}`).join('\n'), '');
  return `${out.join('\n').trimEnd()}\n`;
}

function took(outcome: ScenarioOutcome<unknown>): string {
  return `(${minutes(outcome.durationMs)})`;
}

function crashSection(outcome: ScenarioOutcome<CrashFigures>): string[] {
  const f = outcome.figures;
  return [
    `## Crash: SIGKILL while the token rotates ${took(outcome)}`,
    '',
    'A child process rotates the refresh token back to back through the real TokenManager (every loop: one refresh, ' +
      'one scene run) and is SIGKILLed at a random moment 0-250 ms after it is ready; then a new process starts on ' +
      'what is stored. A loss is a stored token the simulator refuses. It is "inside the window" when the simulator ' +
      'answered a rotation of exactly that token with success and the child never committed the rotated one; ' +
      '"after receipt" when the child had already printed the answer\'s arrival. The window is measured in the child ' +
      "(monotonic clock) from the answer's arrival to the commit's return; the exposure from sending the refresh to " +
      'the commit, which is when Aqara may already have rotated a token that is not stored yet.',
    '',
    table(
      [
        'kills',
        'rotations committed',
        'kills with a refresh in flight',
        'tokens lost',
        'inside window',
        'of which after receipt',
        'outside window',
        'restarts that found a valid token',
      ],
      [
        [
          f.kills,
          f.rotations,
          f.killsWithRefreshInFlight,
          `${f.losses} (${pct(f.losses, f.kills)})`,
          f.lossesInsideWindow,
          f.lossesAfterReceipt,
          f.losses - f.lossesInsideWindow,
          `${f.restartsFoundValidToken} of ${f.restartsChecked} observed`,
        ],
      ],
    ),
    '',
    table(
      [
        'window receive -> commit p50',
        'p99',
        'exposure send -> commit p50',
        'p99',
        'refresh cycle p50',
        'expected loss rate (exposure / cycle)',
      ],
      [
        [
          formatMs(f.windowP50Ms),
          formatMs(f.windowP99Ms),
          formatMs(f.exposureP50Ms),
          formatMs(f.exposureP99Ms),
          formatMs(f.cycleP50Ms),
          f.expectedLossRate === undefined ? 'n/a' : pct(f.expectedLossRate, 1),
        ],
      ],
    ),
    '',
    'Reading: the loop refreshes non-stop, so a random kill lands in the exposure about as often as exposure / cycle ' +
      'says; a real deployment refreshes about once a week, so the same window is open for milliseconds per week. ' +
      'No loss may fall outside the window.',
    '',
  ];
}

function gracefulSection(outcome: ScenarioOutcome<GracefulStopFigures>): string[] {
  const f = outcome.figures;
  return [
    `## Graceful stop during a refresh ${took(outcome)}`,
    '',
    'A real Node-RED with the package is stopped with SIGTERM (what a restart or a service stop sends) while a ' +
      `refresh is at the simulator, which answers after ${f.refreshDelayMs} ms (a slow Aqara). Node-RED gives nodes up ` +
      'to 15 s to close, so nothing forces a loss here: after the simulator answered, the stored token must still be ' +
      'accepted.',
    '',
    table(
      ['stops', 'stops with the refresh in flight', 'tokens lost', 'slowest exit after SIGTERM'],
      [[f.stops, f.stopsDuringRefresh, f.losses, formatMs(f.slowestExitMs)]],
    ),
    '',
  ];
}

function processesSection(outcomes: readonly ScenarioOutcome<ProcessesFigures>[]): string[] {
  return [
    '## Concurrent processes on one database',
    '',
    'N worker processes, each with C concurrent callers running scenes, plus the `aqara-test` CLI run back to back ' +
      '(each run a fresh process that must refresh), all on one database and one config id. The simulator revokes every ' +
      'access token on a timer, so every revocation sends all of them to refresh at once. Product defaults throughout ' +
      '(lease poll 50 ms, safety buffer 5 min).',
    '',
    table(
      [
        'processes x callers',
        'run',
        'revoked every',
        'revocations',
        'scene runs ok',
        'failed runs',
        'CLI runs (failed)',
        'refreshes',
        'rotations',
        'tokens sent twice',
        '2006/2007 answers',
        '108 answers absorbed',
        'final token valid',
      ],
      outcomes.map((outcome) => {
        const f = outcome.figures;
        return [
          `${f.processes} x ${f.callersPerProcess}`,
          `${(f.durationMs / 1000).toFixed(0)} s`,
          `${f.expireEveryMs} ms`,
          f.revocations,
          f.sceneRuns,
          f.failedRunsExplained === f.failedRuns
            ? `${f.failedRuns}`
            : `${f.failedRuns} (${f.failedRuns - f.failedRunsExplained} unexplained)`,
          `${f.cliRuns} (${f.cliFailures})`,
          f.refreshes,
          f.rotations,
          f.tokensSentTwice,
          f.authorizationFailures,
          f.accessTokenRefusals,
          f.finalTokenValid,
        ];
      }),
    ),
    '',
    'A failed run in the stress row (revocations faster than a full round of serialised refreshes) is a run whose ' +
      'single retry met a second revocation after its refresh - "refresh once, retry once" by design; each one is ' +
      'checked to have had a revocation during it. The rows with a realistic pace must have none.',
    '',
    ...outcomes.flatMap((outcome) =>
      outcome.figures.failureSamples.length === 0
        ? []
        : [
            `Failures seen with ${outcome.figures.processes} processes: ${outcome.figures.failureSamples.slice(0, 3).join('; ')}`,
            '',
          ],
    ),
  ];
}

function cloudSection(outcome: ScenarioOutcome<CloudFaultFigures>): string[] {
  const f = outcome.figures;
  return [
    `## Cloud faults ${took(outcome)}`,
    '',
    `Scene runs through the real TokenManager and AqaraClient (timeout ${f.clientTimeoutMs} ms, the product's 3 refresh ` +
      'attempts, back-off shortened to 20 ms) while the simulator injects the fault. Faults on the refresh intent are ' +
      "hit through the product's own path: the access token is revoked first, so the run gets 108, refreshes once and " +
      'retries once. "Clear" means an AqaraError of a known kind whose message is words, not a stack or a dump, and ' +
      'shows no secret in message, stack, util.inspect or JSON. After every run the stored refresh token is checked ' +
      'on the simulator; where the fault destroyed it (lost-answer rows) a new one is pasted, as the error says to.',
    '',
    table(
      [
        'fault',
        'on',
        'expected',
        'runs',
        'ok',
        'failed, clear',
        'failed, unclear',
        'token valid after',
        'said "answer was lost"',
        'refreshes',
      ],
      f.rows.map((row) => [
        row.fault,
        row.target,
        row.expected,
        row.runs,
        row.ok,
        row.failedClear,
        row.failedUnclear,
        row.lostAnswerCase ? `${row.tokenValidAfter} (lost-answer case)` : row.tokenValidAfter,
        row.reportedLost,
        row.refreshes,
      ]),
    ),
    '',
    ...(f.unclearSamples.length > 0
      ? ['Unclear failures:', '', ...f.unclearSamples.map((text) => `- ${text}`), '']
      : []),
  ];
}

function dbSection(outcome: ScenarioOutcome<DbFaultFigures>): string[] {
  const f = outcome.figures;
  return [
    `## Database faults ${took(outcome)}`,
    '',
    'A child process runs scenes through a TokenManager while its database breaks: `PRAGMA query_only` on its ' +
      'connection (read-only); `PRAGMA max_page_count` at the current size with the table page filled (full disk as ' +
      'SQLite sees it); RLIMIT_FSIZE 0 set on the child with prlimit (every file write fails, as on a full disk); ' +
      `another process holding \`BEGIN IMMEDIATE\` past the busy timeout (${f.busyTimeoutMs} ms). "Before refresh": the ` +
      'fault is in place when the run needs a refresh. "During refresh": it lands after the lease was taken and the ' +
      'refresh sent (the simulator holds the answer 500 ms). The child has no uncaughtException handler, so an escaped ' +
      'error would kill it.',
    '',
    table(
      [
        'fault',
        'when',
        'run during the fault',
        'error logged',
        'crash',
        'stored token during the fault',
        'valid token stored after clearing',
        'token valid after',
        'run after clearing',
        'longest event-loop stall',
      ],
      f.rows.map((row) =>
        row.skipped
          ? [row.fault, row.moment, `skipped: ${row.skipped}`, '', '', '', '', '', '', '']
          : [
              row.fault,
              row.moment,
              row.runDuringFault,
              row.loudError,
              row.crashed,
              row.storedDuringFault,
              row.durableAfterClearMs === undefined
                ? 'never'
                : row.durableAfterClearMs === 0
                  ? 'never left'
                  : `after ${formatMs(row.durableAfterClearMs)}`,
              row.tokenValidAfter,
              row.runAfterClear,
              formatMs(row.maxEventLoopLagMs),
            ],
      ),
    ),
    '',
    '"Rotated, held in memory": the simulator rotated the token, the write failed, the run still succeeded with the ' +
      "new access token, an error was logged, and the rotated token was written by the manager's retry timer once the " +
      'fault cleared (no further call needed). A crash in that state would lose the token: the error log says so.',
    '',
  ];
}

function fuzzSection(outcome: ScenarioOutcome<AdminFuzzFigures>): string[] {
  const f = outcome.figures;
  return [
    `## Hostile input on the admin routes ${took(outcome)}`,
    '',
    `${f.requests} requests generated from seed ${f.seed} against POST /aqara/refresh-token and GET /aqara/token-status ` +
      'of a real Node-RED with two deployed aqara-config nodes (victim and decoy), 8 at a time. Every request naming the ' +
      'victim is invalid; the valid requests included on purpose (200) name the decoy or only read. Afterwards the ' +
      `victim's stored row (token, updated_at, generation) is compared: ${f.victimTokenUnchanged ? 'unchanged' : 'CHANGED'}; ` +
      `Node-RED ${f.nodeRedAlive ? 'still running' : 'DIED'}.`,
    '',
    table(
      [
        'category',
        'requests',
        '200 (valid, on purpose)',
        '4xx JSON error',
        '4xx not JSON',
        'wrong status',
        '5xx',
        'no answer',
      ],
      f.rows.map((row) => [
        row.category,
        row.requests,
        row.okAsExpected,
        row.rejectedAsJson4xx,
        row.notJson4xx,
        row.wrongStatus,
        row.serverErrors,
        row.transportErrors,
      ]),
    ),
    '',
    ...(f.samples.length > 0
      ? ['Failing requests (first few):', '', ...f.samples.map((text) => `- ${text}`), '']
      : []),
  ];
}

function leakSection(outcome: ScenarioOutcome<SecretLeakFigures>): string[] {
  const f = outcome.figures;
  return [
    `## Secret leakage ${took(outcome)}`,
    '',
    'One Node-RED session at log level trace: deploy, paste a token, token status, scene runs that succeed (with a ' +
      'refresh and a 108 refresh), fail (an Aqara answer echoing the access token and the app key, unknown scene id, ' +
      'unknown scene name, HTTP 500, lost refresh answer, refresh token rotated away), paste again, redeploy, a broken ' +
      `POST body carrying a token, stop. ${f.sceneRunsOk} runs succeeded, ${f.sceneRunsFailed} failed. Searched for ` +
      `(case-insensitive): the app key, ${f.secrets.accessTokens} access tokens, ${f.secrets.refreshTokens} refresh tokens. ` +
      `flows_cred.json in its encrypted form: ${f.credentialsEncrypted ? 'yes' : 'NO'}.`,
    '',
    table(
      ['where', 'items searched', 'searched for', 'hits'],
      f.rows.map((row) => [row.source, row.items, row.searchedFor, row.hits]),
    ),
    '',
  ];
}

export function pushCrashSection(outcome: ScenarioOutcome<PushCrashFigures>): string[] {
  const f = outcome.figures;
  return [
    `## SIGKILL during push bursts ${took(outcome)}`,
    '',
    'A real Node-RED with the package, an `aqara-config` with push on and polling off, and an `aqara-device-in` ' +
      'whose messages a function node appends to a file synchronously (what the flow received survives the kills). ' +
      'Aqara is played by the suite: 8 pushes in flight on keep-alive connections to ' +
      '`POST /aqara/push/<config id>/<secret>`, every 20th a byte-identical copy of an earlier push (a redelivery), ' +
      'and Node-RED is SIGKILLed at a random moment 50-1000 ms into each burst, then started again on the same user ' +
      'directory and token database. After the last kill one more push is sent and awaited. Lost: a push answered ' +
      '200 that never reached the flow. Twice: extra copies of a push in the file.',
    '',
    table(
      [
        'kills',
        'pushes sent',
        'copies among them',
        'distinct pushes acknowledged (200)',
        'acknowledged, never received by the flow',
        'of those: marked emitted / pending / not in the journal',
        'emitted twice',
        'emitted without a 200 seen',
        'refresh tokens lost to a kill (re-pasted)',
        'restart p50 / p99',
      ],
      [
        [
          f.kills,
          f.pushesSent,
          f.duplicatesSent,
          f.acknowledged,
          f.lost,
          `${f.lostMarkedEmitted} / ${f.lostPending} / ${f.lostNotJournaled}`,
          f.emittedTwice,
          f.emittedUnacknowledged,
          f.refreshTokensLost,
          `${formatMs(f.restartP50Ms)} / ${formatMs(f.restartP99Ms)}`,
        ],
      ],
    ),
    '',
    'Emitted without a 200 seen: written to the journal, then killed before the answer left; Aqara would send such ' +
      'a push again and it would be acknowledged without a second message. Refresh tokens lost: a kill inside the ' +
      "token rotation window (see the crash scenario) leaves a refused token; without one the account's identity " +
      'cannot be checked and pushes stay in the journal (kept a week) until a new token is pasted. The suite pastes ' +
      'one before the next start, as the owner would, so that the push path itself is what is measured.',
    '',
    'Emitted twice, by design at least once: a push is marked emitted in the turn its message reaches the next ' +
      "node (Node-RED's `postReceive` hook, after that node's input handler ran), with one append to a file " +
      "(about 5 µs). A kill between the sink's own write and that append emits the push again after the restart, " +
      'with the same `msgId`; marking earlier would lose it instead, and Aqara never resends what got a 200. The ' +
      'expected count is about kills x pushes per second x window (50 x ~2,000/s x ~10 µs = 1).',
    '',
  ];
}
