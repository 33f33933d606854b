import { performance } from 'node:perf_hooks';
import { compareAlternating, type Contender } from '../compare';
import { BENCH_SCENE_ID, type BenchFixture } from '../fixture';
import { count, microseconds, ratioWithSpread } from '../format';
import type { Sizes } from '../options';
import { progress } from '../progress';
import type { ScenarioResult } from '../result';

const GOAL = 1.1;

/**
 * What the package costs per call once it holds a token: TokenManager.runScene -> AqaraClient (axios,
 * deadline timer, envelope checks) against a bare signed POST on a keep-alive agent with a token
 * fetched beforehand. Calls are sequential, so the figure is latency, not what concurrency could hide.
 */
export async function perCallOverhead(fixture: BenchFixture, sizes: Sizes): Promise<ScenarioResult> {
  const calls = sizes.perCallCalls;
  const config = fixture.newConfig();
  const poster = fixture.newPoster();
  const { accessToken } = await poster.fetchAccessToken(fixture.sim.issueRefreshToken());
  const runsBefore = fixture.sim.callCount('config.scene.run');
  const refreshesBefore = fixture.sim.callCount('config.auth.refreshToken');

  const candidate: Contender = {
    async once() {
      const started = performance.now();
      for (let i = 0; i < calls; i++) await config.manager.runScene(BENCH_SCENE_ID);
      return performance.now() - started;
    },
  };
  const baseline: Contender = {
    async once() {
      const started = performance.now();
      for (let i = 0; i < calls; i++)
        await poster.post('config.scene.run', { sceneId: BENCH_SCENE_ID }, accessToken);
      return performance.now() - started;
    },
  };

  try {
    const comparison = await compareAlternating(candidate, baseline, {
      rounds: sizes.rounds,
      warmupRounds: sizes.warmupRounds,
      onBatch: (side, round, ms) => progress(`per-call round ${round + 1} ${side}: ${Math.round(ms)} ms`),
    });
    const batches = (sizes.rounds + sizes.warmupRounds) * 2;
    const runs = fixture.sim.callCount('config.scene.run') - runsBefore;
    if (runs !== batches * calls)
      throw new Error(`per-call: the simulator saw ${runs} scene runs, expected ${batches * calls}`);
    // The manager refreshes once, on its first call in the warm-up; the timed rounds must not refresh.
    const refreshes = fixture.sim.callCount('config.auth.refreshToken') - refreshesBefore;
    if (refreshes !== 1) throw new Error(`per-call: ${refreshes} refreshes, expected exactly 1`);

    return {
      title: 'Per-call overhead',
      rows: [
        {
          measure: `${count(calls)} sequential scene runs, token cached`,
          ours: `${microseconds(comparison.medianCandidateMs / calls)}/call`,
          baseline: `${microseconds(comparison.medianBaselineMs / calls)}/call`,
          ratio: ratioWithSpread(comparison),
          goal: `≤ ${GOAL.toFixed(2)}`,
          met: comparison.medianRatio <= GOAL,
        },
      ],
      notes: [
        'Ours: `TokenManager.runScene` → `AqaraClient` (the compiled dist/ build), no rate limiter, as the nodes build it.',
        'Baseline: `bench/baseline-client.ts`, md5 sign + `node:http` keep-alive POST + `JSON.parse` + `code` check, ' +
          'with an access token fetched before the rounds.',
      ],
      raw: { calls, comparison },
    };
  } finally {
    config.close();
    poster.close();
  }
}
