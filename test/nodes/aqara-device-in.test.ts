import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';

import { SENSOR_DID, SWITCH_DID } from '../../simulator/devices';
import { PushJournal } from '../../src/lib/push/push-journal';
import { findConfigRuntime } from '../../src/runtime/config/config-registry';
import {
  APP,
  configNode,
  harnessPerTest,
  helper,
  loggedText,
  node,
  statusBecomes,
  NODES_WITH_HTTP_NODE,
  onTab,
  seedRefreshToken,
  serveHttpNode,
  stopHttpNode,
  TAB,
  waitFor,
  type FlowNode,
  type Harness,
  forgetRuntimes,
} from './support';

const SECRET = 'Q'.repeat(43);
afterEach(async () => {
  await stopHttpNode();
  await forgetRuntimes();
});

type Msg = { topic?: string; payload?: unknown; data?: Record<string, unknown> };

/** Node-RED's log levels (RED.log.WARN, RED.log.INFO): a node's warn also goes to the Debug sidebar. */
const LOG_WARN = 30;
const LOG_INFO = 40;

/** What Node-RED logged since load(), entry by entry (level and text). */
function loggedEntries(): Array<{ level: number; msg: unknown }> {
  return (helper.log().args as Array<[{ level: number; msg: unknown }]>).map(([entry]) => entry);
}

function collect(id: string): Msg[] {
  const seen: Msg[] = [];
  node(id).on('input', (msg: Msg) => {
    seen.push(msg);
  });
  return seen;
}

function flow(h: Harness, deviceIn: Record<string, unknown>, config: Record<string, unknown>): FlowNode[] {
  return [
    TAB,
    configNode(h, config),
    onTab({ id: 'in', type: 'aqara-device-in', config: 'cfg', wires: [['out']], ...deviceIn }),
    onTab({ id: 'out', type: 'helper' }),
  ];
}

/**
 * Deploys the config alone, has Aqara push the switch's left channel as 1 (acknowledged and journaled,
 * heard by nobody), then stops that Node-RED: the push is pending for the next deploy.
 */
async function pushWhileNoNodeRuns(h: Harness, time?: number): Promise<void> {
  seedRefreshToken(h);
  await helper.load(NODES_WITH_HTTP_NODE, [TAB, configNode(h, { push: true, pollSeconds: 0 })], {
    cfg: { appKey: APP.appKey, pushSecret: SECRET },
  });
  const base = await serveHttpNode();
  await (node('cfg') as unknown as { tokenManager(): { call(i: string, d: unknown): Promise<unknown> } })
    .tokenManager()
    .call('config.resource.subscribe', { resources: [{ subjectId: SWITCH_DID, resourceIds: ['4.1.85'] }] });
  h.sim.push.setTarget(`${base}/aqara/push/cfg/${SECRET}`);
  await h.sim.push.report([{ subjectId: SWITCH_DID, resourceId: '4.1.85', value: '1', time }]);
  assert.equal(PushJournal.open(h.dbPath).pending('cfg').length, 1);
  await stopHttpNode();
  await helper.unload();
}

