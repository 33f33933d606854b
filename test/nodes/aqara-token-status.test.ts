import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
} from './support';

function statusFlow(h: Harness, config = 'cfg') {
  return flowWith(h, [{ id: 'status', type: 'aqara-token-status', config, wires: [['out']] }]);
}

describe('aqara-token-status', () => {
  const h = harnessPerTest();

  it('outputs the not-configured status object, the same as the admin route', async () => {
    await helper.load(NODES, statusFlow(h), credentials());
    const out = nextMessage('out');
    node('status').receive({ topic: 'check' });
    const msg = await out;
    const route = await helper.request().get('/aqara/token-status?config=cfg');
    assert.deepEqual(msg.payload, route.body);
    assert.equal(msg.topic, 'check');
    const payload = msg.payload as Record<string, unknown>;
    assert.equal(payload.configured, false);
    assert.equal(payload.message, 'No refresh token configured. Use POST /aqara/refresh-token to add one.');
    assert.deepEqual(lastStatus('status'), { fill: 'yellow', shape: 'ring', text: 'no token' });
  });

  it('outputs the configured status object', async () => {
    seedRefreshToken(h);
    await helper.load(NODES, statusFlow(h), credentials());
    const out = nextMessage('out');
    node('status').receive({});
    const payload = (await out).payload as Record<string, unknown>;
    assert.equal(payload.configured, true);
    assert.equal(typeof payload.refresh_token_updated_at, 'string');
    assert.equal(payload.access_token_status, 'not_cached');
    assert.equal(payload.state, 'ready');
    assert.deepEqual(lastStatus('status'), { fill: 'green', shape: 'dot', text: 'ready' });
  });

  it('without a config node it fails through done(err)', async () => {
    await helper.load(NODES, statusFlow(h, 'missing'), credentials());
    assert.deepEqual(lastStatus('status'), { fill: 'red', shape: 'ring', text: 'no config' });
    const caught = nextMessage('caught');
    node('status').receive({});
    const error = (await caught).error as { message: string };
    assert.match(error.message, /no aqara-config selected/);
  });
});
