import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';

import {
  CURTAIN_DID,
  HUB_DID,
  SENSOR_DID,
  SENSOR_MODEL,
  SILENT_HUB_DID,
  SILENT_SWITCH_DID,
  SWITCH_DID,
  SWITCH_MODEL,
} from '../../simulator/devices';
import { openIdFor } from '../../simulator/state';
import {
  startSimulator,
  UNDOCUMENTED_EVENT_TYPE,
  type AqaraSimulator,
  type SimulatorApp,
} from '../../simulator/server';
import { simHeaders } from '../helpers/sim-sign';

// Event notifications: a state change of the simulated account, then one push per app that has a
// push URL, whatever it subscribed. Real receivers; the account read back over signed HTTP.

/** Aqara's "Message push format" page, exactly. */
const DOCUMENTED_EVENT_TYPES = new Set([
  'gateway_bind',
  'subdevice_bind',
  'gateway_unbind',
  'unbind_sub_gw',
  'gateway_online',
  'gateway_offline',
  'subdevice_online',
  'subdevice_offline',
  'dev_name_change',
  'dev_position_assign',
  'resource_alias_changed',
  'linkage_created',
  'scene_created',
  'event_created',
  'linkage_deleted',
  'scene_deleted',
  'event_deleted',
]);

interface Envelope {
  code: number;
  message: string;
  result: unknown;
}

interface EventBody {
  msgId: string;
  openId: string;
  time: string;
  eventType: string;
  data: Record<string, unknown>;
}

interface Receiver {
  url: string;
  bodies: EventBody[];
}

