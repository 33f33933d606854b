import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';

import type { PushMessage } from '../../src/lib/push/push-body';
import { openIdFor } from '../../simulator/state';
import { PushJournal } from '../../src/lib/push/push-journal';
import { configRuntime } from '../../src/runtime/config/config-registry';
import {
  APP,
  configNode,
  harnessPerTest,
  helper,
  loggedText,
  node,
  NODES_WITH_HTTP_NODE,
  seedRefreshToken,
  TAB,
  waitFor,
  type Harness,
  serveHttpNode,
  stopHttpNode,
  forgetRuntimes,
} from './support';

const SECRET = 'A'.repeat(20) + 'b-c_d' + 'E'.repeat(18);
const DOOR = 'lumi.158d0001door01';

async function deploy(
  h: Harness,
  config: Record<string, unknown> = {},
  pushSecret = SECRET,
): Promise<string> {
  seedRefreshToken(h);
  await helper.load(NODES_WITH_HTTP_NODE, [TAB, configNode(h, { push: true, pollSeconds: 0, ...config })], {
    cfg: { appKey: APP.appKey, pushSecret },
  });
  // The account's openId and access token become known with the first refresh.
  await (node('cfg') as unknown as { tokenManager(): { getAccessToken(): Promise<string> } })
    .tokenManager()
    .getAccessToken();
  return serveHttpNode();
}

afterEach(async () => {
  await stopHttpNode();
  await forgetRuntimes();
});

function heard(): PushMessage[] {
  const messages: PushMessage[] = [];
  configRuntime('cfg')
    .pushHub()
    .listen((message) => messages.push(message));
  return messages;
}

/**
 * Sends one good push and waits until it is heard. The hub hands pushes over in the order they were
 * journaled, so once this one is heard, anything a push before it could have caused has been heard:
 * the messages before it are the answer (a fixed wait would prove nothing on a busy machine).
 */
async function heardBeforeSentinel(url: string, messages: PushMessage[]): Promise<PushMessage[]> {
  const msgId = `sentinel-${messages.length}-${Date.now()}`;
  const sent = await post(
    url,
    JSON.stringify({
      msgId,
      openId: openIdFor(APP.appId),
      eventType: 'subdevice_online',
      data: { did: DOOR },
    }),
  );
  assert.equal(sent.status, 200);
  await waitFor(() => messages.some((message) => message.msgId === msgId), 'the sentinel push');
  const before = messages.filter((message) => message.msgId !== msgId);
  assert.equal(messages.at(-1)?.msgId, msgId, 'nothing heard after the sentinel');
  return before;
}

async function subscribeDoor(h: Harness): Promise<void> {
  const manager = (
    node('cfg') as unknown as { tokenManager(): { call(i: string, d: unknown): Promise<unknown> } }
  ).tokenManager();
  await manager.call('config.resource.subscribe', {
    resources: [{ subjectId: DOOR, resourceIds: ['3.1.85'] }],
  });
  assert.equal(h.sim.push.isSubscribed(DOOR, '3.1.85'), true);
}

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, text: await res.text(), headers: Object.fromEntries(res.headers) };
}

