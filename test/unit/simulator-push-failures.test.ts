import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';

import { SENSOR_DID, SWITCH_DID } from '../../simulator/devices';
import { startSimulator, type AqaraSimulator, type SimulatorApp } from '../../simulator/server';
import { simHeaders } from '../helpers/sim-sign';

// Pushes that fail (the receiver refuses the connection, answers non-2xx, or not at all) are what
// query.push.errorMsg lists for 12 hours of the simulator's clock. Real pushes to a real receiver;
// the list read back over signed HTTP.

const HOUR = 3600 * 1000;
const ERROR_MSG = 'query.push.errorMsg';

interface Envelope {
  code: number;
  message: string;
  result: unknown;
}

interface FailedEntry {
  msgId: string;
  appId: string;
  openId: string;
  msgType: string;
  pushTime: string;
  failCount: number;
  errorMsg: string;
  content: string;
}

interface ErrorPage {
  msg: FailedEntry[];
  scanId: string;
}

type Answer = number | 'hang';

interface Receiver {
  url: string;
  bodies: Record<string, unknown>[];
  /** Answers in turn; 200 once they run out. 'hang' never answers (until the test ends). */
  answers: Answer[];
}

async function startReceiver(t: TestContext): Promise<Receiver> {
  const receiver: Receiver = { url: '', bodies: [], answers: [] };
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      receiver.bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      const answer = receiver.answers.shift() ?? 200;
      if (answer === 'hang') hanging.push(res);
      else res.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/push`;
  return receiver;
}

/** A URL nobody answers: a port that was just given up. */
async function refusingUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/push`;
}

interface Session {
  sim: AqaraSimulator;
  clock: { now: number };
  call: (intent: string, data: unknown, app?: SimulatorApp) => Promise<Envelope>;
}

async function session(t: TestContext, apps?: SimulatorApp[]): Promise<Session> {
  const clock = { now: Date.UTC(2025, 5, 11, 9, 30) };
  const sim = await startSimulator({ now: () => clock.now, apps });
  t.after(() => sim.stop());
  const tokens = new Map<string, string>();
  const post = async (intent: string, data: unknown, app: SimulatorApp, accessToken?: string) => {
    const res = await fetch(`${sim.baseUrl}/v3.0/open/api`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...simHeaders({ ...app, accessToken, time: clock.now }),
      },
      body: JSON.stringify({ intent, data }),
    });
    return (await res.json()) as Envelope;
  };
  for (const app of sim.apps) {
    const grant = await post(
      'config.auth.refreshToken',
      { refreshToken: sim.issueRefreshToken(app.appId) },
      app,
    );
    tokens.set(app.appId, (grant.result as { accessToken: string }).accessToken);
  }
  const call = async (intent: string, data: unknown, app = sim.apps[0]) =>
    post(intent, data, app, tokens.get(app.appId));
  // Reports reach a receiver only for subscribed resources.
  for (const app of sim.apps) {
    const subscribed = await call(
      'config.resource.subscribe',
      { resources: [{ subjectId: SWITCH_DID, resourceIds: ['4.1.85', '4.2.85'] }] },
      app,
    );
    assert.equal(subscribed.code, 0);
  }
  return { sim, clock, call };
}

function ok<T>(envelope: Envelope): T {
  assert.equal(envelope.code, 0, envelope.message);
  return envelope.result as T;
}

async function allFailed(s: Session, data: Record<string, unknown> = {}, app = s.sim.apps[0]) {
  const entries: FailedEntry[] = [];
  const pages: number[] = [];
  let scanId = '';
  do {
    const page = ok<ErrorPage>(await s.call(ERROR_MSG, { appId: app.appId, ...data, scanId }, app));
    entries.push(...page.msg);
    pages.push(page.msg.length);
    scanId = page.scanId;
    assert.ok(pages.length < 100, 'the scan does not end');
  } while (scanId !== '');
  return { entries, pages };
}

const flip = (value: string) => [{ subjectId: SWITCH_DID, resourceId: '4.1.85', value }];

