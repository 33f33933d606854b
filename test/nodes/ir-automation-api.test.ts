import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { AC_REMOTE_DID, HUB_MODEL, SENSOR_DID, TV_REMOTE_DID } from '../../simulator/devices';
import { DEFAULT_IR_REMOTES } from '../../simulator/ir-remotes';
import { AqaraSimulator } from '../../simulator/server';
import {
  credentials,
  flowWith,
  type Harness,
  harnessPerTest,
  helper,
  lastStatus,
  nextMessage,
  node,
  NODES,
  seedRefreshToken,
  startHarness,
  stopHarness,
} from './support';

type Msg = Record<string, unknown>;

const CLICK = 'write.ir.click';
const ENABLE = 'config.linkage.enable';
const IR_INTENTS = ['query.ir.info', 'query.ir.keys', 'query.ir.acState', CLICK];

/** The next message out of `out` or the Catch node, whichever comes first. */
function outcome(): Promise<{ port: 'out' | 'caught'; msg: Msg }> {
  return Promise.race([
    nextMessage('out').then((msg) => ({ port: 'out' as const, msg })),
    nextMessage('caught').then((msg) => ({ port: 'caught' as const, msg })),
  ]);
}

async function sent(id: string, msg: Msg): Promise<Msg> {
  const result = outcome();
  node(id).receive(msg);
  const { port, msg: out } = await result;
  assert.equal(port, 'out', `the message went out, not to the Catch node: ${JSON.stringify(out.error)}`);
  return out;
}

async function failure(id: string, msg: Msg): Promise<{ message: string; code?: unknown }> {
  const result = outcome();
  node(id).receive(msg);
  const { port, msg: caught } = await result;
  assert.equal(port, 'caught', 'the message went to the Catch node');
  return caught.error as { message: string; code?: unknown };
}

async function loadNode(h: Harness, props: Msg & { type: string }): Promise<void> {
  seedRefreshToken(h);
  await helper.load(
    NODES,
    flowWith(h, [{ id: 'n', config: 'cfg', wires: [['out']], ...props }]),
    credentials(),
  );
}

