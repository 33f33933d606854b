import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';

import { SWITCH_DID } from '../../simulator/devices';
import { PushJournal } from '../../src/lib/push/push-journal';
import { handOverActive } from '../../src/runtime/push/hand-over';
import { findConfigRuntime } from '../../src/runtime/config/config-registry';
import {
  APP,
  configNode,
  harnessPerTest,
  helper,
  node,
  NODES_WITH_HTTP_NODE,
  onTab,
  runtimeHooks,
  seedRefreshToken,
  setFlows,
  TAB,
  waitFor,
  type FlowNode,
  type Harness,
  serveHttpNode,
  stopHttpNode,
  forgetRuntimes,
} from './support';

/**
 * When a push counts as emitted: once Node-RED has given the device-in node's message to the next
 * node, not when node.send returns (Node-RED delivers on a later turn; a crash in between lost it).
 */

const SECRET = 'H'.repeat(43);
const HOOK_LABEL = 'metronAqaraPushHandOver';

interface Hooks {
  add(id: string, callback: (event: unknown, done?: (result?: unknown) => void) => unknown): void;
  remove(id: string): void;
  has(id: string): boolean;
}
const hooks = runtimeHooks as Hooks;

afterEach(async () => {
  hooks.remove('*.aqaraTestHold');
  await stopHttpNode();
  await forgetRuntimes();
});

function flow(
  h: Harness,
  wires: string[][],
  out: FlowNode = onTab({ id: 'out', type: 'helper' }),
): FlowNode[] {
  return [
    TAB,
    configNode(h, { push: true, pollSeconds: 0 }),
    onTab({
      id: 'in',
      type: 'aqara-device-in',
      config: 'cfg',
      device: SWITCH_DID,
      resources: ['4.1.85'],
      wires,
    }),
    out,
  ];
}

const CREDS = { cfg: { appKey: APP.appKey, pushSecret: SECRET } };

async function start(h: Harness, wires: string[][]): Promise<void> {
  seedRefreshToken(h);
  await helper.load(NODES_WITH_HTTP_NODE, flow(h, wires), CREDS);
  const base = await serveHttpNode();
  await waitFor(() => h.sim.push.isSubscribed(SWITCH_DID, '4.1.85'), 'the subscription', 10_000);
  await waitFor(
    () => (findConfigRuntime('cfg')?.existingPushHub?.listenerCount ?? 0) > 0,
    'the device watch listening',
    10_000,
  );
  h.sim.push.setTarget(`${base}/aqara/push/cfg/${SECRET}`);
}

/** Holds every delivery to `id` in Node-RED's preDeliver (after ours) until released. */
function holdDeliveriesTo(id: string): { held: () => number; release: () => void } {
  const waiting: (() => void)[] = [];
  hooks.add('preDeliver.aqaraTestHold', (event, done) => {
    const destination = (event as { destination?: { id?: string } }).destination;
    if (destination?.id === id) waiting.push(() => done?.());
    else done?.();
  });
  return {
    held: () => waiting.length,
    release: () => {
      hooks.remove('preDeliver.aqaraTestHold');
      for (const go of waiting.splice(0)) go();
    },
  };
}

function collect(id: string): unknown[] {
  const seen: unknown[] = [];
  node(id).on('input', (msg: unknown) => {
    seen.push(msg);
  });
  return seen;
}

const pending = (h: Harness): number => PushJournal.open(h.dbPath).pending('cfg').length;

async function push(h: Harness, value: string): Promise<void> {
  const [delivery] = await h.sim.push.report([
    { subjectId: SWITCH_DID, resourceId: '4.1.85', value, time: Date.now() + 1000 },
  ]);
  assert.equal(delivery.delivered, true);
}

describe('push hand-over to the next node', () => {
  const h = harnessPerTest();

  it('sent but not yet received by the next node: still pending; once received: marked emitted', async () => {
    await start(h, [['out']]);
    const out = collect('out');
    const gate = holdDeliveriesTo('out');
    await push(h, '1');
    await waitFor(() => gate.held() === 1, 'the message on its way to the next node');
    // Give the hub every chance to mark it too early.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(out.length, 0);
    assert.equal(pending(h), 1, 'a push not yet received is still pending in the journal');
    assert.equal(findConfigRuntime('cfg')?.existingPushHub?.inFlightCount, 1);
    gate.release();
    await waitFor(() => out.length === 1, 'the message received');
    assert.equal(pending(h), 0, 'marked emitted in the turn the next node received it');
    assert.equal(findConfigRuntime('cfg')?.existingPushHub?.inFlightCount, 0);
  });

  it('a device-in node with no wires marks the push at once; no hook is left once every node is gone', async () => {
    await start(h, []);
    assert.equal(hooks.has(`preDeliver.${HOOK_LABEL}`), true, 'registered while a device-in listens');
    await push(h, '1');
    await waitFor(() => pending(h) === 0, 'the push marked emitted');
    assert.equal(findConfigRuntime('cfg')?.existingPushHub?.inFlightCount, 0);
    await helper.unload();
    await waitFor(() => !handOverActive(), 'the hooks removed');
    assert.equal(hooks.has(`preDeliver.${HOOK_LABEL}`), false);
    assert.equal(hooks.has(`postReceive.${HOOK_LABEL}`), false);
  });

  it('a message that reaches a node closed by a deploy is sent again to the node that replaced it', async () => {
    await start(h, [['out']]);
    const gate = holdDeliveriesTo('out');
    await push(h, '1');
    await waitFor(() => gate.held() === 1, 'the message on its way to the next node');
    // Replace the next node ("modified nodes" deploy): the old one closes with the message in flight.
    const replaced = onTab({ id: 'out', type: 'helper', name: 'new' });
    await setFlows(flow(h, [['out']], replaced), 'nodes', CREDS);
    const out = collect('out');
    gate.release();
    await waitFor(() => out.length === 1, 'the push sent again to the new node', 10_000);
    await waitFor(() => pending(h) === 0, 'then marked emitted');
    assert.equal(out.length, 1);
  });
});
