import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CURTAIN_DID,
  OFFLINE_DID,
  PLUG_DID,
  SENSOR_DID,
  SILENT_SWITCH_DID,
  SWITCH_DID,
} from '../../simulator/devices';
import {
  credentials,
  flowWith,
  harnessPerTest,
  helper,
  missingCatalogKeys,
  nextMessage,
  node,
  NODES,
  seedRefreshToken,
  statuses,
} from './support';

type Msg = Record<string, unknown>;

/** The next message out of `out` or the Catch node, whichever comes first. */
function outcome(): Promise<{ port: 'out' | 'caught'; msg: Msg }> {
  return Promise.race([
    nextMessage('out').then((msg) => ({ port: 'out' as const, msg })),
    nextMessage('caught').then((msg) => ({ port: 'caught' as const, msg })),
  ]);
}

async function failure(id: string, msg: Msg): Promise<string> {
  const result = outcome();
  node(id).receive(msg);
  const { port, msg: caught } = await result;
  assert.equal(port, 'caught', 'the message went to the Catch node');
  return String((caught.error as { message: string }).message);
}

describe('aqara-device-get', () => {
  const h = harnessPerTest();

  async function load(props: Msg = {}): Promise<void> {
    seedRefreshToken(h);
    const get = {
      id: 'get',
      type: 'aqara-device-get',
      config: 'cfg',
      device: SWITCH_DID,
      resources: [],
      wires: [['out']],
      ...props,
    };
    await helper.load(NODES, flowWith(h, [get]), credentials());
  }

  it('reads typed values in one call and shows the last value', async () => {
    await load({ resources: ['4.1.85', '14.17.85', '13.7.85'] });
    const out = outcome();
    node('get').receive({ payload: 'tick' });
    const { port, msg } = await out;
    assert.equal(port, 'out');
    assert.deepEqual(msg.payload, { '4.1.85': 0, '14.17.85': '01', '13.7.85': '0000000002000080' });
    assert.equal(msg.topic, SWITCH_DID);
    const data = msg.data as { did: string; deviceName: string; model: string; resources: Msg[] };
    assert.equal(data.deviceName, 'Wall switch');
    assert.equal(data.resources[0].name, 'Left switch');
    assert.equal(data.resources[0].raw, '0');
    assert.equal(h.sim.callCount('query.resource.value'), 1);
    assert.deepEqual(statuses('get').at(-1), { fill: 'green', shape: 'dot', text: '0 and 2 more' });
  });

  it('msg.device and msg.resources (comma-separated) override the properties', async () => {
    await load();
    const out = outcome();
    node('get').receive({ device: SENSOR_DID, resources: '0.1.85, 0.2.85' });
    const { msg } = await out;
    assert.equal(msg.topic, SENSOR_DID);
    assert.deepEqual(Object.keys(msg.payload as Msg), ['0.1.85', '0.2.85']);
    assert.equal(typeof (msg.payload as Msg)['0.1.85'], 'number');
  });

  it('bad input: msg.device not a string, msg.resources of the wrong shape', async () => {
    await load();
    assert.match(
      await failure('get', { device: 42 }),
      /msg\.device must be a string \(a device did\), not number/,
    );
    assert.match(
      await failure('get', { resources: { a: 1 } }),
      /msg\.resources must be an array.*not object/,
    );
    assert.match(
      await failure('get', { resources: [1, 2] }),
      /msg\.resources must be an array.*not an array/,
    );
    assert.equal(h.sim.callCount('query.resource.value'), 0, 'nothing asked of Aqara');
    assert.deepEqual(statuses('get').at(-1), { fill: 'red', shape: 'ring', text: 'bad input' });
    // Node-RED keeps running: the next good message is read.
    const out = outcome();
    node('get').receive({});
    assert.equal((await out).port, 'out');
  });

  it('an offline device is a clear error naming it, with a red status', async () => {
    await load({ device: OFFLINE_DID, resources: ['0.1.85'] });
    assert.match(await failure('get', {}), /"Garage sensor" \(lumi\.158d000bdeadbe\) is offline/);
    assert.deepEqual(statuses('get').at(-1), { fill: 'red', shape: 'ring', text: 'device offline' });
  });

  it('an unknown device is a clear error naming it', async () => {
    await load({ device: 'lumi.unknown0001' });
    assert.match(await failure('get', {}), /lumi\.unknown0001 is not in this Aqara account/);
    assert.deepEqual(statuses('get').at(-1), { fill: 'red', shape: 'ring', text: 'unknown device' });
  });
});

