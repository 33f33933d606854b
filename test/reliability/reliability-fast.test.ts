import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { count, type FastRun, outcomeOf, rows, runFastReliability } from '../helpers/reliability-runner';

/**
 * The reliability scenarios of `npm run test:reliability` at small counts (its FAST preset), run
 * through the runner's command line, with the same assertions (each scenario returns its broken
 * promises as violations). A fixed seed keeps `npm test` repeatable; RELIABILITY_SEED overrides it.
 */
const SEED = process.env.RELIABILITY_SEED ?? '1127';
const SCENARIOS = ['crash', 'processes', 'cloud', 'db', 'fuzz', 'leak', 'push'];
/** FAST's counts (tools/reliability/presets.ts), which the figures must show were really run. */
const FAST_CRASH_KILLS = 20;
const FAST_PROCESS_COUNTS = [2, 4];
const FAST_FUZZ_REQUESTS = 600;
const FAST_PUSH_KILLS = 3;

describe(`reliability, fast subset (seed ${SEED})`, { concurrency: false }, () => {
  let run: FastRun;

  before(
    async () => {
      run = await runFastReliability(SCENARIOS, SEED);
    },
    { timeout: 600_000 },
  );

  it('the runner finished every scenario and exits 0', () => {
    assert.deepEqual(run.results.aborted, [], run.output);
    assert.equal(run.exitCode, 0, run.output);
  });

  it('crash: SIGKILL during rotation loses a token only inside the receive-commit window', () => {
    const outcome = outcomeOf(run, 'crash');
    assert.deepEqual(outcome.violations, []);
    assert.equal(count(outcome, 'kills'), FAST_CRASH_KILLS);
    // Each kill came after its child's first refresh was sent: that refresh was in flight, or it
    // (and perhaps more) was committed.
    assert.ok(
      count(outcome, 'rotations') + count(outcome, 'killsWithRefreshInFlight') >= FAST_CRASH_KILLS,
      'every kill landed in the refresh loop',
    );
    assert.ok(count(outcome, 'rotations') > 0, 'rotations committed');
    assert.equal(
      count(outcome, 'losses'),
      count(outcome, 'lossesInsideWindow'),
      'every loss is explained by a kill inside the window',
    );
    assert.equal(
      count(outcome, 'restartsFoundValidToken'),
      count(outcome, 'restartsChecked'),
      'every new process found a token the simulator accepts',
    );
    assert.ok(
      typeof outcome.figures.windowP50Ms === 'number' && typeof outcome.figures.windowP99Ms === 'number',
      'the window was measured',
    );
  });

  it('N processes + CLI on one database: every refresh token sent once, no refusals', () => {
    assert.deepEqual(
      run.results.processes.map((outcome) => count(outcome, 'processes')),
      FAST_PROCESS_COUNTS,
    );
    for (const outcome of run.results.processes) {
      assert.deepEqual(outcome.violations, []);
      assert.equal(count(outcome, 'rotations'), count(outcome, 'refreshes'));
      assert.equal(count(outcome, 'tokensSentTwice'), 0);
      assert.equal(count(outcome, 'authorizationFailures'), 0);
      assert.equal(count(outcome, 'failedRuns') + count(outcome, 'cliFailures'), 0);
      assert.ok(count(outcome, 'cliRuns') > 0 && count(outcome, 'revocations') > 0);
      assert.ok(count(outcome, 'sceneRuns') > 0);
      assert.equal(outcome.figures.finalTokenValid, true);
    }
  });

  it('cloud faults: every run succeeds or fails clearly; the token survives unless the answer was lost', () => {
    const outcome = outcomeOf(run, 'cloudFaults');
    assert.deepEqual(outcome.violations, []);
    for (const row of rows(outcome)) {
      const name = `${String(row.fault)} on ${String(row.target)}`;
      assert.equal(row.failedUnclear, 0, name);
      if (row.lostAnswerCase) assert.equal(row.reportedLost, row.runs, `${name} said the answer was lost`);
      else assert.equal(row.tokenValidAfter, row.runs, `${name} kept the token valid`);
    }
  });

  it('database faults: loud error, no crash, token kept in memory and written once the fault clears', () => {
    const outcome = outcomeOf(run, 'dbFaults');
    assert.deepEqual(outcome.violations, []);
    for (const row of rows(outcome).filter((candidate) => !candidate.skipped)) {
      const name = `${String(row.fault)} ${String(row.moment)}`;
      assert.equal(row.crashed, false, `${name}: no crash`);
      assert.equal(row.tokenValidAfter, true, `${name}: valid token afterwards`);
      assert.equal(row.runAfterClear, 'ok', `${name}: runs work again`);
    }
  });

  it('hostile admin input: only 4xx JSON answers (200 for valid ones), no 5xx, victim token unchanged', () => {
    const outcome = outcomeOf(run, 'adminFuzz');
    assert.deepEqual(outcome.violations, []);
    assert.equal(count(outcome, 'requests'), FAST_FUZZ_REQUESTS);
    assert.equal(outcome.figures.victimTokenUnchanged, true);
    assert.equal(outcome.figures.nodeRedAlive, true);
    for (const row of rows(outcome)) {
      const failures = ['serverErrors', 'notJson4xx', 'wrongStatus', 'transportErrors'].map((name) =>
        Number(row[name]),
      );
      assert.deepEqual(failures, [0, 0, 0, 0], String(row.category));
    }
  });

  it('secret leakage: no app key or access token in logs, statuses, errors, files or the database', () => {
    const outcome = outcomeOf(run, 'secretLeak');
    assert.deepEqual(outcome.violations, []);
    const places = rows(outcome);
    assert.ok(places.length >= 7, 'every place was searched');
    assert.equal(
      places.reduce((sum, row) => sum + Number(row.hits), 0),
      0,
    );
    assert.equal(outcome.figures.credentialsEncrypted, true);
  });

  it('SIGKILL during push bursts: no push reaches the flow twice; a lost one was handed over, never left pending', () => {
    const outcome = outcomeOf(run, 'pushCrash');
    assert.equal(count(outcome, 'kills'), FAST_PUSH_KILLS);
    assert.ok(count(outcome, 'acknowledged') > 0, 'some pushes were acknowledged');
    assert.equal(count(outcome, 'emittedTwice'), 0, 'no push emitted twice');
    // A push is marked emitted once the next node received it (hand-over.ts); anything left pending
    // or never journaled would be a new fault.
    assert.equal(
      count(outcome, 'lostPending') + count(outcome, 'lostNotJournaled'),
      0,
      'every acknowledged push was journaled and drained',
    );
    assert.equal(count(outcome, 'lost'), count(outcome, 'lostMarkedEmitted'));
  });

  it('the report renders every section from the figures', () => {
    for (const heading of [
      '## Summary',
      '## Crash',
      '## Concurrent processes',
      '## Cloud faults',
      '## Database faults',
      '## Hostile input',
      '## Secret leakage',
      '## SIGKILL during push bursts',
      '## Violations',
    ]) {
      assert.ok(run.report.includes(heading), heading);
    }
  });
});