describe('aqara-device-in', () => {
  const h = harnessPerTest();

  it('polling: the start values once (outputOnStart), then one message per changed value', async () => {
    seedRefreshToken(h);
    await helper.load(
      NODES_WITH_HTTP_NODE,
      flow(
        h,
        { device: SWITCH_DID, resources: ['4.1.85', '14.17.85'], outputOnStart: true },
        { pollSeconds: 0 },
      ),
      { cfg: { appKey: APP.appKey } },
    );
    const out = collect('out');
    await waitFor(() => out.length === 2, 'the two start values', 10_000);
    const start = Object.fromEntries(out.map((msg) => [msg.topic, msg]));
    assert.equal(start[`${SWITCH_DID}/4.1.85`].payload, 0);
    assert.equal(start[`${SWITCH_DID}/14.17.85`].payload, '01');
    assert.equal(start[`${SWITCH_DID}/4.1.85`].data?.source, 'start');
    assert.equal(start[`${SWITCH_DID}/4.1.85`].data?.deviceName, 'Wall switch');

    const watch = findConfigRuntime('cfg')?.existingDeviceWatch;
    assert.ok(watch);
    const before = h.sim.callCount('query.resource.value');
    h.sim.devices.setValue(SWITCH_DID, '4.1.85', '1');
    await watch.pollNow();
    await waitFor(() => out.length === 3, 'the changed value');
    assert.deepEqual(
      {
        topic: out[2].topic,
        payload: out[2].payload,
        previous: out[2].data?.previous,
        source: out[2].data?.source,
      },
      { topic: `${SWITCH_DID}/4.1.85`, payload: 1, previous: 0, source: 'poll' },
    );
    // Both resources of the device in one call.
    assert.equal(h.sim.callCount('query.resource.value') - before, 1);
    await watch.pollNow();
    // Messages leave in order: once the next change is out, anything the unchanged poll sent is too.
    h.sim.devices.setValue(SWITCH_DID, '4.1.85', '0');
    await watch.pollNow();
    await waitFor(() => out.length >= 4, 'the next change');
    assert.equal(out.length, 4, 'the poll that found no change sent nothing');
    assert.deepEqual([out[3].payload, out[3].data?.previous], [0, 1]);
  });

  it('every readable resource: one Aqara will not read (302) is said once in the log, not the Debug sidebar, and skipped', async () => {
    seedRefreshToken(h);
    await helper.load(
      NODES_WITH_HTTP_NODE,
      // Resources empty: every readable resource of the model, as the help suggests.
      flow(h, { device: SENSOR_DID, resources: [], outputOnStart: true }, { pollSeconds: 0 }),
      { cfg: { appKey: APP.appKey } },
    );
    const out = collect('out');
    await waitFor(() => out.length >= 5, 'the start values of the readable resources', 10_000);
    assert.deepEqual(out.map((msg) => msg.topic).sort(), [
      `${SENSOR_DID}/0.1.85`,
      `${SENSOR_DID}/0.2.85`,
      `${SENSOR_DID}/0.3.85`,
      `${SENSOR_DID}/8.0.2007`,
      `${SENSOR_DID}/8.0.2008`,
    ]);
    assert.equal(typeof out.find((msg) => msg.topic === `${SENSOR_DID}/0.1.85`)?.payload, 'number');
    await waitFor(() => /8\.0\.2041/.test(loggedText()), 'the log line naming the unreadable resource');
    assert.match(loggedText(), /does not let this app read 8\.0\.2041 of 阳台温湿度/);
    // An info line in Node-RED's log: node.warn would also put a yellow warning into the Debug sidebar.
    assert.deepEqual(
      loggedEntries()
        .filter((entry) => /8\.0\.2041/.test(String(entry.msg)))
        .map((entry) => entry.level),
      [LOG_INFO],
    );
    await statusBecomes('in', 'watching, 1 skipped');

    // From now on a poll is one call, without the unreadable resource, and no second warning.
    const watch = findConfigRuntime('cfg')?.existingDeviceWatch;
    assert.ok(watch);
    const before = h.sim.callCount('query.resource.value');
    h.sim.devices.setValue(SENSOR_DID, '0.1.85', '2700');
    await watch.pollNow();
    await waitFor(
      () => out.slice(5).some((msg) => msg.topic === `${SENSOR_DID}/0.1.85`),
      'the changed temperature',
    );
    assert.equal(h.sim.callCount('query.resource.value') - before, 1);
    assert.equal(loggedText().match(/8\.0\.2041/g)?.length, 1);
  });

  it('a resource the user listed that Aqara will not read is a warning (their list asks for it)', async () => {
    seedRefreshToken(h);
    await helper.load(
      NODES_WITH_HTTP_NODE,
      flow(h, { device: SENSOR_DID, resources: ['0.1.85', '8.0.2041'] }, { pollSeconds: 0 }),
      { cfg: { appKey: APP.appKey } },
    );
    await waitFor(() => /8\.0\.2041/.test(loggedText()), 'the warning naming the unreadable resource');
    assert.deepEqual(
      loggedEntries()
        .filter((entry) => /8\.0\.2041/.test(String(entry.msg)))
        .map((entry) => entry.level),
      [LOG_WARN],
    );
  });

  it('push: subscribed at deploy; a pushed value is sent once, and the poll that sees it again is not', async () => {
    seedRefreshToken(h);
    await helper.load(
      NODES_WITH_HTTP_NODE,
      flow(h, { device: SWITCH_DID, resources: ['4.1.85'] }, { push: true, pollSeconds: 0 }),
      {
        cfg: { appKey: APP.appKey, pushSecret: SECRET },
      },
    );
    const base = await serveHttpNode();
    const out = collect('out');
    await waitFor(() => h.sim.push.isSubscribed(SWITCH_DID, '4.1.85'), 'the subscription', 10_000);
    h.sim.push.setTarget(`${base}/aqara/push/cfg/${SECRET}`);
    h.sim.devices.setValue(SWITCH_DID, '4.1.85', '1');
    const [delivery] = await h.sim.push.report(
      [{ subjectId: SWITCH_DID, resourceId: '4.1.85', value: '1' }],
      {
        duplicates: 1,
      },
    );
    assert.equal(delivery.delivered, true);
    await waitFor(() => out.length === 1, 'the pushed value');
    assert.equal(out[0].payload, 1);
    assert.equal(out[0].data?.source, 'push');
    assert.equal(out[0].data?.previous, 0);
    await findConfigRuntime('cfg')?.existingDeviceWatch?.pollNow();

    // The next message is the device event: neither the duplicate push nor the poll sent anything.
    await h.sim.push.event('subdevice_offline', { did: SWITCH_DID });
    await waitFor(() => out.length >= 2, 'the device event');
    assert.equal(out.length, 2);
    assert.equal(out[1].topic, 'subdevice_offline');
    assert.deepEqual(out[1].payload, { did: SWITCH_DID });
  });

  it('a push acknowledged while no device-in node runs is sent once the node is deployed', async () => {
    // First deploy: the config only. The push is written down and acknowledged, nobody hears it.
    await pushWhileNoNodeRuns(h, Date.now() + 1000);

    // Redeploy with the node: the pending push reaches it, once.
    await helper.load(
      NODES_WITH_HTTP_NODE,
      flow(h, { device: SWITCH_DID, resources: ['4.1.85'] }, { push: true, pollSeconds: 0 }),
      {
        cfg: { appKey: APP.appKey, pushSecret: SECRET },
      },
    );
    const out = collect('out');
    await waitFor(() => out.length === 1, 'the pending push', 10_000);
    assert.equal(out[0].data?.source, 'push');
    assert.equal(out[0].payload, 1);
    await waitFor(() => PushJournal.open(h.dbPath).pending('cfg').length === 0, 'the push marked emitted');
  });

  it('a push pending at a restart is emitted even when the start read already shows its value', async () => {
    // As on Aqara: the device's current value is the one it just reported.
    h.sim.devices.setValue(SWITCH_DID, '4.1.85', '1');
    await pushWhileNoNodeRuns(h);

    await helper.load(
      NODES_WITH_HTTP_NODE,
      flow(h, { device: SWITCH_DID, resources: ['4.1.85'] }, { push: true, pollSeconds: 0 }),
      { cfg: { appKey: APP.appKey, pushSecret: SECRET } },
    );
    const out = collect('out');
    await waitFor(() => out.length === 1, 'the pending push', 10_000);
    assert.equal(out[0].data?.source, 'push');
    assert.equal(out[0].payload, 1);
    await waitFor(() => PushJournal.open(h.dbPath).pending('cfg').length === 0, 'the push marked emitted');
    // Once the start read (and a poll after it) is done: neither is a second message.
    await findConfigRuntime('cfg')?.existingDeviceWatch?.pollNow();
    assert.equal(out.length, 1, 'the start read that shows the same value is no second message');
  });

  it('resources nobody watches any more are unsubscribed: after a redeploy, and when the last node goes', async () => {
    seedRefreshToken(h);
    const config = { push: true, pollSeconds: 0 };
    const creds = { cfg: { appKey: APP.appKey, pushSecret: SECRET } };
    const two = [
      ...flow(h, { device: SWITCH_DID, resources: ['4.1.85'] }, config),
      onTab({
        id: 'in2',
        type: 'aqara-device-in',
        config: 'cfg',
        device: SWITCH_DID,
        resources: ['4.2.85'],
        wires: [],
      }),
    ];
    await helper.load(NODES_WITH_HTTP_NODE, two, creds);
    await waitFor(
      () => h.sim.push.isSubscribed(SWITCH_DID, '4.1.85') && h.sim.push.isSubscribed(SWITCH_DID, '4.2.85'),
      'both subscribed',
      10_000,
    );
    await helper.unload();
    await helper.load(
      NODES_WITH_HTTP_NODE,
      flow(h, { device: SWITCH_DID, resources: ['4.1.85'] }, config),
      creds,
    );
    await waitFor(() => !h.sim.push.isSubscribed(SWITCH_DID, '4.2.85'), '4.2.85 unsubscribed', 10_000);
    assert.equal(h.sim.push.isSubscribed(SWITCH_DID, '4.1.85'), true);
    await helper.unload();
    await waitFor(() => h.sim.push.listSubscriptions().length === 0, 'everything unsubscribed', 15_000);
  });
});
