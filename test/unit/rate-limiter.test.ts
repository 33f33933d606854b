import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter } from '../../src/lib/aqara/rate-limiter';
import { ManualClock } from '../helpers/manual-clock';

describe('client-side quota guard', () => {
  it('lets the limit through at once and makes the next call wait for the window to slide', async () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter({ limit: 3, windowMs: 1000, clock });
    for (let i = 0; i < 3; i++) await limiter.acquire('x');
    assert.equal(clock.now(), 0);
    await limiter.acquire('x');
    assert.equal(clock.now(), 1000, 'the fourth call waited until the first left the window');
  });

  it('fails with a clear error when the queue is full', async () => {
    const clock = new ManualClock(0);
    // A clock whose sleep never ends keeps the first waiter queued.
    const stuck = { now: () => clock.now(), sleep: () => new Promise<void>(() => undefined) };
    const limiter = new RateLimiter({ limit: 1, windowMs: 1000, maxQueued: 1, clock: stuck });
    await limiter.acquire('config.scene.run');
    void limiter.acquire('config.scene.run');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(limiter.waiting, 1);
    await assert.rejects(limiter.acquire('config.scene.run'), (error: Error & { kind?: string }) => {
      assert.match(
        error.message,
        /^Aqara rate limit: config\.scene\.run not sent \(1 calls already waiting; limit 1 calls per 1 s\)/,
      );
      assert.equal(error.kind, 'transient');
      return true;
    });
  });

  it('fails instead of waiting longer than allowed', async () => {
    const limiter = new RateLimiter({
      limit: 1,
      windowMs: 60_000,
      maxWaitMs: 1000,
      clock: new ManualClock(0),
    });
    await limiter.acquire('x');
    await assert.rejects(limiter.acquire('x'), /Aqara rate limit: x not sent \(waiting would take longer/);
  });

  it('pauses the app after a 429, longer each time, and even when the limit is off', async () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter({ limit: 0, backoffMs: 100, clock });
    limiter.penalize();
    await limiter.acquire('x');
    assert.equal(clock.now(), 100);
    limiter.penalize();
    await limiter.acquire('x');
    assert.equal(clock.now(), 300, 'second pause is twice as long');
    limiter.succeeded();
    limiter.penalize();
    await limiter.acquire('x');
    assert.equal(clock.now(), 400, 'a success resets the pause');
  });

  it('costs nothing when off', async () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter({ limit: 0, clock });
    for (let i = 0; i < 10_000; i++) await limiter.acquire('x');
    assert.equal(clock.now(), 0);
    assert.deepEqual(clock.sleeps, []);
  });
});

describe('429 bursts', () => {
  it('one burst of 429 answers is one pause, not a pause doubled per answer', async () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter({ limit: 0, backoffMs: 100, clock });
    for (let i = 0; i < 6; i++) limiter.penalize();
    await limiter.acquire('x');
    assert.equal(clock.now(), 100);
  });
});
