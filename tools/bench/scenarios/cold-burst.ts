import dc from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { MAX_SOCKETS_PER_HOST } from '../../../src/lib/aqara/transport';
import { compareAlternating, timed, type Contender } from '../compare';
import { BENCH_SCENE_ID, type BenchFixture } from '../fixture';
import { count, duration, fixed, ratioWithSpread } from '../format';
import type { Sizes } from '../options';
import { progress } from '../progress';
import type { ScenarioResult } from '../result';
import { median } from '../medians';

const GOAL = 1.2;

/**
 * Closing a pool of 1,000 sockets leaves the simulator (in this process) with 1,000 'close' events to
 * handle; they must not land in the next burst's timing, which would then measure this one's cleanup.
 */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 100));
}

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
  /** From the burst's start until the shared refresh had committed the rotated token and handed it out. */
  const refreshMs: number[] = [];
  /** A bare refresh round trip, timed apart from the baseline's burst, for scale. */
  const bareRefreshMs: number[] = [];
  /** TCP connections the client opened per burst, refresh included (every client socket of this process). */
  const connectionsPerBurst: number[] = [];
  let opened = 0;
  const countConnection = (): void => {
    opened += 1;
  };

  const candidate: Contender = {
    async once() {
      // A new manager and client: no cached token, no pooled connection.
      const config = fixture.newConfig();
      const refreshesBefore = fixture.sim.callCount('config.auth.refreshToken');
      let refreshedAt: number | undefined;
      config.manager.once('refreshed', () => {
        refreshedAt = performance.now();
      });
      opened = 0;
      dc.subscribe('net.client.socket', countConnection);
      try {
        const started = performance.now();
        const timing = await timed(() =>
          Promise.all(
            Array.from({ length: burst }, () => fixture.pkg.runScene(config.manager, BENCH_SCENE_ID)),
          ),
        );
        connectionsPerBurst.push(opened);
        refreshesPerBurst.push(fixture.sim.callCount('config.auth.refreshToken') - refreshesBefore);
        if (refreshedAt !== undefined) refreshMs.push(refreshedAt - started);
        return timing;
      } finally {
        dc.unsubscribe('net.client.socket', countConnection);
        config.close();
        await settle();
      }
    },
  };
  const baseline: Contender = {
    async once() {
      // A pool of its own, so the burst's pool stays as cold as the candidate's.
      const refresher = fixture.newPoster();
      const refreshStarted = performance.now();
      await refresher.fetchAccessToken(fixture.sim.issueRefreshToken());
      bareRefreshMs.push(performance.now() - refreshStarted);
      refresher.close();
      await settle();
      const poster = fixture.newPoster();
      try {
        return await timed(() =>
          Promise.all(
            Array.from({ length: burst }, () => poster.post('config.scene.run', sceneRun, accessToken)),
          ),
        );
      } finally {
        poster.close();
        await settle();
      }
    },
  };

  const { wall, cpu } = await compareAlternating(candidate, baseline, {
    // A burst is short; more rounds steady the median (each side opens ~1,000 connections per round).
    rounds: sizes.rounds * 2,
    warmupRounds: sizes.warmupRounds,
    onBatch: (side, round, timing) =>
      progress(`cold-burst round ${round + 1} ${side}: ${Math.round(timing.wallMs)} ms`),
  });
  const exactlyOne = refreshesPerBurst.every((refreshes) => refreshes === 1);
  const withinCap = connectionsPerBurst.every((connections) => connections <= MAX_SOCKETS_PER_HOST);
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
        measure: `the same: TCP connections opened per burst (the refresh's included)`,
        ours: connectionsPerBurst.join(', '),
        baseline: `${count(burst)} (one per call: no cap)`,
        ratio: '',
        goal: `≤ ${MAX_SOCKETS_PER_HOST} (the socket cap)`,
        met: withinCap,
      },
      {
        measure: `${count(burst)} concurrent scene runs, no cached token: wall time`,
        ours: duration(wall.medianCandidateMs),
        baseline: duration(wall.medianBaselineMs),
        ratio: ratioWithSpread(wall),
        goal: `≤ ${GOAL.toFixed(2)}`,
        met: wall.medianRatio <= GOAL,
      },
      {
        measure: 'the same: CPU time of the bench process (simulator included on both sides)',
        ours: duration(cpu.medianCandidateMs),
        baseline: duration(cpu.medianBaselineMs),
        ratio: ratioWithSpread(cpu),
        goal: '',
        met: undefined,
      },
      {
        measure:
          'of which: until the one refresh was done (round trip, SQLite lease and commit of the rotated token)',
        ours: duration(median(refreshMs)),
        baseline: `${duration(median(bareRefreshMs))} (a bare refresh round trip)`,
        ratio: fixed(median(refreshMs) / median(bareRefreshMs), 2),
        goal: '',
        met: undefined,
      },
    ],
    notes: [
      'Ours: a new token manager and client per burst (nothing cached, no pooled socket); the burst includes the ' +
        "one refresh and the SQLite commit of the rotated refresh token (WAL, synchronous=FULL) on this machine's disk. " +
        `The client opens at most ${MAX_SOCKETS_PER_HOST} connections per host; the other calls wait for one of them ` +
        '(counted with the `net.client.socket` diagnostics channel while our burst runs).',
      'Baseline: a new `bench/baseline-client.ts` pool per burst, with an access token fetched before the rounds; a ' +
        'bare refresh round trip is timed before each of its bursts, on a separate pool, for the last row.',
    ],
    raw: { burst, refreshesPerBurst, connectionsPerBurst, refreshMs, bareRefreshMs, wall, cpu },
  };
}
