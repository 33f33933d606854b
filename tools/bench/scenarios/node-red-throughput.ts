import { compareInterleaved, reportedRounds } from '../compare-interleaved';
import { BENCH_SCENE_ID, BENCH_SCENE_NAME, type BenchFixture } from '../fixture';
import { count, duration, fixed, ratioWithSpread } from '../format';
import { deployFull, storeRefreshToken } from '../node-red/admin';
import { sliceDriver } from '../node-red/drive';
import { CONFIG_ID, THROUGHPUT_PATHS, throughputFlows, type FlowTarget } from '../node-red/flows';
import { startNodeRed } from '../../../support/node-red';
import { BENCH_SETTINGS, benchInstall } from '../node-red/bench-settings';
import type { Sizes } from '../options';
import type { ScenarioResult } from '../result';

/** Time for the same messages, ours over the hand-written flow's. */
export const GOAL = 0.6;
/** Messages per slice: a few hundred milliseconds of work, so both flows see the same load. */
export const SLICE_MESSAGES = 2_000;

export function flowTarget(fixture: BenchFixture): FlowTarget {
  const { appId, keyId, appKey } = fixture.app;
  return {
    baseUrl: fixture.sim.baseUrl,
    appId,
    keyId,
    appKey,
    sceneId: BENCH_SCENE_ID,
    sceneName: BENCH_SCENE_NAME,
  };
}

/**
 * Messages per second through a real Node-RED: aqara-scene against the hand-written function +
 * http request chain, both in the same Node-RED process, both driven by the same closed-loop driver
 * with the same number of messages in flight.
 */
export async function nodeRedThroughput(fixture: BenchFixture, sizes: Sizes): Promise<ScenarioResult> {
  const messages = sizes.nodeRedMessages;
  const window = sizes.nodeRedWindow;
  const node = await startNodeRed({ ...benchInstall(true), settings: BENCH_SETTINGS });
  try {
    const { red } = node;
    await deployFull(red, throughputFlows(flowTarget(fixture)));
    await storeRefreshToken(red, CONFIG_ID, fixture.sim.issueRefreshToken());
    const poster = fixture.newPoster();
    const { accessToken } = await poster.fetchAccessToken(fixture.sim.issueRefreshToken());
    poster.close();

    const slices = Math.max(1, Math.round(messages / SLICE_MESSAGES));
    const sliceMessages = Math.ceil(messages / slices);
    const drive = (path: string, token?: string): (() => Promise<void>) =>
      sliceDriver(red, path, {
        messages: sliceMessages,
        window,
        token,
        calls: () => fixture.sim.callCount('config.scene.run'),
      });
    const { wall: comparison } = await compareInterleaved(
      drive(THROUGHPUT_PATHS.ours),
      drive(THROUGHPUT_PATHS.baseline, accessToken),
      reportedRounds('node-red', sizes, slices),
    );
    const perRound = slices * sliceMessages;
    // Throughput is the inverse of time: ours/baseline throughput = baseline time / our time, per round.
    const throughputRatios = comparison.ratios.map((ratio) => 1 / ratio);
    const perSecond = (ms: number): string => `${count(Math.round((perRound / ms) * 1000))} msg/s`;
    return {
      title: 'Node-RED throughput',
      rows: [
        {
          measure: `${count(perRound)} messages, ${window} in flight: wall time (ours/baseline; throughput in brackets)`,
          ours: `${duration(comparison.medianCandidateMs)} (${perSecond(comparison.medianCandidateMs)})`,
          baseline: `${duration(comparison.medianBaselineMs)} (${perSecond(comparison.medianBaselineMs)})`,
          ratio: ratioWithSpread(comparison),
          goal: `≤ ${fixed(GOAL, 2)}`,
          met: comparison.medianRatio <= GOAL,
        },
      ],
      notes: [
        'One Node-RED child process with the package loaded from a copy of dist/; both chains on one tab, each behind ' +
          `its own http-in and an identical driver function that keeps ${window} messages in flight and answers when all ` +
          'of a start request are done (failures come back through a catch node and fail the run). Each round sends ' +
          `${count(perRound)} messages per side as ${slices} runs of ${count(sliceMessages)}, the two sides taking turns.`,
        'Ours: `aqara-scene` (scene by name through the `aqara-config` scenes map), token cached after the warm-up; ' +
          'the config sets `rateLimit` 0, since the default quota guard (300 calls / 5 min) would stop the run.',
        "Baseline: function node signing with `crypto` from the function node's `libs` (allowed for Node built-ins with " +
          'the default `functionExternalModules: true`), `http request` node (POST, parsed JSON, keep-alive on), function ' +
          'node checking `code` and shaping `msg.payload` like aqara-scene does; access token fetched beforehand and kept ' +
          'in flow context.',
        'The simulator runs in the bench process (its own core of two); the timed span is the start request on the bench side.',
      ],
      raw: { messages: perRound, sliceMessages, window, comparison, throughputRatios },
    };
  } finally {
    await node.stop();
  }
}
