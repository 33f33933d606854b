import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';

import type { AqaraResponse } from '../../src/lib/aqara/client';
import type { IntentCaller } from '../../src/lib/aqara/intents/caller';
import { subscribeResources, unsubscribeResources } from '../../src/lib/aqara/intents/subscriptions';
import { parsePushBody, PUSH_LIMITS } from '../../src/lib/push/push-body';
import { checkPushSignature, checkPushToken } from '../../src/lib/push/push-checks';
import { pushSign } from '../../simulator/push';

function recorder(): IntentCaller & { calls: { intent: string; data: unknown }[] } {
  const calls: { intent: string; data: unknown }[] = [];
  return {
    calls,
    call<T>(intent: string, data: unknown): Promise<AqaraResponse<T>> {
      calls.push({ intent, data });
      return Promise.resolve({ code: 0, requestId: 'r', message: 'Success', result: null as T });
    },
  };
}

test('subscribe and unsubscribe send Aqara’s shape, 100 subjects a call, empty lists not at all', async () => {
  const caller = recorder();
  const resources = Array.from({ length: 150 }, (_, i) => ({
    subjectId: `lumi.${i}`,
    resourceIds: ['3.1.85'],
  }));
  await subscribeResources(caller, [...resources, { subjectId: 'lumi.none', resourceIds: [] }]);
  assert.deepEqual(
    caller.calls.map((entry) => [entry.intent, (entry.data as { resources: unknown[] }).resources.length]),
    [
      ['config.resource.subscribe', 100],
      ['config.resource.subscribe', 50],
    ],
  );
  await unsubscribeResources(caller, [{ subjectId: 'lumi.1', resourceIds: ['3.1.85'], attach: 'x' }]);
  assert.deepEqual(caller.calls[2], {
    intent: 'config.resource.unsubscribe',
    data: { resources: [{ subjectId: 'lumi.1', resourceIds: ['3.1.85'], attach: 'x' }] },
  });
  await subscribeResources(caller, []);
  assert.equal(caller.calls.length, 3);
});

test('a resource report is read strictly, values stay strings, control characters are removed', () => {
  const parsed = parsePushBody(
    JSON.stringify({
      msgId: 'm1',
      openId: 'o1',
      msgType: 'resource_report',
      data: [
        {
          subjectId: 'lumi.a',
          resourceId: '3.1.85',
          value: '01',
          time: '1700000000000',
          statusCode: 0,
          triggerSource: { type: 1 },
          attach: '',
        },
        {
          subjectId: 'lumi.a',
          resourceId: '0.1.85',
          value: 'evil\nFAKE LOG LINE\u202e',
          time: 1700000000001,
        },
      ],
    }),
  );
  assert.deepEqual(parsed, {
    ok: true,
    message: {
      kind: 'report',
      msgId: 'm1',
      openId: 'o1',
      reports: [
        {
          subjectId: 'lumi.a',
          resourceId: '3.1.85',
          value: '01',
          time: 1700000000000,
          statusCode: 0,
          triggerSource: { type: 1 },
          attach: '',
        },
        { subjectId: 'lumi.a', resourceId: '0.1.85', value: 'evilFAKE LOG LINE', time: 1700000000001 },
      ],
    },
  });
});

test('a device event is read with its data cleaned; __proto__ keys are dropped', () => {
  const parsed = parsePushBody(
    '{"msgId":"e1","openId":"o1","time":"1700000000000","eventType":"dev_name_change","data":{"did":"lumi.a","name":"Door\\u0007","__proto__":{"polluted":true}}}',
  );
  assert.equal(parsed.ok, true);
  if (!parsed.ok) return;
  assert.deepEqual(parsed.message, {
    kind: 'event',
    msgId: 'e1',
    openId: 'o1',
    time: 1700000000000,
    eventType: 'dev_name_change',
    data: { did: 'lumi.a', name: 'Door' },
  });
  assert.equal(({} as { polluted?: boolean }).polluted, undefined);
});

test('hostile or broken bodies are refused with a reason that quotes nothing of them', () => {
  const cases: [string, RegExp][] = [
    ['not json', /not JSON/],
    ['[1,2]', /not a JSON object/],
    ['{"openId":"o","msgType":"resource_report","data":[]}', /msgId/],
    ['{"msgId":"m\\nx","openId":"o","msgType":"resource_report","data":[]}', /msgId/],
    [`{"msgId":"${'m'.repeat(PUSH_LIMITS.idLength + 1)}","openId":"o","msgType":"resource_report"}`, /msgId/],
    ['{"msgId":"m","openId":"o","msgType":"resource_report","data":[]}', /non-empty/],
    [
      '{"msgId":"m","openId":"o","msgType":"resource_report","data":[{"subjectId":"s","resourceId":"r","value":{},"time":"1"}]}',
      /value/,
    ],
    [
      '{"msgId":"m","openId":"o","msgType":"resource_report","data":[{"subjectId":"s","resourceId":"r","value":"1","time":"soon"}]}',
      /time/,
    ],
    ['{"msgId":"m","openId":"o","eventType":"x","data":' + '['.repeat(20) + ']'.repeat(20) + '}', /too deep/],
    ['{"msgId":"m","openId":"o","msgType":"other"}', /neither/],
  ];
  for (const [text, reason] of cases) {
    const parsed = parsePushBody(text);
    assert.equal(parsed.ok, false, text);
    if (!parsed.ok) {
      assert.match(parsed.reason, reason, text);
      assert.doesNotMatch(parsed.reason, /soon|\{\}/);
    }
  }
  const tooMany = JSON.stringify({
    msgId: 'm',
    openId: 'o',
    msgType: 'resource_report',
    data: Array.from({ length: PUSH_LIMITS.reports + 1 }, () => ({
      subjectId: 's',
      resourceId: 'r',
      value: '1',
      time: '1',
    })),
  });
  assert.deepEqual(parsePushBody(tooMany), { ok: false, reason: 'too many reports' });
});

test('signature: the simulator’s signed headers pass, a changed field or key fails, no sign header is unsigned', () => {
  const headers = { token: 'tok', time: '1700000000000', nonce: 'n1', appkey: 'K.sim' };
  const sign = pushSign({ appkey: 'K.sim', nonce: 'n1', time: '1700000000000', token: 'tok' }, 'Secret');
  assert.equal(checkPushSignature({ ...headers, sign }, 'Secret'), 'valid');
  assert.equal(checkPushSignature({ ...headers, sign: sign.toUpperCase() }, 'Secret'), 'valid');
  assert.equal(checkPushSignature({ ...headers, sign }, 'Other'), 'invalid');
  assert.equal(checkPushSignature({ ...headers, nonce: 'n2', sign }, 'Secret'), 'invalid');
  assert.equal(checkPushSignature({ ...headers, appkey: undefined, sign }, 'Secret'), 'invalid');
  assert.equal(checkPushSignature(headers, 'Secret'), 'unsigned');
  // The rule written out by hand, independent of both implementations.
  const text = 'appkey=k.sim&nonce=n1&time=1700000000000&token=toksecret';
  assert.equal(sign, createHash('md5').update(text).digest('hex'));
});

test('token header: known, unknown or absent', () => {
  assert.equal(checkPushToken({ token: 'b' }, ['a', 'b']), 'known');
  assert.equal(checkPushToken({ token: 'c' }, ['a', 'b']), 'unknown');
  assert.equal(checkPushToken({ token: 'c' }, []), 'unknown');
  assert.equal(checkPushToken({}, ['a']), 'absent');
});