describe('aqara-ir', () => {
  const h = harnessPerTest();
  const irCalls = (): number => IR_INTENTS.reduce((sum, intent) => sum + h.sim.callCount(intent), 0);

  it('presses a key by name: one call per press once the remote is described; the status shows the key', async () => {
    await loadNode(h, { type: 'aqara-ir', device: TV_REMOTE_DID, key: 'Power' });
    // An inject's timestamp presses the node's key.
    const first = await sent('n', { payload: 1_700_000_000_000 });
    assert.deepEqual(
      { ...(first.payload as Msg), requestId: undefined },
      {
        did: TV_REMOTE_DID,
        key: 'Power',
        keyId: '1',
        requestId: undefined,
      },
    );
    assert.equal(typeof (first.payload as Msg).requestId, 'string');
    assert.deepEqual(lastStatus('n'), { fill: 'green', shape: 'dot', text: 'Power' });
    h.sim.resetCounters();
    const second = await sent('n', { payload: 'Volume -' });
    assert.equal((second.payload as Msg).key, 'Volume -');
    assert.equal(h.sim.callCount(), 1, 'a key press costs one call');
    assert.deepEqual(
      h.sim.ir.clicks.map((click) => click.keyName),
      ['Volume -'],
    );
  });

  it('sets an air conditioner from any subset, P0 meaning on; one call when the state is known', async () => {
    await loadNode(h, { type: 'aqara-ir', device: AC_REMOTE_DID, key: '' });
    const on = await sent('n', { payload: { power: 'on', mode: 'cool', temperature: 24 } });
    assert.equal(h.sim.ir.acState(AC_REMOTE_DID), 'P0_M0_T24_S0_D0', 'power on is P0 at Aqara');
    const payload = on.payload as { did: string; ac: Msg; acKey: string };
    assert.equal(payload.did, AC_REMOTE_DID);
    assert.deepEqual(payload.ac, { power: 'on', mode: 'cool', temperature: 24, fan: 'auto', swing: true });
    assert.deepEqual(lastStatus('n'), { fill: 'green', shape: 'dot', text: 'on, cool 24°C' });
    h.sim.resetCounters();
    const warmer = await sent('n', { payload: { temperature: 26, fan: 'low' } });
    assert.equal(h.sim.callCount(), 1, 'the state was known from the last click');
    assert.equal((warmer.payload as { ac: Msg }).ac.power, 'on', 'power kept');
    await sent('n', { payload: { power: 'off' } });
    assert.equal(h.sim.ir.acState(AC_REMOTE_DID), 'P1_M0_T26_S1_D0');
    assert.deepEqual(lastStatus('n'), { fill: 'grey', shape: 'ring', text: 'off' });
  });

  it('bad input: unknown key, value out of range, unknown mode, settings for a TV, not a remote: nothing sent', async () => {
    await loadNode(h, { type: 'aqara-ir', device: TV_REMOTE_DID, key: 'Power' });
    await sent('n', {});
    h.sim.resetCounters();

    const unknownKey = await failure('n', { payload: 'Powr' });
    assert.match(unknownKey.message, /has no key "Powr"; close: "Power"/);
    assert.deepEqual(lastStatus('n'), { fill: 'red', shape: 'ring', text: 'not sent' });

    const tooHot = await failure('n', { device: AC_REMOTE_DID, payload: { temperature: 35 } });
    assert.match(
      tooHot.message,
      /air conditioner settings not sent: temperature 35 °C is out of range 16\.\.30/,
    );
    assert.deepEqual(lastStatus('n'), { fill: 'red', shape: 'ring', text: 'bad input' });
    const mode = await failure('n', { device: AC_REMOTE_DID, payload: { mode: 'turbo' } });
    assert.match(mode.message, /mode must be one of "cool", "heat", "auto", "fan", "dry", not "turbo"/);

    const tv = await failure('n', { payload: { power: 'on' } });
    assert.match(
      tv.message,
      /is a keyed remote \(type 1\), not an air conditioner: send a key name such as "Power"/,
    );

    const sensor = await failure('n', { device: SENSOR_DID });
    assert.match(sensor.message, /"阳台温湿度" \(lumi\.158d0008a1b2c3\) is not an infrared remote/);
    assert.deepEqual(lastStatus('n'), { fill: 'red', shape: 'ring', text: 'not an IR remote' });

    const array = await failure('n', { payload: ['Power'] });
    assert.match(array.message, /msg\.payload is an array/);

    assert.equal(h.sim.ir.clicks.length, 0, 'nothing was pressed');
    assert.equal(h.sim.callCount(CLICK), 0);
    assert.equal(
      h.sim.callCount('query.ir.info') + h.sim.callCount('query.ir.keys'),
      0,
      'the sensor was refused from the listing',
    );
    // Node-RED keeps running: the next good message presses the key.
    await sent('n', { payload: 'Mute' });
    assert.equal(h.sim.ir.clicks.length, 1);
  });

  it('GET /aqara/ir-keys lists a remote’s keys once a day, shared with the nodes', async () => {
    await loadNode(h, { type: 'aqara-ir', device: TV_REMOTE_DID, key: 'Power' });
    const tv = await helper.request().get('/aqara/ir-keys').query({ config: 'cfg', device: TV_REMOTE_DID });
    assert.equal(tv.status, 200, tv.text);
    const body = tv.body as { did: string; name: string; type: number; keys: Msg[]; listedAt: string };
    assert.equal(body.type, 1);
    assert.equal(body.name, 'Living room TV');
    assert.equal(body.keys.length, 14);
    assert.deepEqual(body.keys[0], { keyId: '1', name: 'Power' });
    assert.ok(!Number.isNaN(Date.parse(body.listedAt)));
    const ac = await helper.request().get('/aqara/ir-keys').query({ config: 'cfg', device: AC_REMOTE_DID });
    assert.equal((ac.body as { type: number }).type, 2);

    h.sim.resetCounters();
    await helper.request().get('/aqara/ir-keys').query({ config: 'cfg', device: TV_REMOTE_DID });
    await sent('n', {});
    assert.equal(h.sim.callCount(), 1, 'the keys came from the cache: the press was the one call');
  });

  it('GET /aqara/ir-keys answers 404 with no IR call for a did that is not a remote of the account', async () => {
    await loadNode(h, { type: 'aqara-ir', device: TV_REMOTE_DID, key: 'Power' });
    for (const did of [SENSOR_DID, 'ir.0000000000000000000']) {
      const answer = await helper.request().get('/aqara/ir-keys').query({ config: 'cfg', device: did });
      assert.equal(answer.status, 404, answer.text);
      assert.equal((answer.body as Msg).code, 'DEVICE_NOT_FOUND');
    }
    assert.equal(irCalls(), 0);
    const missing = await helper.request().get('/aqara/ir-keys').query({ config: 'cfg' });
    assert.equal(missing.status, 400);
  });
});