describe('push endpoint', () => {
  const h = harnessPerTest();

  it('a simulator push is answered 200, journaled, and heard once; its duplicate is not heard again', async () => {
    const base = await deploy(h);
    const messages = heard();
    await subscribeDoor(h);
    h.sim.push.setTarget(`${base}/aqara/push/cfg/${SECRET}`, { sign: true });
    const copies = await h.sim.push.report([{ subjectId: DOOR, resourceId: '3.1.85', value: '1' }], {
      duplicates: 2,
    });
    assert.deepEqual(
      copies.map((copy) => copy.attempts),
      [[200], [200], [200]],
    );
    await waitFor(() => messages.length === 1, 'the push reaching the listener');
    const message = messages[0];
    assert.equal(message.kind, 'report');
    assert.equal(message.kind === 'report' && message.reports[0].value, '1');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(messages.length, 1);
    assert.deepEqual(PushJournal.open(h.dbPath).pending('cfg'), []);
    await h.sim.push.event('subdevice_offline', { did: DOOR });
    await waitFor(() => messages.length === 2, 'the event reaching the listener');
    assert.equal(messages[1].kind === 'event' && messages[1].eventType, 'subdevice_offline');
  });

  it('unknown config and wrong secret get one identical 404; push off is 404 too', async () => {
    const base = await deploy(h);
    const body = JSON.stringify({ msgId: 'm', openId: 'o', eventType: 'x', data: {} });
    const wrong = await post(`${base}/aqara/push/cfg/${SECRET.slice(0, -1)}B`, body);
    const unknown = await post(`${base}/aqara/push/nope/${SECRET}`, body);
    assert.equal(wrong.status, 404);
    delete wrong.headers.date;
    delete unknown.headers.date;
    assert.deepEqual(wrong, unknown);
    assert.equal(wrong.text, 'Not Found');
  });

  it('push turned off answers 404 even with the right secret', async () => {
    const base = await deploy(h, { push: false });
    const res = await post(`${base}/aqara/push/cfg/${SECRET}`, '{}');
    assert.equal(res.status, 404);
  });

  it('a secret shorter than 128 bits is not accepted: 404 and a warning that does not quote it', async () => {
    const base = await deploy(h, {}, 'short-secret');
    const res = await post(`${base}/aqara/push/cfg/short-secret`, '{}');
    assert.equal(res.status, 404);
    assert.match(loggedText(), /shorter than 128 bits/);
    assert.doesNotMatch(loggedText(), /short-secret/);
  });

  it('over 1 MB is 413, not JSON 400, bad signature 401: none heard, no body logged', async () => {
    const base = await deploy(h);
    const messages = heard();
    const url = `${base}/aqara/push/cfg/${SECRET}`;
    const huge = JSON.stringify({ msgId: 'm', openId: 'o', eventType: 'x', data: 'B0DY'.repeat(300_000) });
    assert.equal((await post(url, huge)).status, 413);
    assert.equal((await post(url, 'B0DY not json')).status, 400);
    assert.equal((await post(url, '{"B0DY":1}')).status, 400);
    const signed = JSON.stringify({ msgId: 'm-sig', openId: 'o', eventType: 'B0DY', data: {} });
    const bad = await post(url, signed, {
      token: 't',
      time: '1',
      nonce: 'n',
      appkey: 'k',
      sign: '0'.repeat(32),
    });
    assert.equal(bad.status, 401);
    assert.equal(PushJournal.open(h.dbPath).count('cfg'), 0);
    assert.deepEqual(await heardBeforeSentinel(url, messages), []);
    assert.match(loggedText(), /signature does not match/);
    assert.doesNotMatch(loggedText(), /B0DY/);
  });

  it('push-status: the only deployed config when none is named, the last push time, 404 for an unknown id', async () => {
    const base = await deploy(h);
    const before = await helper.request().get('/aqara/push-status');
    assert.equal(before.status, 200, before.text);
    assert.deepEqual(before.body, { push: true, poll_seconds: 0, last_push_at: null, listeners: 0 });
    const sent = await post(
      `${base}/aqara/push/cfg/${SECRET}`,
      JSON.stringify({ msgId: 'status-1', openId: openIdFor(APP.appId), eventType: 'x', data: {} }),
    );
    assert.equal(sent.status, 200);
    const after = await helper.request().get('/aqara/push-status?config=cfg');
    assert.equal(after.status, 200);
    assert.ok(
      !Number.isNaN(Date.parse(String((after.body as { last_push_at: unknown }).last_push_at))),
      after.text,
    );
    assert.ok(!after.text.includes(SECRET), 'never the secret');
    const unknown = await helper.request().get('/aqara/push-status?config=nope');
    assert.equal(unknown.status, 404);
    assert.equal((unknown.body as { code: unknown }).code, 'CONFIG_NOT_FOUND');
  });

  it('a push for another account is answered 200, dropped, and warned about once', async () => {
    const base = await deploy(h);
    const messages = heard();
    const url = `${base}/aqara/push/cfg/${SECRET}`;
    for (let i = 0; i < 5; i += 1) {
      const res = await post(
        url,
        JSON.stringify({ msgId: `f${i}`, openId: 'another-account', eventType: 'x', data: {} }),
      );
      assert.equal(res.status, 200);
    }
    assert.deepEqual(await heardBeforeSentinel(url, messages), []);
    assert.equal(loggedText().match(/another Aqara account/g)?.length, 1);
  });

  it('a burst of pushes is answered, and each is heard once', async () => {
    const base = await deploy(h);
    const messages = heard();
    const url = `${base}/aqara/push/cfg/${SECRET}`;
    const openId = openIdFor(APP.appId);
    const ids = Array.from({ length: 300 }, (_, i) => `burst-${i}`);
    const started = Date.now();
    const answers = await Promise.all(
      [...ids, ...ids.slice(0, 30)].map((msgId) =>
        post(url, JSON.stringify({ msgId, openId, eventType: 'subdevice_online', data: { did: DOOR } })),
      ),
    );
    assert.ok(answers.every((answer) => answer.status === 200));
    assert.ok(Date.now() - started < 30_000);
    await waitFor(() => messages.length >= ids.length, 'every push heard');
    const before = await heardBeforeSentinel(url, messages);
    assert.deepEqual(before.map((message) => message.msgId).sort(), [...ids].sort());
  });

  it('thousands of hostile pushes: all refused, none heard, a few log lines and none with a body', async () => {
    const base = await deploy(h);
    const messages = heard();
    const good = `${base}/aqara/push/cfg/${SECRET}`;
    const bodies = [
      'H0STILE',
      '{"msgId":"H0STILE\\u0000","openId":"o","eventType":"x"}',
      JSON.stringify({ msgId: 'm', openId: 'o', msgType: 'resource_report', data: [{ H0STILE: 1 }] }),
      '[' + '['.repeat(5000) + ']'.repeat(5000) + ']',
    ];
    const statuses = new Map<number, number>();
    const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
    for (let round = 0; round < 250; round += 1) {
      await Promise.all([
        ...bodies.map((body) => post(good, body).then((answer) => count(answer.status))),
        post(`${base}/aqara/push/cfg/H0STILE${round}`, bodies[0]).then((answer) => count(answer.status)),
        post(good, JSON.stringify({ msgId: `s${round}`, openId: 'o', eventType: 'H0STILE', data: {} }), {
          token: 't',
          time: '1',
          nonce: 'n',
          appkey: 'k',
          sign: 'f'.repeat(32),
        }).then((answer) => count(answer.status)),
      ]);
    }
    assert.deepEqual(Object.fromEntries(statuses), { 400: 1000, 404: 250, 401: 250 });
    assert.equal(PushJournal.open(h.dbPath).count('cfg'), 0);
    assert.deepEqual(await heardBeforeSentinel(good, messages), []);
    assert.doesNotMatch(loggedText(), /H0STILE/);
    assert.ok(helper.log().args.length < 50, `${helper.log().args.length} log lines`);
  });
});
