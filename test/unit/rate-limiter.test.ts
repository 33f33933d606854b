import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callKind, kindByIntentPrefix } from '../../src/lib/aqara/quota-usage';
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

describe('priorities and usage by kind', () => {
  it('gives freed slots to scene runs and writes before queued reads and listings', async () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter({ limit: 1, windowMs: 1000, maxWaitMs: 60_000, clock });
    await limiter.acquire('query.device.info');
    const order: string[] = [];
    const queued = [
      'query.resource.value',
      'query.device.info',
      'config.scene.run',
      'write.resource.device',
      'query.resource.value',
    ].map((intent) => limiter.acquire(intent).then(() => order.push(intent)));
    await Promise.all(queued);
    assert.deepEqual(order, [
      'config.scene.run',
      'write.resource.device',
      'query.resource.value',
      'query.device.info',
      'query.resource.value',
    ]);
  });

  it('keeps a tenth of the quota for scene runs and writes: a long listing cannot use it up', async () => {
    const clock = new ManualClock(0);
    // A clock whose sleep never ends: whatever waits for the window to slide stays waiting.
    const stuck = { now: () => clock.now(), sleep: () => new Promise<void>(() => undefined) };
    const limiter = new RateLimiter({ limit: 20, windowMs: 300_000, maxWaitMs: 600_000, clock: stuck });
    const granted = async (intent: string): Promise<boolean> => {
      let settled = false;
      void limiter.acquire(intent).then(() => {
        settled = true;
      });
      await new Promise((resolve) => setImmediate(resolve));
      return settled;
    };
    for (let page = 1; page <= 18; page++) assert.ok(await granted('query.device.info'), `page ${page}`);
    assert.equal(await granted('query.device.info'), false, 'page 19 waits: the last two slots are kept');
    assert.equal(await granted('query.resource.value'), false, 'a read waits too');
    assert.equal(limiter.waiting, 2);
    assert.ok(await granted('config.scene.run'), 'a scene run goes at once, past the waiting listing');
    assert.ok(await granted('write.resource.device'), 'so does a write');
    assert.equal(await granted('config.scene.run'), false, 'the window is full now');
    assert.equal(limiter.usage().lastFiveMinutes.listing, 18);
  });

  it('keeps nothing back when the limit is below 10, or when told so', async () => {
    assert.equal(new RateLimiter({ limit: 9 }).reserved, 0);
    assert.equal(new RateLimiter({ limit: 300 }).reserved, 30);
    assert.equal(new RateLimiter({ limit: 300, reserved: 0 }).reserved, 0);
    assert.equal(new RateLimiter({ limit: 5, reserved: 10 }).reserved, 4, 'one slot stays for reads');
    const clock = new ManualClock(0);
    const limiter = new RateLimiter({ limit: 300, windowMs: 1000, reserved: 0, clock });
    for (let i = 0; i < 300; i++) await limiter.acquire('query.device.info');
    assert.equal(clock.now(), 0);
  });

  it('counts calls by kind for the last 5 minutes and today', async () => {
    const clock = new ManualClock(new Date(2026, 0, 10, 12, 0, 0).getTime());
    const limiter = new RateLimiter({ limit: 0, clock });
    for (const intent of [
      'config.scene.run',
      'query.resource.value',
      'query.resource.value',
      'write.resource.device',
      'query.device.info',
      'query.resource.info',
      'config.auth.refreshToken',
    ]) {
      await limiter.acquire(intent);
    }
    const usage = limiter.usage();
    assert.deepEqual(usage.lastFiveMinutes, {
      scene: 1,
      read: 2,
      write: 1,
      listing: 2,
      refresh: 1,
      total: 7,
    });
    assert.deepEqual(usage.today, usage.lastFiveMinutes);
    clock.advance(6 * 60 * 1000);
    await limiter.acquire('query.resource.value');
    assert.deepEqual(limiter.usage().lastFiveMinutes.total, 1, 'older calls left the 5-minute view');
    assert.equal(limiter.usage().today.total, 8);
    clock.set(new Date(2026, 0, 11, 0, 0, 1).getTime());
    assert.equal(limiter.usage().today.total, 0, 'a new day starts from zero');
  });

  it('counts infrared clicks and automation switches as writes, key lists and automation listings as listings', () => {
    assert.equal(callKind('write.ir.click'), 'write');
    assert.equal(callKind('config.linkage.enable'), 'write');
    assert.equal(callKind('query.ir.keys'), 'listing');
    assert.equal(callKind('query.ir.info'), 'listing');
    assert.equal(callKind('query.linkage.listByPositionId'), 'listing');
    assert.equal(callKind('query.ir.acState'), 'read');
  });

  it("counts a named intent by its first word (aqara-api's kind), and a caller's kind wins over the table", async () => {
    for (const intent of ['query.ota.firmware', 'fetch.resource.history', 'query.device.info'])
      assert.equal(kindByIntentPrefix(intent), 'read', intent);
    for (const intent of [
      'write.ota.upgrade',
      'config.scene.run',
      'command.device.x',
      'spec.config.trait.subscribe',
    ])
      assert.equal(kindByIntentPrefix(intent), 'write', intent);
    const limiter = new RateLimiter({ limit: 0 });
    await limiter.acquire('query.device.info', kindByIntentPrefix('query.device.info'));
    await limiter.acquire('config.scene.run', kindByIntentPrefix('config.scene.run'));
    await limiter.acquire('query.device.info');
    const counts = limiter.usage().lastFiveMinutes;
    assert.deepEqual([counts.read, counts.write, counts.listing, counts.scene], [1, 1, 1, 0]);
  });
});
