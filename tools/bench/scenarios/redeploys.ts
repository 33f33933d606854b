import { performance } from 'node:perf_hooks';
import type { NodeRedProcess } from '../../../support/node-red-process';
import { summarize } from '../compare';
import { type BenchFixture } from '../fixture';
import { count, duration, ratioWithSpread } from '../format';
import { deployFull, getFlows, postJson, storeRefreshToken } from '../node-red/admin';
import { CONFIG_ID, ONCE_PATHS, onceBaselineFlows, onceOursFlows, type FlowNode } from '../node-red/flows';
import { type NodeRedSession, startNodeRed } from '../../../support/node-red';
import { BENCH_SETTINGS, benchInstall } from '../node-red/bench-settings';
import type { Sizes } from '../options';
import { progress } from '../progress';
import type { ScenarioResult } from '../result';
import { flowTarget } from './node-red-throughput';

/** One scene run through the deployed flow; anything but a 200 with the scene's payload fails the scenario. */
async function runOnce(red: NodeRedProcess, path: string, body: unknown): Promise<void> {
  const answer = await postJson(red, path, body);
  const payload = answer.body as { sceneId?: unknown } | undefined;
  if (answer.status !== 200 || typeof payload?.sceneId !== 'string') {
    throw new Error(`${path} after a deploy: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  }
}

/**
 * Full deploys that leave the aqara-config unchanged must keep its token manager and cached access
 * token: each deploy is followed by one scene run, which would refresh if the token had been dropped.
 * The same cycle (full deploy + one run) of the hand-written flow in a Node-RED without the package
 * gives the time baseline; the two Node-REDs take turns, cycle by cycle.
 */
export async function redeploys(fixture: BenchFixture, sizes: Sizes): Promise<ScenarioResult> {
  const target = flowTarget(fixture);
  const started: NodeRedSession[] = [];
  try {
    const ours = await startNodeRed({ ...benchInstall(true), settings: BENCH_SETTINGS });
    started.push(ours);
    const base = await startNodeRed({ ...benchInstall(false), settings: BENCH_SETTINGS });
    started.push(base);

    await deployFull(ours.red, onceOursFlows(target));
    await storeRefreshToken(ours.red, CONFIG_ID, fixture.sim.issueRefreshToken());
    await runOnce(ours.red, ONCE_PATHS.ours, {});
    // Redeploys send what the editor holds: the flows as Node-RED returns them, without credentials.
    const oursFlows: FlowNode[] = await getFlows(ours.red);

    const poster = fixture.newPoster();
    const { accessToken } = await poster.fetchAccessToken(fixture.sim.issueRefreshToken());
    poster.close();
    const baseFlows = onceBaselineFlows(target);
    await deployFull(base.red, baseFlows);
    await runOnce(base.red, ONCE_PATHS.baseline, { token: accessToken });

    const refreshesBefore = fixture.sim.callCount('config.auth.refreshToken');
    const runsBefore = fixture.sim.callCount('config.scene.run');
    const oursMs: number[] = [];
    const baseMs: number[] = [];
    const cycle = async (side: 'ours' | 'baseline'): Promise<void> => {
      const begin = performance.now();
      if (side === 'ours') {
        await deployFull(ours.red, oursFlows);
        await runOnce(ours.red, ONCE_PATHS.ours, {});
        oursMs.push(performance.now() - begin);
      } else {
        await deployFull(base.red, baseFlows);
        await runOnce(base.red, ONCE_PATHS.baseline, { token: accessToken });
        baseMs.push(performance.now() - begin);
      }
    };
    for (let i = 0; i < sizes.redeploys; i++) {
      const order: ('ours' | 'baseline')[] = i % 2 === 0 ? ['ours', 'baseline'] : ['baseline', 'ours'];
      for (const side of order) await cycle(side);
      if ((i + 1) % 25 === 0) progress(`redeploys: ${i + 1} of ${sizes.redeploys}`);
    }
    const refreshes = fixture.sim.callCount('config.auth.refreshToken') - refreshesBefore;
    const runs = fixture.sim.callCount('config.scene.run') - runsBefore;
    if (runs !== 2 * sizes.redeploys)
      throw new Error(`redeploys: ${runs} scene runs, expected ${2 * sizes.redeploys}`);
    const comparison = summarize(oursMs, baseMs);
    return {
      title: 'Redeploys',
      rows: [
        {
          measure: `${count(sizes.redeploys)} full deploys, config unchanged, one scene run after each: refresh calls`,
          ours: String(refreshes),
          baseline: '0 (token fetched beforehand)',
          ratio: '',
          goal: '0',
          met: refreshes === 0,
        },
        {
          measure: 'time of one cycle (full deploy until "Started flows", then one scene run)',
          ours: duration(comparison.medianCandidateMs),
          baseline: duration(comparison.medianBaselineMs),
          ratio: ratioWithSpread(comparison),
          goal: '',
          met: undefined,
        },
      ],
      notes: [
        'Ours: Node-RED with the package, flow http-in → aqara-scene → http response plus the aqara-config; each cycle ' +
          'POSTs the flows exactly as `GET /flows` returned them (no credentials, as the editor sends an unchanged ' +
          'config) with `Node-RED-Deployment-Type: full`.',
        'Baseline: a second Node-RED without the package running the hand-written flow (function sign → http request → ' +
          'function check); the two take turns cycle by cycle. Its ratio informs only: it has no goal.',
      ],
      raw: { refreshes, runs, comparison },
    };
  } finally {
    for (const node of started) await node.stop();
  }
}
