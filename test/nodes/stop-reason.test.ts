import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { stoppingForDeploy, watchStopReason } from '../../src/runtime/stop-reason';
import type { RuntimeEvents } from '../../src/runtime/node-red-api';

/** The diff Node-RED's flowUtil.diffConfigs returns for a deploy (it always has globalConfigChanged). */
const DEPLOY_DIFF = {
  added: [],
  changed: ['cfg'],
  removed: [],
  rewired: [],
  linked: [],
  flowChanged: [],
  globalConfigChanged: false,
};
/** The default diff stop() fills in when called without one, as runtime.stop() does. */
const DEFAULT_DIFF = { added: [], changed: [], removed: [], rewired: [], linked: [], flowChanged: [] };

function runtimeEvents(): EventEmitter & RuntimeEvents {
  return new EventEmitter() as EventEmitter & RuntimeEvents;
}

describe('stop reason', () => {
  it('is "deploy" only between flows:stopping with a deploy diff and flows:stopped', () => {
    const events = runtimeEvents();
    watchStopReason(events);
    assert.equal(stoppingForDeploy(events), false, 'no stop under way');
    events.emit('flows:stopping', { config: {}, type: 'full', diff: DEPLOY_DIFF });
    assert.equal(stoppingForDeploy(events), true);
    events.emit('flows:stopped', { config: {}, type: 'full', diff: DEPLOY_DIFF });
    assert.equal(stoppingForDeploy(events), false, 'a close after the stop is not part of it');
  });

  it('a stop without a deploy diff (shutdown, stop flows, reload) or of unknown shape is not a deploy', () => {
    const events = runtimeEvents();
    watchStopReason(events);
    for (const payload of [
      { config: {}, type: 'full', diff: DEFAULT_DIFF },
      { type: 'full' },
      { diff: null },
      undefined,
      'full',
    ]) {
      events.emit('flows:stopping', payload);
      assert.equal(stoppingForDeploy(events), false, JSON.stringify(payload));
    }
  });

  it('nothing is known of a runtime that was never watched', () => {
    assert.equal(stoppingForDeploy(runtimeEvents()), false);
  });

  it('watching the same runtime again adds no listener', () => {
    const events = runtimeEvents();
    watchStopReason(events);
    watchStopReason(events);
    assert.equal(events.listenerCount('flows:stopping'), 1);
    assert.equal(events.listenerCount('flows:stopped'), 1);
  });
});
