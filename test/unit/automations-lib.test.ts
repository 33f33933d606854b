import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { callAnyIntent, intentProblem } from '../../src/lib/aqara/intents/any-intent';
import { AutomationService } from '../../src/lib/aqara/intents/automations';
import { isAqaraError } from '../../src/lib/aqara/errors';
import { RateLimiter } from '../../src/lib/aqara/rate-limiter';
import type { TokenManager } from '../../src/lib/tokens/manager';
import { HUB_MODEL } from '../../simulator/devices';
import { type Harness, startHarness } from '../helpers/token-harness';

const ENABLE = 'config.linkage.enable';
const DETAIL = 'query.linkage.detail';

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected the promise to reject');
}

describe('automations over the simulator', () => {
  let h: Harness;
  let manager: TokenManager;
  let automations: AutomationService;

  beforeEach(async () => {
    // The simulator's default homes and rooms (the harness names one home of its own otherwise).
    h = await startHarness({ positions: undefined });
    h.seedToken();
    manager = h.makeManager();
    automations = new AutomationService(manager);
  });
  afterEach(() => h.close());

  it('lists every automation of the homes and their rooms, with where it sits and whether it is on', async () => {
    const list = await automations.list();
    assert.equal(list.length, 8);
    const byId = new Map(list.map((automation) => [automation.linkageId, automation]));
    assert.deepEqual(byId.get('AL.200000000000000001'), {
      linkageId: 'AL.200000000000000001',
      name: 'Night: lights off',
      enabled: true,
      positionId: 'real1.home',
      positionName: 'Home',
    });
    assert.equal(byId.get('AL.200000000000000005')?.positionName, 'Living room');
    assert.equal(byId.get('AL.200000000000000008')?.positionName, 'Bedroom');
    assert.deepEqual(
      list.filter((automation) => !automation.enabled).map((automation) => automation.linkageId),
      ['AL.200000000000000002', 'AL.200000000000000006', 'AL.200000000000000008'],
    );
    assert.equal(byId.get('AL.200000000000000004')?.name, '漏水报警');
    const calls = h.sim.callCount();
    await automations.list();
    assert.equal(h.sim.callCount(), calls, 'the second listing came from the cache');
  });

  it('switches an automation with the integer Aqara wants; a known one costs one call', async () => {
    const on = await automations.setEnabled('AL.200000000000000002', true);
    assert.deepEqual(
      { ...on, requestId: typeof on.requestId },
      {
        linkageId: 'AL.200000000000000002',
        name: 'Away: rice cooker off',
        enabled: true,
        requestId: 'string',
      },
    );
    assert.equal(h.sim.linkages.linkage('AL.200000000000000002')?.enable, 1);
    assert.equal(h.sim.callCount(DETAIL), 1, 'the first switch of an id checks that it exists');
    h.sim.resetCounters();
    await automations.setEnabled('AL.200000000000000002', false);
    assert.equal(h.sim.callCount(), 1);
    assert.deepEqual(
      h.sim.linkages.switches.map((change) => [change.linkageId, change.enable]),
      [['AL.200000000000000002', 0]],
    );
  });

  it('after a listing, a switch costs one call and the listing shows the new state', async () => {
    await automations.list();
    h.sim.resetCounters();
    await automations.setEnabled('AL.200000000000000006', true);
    assert.equal(h.sim.callCount(), 1);
    const listed = (await automations.list()).find((a) => a.linkageId === 'AL.200000000000000006');
    assert.equal(listed?.enabled, true);
  });

  it('an automation id that does not exist is refused and nothing is switched', async () => {
    const error = await rejection(automations.setEnabled('AL.299999999999999999', true));
    assert.match(error.message, /Aqara automation AL\.299999999999999999 does not exist in this account/);
    assert.ok(isAqaraError(error) && error.kind === 'caller' && error.code === 302);
    assert.equal(h.sim.callCount(ENABLE), 0);
    assert.equal(h.sim.linkages.switches.length, 0);
    await rejection(automations.setEnabled('  ', true));
    assert.equal(h.sim.callCount(ENABLE), 0);
  });
});

describe('any intent (aqara-api)', () => {
  it("accepts Aqara's intent shape and refuses the token intents and anything else before sending", () => {
    for (const intent of [
      'query.ota.firmware',
      'config.scene.run',
      'query.ir.acState',
      'spec.config.trait.subscribe',
    ])
      assert.equal(intentProblem(intent), undefined, intent);
    assert.equal(intentProblem('config.auth.refreshToken'), 'tokens');
    assert.equal(intentProblem('config.auth.getToken'), 'tokens');
    assert.equal(intentProblem('Config.Auth.getAuthCode'), 'tokens');
    for (const intent of [
      'query',
      'query.',
      '.query.x',
      'query..x',
      'query.ir.keys.a.b',
      'query.ir-keys',
      'query.ir keys',
      '1query.x',
    ])
      assert.equal(intentProblem(intent), 'shape', intent);
    for (const intent of [undefined, '', '  ', 42])
      assert.equal(intentProblem(intent), 'missing', String(intent));
  });

  let h: Harness;
  afterEach(() => h?.close());

  it("goes through the token manager and the quota guard, counted by the intent's first word", async () => {
    h = await startHarness();
    h.seedToken();
    const limiter = new RateLimiter({ limit: 0 });
    const manager = h.makeManager({ rateLimiter: limiter });
    const answer = await callAnyIntent(manager, 'query.ota.firmware', { model: HUB_MODEL });
    assert.ok(Array.isArray(answer.result) && answer.result.length === 2);
    await callAnyIntent(manager, 'query.device.info', { pageNum: 1, pageSize: 10 });
    const error = await rejection(callAnyIntent(manager, 'query.ota.firmware', {}));
    assert.ok(isAqaraError(error) && error.code === 302, String(error));
    assert.match(
      error.message,
      /Aqara error 302 \(params error: model is required\) on query\.ota\.firmware/,
    );
    const counts = limiter.usage().lastFiveMinutes;
    assert.equal(counts.read, 3, 'query.* counted as reads, query.device.info too');
    assert.equal(counts.listing, 0);
  });
});