test('refused, non-2xx and unanswered pushes are listed with their original body; delivered ones are not', async (t) => {
  const s = await session(t);
  const receiver = await startReceiver(t);
  s.sim.push.setTarget(receiver.url, { retries: 0 });
  const [delivered] = await s.sim.push.report(flip('1'));
  receiver.answers.push(503);
  const [answered503] = await s.sim.push.report(flip('0'));
  receiver.answers.push('hang');
  s.sim.push.setTarget(receiver.url, { retries: 0, timeoutMs: 200 });
  const [unanswered] = await s.sim.push.event('subdevice_offline', { did: SENSOR_DID });
  s.sim.push.setTarget(await refusingUrl(), { retries: 0 });
  const [refused] = await s.sim.push.report(flip('1'));
  assert.deepEqual(
    [delivered, answered503, unanswered, refused].map((delivery) => delivery.delivered),
    [true, false, false, false],
  );

  const { entries } = await allFailed(s);
  // Newest first.
  assert.deepEqual(
    entries.map((entry) => entry.msgId),
    [refused.msgId, unanswered.msgId, answered503.msgId],
  );
  assert.deepEqual(
    entries.map((entry) => entry.errorMsg),
    ['connection refused', 'timeout', 'HTTP 503'],
  );
  assert.deepEqual(
    entries.map((entry) => entry.msgType),
    ['resource_report', 'subdevice_offline', 'resource_report'],
  );
  const sent = [refused, unanswered, answered503];
  entries.forEach((entry, index) => {
    assert.deepEqual(JSON.parse(entry.content), sent[index].body);
    assert.equal(entry.appId, s.sim.apps[0].appId);
    assert.equal(entry.openId, sent[index].body.openId);
    assert.equal(entry.pushTime, String(s.clock.now));
    assert.equal(entry.failCount, 1);
  });
  // The receiver saw the 503 and the unanswered push: what failed was sent, not skipped.
  assert.deepEqual(
    receiver.bodies.map((body) => body.msgId),
    [delivered.msgId, answered503.msgId, unanswered.msgId],
  );
  assert.deepEqual(
    s.sim.push.failures().map((failure) => failure.msgId),
    [answered503.msgId, unanswered.msgId, refused.msgId],
  );
});

test('a push that got through on a retry stays listed, and each failed copy is listed: dedupe by msgId', async (t) => {
  const s = await session(t);
  const receiver = await startReceiver(t);
  s.sim.push.setTarget(receiver.url, { retries: 2, retryDelayMs: 1 });
  receiver.answers.push(500, 502);
  const [retried] = await s.sim.push.report(flip('1'));
  assert.deepEqual(retried.attempts, [500, 502, 200]);
  assert.equal(retried.delivered, true);
  // Aqara redelivering one message: two copies, both failing every attempt.
  receiver.answers.push(500, 500, 500, 500, 500, 500);
  const copies = await s.sim.push.report(flip('0'), { duplicates: 1, msgId: 'redelivered-1' });
  assert.deepEqual(
    copies.map((copy) => copy.delivered),
    [false, false],
  );

  const { entries } = await allFailed(s);
  assert.deepEqual(
    entries.map((entry) => [entry.msgId, entry.failCount, entry.errorMsg]),
    [
      ['redelivered-1', 3, 'HTTP 500'],
      ['redelivered-1', 3, 'HTTP 500'],
      [retried.msgId, 2, 'HTTP 502'],
    ],
  );
  assert.equal(s.sim.push.failures()[0].deliveredLater, true);
});