async function startReceiver(t: TestContext): Promise<Receiver> {
  const receiver: Receiver = { url: '', bodies: [] };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      receiver.bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as EventBody);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/push`;
  return receiver;
}

const APPS: SimulatorApp[] = [
  { appId: 'app-one', keyId: 'K.one', appKey: 'key-one' },
  { appId: 'app-two', keyId: 'K.two', appKey: 'key-two' },
];

interface Session {
  sim: AqaraSimulator;
  now: number;
  /** One receiver per app, in APPS order. */
  receivers: Receiver[];
  call: (intent: string, data: unknown) => Promise<Envelope>;
  /** The one body each receiver got last, after checking the envelope. */
  lastEvent: (eventType: string) => EventBody['data'];
}

async function session(t: TestContext, withPush = true): Promise<Session> {
  const now = Date.UTC(2025, 5, 11, 9, 30, 0, 125);
  const sim = await startSimulator({ now: () => now, apps: APPS });
  t.after(() => sim.stop());
  const receivers: Receiver[] = [];
  if (withPush) {
    for (const app of APPS) {
      const receiver = await startReceiver(t);
      sim.push.setTarget(receiver.url, { appId: app.appId });
      receivers.push(receiver);
    }
  }
  const app = sim.apps[0];
  const post = async (intent: string, data: unknown, accessToken?: string): Promise<Envelope> => {
    const res = await fetch(`${sim.baseUrl}/v3.0/open/api`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...simHeaders({ ...app, accessToken, time: now }) },
      body: JSON.stringify({ intent, data }),
    });
    return (await res.json()) as Envelope;
  };
  const grant = await post('config.auth.refreshToken', { refreshToken: sim.issueRefreshToken(app.appId) });
  const accessToken = (grant.result as { accessToken: string }).accessToken;
  const lastEvent = (eventType: string): EventBody['data'] => {
    const bodies = receivers.map((receiver) => receiver.bodies.at(-1));
    bodies.forEach((body, index) => {
      assert.ok(body, `app ${APPS[index].appId} got no push`);
      assert.equal(body.eventType, eventType);
      assert.equal(body.openId, openIdFor(APPS[index].appId));
      assert.equal(body.time, String(now));
      assert.equal(typeof body.msgId, 'string');
    });
    assert.notEqual(bodies[0]?.msgId, bodies[1]?.msgId, 'one message per app');
    assert.deepEqual(bodies[0]?.data, bodies[1]?.data);
    return (bodies[0] as EventBody).data;
  };
  return { sim, now, receivers, call: (intent, data) => post(intent, data, accessToken), lastEvent };
}

interface DeviceRow {
  did: string;
  deviceName: string;
  positionId: string;
  state: number;
}

async function listDevices(s: Session): Promise<DeviceRow[]> {
  const reply = await s.call('query.device.info', { pageNum: 1, pageSize: 100 });
  assert.equal(reply.code, 0);
  return (reply.result as { data: DeviceRow[] }).data;
}

test('offline and online: the device answers 602 meanwhile, and every push app is told, unsubscribed', async (t) => {
  const s = await session(t);
  assert.deepEqual(s.sim.push.listSubscriptions(), []);
  const read = { resources: [{ subjectId: SENSOR_DID, resourceIds: ['0.1.85'] }] };
  const deliveries = await s.sim.events.setOnline(SENSOR_DID, false);
  assert.deepEqual(
    deliveries.map((delivery) => [delivery.appId, delivery.delivered]),
    [
      ['app-one', true],
      ['app-two', true],
    ],
  );
  assert.deepEqual(s.lastEvent('subdevice_offline'), {
    did: SENSOR_DID,
    model: SENSOR_MODEL,
    parentDid: HUB_DID,
    time: s.now,
  });
  assert.equal((await s.call('query.resource.value', read)).code, 602);
  await s.sim.events.setOnline(SENSOR_DID, true);
  assert.equal(s.lastEvent('subdevice_online').did, SENSOR_DID);
  assert.equal((await s.call('query.resource.value', read)).code, 0);

  await s.sim.events.setOnline(SILENT_HUB_DID, false);
  const hub = s.lastEvent('gateway_offline');
  assert.equal(hub.did, SILENT_HUB_DID);
  assert.equal('parentDid' in hub, false);
  assert.equal((await listDevices(s)).find((device) => device.did === SILENT_HUB_DID)?.state, 0);
});

test('renames: dev_name_change with the new name, which the listing answers; resource_alias_changed', async (t) => {
  const s = await session(t);
  await s.sim.events.rename(SWITCH_DID, 'TV wall switch');
  const renamed = s.lastEvent('dev_name_change');
  assert.equal(renamed.did, SWITCH_DID);
  assert.equal(renamed.deviceName, 'TV wall switch');
  assert.equal(renamed.model, SWITCH_MODEL);
  assert.deepEqual(renamed.changeValues, []);
  assert.equal(
    (await listDevices(s)).find((device) => device.did === SWITCH_DID)?.deviceName,
    'TV wall switch',
  );
  await s.sim.events.renameResource(SWITCH_DID, '4.1.85', 'TV socket');
  assert.deepEqual(s.lastEvent('resource_alias_changed').changeValues, [
    { resourceId: '4.1.85', name: 'TV socket' },
  ]);
});

test('unbinding a hub takes its children too (subDids); a bound device is listed; unbind_sub_gw for a child', async (t) => {
  const s = await session(t);
  await s.sim.events.unbind(SILENT_HUB_DID);
  const unbound = s.lastEvent('gateway_unbind');
  assert.equal(unbound.did, SILENT_HUB_DID);
  assert.deepEqual(unbound.subDids, [SILENT_SWITCH_DID]);
  assert.equal(typeof unbound.cause, 'number');
  const dids = (await listDevices(s)).map((device) => device.did);
  assert.equal(dids.includes(SILENT_HUB_DID) || dids.includes(SILENT_SWITCH_DID), false);

  const door = 'lumi.158d0001d00r01';
  await s.sim.events.bind({
    did: door,
    parentDid: HUB_DID,
    positionId: 'real2.living',
    model: 'lumi.sensor_magnet.v2',
    modelType: 3,
    state: 1,
    deviceName: 'Front door',
    firmwareVersion: '0.0.0_0003',
    values: { '3.1.85': '0' },
  });
  assert.deepEqual(s.lastEvent('subdevice_bind'), {
    did: door,
    model: 'lumi.sensor_magnet.v2',
    positionId: 'real2.living',
    parentDid: HUB_DID,
    time: s.now,
  });
  assert.equal((await listDevices(s)).find((device) => device.did === door)?.deviceName, 'Front door');

  await s.sim.events.unbind(CURTAIN_DID);
  const child = s.lastEvent('unbind_sub_gw');
  assert.equal(child.did, CURTAIN_DID);
  assert.equal(child.parentDid, HUB_DID);
  assert.equal(
    (await listDevices(s)).some((device) => device.did === CURTAIN_DID),
    false,
  );
  const read = await s.call('query.resource.value', {
    resources: [{ subjectId: CURTAIN_DID, resourceIds: ['1.1.85'] }],
  });
  assert.equal(read.code, 302);
});

test('moving devices: dev_position_assign names the room and the dids', async (t) => {
  const s = await session(t);
  await s.sim.events.assignPosition([SENSOR_DID, SWITCH_DID], 'real2.bedroom');
  assert.deepEqual(s.lastEvent('dev_position_assign'), {
    positionName: 'Bedroom',
    positionId: 'real2.bedroom',
    dids: [SENSOR_DID, SWITCH_DID],
    time: s.now,
  });
  const moved = (await listDevices(s)).filter((device) => device.positionId === 'real2.bedroom');
  assert.ok(moved.some((device) => device.did === SENSOR_DID));
  assert.ok(moved.some((device) => device.did === SWITCH_DID));
});

test('scenes created and deleted: listed and runnable, then "scene does not exist"', async (t) => {
  const s = await session(t);
  const scene = { sceneId: 'AL.200000000000000001', name: 'bedtime', positionId: 'real2.bedroom' };
  await s.sim.events.sceneCreated(scene);
  assert.deepEqual(s.lastEvent('scene_created'), { ...scene, time: s.now });
  const listed = await s.call('query.scene.listByPositionId', { positionId: 'real2.bedroom' });
  assert.deepEqual(
    (listed.result as { data: { sceneId: string }[] }).data.map((entry) => entry.sceneId),
    [scene.sceneId],
  );
  assert.equal((await s.call('config.scene.run', { sceneId: scene.sceneId })).code, 0);
  await s.sim.events.sceneDeleted(scene.sceneId);
  assert.equal(s.lastEvent('scene_deleted').sceneId, scene.sceneId);
  assert.equal((await s.call('config.scene.run', { sceneId: scene.sceneId })).code, 1202);
});

test('automation events, and one event type no client knows, shaped unlike the others', async (t) => {
  const s = await session(t);
  await s.sim.events.automationCreated({ linkageId: 'AL.300000000000000001', name: 'night', positionId: '' });
  assert.equal(s.lastEvent('linkage_created').linkageId, 'AL.300000000000000001');
  await s.sim.events.automationDeleted('AL.300000000000000001');
  assert.equal(s.lastEvent('linkage_deleted').linkageId, 'AL.300000000000000001');

  assert.equal(DOCUMENTED_EVENT_TYPES.has(UNDOCUMENTED_EVENT_TYPE), false);
  await s.sim.events.undocumented(SWITCH_DID);
  const odd = s.lastEvent(UNDOCUMENTED_EVENT_TYPE);
  assert.equal(odd.did, SWITCH_DID);
  // Seconds, as a string: unlike every other event's ms number.
  assert.equal(odd.time, String(Math.floor(s.now / 1000)));
  assert.equal(typeof odd.result, 'object');
  // Anything at all, as given: a string where an object is expected.
  await s.sim.events.emit('event_created', 'not an object');
  assert.equal(s.receivers[0].bodies.at(-1)?.data, 'not an object');
  // Every helper above sent a documented type, the odd one excepted.
  const sent = s.receivers[0].bodies.map((body) => body.eventType);
  assert.deepEqual(
    sent.filter((eventType) => !DOCUMENTED_EVENT_TYPES.has(eventType)),
    [UNDOCUMENTED_EVENT_TYPE],
  );
});

test('without a push URL the state still changes and nothing is sent', async (t) => {
  const s = await session(t, false);
  assert.deepEqual(await s.sim.events.setOnline(SWITCH_DID, false), []);
  assert.equal((await listDevices(s)).find((device) => device.did === SWITCH_DID)?.state, 0);
  assert.deepEqual(s.sim.push.deliveries, []);
});

test('a report of a failed control carries its non-zero statusCode', async (t) => {
  const s = await session(t);
  const subscribed = await s.call('config.resource.subscribe', {
    resources: [{ subjectId: SWITCH_DID, resourceIds: ['4.1.85'] }],
  });
  assert.equal(subscribed.code, 0);
  const [delivery] = await s.sim.push.report(
    [{ subjectId: SWITCH_DID, resourceId: '4.1.85', value: '1', statusCode: 602 }],
    { appId: 'app-one' },
  );
  assert.equal(delivery.delivered, true);
  const body = s.receivers[0].bodies.at(-1) as unknown as { msgType: string; data: { statusCode: number }[] };
  assert.equal(body.msgType, 'resource_report');
  assert.equal(body.data[0].statusCode, 602);
  // Reports follow subscriptions: app-two subscribed nothing and got nothing.
  assert.deepEqual(s.receivers[1].bodies, []);
});
