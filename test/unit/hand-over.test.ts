import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';

import {
  handOver,
  handOverActive,
  resetHandOver,
  retainHandOver,
  armHandOver,
  type HandOverOutcome,
} from '../../src/runtime/push/hand-over';

/** Node-RED's hooks as far as the hand-over uses them: a registry of one-argument callbacks. */
function fakeRuntime(nodes: Record<string, object> = {}) {
  const hooks = new Map<string, (event: unknown) => unknown>();
  return {
    hooks: {
      add(id: string, callback: (event: unknown) => unknown) {
        if (hooks.has(id)) throw new Error(`Hook ${id} already registered`);
        hooks.set(id, callback);
      },
      remove(id: string) {
        hooks.delete(id);
      },
    },
    nodes: { getNode: (id: string) => nodes[id] ?? null },
    fire(kind: 'preDeliver' | 'postReceive', event: unknown): unknown {
      return hooks.get(`${kind}.metronAqaraPushHandOver`)?.(event);
    },
    registered: () => [...hooks.keys()],
  };
}

afterEach(() => resetHandOver());

test('without RED.hooks the listeners run and the push counts as delivered at once', () => {
  armHandOver({ nodes: { getNode: () => null } });
  const release = retainHandOver();
  let ran = false;
  assert.equal(
    handOver(
      () => (ran = true),
      () => assert.fail('not later'),
    ),
    'delivered',
  );
  assert.equal(ran, true);
  assert.equal(handOverActive(), false);
  release();
});

test('delivered once every message announced in the scope was received; hooks go once all settled', () => {
  const next = { id: 'next' };
  const red = fakeRuntime({ next });
  armHandOver(red);
  const release = retainHandOver();
  assert.deepEqual(red.registered().sort(), [
    'postReceive.metronAqaraPushHandOver',
    'preDeliver.metronAqaraPushHandOver',
  ]);
  const one = {};
  const two = {};
  const outcomes: HandOverOutcome[] = [];
  const now = handOver(
    () => {
      assert.equal(red.fire('preDeliver', { msg: one, destination: { id: 'next' } }), undefined);
      red.fire('preDeliver', { msg: two, destination: { id: 'next' } });
    },
    (outcome) => outcomes.push(outcome),
  );
  assert.equal(now, 'pending');
  // Deliveries outside any hand-over, and odd events, are none of its business and never throw.
  red.fire('preDeliver', { msg: {} });
  red.fire('preDeliver', null);
  red.fire('postReceive', undefined);
  red.fire('postReceive', { msg: {}, destination: { id: 'next', node: next } });
  red.fire('postReceive', { msg: one, destination: { id: 'next', node: next } });
  assert.deepEqual(outcomes, []);
  release();
  assert.equal(handOverActive(), true, 'kept while a delivery is outstanding');
  red.fire('postReceive', { msg: two, destination: { id: 'next', node: next } });
  assert.deepEqual(outcomes, ['delivered']);
  assert.equal(handOverActive(), false);
  assert.deepEqual(red.registered(), []);
});

test('nothing sent in the scope: delivered at once', () => {
  armHandOver(fakeRuntime());
  const release = retainHandOver();
  assert.equal(
    handOver(
      () => undefined,
      () => assert.fail('not later'),
    ),
    'delivered',
  );
  release();
});

test('a message reaching a closed node with no replacement: stale, so the push is sent again', () => {
  const red = fakeRuntime({});
  armHandOver(red);
  const release = retainHandOver();
  const msg = {};
  const outcomes: HandOverOutcome[] = [];
  handOver(
    () => red.fire('preDeliver', { msg }),
    (outcome) => outcomes.push(outcome),
  );
  red.fire('postReceive', { msg, destination: { id: 'gone', node: {} } });
  assert.deepEqual(outcomes, ['stale']);
  release();
});
