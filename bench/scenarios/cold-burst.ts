import { performance } from 'node:perf_hooks';
import { compareAlternating, type Contender } from '../compare';
import { BENCH_SCENE_ID, type BenchFixture } from '../fixture';
import { count, duration, ratioWithSpread } from '../format';
import type { Sizes } from '../options';
import { progress } from '../progress';
import type { ScenarioResult } from '../result';

const GOAL = 1.2;

/**
 * A burst that finds no access token (a restart, an expired token): every caller must wait for one
 * shared refresh, whose rotated refresh token is committed to SQLite before anyone may use the new
 * access token. The baseline sends the same burst with a token it already has, on an equally cold pool.
 */
export async function coldBurst(fixture: BenchFixture, sizes: Sizes): Promise<ScenarioResult> {
  const burst = sizes.burstSize;
  const sceneRun = { sceneId: BENCH_SCENE_ID };
  const tokenSource = fixture.newPoster();
  const { accessToken } = await tokenSource.fetchAccessToken(fixture.sim.issueRefreshToken());
  tokenSource.close();
  const refreshesPerBurst: number[] = [];

  const candidate: Contender = {
    async once() {
      // A new manager and client: no cached token, no pooled connection.
      const config = fixture.newConfig();
      const refreshesBefore = fixture.sim.callCount('config.auth.refreshToken');
      try {
        const started = performance.now();
        await Promise.all(Array.from({ length: burst }, () => config.manager.runScene(BENCH_SCENE_ID)));
        const elapsed = performance.now() - started;
        refreshesPerBurst.push(fixture.sim.callCount('config.auth.refreshToken') - refreshesBefore);
        return elapsed;
      } finally {
        config.close();
      }
    },
  };
  const baseline: Contender = {
    async once() {
      const poster = fixture.newPoster();
      try {
        const started = performance.now();
        await Promise.all(
          Array.from({ length: burst }, () => poster.post('config.scene.run', sceneRun, accessToken)),
        );
        return performance.now() - started;
      } finally {
        poster.close();
      }
    },
  };

  const comparison = await compareAlternating(candidate, baseline, {
    rounds: sizes.rounds,
    warmupRounds: sizes.warmupRounds,
    onBatch: (side, round, ms) => progress(`cold-burst round ${round + 1} ${side}: ${Math.round(ms)} ms`),
  });
  const exactlyOne = refreshesPerBurst.every((refreshes) => refreshes === 1);
  return {
    title: 'Cold burst',
    rows: [
      {
        measure: `${count(burst)} concurrent scene runs, no cached token: refresh calls per burst`,
        ours: refreshesPerBurst.join(', '),
        baseline: '0 (token fetched beforehand)',
        ratio: '',
        goal: 'exactly 1',
        met: exactlyOne,
      },
      {
        measure: `${count(burst)} concurrent scene runs, no cached token: wall time`,
        ours: duration(comparison.medianCandidateMs),
        baseline: duration(comparison.medianBaselineMs),
        ratio: ratioWithSpread(comparison),
        goal: `≤ ${GOAL.toFixed(2)}`,
        met: comparison.medianRatio <= GOAL,
      },
    ],
    notes: [
      'Ours: a new token manager and client per burst (nothing cached, no pooled socket); the burst includes the ' +
        "one refresh and the SQLite commit of the rotated refresh token (WAL, synchronous=FULL) on this machine's disk.",
      'Baseline: a new `bench/baseline-client.ts` pool per burst, with an access token fetched before the rounds.',
    ],
    raw: { burst, refreshesPerBurst, comparison },
  };
}
