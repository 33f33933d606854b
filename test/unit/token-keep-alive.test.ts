import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter } from '../../src/lib/aqara/rate-limiter';
import { REFRESH_TOKEN_EXPIRED_MESSAGE } from '../../src/lib/tokens/messages';
import { ManualClock } from '../helpers/manual-clock';
import { CONFIG_ID, SCENE_ID, startHarness } from '../helpers/token-harness';
import { runScene } from '../../src/lib/aqara/intents/scenes';
import { until } from '../helpers/until';

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const REFRESH = 'config.auth.refreshToken';
const RUN = 'config.scene.run';

describe('keep-alive: an idle refresh token never dies', () => {
  it('a simulated year with no scene runs needs no manual step and about 52 refreshes', async () => {
    const clock = new ManualClock();
    const h = await startHarness({ now: () => clock.now() }, clock, clock);
    try {
      h.seedToken();
      const manager = h.makeManager();
      const outcomes = new Map<string, number>();
      for (let hour = 0; hour < 365 * 24; hour++) {
        clock.advance(HOUR);
        const outcome = await manager.keepAliveTick();
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
      assert.equal(outcomes.get('refreshed'), 52);
      assert.equal(outcomes.get('failed') ?? 0, 0);
      assert.equal(h.sim.callCount(REFRESH), 52);
      assert.equal(h.sim.isRefreshTokenValid(h.store.read(CONFIG_ID)!.refreshToken), true);
      assert.ok(Date.parse(manager.status().refresh_token_expires_at!) > clock.now() + 30 * DAY);
      await runScene(manager, SCENE_ID);
    } finally {
      await h.close();
    }
  });

  it('counts a refresh that kept the same refresh token as a renewal, so the keep-alive does not loop', async () => {
    const clock = new ManualClock();
    const h = await startHarness({ now: () => clock.now(), rotateRefreshToken: false }, clock, clock);
    try {
      const token = h.seedToken();
      const manager = h.makeManager();
      for (let hour = 0; hour < 60 * 24; hour++) {
        clock.advance(HOUR);
        await manager.keepAliveTick();
      }
      assert.equal(h.sim.callCount(REFRESH), 8, 'once a week, not once an hour');
      assert.equal(h.store.read(CONFIG_ID)?.refreshToken, token);
      assert.ok(Date.parse(manager.status().refresh_token_expires_at!) > clock.now() + 30 * DAY);
    } finally {
      await h.close();
    }
  });

  it('without keep-alive the same idle year kills the token (the control case)', async () => {
    const clock = new ManualClock();
    const h = await startHarness({ now: () => clock.now() }, clock, clock);
    try {
      h.seedToken();
      const manager = h.makeManager({ keepAliveMaxAgeMs: 0 });
      clock.advance(365 * DAY);
      assert.equal(await manager.keepAliveTick(), 'disabled');
      await assert.rejects(runScene(manager, SCENE_ID), (error: Error) =>
        error.message.includes(REFRESH_TOKEN_EXPIRED_MESSAGE),
      );
    } finally {
      await h.close();
    }
  });

  it('never refreshes while a request is in flight', async () => {
    const clock = new ManualClock();
    // A month-long access token, so only the keep-alive has a reason to refresh.
    const h = await startHarness(
      { now: () => clock.now(), accessTokenTtlSeconds: 30 * 24 * 3600 },
      clock,
      clock,
    );
    try {
      h.seedToken();
      const manager = h.makeManager();
      await runScene(manager, SCENE_ID);
      // Long enough that the tick below surely happens while the answer is held back, even under load.
      h.sim.injectFault({ fault: { kind: 'delay', ms: 1000 }, intent: RUN });
      const run = runScene(manager, SCENE_ID);
      // The clock may only jump once the simulator has checked the request's time; a fixed sleep
      // was too short on a loaded machine (the request arrived 8 days late: 105).
      await until(() => h.sim.callCount(RUN) === 2, 'the second scene run reaches the simulator');
      clock.advance(8 * DAY);
      assert.equal(await manager.keepAliveTick(), 'busy');
      assert.equal(h.sim.callCount(REFRESH), 1);
      await run;
      assert.equal(await manager.keepAliveTick(), 'refreshed');
      assert.equal(h.sim.callCount(REFRESH), 2);
    } finally {
      await h.close();
    }
  });

  it('refreshes a token dated in the future, since the wall clock went back and its age is unknown', async () => {
    const clock = new ManualClock();
    const h = await startHarness({}, clock);
    try {
      h.seedToken();
      const manager = h.makeManager();
      clock.advance(-3 * DAY);
      assert.equal(await manager.keepAliveTick(), 'refreshed');
      assert.equal(await manager.keepAliveTick(), 'fresh');
    } finally {
      await h.close();
    }
  });
});

describe('clock jumps', () => {
  // Aqara's clock (the simulator and the signing time) is the true time; the manager's wall clock jumps.
  it('a clock stepped back leaves a dead access token looking valid for one call at most, and that call still succeeds', async () => {
    const truth = new ManualClock();
    const wall = new ManualClock(truth.now());
    const h = await startHarness({ now: () => truth.now() }, wall, truth);
    try {
      h.seedToken();
      const manager = h.makeManager({ keepAliveMaxAgeMs: 0 });
      await runScene(manager, SCENE_ID);
      truth.advance(8 * DAY);
      wall.advance(8 * DAY - 10 * DAY);
      assert.equal(manager.status().access_token_status, 'valid', 'the wall clock believes it');
      await runScene(manager, SCENE_ID);
      assert.equal(h.sim.calls.filter((call) => call.intent === RUN && call.code === 108).length, 1);
      assert.equal(h.sim.callCount(REFRESH), 2);
      assert.equal(h.sim.sceneRuns.length, 2);
    } finally {
      await h.close();
    }
  });

  it('a clock stepped forward costs an early refresh, never a failed call', async () => {
    const truth = new ManualClock();
    const wall = new ManualClock(truth.now());
    const h = await startHarness({ now: () => truth.now() }, wall, truth);
    try {
      h.seedToken();
      const manager = h.makeManager();
      await runScene(manager, SCENE_ID);
      wall.advance(9 * DAY);
      assert.equal(manager.status().access_token_status, 'expired');
      await runScene(manager, SCENE_ID);
      assert.equal(h.sim.callCount(REFRESH), 2);
      assert.ok(h.sim.calls.every((call) => call.code === 0));
    } finally {
      await h.close();
    }
  });

  it('after days asleep the token is refreshed on wake, and a token that died meanwhile says so after one call', async () => {
    const clock = new ManualClock();
    const h = await startHarness({ now: () => clock.now() }, clock, clock);
    try {
      h.seedToken();
      const manager = h.makeManager();
      await runScene(manager, SCENE_ID);
      clock.advance(10 * DAY);
      await runScene(manager, SCENE_ID);
      assert.equal(h.sim.callCount(REFRESH), 2);
      assert.ok(h.sim.calls.every((call) => call.code === 0));

      clock.advance(60 * DAY);
      assert.equal(manager.state, 'ready');
      await assert.rejects(runScene(manager, SCENE_ID));
      assert.equal(manager.state, 'expired', 'one failed call is enough to show the truth');
    } finally {
      await h.close();
    }
  });
});

describe('quota guard against the simulator', () => {
  it("pauses the app after Aqara's 429 and then goes on", async () => {
    const limiterClock = new ManualClock();
    const h = await startHarness();
    try {
      h.seedToken();
      const rateLimiter = new RateLimiter({ limit: 300, backoffMs: 10_000, clock: limiterClock });
      const manager = h.makeManager({ rateLimiter });
      await runScene(manager, SCENE_ID);
      h.sim.injectFault({ fault: { kind: 'code', code: 429 }, intent: RUN });
      await assert.rejects(
        runScene(manager, SCENE_ID),
        (error: Error & { kind?: string }) => error.kind === 'transient',
      );
      await runScene(manager, SCENE_ID);
      assert.deepEqual(limiterClock.sleeps, [10_000], 'the next call waited out the pause');
      assert.equal(h.sim.sceneRuns.length, 2);
    } finally {
      await h.close();
    }
  });

  it('pauses the app after a bare HTTP 429 from something in between, too', async () => {
    const limiterClock = new ManualClock();
    const h = await startHarness();
    try {
      h.seedToken();
      const rateLimiter = new RateLimiter({ limit: 300, backoffMs: 10_000, clock: limiterClock });
      const manager = h.makeManager({ rateLimiter });
      await runScene(manager, SCENE_ID);
      h.sim.injectFault({ fault: { kind: 'httpStatus', status: 429 }, intent: RUN });
      await assert.rejects(runScene(manager, SCENE_ID));
      await runScene(manager, SCENE_ID);
      assert.deepEqual(limiterClock.sleeps, [10_000]);
    } finally {
      await h.close();
    }
  });

  it('holds excess calls back instead of sending them', async () => {
    const h = await startHarness();
    try {
      h.seedToken();
      const rateLimiter = new RateLimiter({ limit: 5, windowMs: 60_000, maxWaitMs: 100 });
      const manager = h.makeManager({ rateLimiter });
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => runScene(manager, SCENE_ID)));
      const failed = results.filter((result) => result.status === 'rejected');
      assert.equal(h.sim.callCount(), 5, 'one refresh and four runs: the quota counts every call');
      assert.equal(failed.length, 6);
      assert.match(String((failed[0] as PromiseRejectedResult).reason.message), /^Aqara rate limit/);
    } finally {
      await h.close();
    }
  });
});
