import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';

import { startSimulator, type AqaraSimulator } from '../../simulator/server';
import { simHeaders } from '../helpers/sim-sign';

// The simulator's pusher against a bare receiver: what arrives on the wire is what is asserted.

interface Received {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

interface Receiver {
  url: string;
  received: Received[];
  /** Statuses to answer in turn; 200 once they run out. */
  answers: number[];
}

async function startReceiver(t: TestContext): Promise<Receiver> {
  const receiver: Receiver = { url: '', received: [], answers: [] };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      receiver.received.push({
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      });
      res.writeHead(receiver.answers.shift() ?? 200);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/push`;
  return receiver;
}

async function simulatorWithToken(t: TestContext): Promise<{ sim: AqaraSimulator; accessToken: string }> {
  const sim = await startSimulator();
  t.after(() => sim.stop());
  const refresh = await call(sim, 'config.auth.refreshToken', { refreshToken: sim.issueRefreshToken() });
  const accessToken = (refresh.result as { accessToken: string }).accessToken;
  return { sim, accessToken };
}

async function call(
  sim: AqaraSimulator,
  intent: string,
  data: unknown,
  accessToken?: string,
): Promise<{ code: number; result: unknown }> {
  const app = sim.apps[0];
  const res = await fetch(`${sim.baseUrl}/v3.0/open/api`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...simHeaders({ ...app, accessToken }) },
    body: JSON.stringify({ intent, data }),
  });
  return (await res.json()) as { code: number; result: unknown };
}

const DOOR = 'lumi.158d0001door01';

test('subscribe answers result null and the report reaches the URL in Aqara’s shape', async (t) => {
  const { sim, accessToken } = await simulatorWithToken(t);
  const receiver = await startReceiver(t);
  const subscribed = await call(
    sim,
    'config.resource.subscribe',
    { resources: [{ subjectId: DOOR, resourceIds: ['3.1.85'], attach: 'door' }] },
    accessToken,
  );
  assert.deepEqual(subscribed, { ...subscribed, code: 0, result: null });
  assert.equal(sim.push.isSubscribed(DOOR, '3.1.85'), true);

  sim.push.setTarget(receiver.url);
  const [delivery] = await sim.push.report([
    { subjectId: DOOR, resourceId: '3.1.85', value: '1', time: 1700000000000 },
  ]);
  assert.equal(delivery.delivered, true);
  assert.equal(receiver.received.length, 1);
  const { headers, body } = receiver.received[0];
  assert.equal(headers.token, accessToken);
  assert.match(String(headers.nonce), /^[0-9a-f]{16}$/);
  assert.match(String(headers.time), /^\d{13}$/);
  assert.equal(headers.sign, undefined);
  assert.equal(body.msgType, 'resource_report');
  assert.equal(typeof body.msgId, 'string');
  assert.match(String(body.openId), /^[0-9a-f]{24}$/);
  assert.deepEqual(body.data, [
    {
      subjectId: DOOR,
      resourceId: '3.1.85',
      value: '1',
      time: '1700000000000',
      statusCode: 0,
      triggerSource: (body.data as { triggerSource: unknown }[])[0].triggerSource,
      attach: 'door',
    },
  ]);
});

test('subscribe without an access token is refused, and bad shapes are a params error', async (t) => {
  const { sim, accessToken } = await simulatorWithToken(t);
  const anonymous = await call(sim, 'config.resource.subscribe', {
    resources: [{ subjectId: DOOR, resourceIds: ['3.1.85'] }],
  });
  // Aqara answers 109 (token is absent) when no Accesstoken header is sent at all, not 108.
  assert.equal(anonymous.code, 109);
  for (const data of [
    {},
    { resources: [] },
    { resources: [{ subjectId: DOOR }] },
    { resources: [{ subjectId: '', resourceIds: ['1'] }] },
  ]) {
    assert.equal((await call(sim, 'config.resource.subscribe', data, accessToken)).code, 302);
  }
  assert.deepEqual(sim.push.listSubscriptions(), []);
});

test('signed pushes carry appkey and sign; a failed push is retried; duplicates share the msgId', async (t) => {
  const { sim, accessToken } = await simulatorWithToken(t);
  const receiver = await startReceiver(t);
  await call(
    sim,
    'config.resource.subscribe',
    { resources: [{ subjectId: DOOR, resourceIds: ['3.1.85'] }] },
    accessToken,
  );
  sim.push.setTarget(receiver.url, { sign: true, retryDelayMs: 1 });
  receiver.answers.push(500, 503);
  const copies = await sim.push.report([{ subjectId: DOOR, resourceId: '3.1.85', value: '0' }], {
    duplicates: 1,
  });
  assert.deepEqual(
    copies.map((copy) => copy.attempts),
    [[500, 503, 200], [200]],
  );
  assert.equal(copies[0].msgId, copies[1].msgId);
  assert.equal(receiver.received.length, 4);
  const { headers } = receiver.received[0];
  const app = sim.apps[0];
  assert.equal(headers.appkey, app.keyId);
  // Independent of simulator/push.ts: the reading documented there, computed here.
  const text = `appkey=${app.keyId}&nonce=${String(headers.nonce)}&time=${String(headers.time)}&token=${accessToken}${app.appKey}`;
  assert.equal(headers.sign, createHash('md5').update(text.toLowerCase()).digest('hex'));
});

test('a receiver that keeps failing gets the first try plus the retries, then the push is given up', async (t) => {
  const { sim, accessToken } = await simulatorWithToken(t);
  const receiver = await startReceiver(t);
  await call(
    sim,
    'config.resource.subscribe',
    { resources: [{ subjectId: DOOR, resourceIds: ['3.1.85'] }] },
    accessToken,
  );
  sim.push.setTarget(receiver.url, { retries: 3, retryDelayMs: 1 });
  receiver.answers.push(500, 500, 500, 500);
  const [delivery] = await sim.push.report([{ subjectId: DOOR, resourceId: '3.1.85', value: '0' }]);
  assert.equal(delivery.delivered, false);
  assert.deepEqual(delivery.attempts, [500, 500, 500, 500]);
});

test('out of order: later reports arrive first', async (t) => {
  const { sim, accessToken } = await simulatorWithToken(t);
  const receiver = await startReceiver(t);
  await call(
    sim,
    'config.resource.subscribe',
    { resources: [{ subjectId: DOOR, resourceIds: ['3.1.85'] }] },
    accessToken,
  );
  sim.push.setTarget(receiver.url);
  await sim.push.reportOutOfOrder([
    [{ subjectId: DOOR, resourceId: '3.1.85', value: '1', time: 1000 }],
    [{ subjectId: DOOR, resourceId: '3.1.85', value: '0', time: 2000 }],
  ]);
  assert.deepEqual(
    receiver.received.map((entry) => (entry.body.data as { value: string }[])[0].value),
    ['0', '1'],
  );
});

test('unsubscribe stops pushes of that resource only; events are not filtered', async (t) => {
  const { sim, accessToken } = await simulatorWithToken(t);
  const receiver = await startReceiver(t);
  const resources = [{ subjectId: DOOR, resourceIds: ['3.1.85', '8.0.2001'] }];
  await call(sim, 'config.resource.subscribe', { resources }, accessToken);
  const cancelled = await call(
    sim,
    'config.resource.unsubscribe',
    { resources: [{ subjectId: DOOR, resourceIds: ['3.1.85'] }] },
    accessToken,
  );
  assert.equal(cancelled.code, 0);
  assert.equal(cancelled.result, null);
  sim.push.setTarget(receiver.url);
  assert.deepEqual(await sim.push.report([{ subjectId: DOOR, resourceId: '3.1.85', value: '1' }]), []);
  await sim.push.report([
    { subjectId: DOOR, resourceId: '3.1.85', value: '1' },
    { subjectId: DOOR, resourceId: '8.0.2001', value: '90' },
  ]);
  assert.equal(receiver.received.length, 1);
  assert.deepEqual(
    (receiver.received[0].body.data as { resourceId: string }[]).map((item) => item.resourceId),
    ['8.0.2001'],
  );
  await sim.push.event('subdevice_offline', { did: DOOR });
  const event = receiver.received[1].body;
  assert.equal(event.eventType, 'subdevice_offline');
  assert.deepEqual(event.data, { did: DOOR });
  assert.match(String(event.time), /^\d{13}$/);
});

test('the pusher refuses a non-loopback target', async (t) => {
  const { sim } = await simulatorWithToken(t);
  assert.throws(() => sim.push.setTarget('http://192.0.2.1/push'), /only to http:\/\/127\.0\.0\.1/);
});
