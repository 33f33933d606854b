import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseSeed } from '../../tools/reliability/lib/prng';
import { FAST } from '../../tools/reliability/presets';
import { renderReport, type SuiteResults } from '../../tools/reliability/report';
import { runAdminFuzzScenario } from '../../tools/reliability/scenarios/admin-fuzz';
import { runCloudFaultScenario } from '../../tools/reliability/scenarios/cloud-faults';
import { runCrashScenario } from '../../tools/reliability/scenarios/crash';
import { runDbFaultScenario } from '../../tools/reliability/scenarios/db-faults';
import { runProcessesScenario } from '../../tools/reliability/scenarios/processes';
import { runPushCrashScenario } from '../../tools/reliability/scenarios/push-crash';
import { runSecretLeakScenario } from '../../tools/reliability/scenarios/secret-leak';

/**
 * The reliability scenarios of `npm run test:reliability` at small counts, with the same assertions
 * (each scenario returns its broken promises as violations). A fixed seed keeps `npm test` repeatable;
 * RELIABILITY_SEED overrides it.
 */
const SEED = chooseSeed(process.env.RELIABILITY_SEED ?? '1127');
const results: SuiteResults = { processes: [], aborted: [] };

describe(`reliability, fast subset (seed ${SEED})`, { concurrency: false }, () => {
  it(
    'crash: SIGKILL during rotation loses a token only inside the receive-commit window',
    { timeout: 120_000 },
    async () => {
      const outcome = await runCrashScenario({ ...FAST.crash, seed: SEED });
      results.crash = outcome;
      assert.deepEqual(outcome.violations, []);
      const f = outcome.figures;
      assert.equal(f.kills, FAST.crash.kills);
      assert.ok(f.rotations >= f.kills / 2, `only ${f.rotations} rotations committed`);
      assert.equal(f.losses, f.lossesInsideWindow, 'every loss is explained by a kill inside the window');
      assert.equal(
        f.restartsFoundValidToken,
        f.restartsChecked,
        'every new process found a token the simulator accepts',
      );
      assert.ok(f.windowP50Ms !== undefined && f.windowP99Ms !== undefined, 'the window was measured');
    },
  );

  for (const options of FAST.processes) {
    it(
      `${options.processes} processes + CLI on one database: every refresh token sent once, no refusals`,
      { timeout: 120_000 },
      async () => {
        const outcome = await runProcessesScenario(options);
        results.processes.push(outcome);
        assert.deepEqual(outcome.violations, []);
        const f = outcome.figures;
        assert.equal(f.rotations, f.refreshes);
        assert.equal(f.tokensSentTwice, 0);
        assert.equal(f.authorizationFailures, 0);
        assert.equal(f.failedRuns + f.cliFailures, 0);
        assert.ok(f.cliRuns > 0 && f.revocations > 0 && f.sceneRuns > 0);
        assert.equal(f.finalTokenValid, true);
      },
    );
  }

  it(
    'cloud faults: every run succeeds or fails clearly; the token survives unless the answer was lost',
    { timeout: 120_000 },
    async () => {
      const outcome = await runCloudFaultScenario(FAST.cloudFaults);
      results.cloudFaults = outcome;
      assert.deepEqual(outcome.violations, []);
      for (const row of outcome.figures.rows) {
        assert.equal(row.failedUnclear, 0, `${row.fault} on ${row.target}`);
        if (row.lostAnswerCase)
          assert.equal(row.reportedLost, row.runs, `${row.fault} on ${row.target} said the answer was lost`);
        else
          assert.equal(row.tokenValidAfter, row.runs, `${row.fault} on ${row.target} kept the token valid`);
      }
    },
  );

  it(
    'database faults: loud error, no crash, token kept in memory and written once the fault clears',
    { timeout: 120_000 },
    async () => {
      const outcome = await runDbFaultScenario(FAST.dbFaults);
      results.dbFaults = outcome;
      assert.deepEqual(outcome.violations, []);
      for (const row of outcome.figures.rows.filter((candidate) => !candidate.skipped)) {
        const name = `${row.fault} ${row.moment}`;
        assert.equal(row.crashed, false, `${name}: no crash`);
        assert.equal(row.tokenValidAfter, true, `${name}: valid token afterwards`);
        assert.equal(row.runAfterClear, 'ok', `${name}: runs work again`);
      }
    },
  );

  it(
    'hostile admin input: only 4xx JSON answers (200 for valid ones), no 5xx, victim token unchanged',
    { timeout: 120_000 },
    async () => {
      const outcome = await runAdminFuzzScenario({ ...FAST.adminFuzz, seed: SEED });
      results.adminFuzz = outcome;
      assert.deepEqual(outcome.violations, []);
      assert.equal(outcome.figures.requests, FAST.adminFuzz.requests);
      assert.equal(outcome.figures.victimTokenUnchanged, true);
      assert.equal(outcome.figures.nodeRedAlive, true);
      for (const row of outcome.figures.rows) {
        assert.equal(
          row.serverErrors + row.notJson4xx + row.wrongStatus + row.transportErrors,
          0,
          row.category,
        );
      }
    },
  );

  it(
    'secret leakage: no app key or access token in logs, statuses, errors, files or the database',
    { timeout: 120_000 },
    async () => {
      const outcome = await runSecretLeakScenario();
      results.secretLeak = outcome;
      assert.deepEqual(outcome.violations, []);
      assert.ok(outcome.figures.rows.length >= 7, 'every place was searched');
      assert.equal(
        outcome.figures.rows.reduce((sum, row) => sum + row.hits, 0),
        0,
      );
      assert.equal(outcome.figures.credentialsEncrypted, true);
    },
  );

  it(
    'SIGKILL during push bursts: no push reaches the flow twice; a lost one was handed over, never left pending',
    { timeout: 120_000 },
    async () => {
      const outcome = await runPushCrashScenario({ ...FAST.pushCrash, seed: SEED });
      results.pushCrash = outcome;
      const f = outcome.figures;
      assert.equal(f.kills, FAST.pushCrash.kills);
      assert.ok(f.acknowledged > 0, 'some pushes were acknowledged');
      assert.equal(f.emittedTwice, 0, 'no push emitted twice');
      // Known and reported in docs/reliability.md: the journal marks a slice emitted when it is handed
      // to node.send, and Node-RED delivers to the next node a turn later, so a kill in between loses
      // up to that slice. Anything else (a push left pending or never journaled) would be a new fault.
      assert.equal(
        f.lostPending + f.lostNotJournaled,
        0,
        'every acknowledged push was journaled and drained',
      );
      assert.equal(f.lost, f.lostMarkedEmitted);
    },
  );

  it('the report renders every section from the figures', () => {
    const report = renderReport(results, {
      startedAt: new Date(),
      durationMs: 1000,
      seed: SEED,
      preset: 'FAST',
      commit: 'test',
      node: process.version,
      cpus: 2,
      platform: 'test',
    });
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
      assert.ok(report.includes(heading), heading);
    }
  });
});
