import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ChangeTracker, type Observation } from '../../src/lib/push/change-tracker';

const at = (raw: string, time: number | null, source: Observation['source']): Observation => ({
  did: 'lumi.door',
  resourceId: '3.1.85',
  raw,
  time,
  source,
});

test('only changes: start is the baseline, a push then the poll of the same value is one message', () => {
  const tracker = new ChangeTracker(true);
  assert.equal(tracker.observe(at('0', 100, 'start'))?.previous, undefined);
  const pushed = tracker.observe(at('1', 200, 'push'));
  assert.deepEqual(pushed, { ...at('1', 200, 'push'), previous: '0' });
  assert.equal(tracker.observe(at('1', 200, 'poll')), undefined);
  assert.equal(tracker.observe(at('1', 300, 'push')), undefined);
  assert.equal(tracker.observe(at('0', 400, 'poll'))?.previous, '1');
});

test('out of order: an older report than the last one known is dropped', () => {
  const tracker = new ChangeTracker(true);
  tracker.observe(at('0', 100, 'start'));
  assert.equal(tracker.observe(at('1', 300, 'push'))?.raw, '1');
  assert.equal(tracker.observe(at('0', 200, 'push')), undefined);
  assert.equal(tracker.current('lumi.door', '3.1.85'), '1');
});

test('without a baseline a poll sets it silently; a push is a change', () => {
  const polled = new ChangeTracker(true);
  assert.equal(polled.observe(at('5', 100, 'poll')), undefined);
  assert.equal(polled.observe(at('6', 200, 'poll'))?.previous, '5');
  const pushed = new ChangeTracker(true);
  assert.equal(pushed.observe(at('5', 100, 'push'))?.previous, undefined);
});

test('every report: same value again by push is a message; the poll that sees it is not', () => {
  const tracker = new ChangeTracker(false);
  tracker.observe(at('1', 100, 'start'));
  assert.equal(tracker.observe(at('1', 200, 'push'))?.previous, '1');
  assert.equal(tracker.observe(at('1', 200, 'poll')), undefined);
  assert.equal(tracker.observe(at('1', 250, 'poll'))?.time, 250);
  assert.equal(tracker.observe(at('1', 250, 'poll')), undefined);
});
