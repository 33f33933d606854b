import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenStore } from '../../src/lib/tokens/store';
import { buildManagerSpec } from '../../src/runtime/config/config-spec';
import { managerOf } from '../../src/runtime/config/config-registry';
import {
  APP,
  credentials,
  type Harness,
  harnessPerTest,
  helper,
  loggedText,
  nextMessage,
  node,
  NODES,
  sceneFlow,
  seedRefreshToken,
  setFlows,
} from './support';

const DAY_MS = 24 * 3600 * 1000;
const HOUR_MS = 3600 * 1000;

/** Stores a valid simulator refresh token that was last updated `ageMs` ago. */
function seedAgedToken(h: Harness, ageMs: number): void {
  const token = h.sim.issueRefreshToken();
  TokenStore.open(h.dbPath).write('cfg', token, APP.appId, new Date(Date.now() - ageMs));
}

function liveManager() {
  const manager = managerOf('cfg');
  assert.ok(manager, 'the config built a manager');
  return manager;
}

describe('aqara-config keepAliveDays and rateLimit: parsing', () => {
  const t = (key: string, subs?: Record<string, string | number>): string =>
    `${key} ${JSON.stringify(subs ?? {})}`;
  const base = { id: 'cfg', label: 'home', appId: 'app', keyId: 'K.1', appKey: 'secret-app-key' };

  function spec(extra: Record<string, unknown>) {
    const warnings: string[] = [];
    const built = buildManagerSpec({ ...base, ...extra }, '/tmp/tokens.db', t, (m) => warnings.push(m));
    return { keepAliveMaxAgeMs: built.keepAliveMaxAgeMs, rateLimit: built.rateLimit, warnings };
  }

  it('a flow saved before the options existed gets 7 days and 300 calls, without a warning', () => {
    assert.deepEqual(spec({}), { keepAliveMaxAgeMs: 7 * DAY_MS, rateLimit: 300, warnings: [] });
    assert.deepEqual(spec({ keepAliveDays: '', rateLimit: '' }), {
      keepAliveMaxAgeMs: 7 * DAY_MS,
      rateLimit: 300,
      warnings: [],
    });
  });

  it('takes what the editor saves (strings) and what a hand-written flow holds (numbers)', () => {
    assert.equal(spec({ keepAliveDays: '0' }).keepAliveMaxAgeMs, 0);
    assert.equal(spec({ keepAliveDays: '0.5' }).keepAliveMaxAgeMs, DAY_MS / 2);
    assert.equal(spec({ keepAliveDays: 25 }).keepAliveMaxAgeMs, 25 * DAY_MS);
    assert.equal(spec({ keepAliveDays: ' 3 ' }).keepAliveMaxAgeMs, 3 * DAY_MS);
    assert.equal(spec({ rateLimit: '0' }).rateLimit, 0);
    assert.equal(spec({ rateLimit: 1200 }).rateLimit, 1200);
    for (const good of [{ keepAliveDays: '12.25' }, { rateLimit: '2' }]) {
      assert.deepEqual(spec(good).warnings, [], JSON.stringify(good));
    }
  });

  it('garbage falls back to the default and says so, naming the config but no secret', () => {
    for (const keepAliveDays of ['soon', '-1', '26', '30', '1e3', '0x10', true, {}, Number.NaN]) {
      const result = spec({ keepAliveDays });
      assert.equal(result.keepAliveMaxAgeMs, 7 * DAY_MS, String(keepAliveDays));
      assert.equal(result.warnings.length, 1, String(keepAliveDays));
      assert.match(result.warnings[0], /aqara-config.warnings.bad-keep-alive-days/);
      assert.match(result.warnings[0], /"name":"home"/);
      assert.ok(!result.warnings[0].includes('secret-app-key'));
    }
    for (const rateLimit of ['many', '2.5', '-3', 100_001, []]) {
      const result = spec({ rateLimit });
      assert.equal(result.rateLimit, 300, String(rateLimit));
      assert.equal(result.warnings.length, 1, String(rateLimit));
      assert.match(result.warnings[0], /aqara-config.warnings.bad-rate-limit/);
    }
  });
});