describe('aqara-device-out', () => {
  const h = harnessPerTest();

  async function load(props: Msg = {}): Promise<void> {
    seedRefreshToken(h);
    const set = {
      id: 'set',
      type: 'aqara-device-out',
      config: 'cfg',
      device: SWITCH_DID,
      resource: '4.1.85',
      wires: [['out']],
      ...props,
    };
    await helper.load(NODES, flowWith(h, [set]), credentials());
  }

  it('writes one value (boolean sent as "1") and outputs what was written', async () => {
    await load();
    const out = outcome();
    node('set').receive({ payload: true });
    const { port, msg } = await out;
    assert.equal(port, 'out');
    const payload = msg.payload as { did: string; written: Msg; requestId: string };
    assert.equal(payload.did, SWITCH_DID);
    assert.deepEqual(payload.written, { '4.1.85': '1' });
    assert.equal(typeof payload.requestId, 'string');
    assert.equal(h.sim.devices.value(SWITCH_DID, '4.1.85'), '1');
    assert.deepEqual(statuses('set').at(-1), { fill: 'green', shape: 'dot', text: '1' });
  });

  it('writes several resources from an object in one call; msg.device overrides', async () => {
    await load({ device: PLUG_DID });
    const out = outcome();
    node('set').receive({ device: SWITCH_DID, payload: { '4.1.85': 0, '4.2.85': '0' } });
    const { msg } = await out;
    assert.deepEqual((msg.payload as { written: Msg }).written, { '4.1.85': '0', '4.2.85': '0' });
    assert.equal(h.sim.callCount('write.resource.device'), 1);
  });

  it('bad input: a resource the model lacks, a wrong value type, out of range: nothing written', async () => {
    await load();
    assert.match(await failure('set', { payload: { '9.9.9': 1 } }), /has no resource 9\.9\.9/);
    assert.match(
      await failure('set', { payload: [1] }),
      /4\.1\.85.*number, a string or a boolean, not an array/,
    );
    assert.match(await failure('set', { payload: { '4.1.85': { on: 1 } } }), /4\.1\.85.*not object/);
    assert.match(await failure('set', { payload: 5 }), /4\.1\.85.*out of range \(0 to 1\)/);
    assert.match(await failure('set', { payload: 'on' }), /4\.1\.85.*is not a number/);
    assert.match(await failure('set', { device: ['x'] }), /msg\.device must be a string/);
    assert.match(await failure('set', {}), /msg\.payload is empty/);
    assert.equal(h.sim.callCount('write.resource.device'), 0, 'nothing written');
    assert.deepEqual(statuses('set').at(-1), { fill: 'red', shape: 'ring', text: 'bad input' });
    const out = outcome();
    node('set').receive({ payload: 0 });
    assert.equal((await out).port, 'out', 'Node-RED keeps running and the next good write goes through');
  });

  it('a silent gateway (612) names the device and says the write may have acted', async () => {
    await load({ device: SILENT_SWITCH_DID });
    assert.match(await failure('set', { payload: 1 }), /gateway of Aqara device "Garage switch".*612/);
    assert.deepEqual(statuses('set').at(-1), { fill: 'red', shape: 'ring', text: 'gateway silent' });
  });

  it('a lost answer is reported as "may have been applied" and not retried', async () => {
    await load({ device: CURTAIN_DID, resource: '1.1.85' });
    h.sim.injectFault({ intent: 'write.resource.device', fault: { kind: 'dropAfterProcessing' } });
    assert.match(await failure('set', { payload: 30 }), /may have been applied/);
    assert.equal(h.sim.callCount('write.resource.device'), 1);
  });

  it('an undocumented access code (7) is refused unless the node opts in; read-only stays refused', async () => {
    await load({ device: PLUG_DID, resource: '8.0.2030' });
    assert.match(await failure('set', { payload: 1 }), /8\.0\.2030.*access 7.*undocumented access/);
    assert.equal(h.sim.callCount('write.resource.device'), 0, 'nothing written without the option');
    await helper.unload();
    await load({ device: PLUG_DID, resource: '8.0.2030', undocumentedAccess: true });
    const out = outcome();
    node('set').receive({ payload: 0 });
    const { port, msg } = await out;
    assert.equal(port, 'out');
    assert.deepEqual((msg.payload as { written: Msg }).written, { '8.0.2030': '0' });
    assert.equal(h.sim.devices.value(PLUG_DID, '8.0.2030'), '0');
    assert.match(await failure('set', { payload: 2 }), /8\.0\.2030.*out of range/, 'range still checked');
    assert.match(
      await failure('set', { payload: { '0.12.85': 1 } }),
      /0\.12\.85.*cannot be checked/,
      'no definition at all still blocks the write',
    );
  });

  it('asked for no catalog key it lacks', () => {
    assert.deepEqual([...missingCatalogKeys], []);
  });
});