describe('aqara-ir with an air conditioner remote that has no keys', () => {
  let h: Harness;
  beforeEach(async () => {
    const ac = DEFAULT_IR_REMOTES.find((remote) => remote.did === AC_REMOTE_DID);
    assert.ok(ac);
    h = await startHarness(new AqaraSimulator({ irRemotes: [DEFAULT_IR_REMOTES[0], { ...ac, keys: [] }] }));
  });
  afterEach(() => stopHarness(h));

  it('refuses a key name with nothing sent, and takes settings', async () => {
    await loadNode(h, { type: 'aqara-ir', device: AC_REMOTE_DID, key: 'Power' });
    const error = await failure('n', {});
    assert.match(
      error.message,
      /is an air conditioner without keys: send an object \{power, mode, temperature, fan, swing\}/,
    );
    assert.equal(h.sim.callCount(CLICK), 0);
    await sent('n', { payload: { power: 'on' } });
    assert.match(h.sim.ir.acState(AC_REMOTE_DID), /^P0_/);
  });
});

describe('aqara-automation', () => {
  const h = harnessPerTest();

  it('enables and disables an automation; the status says which', async () => {
    await loadNode(h, { type: 'aqara-automation', automation: 'AL.200000000000000002' });
    const on = await sent('n', { payload: 'on' });
    assert.deepEqual(
      { ...(on.payload as Msg), requestId: undefined },
      {
        linkageId: 'AL.200000000000000002',
        name: 'Away: rice cooker off',
        enabled: true,
        requestId: undefined,
      },
    );
    assert.equal(h.sim.linkages.linkage('AL.200000000000000002')?.enable, 1);
    assert.deepEqual(lastStatus('n'), { fill: 'green', shape: 'dot', text: 'enabled' });
    h.sim.resetCounters();
    await sent('n', { payload: false });
    assert.equal(h.sim.linkages.linkage('AL.200000000000000002')?.enable, 0);
    assert.equal(h.sim.callCount(), 1, 'a known automation costs one call');
    assert.deepEqual(lastStatus('n'), { fill: 'grey', shape: 'ring', text: 'disabled' });
    // msg.automation overrides the node's.
    await sent('n', { automation: 'AL.200000000000000008', payload: 'Enable' });
    assert.equal(h.sim.linkages.linkage('AL.200000000000000008')?.enable, 1);
  });

  it('bad input: an automation that does not exist, a payload that says neither on nor off: nothing switched', async () => {
    await loadNode(h, { type: 'aqara-automation', automation: 'AL.200000000000000002' });
    const unknown = await failure('n', { automation: 'AL.299999999999999999', payload: 1 });
    assert.match(unknown.message, /Aqara automation AL\.299999999999999999 does not exist in this account/);
    assert.deepEqual(lastStatus('n'), { fill: 'red', shape: 'ring', text: 'unknown automation' });
    const maybe = await failure('n', { payload: 'maybe' });
    assert.match(maybe.message, /msg\.payload must say on or off/);
    const blank = await failure('n', { automation: ' ', payload: true });
    assert.match(blank.message, /msg\.automation must be a non-empty string/);
    assert.equal(h.sim.callCount(ENABLE), 0);
    assert.equal(h.sim.linkages.switches.length, 0);
    await sent('n', { payload: 0 });
    assert.equal(h.sim.linkages.switches.length, 1, 'Node-RED keeps running');
  });

  it('GET /aqara/automations lists homes and rooms, cached, and shows a switch made since', async () => {
    await loadNode(h, { type: 'aqara-automation', automation: 'AL.200000000000000006' });
    const first = await helper.request().get('/aqara/automations').query({ config: 'cfg' });
    assert.equal(first.status, 200, first.text);
    const list = (first.body as { automations: Msg[] }).automations;
    assert.equal(list.length, 8);
    assert.deepEqual(
      list.find((automation) => automation.linkageId === 'AL.200000000000000006'),
      {
        linkageId: 'AL.200000000000000006',
        name: 'Living room too humid',
        enabled: false,
        positionId: 'real2.living',
        positionName: 'Living room',
      },
    );
    h.sim.resetCounters();
    await sent('n', { payload: true });
    assert.equal(h.sim.callCount(), 1, 'listed, so known: the switch is the one call');
    const again = await helper.request().get('/aqara/automations').query({ config: 'cfg' });
    const after = (again.body as { automations: Msg[] }).automations;
    assert.equal(after.find((automation) => automation.linkageId === 'AL.200000000000000006')?.enabled, true);
    assert.equal(h.sim.callCount(), 1, 'from the cache');
  });
});