test('paged newest first: every failed push once; size cut to 100; filters and bad params', async (t) => {
  const s = await session(t);
  s.sim.push.setTarget(await refusingUrl(), { retries: 0 });
  const sent: string[] = [];
  for (let index = 0; index < 130; index += 1) {
    s.clock.now += 1000;
    const [delivery] =
      index % 10 === 9
        ? await s.sim.push.event('dev_name_change', { did: SWITCH_DID, changeValues: [] })
        : await s.sim.push.report(flip(String(index % 2)));
    sent.push(delivery.msgId);
  }
  const paged = await allFailed(s, { size: 30 });
  assert.deepEqual(paged.pages, [30, 30, 30, 30, 10]);
  assert.deepEqual(
    paged.entries.map((entry) => entry.msgId),
    [...sent].reverse(),
  );
  assert.deepEqual((await allFailed(s)).pages, [20, 20, 20, 20, 20, 20, 10], 'default size 20');
  assert.deepEqual((await allFailed(s, { size: 1000 })).pages, [100, 30]);

  const reports = await allFailed(s, { msgType: 'resource_report', size: 100 });
  assert.equal(reports.entries.length, 117);
  const window = await allFailed(s, {
    startTime: Date.UTC(2025, 5, 11, 9, 30, 11),
    endTime: Date.UTC(2025, 5, 11, 9, 30, 20),
  });
  assert.deepEqual(
    window.entries.map((entry) => entry.msgId),
    sent.slice(10, 20).reverse(),
  );
  assert.deepEqual((await allFailed(s, { openId: 'someone-else' })).entries, []);

  const appId = s.sim.apps[0].appId;
  const bad: [string, unknown][] = [
    ['no appId', {}],
    ['another app', { appId: 'another-app' }],
    ['startTime as a string', { appId, startTime: String(s.clock.now - HOUR) }],
    ['size 0', { appId, size: 0 }],
    ['a garbage scanId', { appId, scanId: 'garbage' }],
  ];
  for (const [what, data] of bad) assert.equal((await s.call(ERROR_MSG, data)).code, 302, what);
  const first = ok<ErrorPage>(await s.call(ERROR_MSG, { appId, size: 10 }));
  const otherQuery = await s.call(ERROR_MSG, {
    appId,
    size: 10,
    msgType: 'resource_report',
    scanId: first.scanId,
  });
  assert.equal(otherQuery.code, 302, 'a scanId of another query');
});

test('kept 12 hours of the simulator clock', async (t) => {
  const s = await session(t);
  s.sim.push.setTarget(await refusingUrl(), { retries: 0 });
  const [early] = await s.sim.push.report(flip('1'));
  s.clock.now += 6 * HOUR;
  const [later] = await s.sim.push.report(flip('0'));
  s.clock.now += 6 * HOUR - 1;
  assert.deepEqual(
    (await allFailed(s)).entries.map((entry) => entry.msgId),
    [later.msgId, early.msgId],
  );
  s.clock.now += 1;
  assert.deepEqual(
    (await allFailed(s)).entries.map((entry) => entry.msgId),
    [later.msgId],
  );
  // Asking further back than 12 hours brings nothing older back.
  const wide = await allFailed(s, { startTime: s.clock.now - 24 * HOUR, endTime: s.clock.now });
  assert.deepEqual(
    wide.entries.map((entry) => entry.msgId),
    [later.msgId],
  );
  s.clock.now += 6 * HOUR;
  assert.deepEqual((await allFailed(s)).entries, []);
  assert.deepEqual(s.sim.push.failures(), []);
});

test('each app sees only its own failed pushes; errorMsg passes the gate like every intent', async (t) => {
  const apps = [
    { appId: 'app-one', keyId: 'K.one', appKey: 'key-one' },
    { appId: 'app-two', keyId: 'K.two', appKey: 'key-two' },
  ];
  const s = await session(t, apps);
  const receiver = await startReceiver(t);
  s.sim.push.setTarget(await refusingUrl(), { retries: 0, appId: 'app-one' });
  s.sim.push.setTarget(receiver.url, { retries: 0, appId: 'app-two' });
  const [one] = await s.sim.push.report(flip('1'), { appId: 'app-one' });
  receiver.answers.push(404);
  const [two] = await s.sim.push.report(flip('1'), { appId: 'app-two' });
  const [twoOk] = await s.sim.push.report(flip('0'), { appId: 'app-two' });
  assert.equal(twoOk.delivered, true);
  const [appOne, appTwo] = s.sim.apps;
  assert.deepEqual(
    (await allFailed(s, {}, appOne)).entries.map((entry) => entry.msgId),
    [one.msgId],
  );
  assert.deepEqual(
    (await allFailed(s, {}, appTwo)).entries.map((entry) => [entry.msgId, entry.errorMsg]),
    [[two.msgId, 'HTTP 404']],
  );
  s.sim.injectFault({ intent: ERROR_MSG, fault: { kind: 'code', code: 429 } });
  assert.equal((await s.call(ERROR_MSG, { appId: appOne.appId })).code, 429);
  assert.equal((await s.call(ERROR_MSG, { appId: appOne.appId })).code, 0);
  const res = await fetch(`${s.sim.baseUrl}/v3.0/open/api`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...simHeaders({ ...appOne, time: s.clock.now }) },
    body: JSON.stringify({ intent: ERROR_MSG, data: { appId: appOne.appId } }),
  });
  assert.equal(((await res.json()) as Envelope).code, 109, 'no access token');
});
