import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SWITCH_DID, SWITCH_MODEL } from '../../simulator/devices';
import { credentials, harnessPerTest, helper, NODES, sceneFlow, seedRefreshToken } from './support';

type Body = Record<string, unknown>;

function get(path: string, query: Record<string, string>) {
  return helper.request().get(path).query(query);
}

describe('admin routes for the device pickers', () => {
  const h = harnessPerTest();

  it('GET /aqara/devices lists devices with room names, from a cache that says when it was made', async () => {
    await helper.load(NODES, sceneFlow(h), credentials());
    seedRefreshToken(h);
    const first = await get('/aqara/devices', { config: 'cfg' });
    assert.equal(first.status, 200, first.text);
    const body = first.body as { devices: Body[]; listedAt: string };
    const sw = body.devices.find((device) => device.did === SWITCH_DID);
    assert.deepEqual(sw, {
      did: SWITCH_DID,
      name: 'Wall switch',
      model: SWITCH_MODEL,
      modelType: 3,
      state: 1,
      positionId: 'real2.8881000000000001',
      positionName: 'Living room',
    });
    assert.ok(!Number.isNaN(Date.parse(body.listedAt)));
    const calls = h.sim.callCount();
    const again = await get('/aqara/devices', { config: 'cfg' });
    assert.deepEqual(again.body, first.body, 'the second opening is answered from the cache');
    assert.equal(h.sim.callCount(), calls, 'and costs no call');

    const refreshed = await get('/aqara/devices', { config: 'cfg', refresh: '1' });
    assert.equal(refreshed.status, 200);
    assert.ok(h.sim.callCount('query.device.info') >= 2, 'refresh=1 asks Aqara again');
    const afterRefresh = h.sim.callCount();
    const tooSoon = await get('/aqara/devices', { config: 'cfg', refresh: '1' });
    assert.equal(
      h.sim.callCount(),
      afterRefresh,
      'a second refresh within a minute is served from the cache',
    );
    assert.match(String((tooSoon.body as Body).refreshRefused), /less than a minute/);
  });

  it('GET /aqara/resources gives the model definitions once a day, and needs a model', async () => {
    await helper.load(NODES, sceneFlow(h), credentials());
    seedRefreshToken(h);
    const response = await get('/aqara/resources', { config: 'cfg', model: SWITCH_MODEL });
    assert.equal(response.status, 200, response.text);
    const resources = (response.body as { resources: Body[] }).resources;
    assert.deepEqual(
      resources.find((resource) => resource.resourceId === '14.17.85'),
      {
        resourceId: '14.17.85',
        name: 'Indicator mode',
        description: 'Indicator code, sent with a leading zero',
        access: 2,
        unit: 10,
        minValue: null,
        maxValue: null,
        enums: ['00', '01', '02'],
      },
    );
    await get('/aqara/resources', { config: 'cfg', model: SWITCH_MODEL });
    assert.equal(h.sim.callCount('query.resource.info'), 1);
    const missing = await get('/aqara/resources', { config: 'cfg' });
    assert.equal(missing.status, 400);
    assert.match(String((missing.body as Body).details), /model is required/);
  });

  it('GET /aqara/scenes is cached too', async () => {
    await helper.load(NODES, sceneFlow(h), credentials());
    seedRefreshToken(h);
    await get('/aqara/scenes', { config: 'cfg' });
    const calls = h.sim.callCount();
    const again = await get('/aqara/scenes', { config: 'cfg' });
    assert.equal(again.status, 200);
    assert.equal(h.sim.callCount(), calls);
  });

  it('GET /aqara/quota shows the calls spent by kind', async () => {
    await helper.load(NODES, sceneFlow(h), credentials());
    seedRefreshToken(h);
    await get('/aqara/devices', { config: 'cfg' });
    const response = await get('/aqara/quota', { config: 'cfg' });
    assert.equal(response.status, 200, response.text);
    const body = response.body as { guarded: boolean; lastFiveMinutes: Body; today: Body; limit: number };
    assert.equal(body.guarded, true);
    assert.equal(body.limit, 300);
    assert.ok((body.lastFiveMinutes.listing as number) >= 2);
    assert.ok((body.today.refresh as number) >= 1);
  });

  it('without a token: 409 TOKEN_NOT_CONFIGURED', async () => {
    await helper.load(NODES, sceneFlow(h), credentials());
    const response = await get('/aqara/devices', { config: 'cfg' });
    assert.equal(response.status, 409);
    assert.equal((response.body as Body).code, 'TOKEN_NOT_CONFIGURED');
  });
});
