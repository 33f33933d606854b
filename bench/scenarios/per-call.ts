import { compareInterleaved, reportedRounds } from '../compare-interleaved';
import { BENCH_SCENE_ID, type BenchFixture } from '../fixture';
import { count, microseconds, ratioWithSpread } from '../format';
import type { Sizes } from '../options';
import type { ScenarioResult } from '../result';

const GOAL = 1.1;
/** Calls per slice: about 25-50 ms of work, short against the bursts of load on a shared machine. */
const SLICE_CALLS = 200;

/**
 * What the package costs per call once it holds a token: runScene -> TokenManager -> AqaraClient against
 * a bare signed POST on a keep-alive agent with a token fetched beforehand. Calls are sequential, so
 * the figure is latency, not what concurrency could hide.
 */
export async function perCallOverhead(fixture: BenchFixture, sizes: Sizes): Promise<ScenarioResult> {
  const calls = sizes.perCallCalls;
  const slices = Math.max(1, Math.round(calls / SLICE_CALLS));
  const sliceCalls = Math.ceil(calls / slices);
  const config = fixture.newConfig();
  const poster = fixture.newPoster();
  try {
    const { accessToken } = await poster.fetchAccessToken(fixture.sim.issueRefreshToken());
    const runsBefore = fixture.sim.callCount('config.scene.run');
    const refreshesBefore = fixture.sim.callCount('config.auth.refreshToken');
    const sceneRun = { sceneId: BENCH_SCENE_ID };

    const comparison = await compareInterleaved(
      async () => {
        for (let i = 0; i < sliceCalls; i++) await fixture.pkg.runScene(config.manager, BENCH_SCENE_ID);
      },
      async () => {
        for (let i = 0; i < sliceCalls; i++) await poster.post('config.scene.run', sceneRun, accessToken);
      },
      reportedRounds('per-call', sizes, slices),
    );
    const perRound = slices * sliceCalls;
    const expected = (sizes.rounds + sizes.warmupRounds) * 2 * perRound;
    const runs = fixture.sim.callCount('config.scene.run') - runsBefore;
    if (runs !== expected)
      throw new Error(`per-call: the simulator saw ${runs} scene runs, expected ${expected}`);
    // The manager refreshes once, on its first call in the warm-up; the timed rounds must not refresh.
    const refreshes = fixture.sim.callCount('config.auth.refreshToken') - refreshesBefore;
    if (refreshes !== 1) throw new Error(`per-call: ${refreshes} refreshes, expected exactly 1`);

    const { wall, cpu } = comparison;
    return {
      title: 'Per-call overhead',
      rows: [
        {
          measure: `${count(perRound)} sequential scene runs, token cached: wall time`,
          ours: `${microseconds(wall.medianCandidateMs / perRound)}/call`,
          baseline: `${microseconds(wall.medianBaselineMs / perRound)}/call`,
          ratio: ratioWithSpread(wall),
          goal: `≤ ${GOAL.toFixed(2)}`,
          met: wall.medianRatio <= GOAL,
        },
        {
          measure: `the same: CPU time of the bench process (simulator included on both sides)`,
          ours: `${microseconds(cpu.medianCandidateMs / perRound)}/call`,
          baseline: `${microseconds(cpu.medianBaselineMs / perRound)}/call`,
          ratio: ratioWithSpread(cpu),
          goal: '',
          met: undefined,
        },
      ],
      notes: [
        'Ours: `runScene` → `TokenManager` → `AqaraClient` (the compiled dist/ build), no rate limiter, as in the per-call goal.',
        'Baseline: `bench/baseline-client.ts`, md5 sign + `node:http` keep-alive POST + `JSON.parse` + `code` check, ' +
          'with an access token fetched before the rounds.',
        `Each round runs both sides in slices of ${count(sliceCalls)} calls, taking turns (the first alternating every ` +
          'round), and sums each side: load from other processes then weighs on both alike. The CPU row does not count ' +
          'time spent waiting for a core, so it holds when the machine is busy; the simulator shares the process, so the ' +
          "client's own share of the difference is larger than the ratio shows.",
      ],
      raw: { calls: perRound, sliceCalls, comparison },
    };
  } finally {
    config.close();
    poster.close();
  }
}
