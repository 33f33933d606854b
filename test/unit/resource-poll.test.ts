import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { AqaraResponse } from '../../src/lib/aqara/client';
import { AqaraError } from '../../src/lib/aqara/errors';
import { ResourcePoller } from '../../src/lib/aqara/intents/resource-poll';

type Asked = { subjectId: string; resourceIds: string[] }[];

/** Answers every asked resource with its id as the value, or fails a request naming a bad subject. */
function fakeCaller(bad = new Set<string>()) {
  const calls: Asked[] = [];
  return {
    calls,
    call<T>(_intent: string, data: unknown): Promise<AqaraResponse<T>> {
      const asked = (data as { resources: Asked }).resources;
      calls.push(asked);
      if (asked.some((entry) => bad.has(entry.subjectId)))
        return Promise.reject(new AqaraError('device offline', { kind: 'rejected', code: 602 }));
      const result = asked.flatMap((entry) =>
        entry.resourceIds.map((resourceId) => ({
          subjectId: entry.subjectId,
          resourceId,
          value: resourceId,
          timeStamp: 5,
        })),
      );
      return Promise.resolve({ code: 0, requestId: 'r', message: 'Success', result: result as T });
    },
  };
}

const devices = (n: number, perDevice: number) =>
  Array.from({ length: n }, (_, i) => ({
    subjectId: `lumi.${i}`,
    resourceIds: Array.from({ length: perDevice }, (_, j) => `0.${j}.85`),
  }));

test('50 devices x 4 resources is 2 calls per poll (100 resource ids per call)', async () => {
  const caller = fakeCaller();
  const outcome = await new ResourcePoller(caller).read(devices(50, 4));
  assert.equal(outcome.calls, 2);
  assert.equal(caller.calls.length, 2);
  assert.equal(outcome.values.length, 200);
  assert.ok(
    caller.calls.every((asked) => asked.reduce((n, entry) => n + entry.resourceIds.length, 0) <= 100),
  );
});

test('a device that spoils its batch is asked alone from then on; the others stay batched', async () => {
  const caller = fakeCaller(new Set(['lumi.3']));
  const poller = new ResourcePoller(caller);
  const first = await poller.read(devices(10, 4));
  assert.deepEqual(first.failed, [{ subjectId: 'lumi.3', code: 602 }]);
  assert.equal(first.values.length, 36);
  caller.calls.length = 0;
  const second = await poller.read(devices(10, 4));
  assert.equal(second.values.length, 36);
  // One batch for the nine, one call for the dead one.
  assert.equal(caller.calls.length, 2);
});