describe('aqara-api', () => {
  const h = harnessPerTest();

  it("sends any intent with msg.payload as data and gives Aqara's result and request id", async () => {
    await loadNode(h, { type: 'aqara-api', intent: 'query.ota.firmware' });
    const out = await sent('n', { payload: { model: HUB_MODEL } });
    const versions = out.payload as { firmwareVersion: string }[];
    assert.deepEqual(
      versions.map((firmware) => firmware.firmwareVersion),
      ['4.0.4_0012', '4.0.6_0008'],
    );
    assert.equal(typeof out.requestId, 'string');
    assert.deepEqual(lastStatus('n'), { fill: 'green', shape: 'dot', text: 'query.ota.firmware' });
    const position = await sent('n', {
      intent: 'query.position.detail',
      payload: { positionIds: ['real1.home'] },
    });
    assert.ok(JSON.stringify(position.payload).includes('real1.home'));
  });

  it("an Aqara error code fails the msg with Aqara's code and message", async () => {
    await loadNode(h, { type: 'aqara-api', intent: 'query.ota.firmware' });
    const error = await failure('n', { payload: {} });
    assert.equal(error.code, 302);
    assert.match(
      error.message,
      /Aqara error 302 \(params error: model is required\) on query\.ota\.firmware/,
    );
  });

  it('refuses the token intents, a name not of Aqara’s shape and a payload that is not data, before sending', async () => {
    await loadNode(h, { type: 'aqara-api', intent: 'query.ota.firmware' });
    await sent('n', { payload: { model: HUB_MODEL } });
    const calls = h.sim.callCount();
    const refreshes = h.sim.callCount('config.auth.refreshToken');
    const token = await failure('n', { intent: 'config.auth.refreshToken', payload: { refreshToken: 'x' } });
    assert.match(
      token.message,
      /config\.auth\.refreshToken is not sent: the configuration's token manager owns the tokens/,
    );
    const shape = await failure('n', { intent: 'query.ota firmware' });
    assert.match(shape.message, /"query\.ota firmware" is not an Aqara intent/);
    const wrongType = await failure('n', { intent: 42 });
    assert.match(wrongType.message, /msg\.intent must be a string/);
    const data = await failure('n', { payload: 'lumi.gateway.iragl5' });
    assert.match(data.message, /msg\.payload must be an object or an array/);
    assert.deepEqual(lastStatus('n'), { fill: 'red', shape: 'ring', text: 'bad input' });
    assert.equal(h.sim.callCount(), calls, 'nothing was sent');
    assert.equal(h.sim.callCount('config.auth.refreshToken'), refreshes);
  });

  it('counts in the quota table: aqara-api by its prefix, IR clicks and automation switches as writes', async () => {
    seedRefreshToken(h);
    const nodes = [
      { id: 'api-read', type: 'aqara-api', config: 'cfg', intent: 'query.ota.firmware', wires: [['out']] },
      { id: 'api-write', type: 'aqara-api', config: 'cfg', intent: 'config.scene.run', wires: [['out']] },
      { id: 'ir', type: 'aqara-ir', config: 'cfg', device: TV_REMOTE_DID, key: 'Power', wires: [['out']] },
      {
        id: 'auto',
        type: 'aqara-automation',
        config: 'cfg',
        automation: 'AL.200000000000000001',
        wires: [['out']],
      },
    ];
    await helper.load(NODES, flowWith(h, nodes), credentials());
    const quota = async (): Promise<Record<string, number>> =>
      (
        (await helper.request().get('/aqara/quota').query({ config: 'cfg' })).body as {
          lastFiveMinutes: Record<string, number>;
        }
      ).lastFiveMinutes;
    await sent('ir', {});
    await sent('auto', { payload: 'off' });
    const before = await quota();
    await sent('api-read', { payload: { model: HUB_MODEL } });
    await sent('api-write', { payload: { sceneId: 'AL.100000000000000001' } });
    await sent('ir', {});
    await sent('auto', { payload: 'on' });
    const after = await quota();
    assert.equal(after.read - before.read, 1, 'query.ota.firmware: a read');
    assert.equal(after.write - before.write, 3, 'config.scene.run through aqara-api, the click, the switch');
    assert.equal(after.listing - before.listing, 0);
    assert.equal(after.scene - before.scene, 0);
    assert.ok(before.listing >= 2, 'the key list and the remote info counted as listings');
  });
});
