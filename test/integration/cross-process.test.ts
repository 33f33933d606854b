import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CONFIG_ID, type Harness, SCENE_ID, startHarness } from '../helpers/token-harness';

const run = promisify(execFile);
const REFRESH = 'config.auth.refreshToken';
const CHILD = join(__dirname, '..', 'fixtures', 'refresh-child.ts');

async function runChild(h: Harness, runs: number): Promise<{ ok: number; errors: string[] }> {
  const app = h.sim.apps[0];
  const { stdout } = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      CHILD,
      h.dbPath,
      h.sim.baseUrl,
      app.appId,
      app.keyId,
      app.appKey,
      SCENE_ID,
      String(runs),
    ],
    { timeout: 60_000 },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { ok: number; errors: string[] };
}

describe('several OS processes on one token database', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  for (const processes of [2, 4]) {
    it(`${processes} processes racing with no cached token: each refresh token is sent once, all succeed`, async () => {
      h.sim.resetCounters();
      h.sim.clearFaults();
      h.seedToken();
      // A slow refresh makes the processes overlap for sure.
      h.sim.injectFault({ fault: { kind: 'delay', ms: 300 }, intent: REFRESH, times: Infinity });
      const results = await Promise.all(Array.from({ length: processes }, () => runChild(h, 25)));
      h.sim.clearFaults();

      for (const result of results) assert.deepEqual(result, { ok: 25, errors: [] });
      assert.equal(h.sim.sceneRuns.length, processes * 25);
      const refreshes = h.sim.calls.filter((call) => call.intent === REFRESH);
      assert.equal(refreshes.length, processes, 'one refresh per process, no retries');
      assert.ok(
        refreshes.every((call) => call.code === 0),
        'Aqara never refused a refresh token',
      );
      const sent = refreshes.map((call) => (call.data as { refreshToken: string }).refreshToken);
      assert.equal(new Set(sent).size, sent.length, 'no refresh token was rotated twice');
      const stored = h.store.read(CONFIG_ID)!.refreshToken;
      assert.equal(h.sim.isRefreshTokenValid(stored), true, 'the database ends with the live token');
    });
  }
});
