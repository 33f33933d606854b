import { compareInterleaved, reportedRounds } from '../compare-interleaved';
import { BENCH_SCENE_ID, type BenchFixture, type BenchConfig } from '../fixture';
import { count, fixed, microseconds, ratioWithSpread } from '../format';
import type { Sizes } from '../options';
import type { ScenarioResult } from '../result';
import type { BareAqaraPoster } from '../baseline-client';

/** A nearby cloud: Aqara's regional servers answer a scene run in tens of milliseconds. */
export const DELAYED_ANSWER_MS = 20;
const DELAYED_GOAL = 1.03;
/** Calls per slice on loopback: about 25-50 ms of work, short against the bursts of load on a shared machine. */
const SLICE_CALLS = 200;
/** Calls per slice at 20 ms an answer: about a second per side. */
const DELAYED_SLICE_CALLS = 50;

interface Sides {
  config: BenchConfig;
  poster: BareAqaraPoster;
  accessToken: string;
}

/** Both sides' scene runs, `calls` at a time, in turns; the simulator checks each side sent every one. */
async function compareSequential(
  fixture: BenchFixture,
  sides: Sides,
  label: string,
  calls: number,
  sliceSize: number,
  sizes: Sizes,
): Promise<{ perRound: number; comparison: Awaited<ReturnType<typeof compareInterleaved>> }> {
  const slices = Math.max(1, Math.round(calls / sliceSize));
  const sliceCalls = Math.ceil(calls / slices);
  const sceneRun = { sceneId: BENCH_SCENE_ID };
  const runsBefore = fixture.sim.callCount('config.scene.run');
  const comparison = await compareInterleaved(
    async () => {
      for (let i = 0; i < sliceCalls; i++) await fixture.pkg.runScene(sides.config.manager, BENCH_SCENE_ID);
    },
    async () => {
      for (let i = 0; i < sliceCalls; i++)
        await sides.poster.post('config.scene.run', sceneRun, sides.accessToken);
    },
    reportedRounds(label, sizes, slices),
  );
  const perRound = slices * sliceCalls;
  const expected = (sizes.rounds + sizes.warmupRounds) * 2 * perRound;
  const runs = fixture.sim.callCount('config.scene.run') - runsBefore;
  if (runs !== expected)
    throw new Error(`${label}: the simulator saw ${runs} scene runs, expected ${expected}`);
  return { perRound, comparison };
}

/**
 * What the package costs per call once it holds a token: runScene -> TokenManager -> AqaraClient against
 * a bare signed POST on a keep-alive agent with a token fetched beforehand. Calls are sequential, so
 * the figure is latency, not what concurrency could hide. Measured twice: on loopback, where the
 * client's own cost is all there is to see, and against answers that take 20 ms, as a nearby cloud's
 * do, which is where the package's users live.
 */
export async function perCallOverhead(fixture: BenchFixture, sizes: Sizes): Promise<ScenarioResult> {
  const config = fixture.newConfig();
  const poster = fixture.newPoster();
  try {
    const { accessToken } = await poster.fetchAccessToken(fixture.sim.issueRefreshToken());
    const sides: Sides = { config, poster, accessToken };
    const refreshesBefore = fixture.sim.callCount('config.auth.refreshToken');

    const loopback = await compareSequential(
      fixture,
      sides,
      'per-call',
      sizes.perCallCalls,
      SLICE_CALLS,
      sizes,
    );
    fixture.sim.injectFault({
      fault: { kind: 'delay', ms: DELAYED_ANSWER_MS },
      intent: 'config.scene.run',
      times: Infinity,
    });
    let delayed: typeof loopback;
    try {
      delayed = await compareSequential(
        fixture,
        sides,
        'per-call 20 ms',
        sizes.perCallDelayedCalls,
        DELAYED_SLICE_CALLS,
        sizes,
      );
    } finally {
      fixture.sim.clearFaults();
    }
    // The manager refreshes once, on its first call in the warm-up; the timed rounds must not refresh.
    const refreshes = fixture.sim.callCount('config.auth.refreshToken') - refreshesBefore;
    if (refreshes !== 1) throw new Error(`per-call: ${refreshes} refreshes, expected exactly 1`);

    const { wall, cpu } = loopback.comparison;
    const slow = delayed.comparison.wall;
    const perCall = (ms: number, calls: number): string => `${microseconds(ms / calls)}/call`;
    const perCallMs = (ms: number, calls: number): string => `${fixed(ms / calls, 2)} ms/call`;
    return {
      title: 'Per-call overhead',
      rows: [
        {
          measure: `${count(delayed.perRound)} sequential scene runs, token cached, simulator answering after ${DELAYED_ANSWER_MS} ms: wall time`,
          ours: perCallMs(slow.medianCandidateMs, delayed.perRound),
          baseline: perCallMs(slow.medianBaselineMs, delayed.perRound),
          ratio: ratioWithSpread(slow),
          goal: `≤ ${DELAYED_GOAL.toFixed(2)}`,
          met: slow.medianRatio <= DELAYED_GOAL,
        },
        {
          measure: `${count(loopback.perRound)} sequential scene runs, token cached, loopback (no delay): wall time`,
          ours: perCall(wall.medianCandidateMs, loopback.perRound),
          baseline: perCall(wall.medianBaselineMs, loopback.perRound),
          ratio: ratioWithSpread(wall),
          goal: '',
          met: undefined,
        },
        {
          measure: `the same: CPU time of the bench process (simulator included on both sides)`,
          ours: perCall(cpu.medianCandidateMs, loopback.perRound),
          baseline: perCall(cpu.medianBaselineMs, loopback.perRound),
          ratio: ratioWithSpread(cpu),
          goal: '',
          met: undefined,
        },
      ],
      notes: [
        'Ours: `runScene` → `TokenManager` → `AqaraClient` (the compiled dist/ build: axios on a keep-alive agent), no rate limiter, as in the per-call goal.',
        'Baseline: `bench/baseline-client.ts`, md5 sign + `node:http` keep-alive POST + `JSON.parse` + `code` check, ' +
          'with an access token fetched before the rounds.',
        `The first row is the one with a goal: the simulator holds every scene run ${DELAYED_ANSWER_MS} ms before it ` +
          'answers (its delay fault), as a nearby Aqara region would, so the figure is what a user sees. The loopback rows ' +
          "show the client's own cost with nothing to hide it, and have no goal.",
        `Each round runs both sides in slices (${count(SLICE_CALLS)} calls on loopback, ${count(DELAYED_SLICE_CALLS)} at ` +
          `${DELAYED_ANSWER_MS} ms), taking turns (the first alternating every round), and sums each side: load from other ` +
          'processes then weighs on both alike. The CPU row does not count time spent waiting for a core, so it holds when ' +
          "the machine is busy; the simulator shares the process, so the client's own share of the difference is larger " +
          'than the ratio shows.',
      ],
      raw: { loopback, delayed },
    };
  } finally {
    config.close();
    poster.close();
  }
}