describe('aqara-config keepAliveDays and rateLimit: reaching the manager', () => {
  const h = harnessPerTest();

  it('keepAliveDays 0 turns keep-alive off', async () => {
    seedAgedToken(h, 20 * DAY_MS);
    await helper.load(NODES, sceneFlow(h, 'tv_pin_entry', { keepAliveDays: '0' }), credentials());
    assert.equal(await liveManager().keepAliveTick(), 'disabled');
    assert.equal(h.sim.callCount('config.auth.refreshToken'), 0);
  });

  it('without the property the 7-day default applies', async () => {
    seedAgedToken(h, 6 * DAY_MS);
    await helper.load(NODES, sceneFlow(h), credentials());
    assert.equal(await liveManager().keepAliveTick(), 'fresh');
    await helper.unload();

    seedAgedToken(h, 8 * DAY_MS);
    await helper.load(NODES, sceneFlow(h), credentials());
    assert.equal(await liveManager().keepAliveTick(), 'refreshed');
  });

  it('decimal days are honoured: 0.5 refreshes a 13-hour-old token, not an 11-hour-old one', async () => {
    seedAgedToken(h, 11 * HOUR_MS);
    await helper.load(NODES, sceneFlow(h, 'tv_pin_entry', { keepAliveDays: '0.5' }), credentials());
    assert.equal(await liveManager().keepAliveTick(), 'fresh');
    seedAgedToken(h, 13 * HOUR_MS);
    assert.equal(await liveManager().keepAliveTick(), 'refreshed');
  });

  it('an unusable keepAliveDays warns in the log and keeps the default', async () => {
    seedAgedToken(h, 8 * DAY_MS);
    await helper.load(NODES, sceneFlow(h, 'tv_pin_entry', { keepAliveDays: '40' }), credentials());
    assert.match(
      loggedText(),
      /aqara-config \\"home\\": keep-alive \\"40\\" is not a number of days from 0 to 25; using 7 days/,
    );
    assert.equal(await liveManager().keepAliveTick(), 'refreshed');
  });

  it('rateLimit 3: the refresh and two runs go out, the third run is held back', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, sceneFlow(h, 'tv_pin_entry', { rateLimit: '3' }), credentials());
    for (let run = 1; run <= 2; run++) {
      const out = nextMessage('out');
      node('scene').receive({});
      await out;
    }
    const caught = nextMessage('caught');
    node('scene').receive({});
    const error = (await caught).error as { message: string };
    assert.match(error.message, /Aqara rate limit: config\.scene\.run not sent/);
    assert.match(error.message, /limit 3 calls per 300 s/);
    assert.equal(h.sim.sceneRuns.length, 2, 'Aqara never saw the third run');
    assert.equal(h.sim.callCount(), 3);
  });

  it('changing keepAliveDays or rateLimit builds a fresh manager; the same values keep it', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, sceneFlow(h), credentials());
    const first = liveManager();

    // An old flow saved again by the editor now carries the defaults explicitly: nothing changed.
    await setFlows(
      sceneFlow(h, 'tv_pin_entry', { keepAliveDays: '7', rateLimit: '300' }),
      'full',
      credentials(),
    );
    assert.equal(managerOf('cfg'), first, 'same values, same manager');

    await setFlows(
      sceneFlow(h, 'tv_pin_entry', { keepAliveDays: '5', rateLimit: '300' }),
      'full',
      credentials(),
    );
    const second = liveManager();
    assert.notEqual(second, first, 'keepAliveDays changed');
    assert.equal(first.listenerCount('state'), 0, 'the old manager was let go');
    assert.equal(await first.keepAliveTick(), 'disabled', 'and closed');

    await setFlows(
      sceneFlow(h, 'tv_pin_entry', { keepAliveDays: '5', rateLimit: '120' }),
      'full',
      credentials(),
    );
    assert.notEqual(managerOf('cfg'), second, 'rateLimit changed');
  });
});
