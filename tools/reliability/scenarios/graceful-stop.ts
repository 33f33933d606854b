import { performance } from 'node:perf_hooks';
import { TokenStore } from '../../../src/lib/tokens/store';
import { sleep } from '../lib/protocol-child';
import { REFRESH_INTENT, SCENE_ID, startLab } from '../lib/lab';
import { adminJson, pressInject } from '../lib/red-admin';
import { Findings, type ScenarioOutcome, scenarioOutcome } from '../lib/outcome';
import { Prng } from '../lib/prng';
import { configFlowNode } from '../../../support/flow-nodes';
import { type NodeRedSession, startNodeRed } from '../../../support/node-red';

/**
 * Graceful stop: Node-RED is stopped with SIGTERM (a restart, a service stop, a container update) while
 * a token refresh is in flight and Aqara is slow to answer. Unlike SIGKILL, a graceful stop gives every
 * node time to close (Node-RED waits up to 15 s), so the rotated token can be committed before the
 * process exits. A stored token the simulator refuses afterwards is a loss that did not have to happen.
 */

export interface GracefulStopOptions {
  stops: number;
  seed: number;
}

export interface GracefulStopFigures {
  stops: number;
  /** Stops that came while the refresh request was at the simulator. */
  stopsDuringRefresh: number;
  losses: number;
  /** How long Node-RED took to exit after SIGTERM, at most. */
  slowestExitMs: number;
  refreshDelayMs: string;
}

export const GRACEFUL_CONFIG_ID = '6a7e5f0c0ffee001';
const TAB = '6a7e5f0c0ffee000';
const INJECT = '6a7e5f0c0ffee011';
const SCENE_NODE = '6a7e5f0c0ffee021';
const MIN_DELAY_MS = 600;
const MAX_DELAY_MS = 2000;

export async function runGracefulStopScenario(
  options: GracefulStopOptions,
): Promise<ScenarioOutcome<GracefulStopFigures>> {
  const started = performance.now();
  const findings = new Findings();
  const rng = new Prng(options.seed);
  const lab = await startLab();
  const figures: GracefulStopFigures = {
    stops: 0,
    stopsDuringRefresh: 0,
    losses: 0,
    slowestExitMs: 0,
    refreshDelayMs: `${MIN_DELAY_MS}-${MAX_DELAY_MS}`,
  };
  let session: NodeRedSession | undefined;
  try {
    for (let stop = 0; stop < options.stops; stop++) {
      session = await startNodeRed();
      await session.red.deploy([
        { id: TAB, type: 'tab', label: 'graceful stop' },
        configFlowNode(GRACEFUL_CONFIG_ID, {
          baseUrl: lab.baseUrl,
          appId: lab.app.appId,
          keyId: lab.app.keyId,
          appKey: lab.app.appKey,
          scenes: { tv: SCENE_ID },
        }),
        {
          id: INJECT,
          type: 'inject',
          z: TAB,
          props: [{ p: 'payload' }],
          payload: '',
          payloadType: 'date',
          wires: [[SCENE_NODE]],
        },
        { id: SCENE_NODE, type: 'aqara-scene', z: TAB, config: GRACEFUL_CONFIG_ID, scene: 'tv', wires: [[]] },
      ]);
      const pasted = await adminJson(session, 'POST', 'aqara/refresh-token', {
        refresh_token: lab.sim.issueRefreshToken(),
        config: GRACEFUL_CONFIG_ID,
      });
      if (pasted.status !== 200) throw new Error(`pasting a token failed: HTTP ${pasted.status}`);

      // Aqara is slow to answer this refresh; the stop comes while the answer is on its way.
      const delay = Math.round(rng.uniform(MIN_DELAY_MS, MAX_DELAY_MS));
      lab.sim.injectFault({ intent: REFRESH_INTENT, fault: { kind: 'delay', ms: delay } });
      const refreshesBefore = lab.sim.callCount(REFRESH_INTENT);
      await pressInject(session, INJECT);
      const arrived = await waitFor(() => lab.sim.callCount(REFRESH_INTENT) > refreshesBefore, 10_000);
      await sleep(rng.uniform(0, delay / 2));
      const stopAt = performance.now();
      await session.red.stop(20_000);
      figures.slowestExitMs = Math.max(figures.slowestExitMs, performance.now() - stopAt);
      figures.stops++;
      if (arrived) figures.stopsDuringRefresh++;
      // Let the simulator answer (and rotate) before judging what was stored.
      await sleep(delay + 100);
      lab.sim.clearFaults();

      const store = TokenStore.open(session.dbPath);
      const stored = store.read(GRACEFUL_CONFIG_ID)?.refreshToken;
      store.close();
      if (stored === undefined || !lab.sim.isRefreshTokenValid(stored)) figures.losses++;
      await session.stop();
      session = undefined;
    }
  } finally {
    await session?.stop();
    await lab.close();
  }
  findings.check(
    figures.losses === 0,
    `${figures.losses} of ${figures.stops} graceful stops during a refresh lost the refresh token ` +
      '(Node-RED exited without waiting for the refresh to be answered and committed)',
  );
  return scenarioOutcome(figures, findings, started);
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    if (condition()) return true;
    await sleep(10);
  }
  return condition();
}
