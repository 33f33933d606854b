import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';

import { OFFLINE_DID, PLUG_DID, SENSOR_DID } from '../../simulator/devices';
import { startSimulator, type AqaraSimulator } from '../../simulator/server';
import { simHeaders } from '../helpers/sim-sign';

// fetch.resource.history and fetch.resource.statistics over signed HTTP, on a simulator whose clock
// stands still: the history is computed from time, so every run sees the same points. Expected
// values are computed here from the history the simulator served (or from the documented drift
// formula), never taken from the simulator's own aggregation code.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** A Wednesday, 09:30:00.250 UTC. */
const NOW = Date.UTC(2025, 5, 11, 9, 30, 0, 250);
const HISTORY = 'fetch.resource.history';
const STATISTICS = 'fetch.resource.statistics';

interface Envelope {
  code: number;
  message: string;
  result: unknown;
}

interface HistoryRow {
  subjectId: string;
  resourceId: string;
  value: string;
  timeStamp: number;
}

interface StatisticsRow {
  subjectId?: string;
  resourceId: string;
  value: string;
  timeStamp: number;
  startTimeZone: string;
  endTimeZone: string;
  aggrType?: number;
}

interface Page<T> {
  data: T[];
  scanId: string;
}

interface Session {
  sim: AqaraSimulator;
  call: (intent: string, data: unknown, options?: { accessToken?: string | null }) => Promise<Envelope>;
}

async function session(t: TestContext, now = NOW): Promise<Session> {
  const sim = await startSimulator({ now: () => now });
  t.after(() => sim.stop());
  const app = sim.apps[0];
  const post = async (intent: string, data: unknown, accessToken?: string): Promise<Envelope> => {
    const res = await fetch(`${sim.baseUrl}/v3.0/open/api`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...simHeaders({ ...app, accessToken, time: now }),
      },
      body: JSON.stringify({ intent, data }),
    });
    assert.equal(res.status, 200);
    return (await res.json()) as Envelope;
  };
  const grant = await post('config.auth.refreshToken', { refreshToken: sim.issueRefreshToken() });
  const accessToken = (grant.result as { accessToken: string }).accessToken;
  return {
    sim,
    call: (intent, data, options = {}) =>
      post(intent, data, options.accessToken === null ? undefined : (options.accessToken ?? accessToken)),
  };
}

function ok<T>(envelope: Envelope): T {
  assert.equal(envelope.code, 0, envelope.message);
  return envelope.result as T;
}

/** Follows scanId to the end; counts the calls. */
async function scanAll<T>(
  s: Session,
  intent: string,
  data: Record<string, unknown>,
): Promise<{ rows: T[]; calls: number; pageSizes: number[] }> {
  const rows: T[] = [];
  const pageSizes: number[] = [];
  let scanId = '';
  let calls = 0;
  do {
    const page = ok<Page<T>>(await s.call(intent, { ...data, scanId }));
    calls += 1;
    assert.ok(calls < 1000, 'the scan does not end');
    rows.push(...page.data);
    pageSizes.push(page.data.length);
    scanId = page.scanId;
  } while (scanId !== '');
  return { rows, calls, pageSizes };
}

/** The drift documented in simulator/device-intents.ts: temperature 2500 + wave. */
const temperatureAt = (time: number): string => String(2500 + Math.round(Math.sin(time / 600_000) * 150));

function assertNewestFirstOnce(rows: HistoryRow[], order: readonly string[]): void {
  for (let index = 1; index < rows.length; index += 1) {
    const [newer, older] = [rows[index - 1], rows[index]];
    const inOrder =
      newer.timeStamp > older.timeStamp ||
      (newer.timeStamp === older.timeStamp &&
        order.indexOf(newer.resourceId) < order.indexOf(older.resourceId));
    assert.ok(inOrder, `row ${index} is out of order`);
  }
  const keys = new Set(rows.map((row) => `${row.resourceId}@${row.timeStamp}`));
  assert.equal(keys.size, rows.length, 'a point came twice');
}

test('a week of the minute sensor pages to the end: every point once, newest first, ⌈points/300⌉ calls', async (t) => {
  const s = await session(t);
  const start = NOW - 7 * DAY;
  const { rows, calls, pageSizes } = await scanAll<HistoryRow>(s, HISTORY, {
    subjectId: SENSOR_DID,
    resourceIds: ['0.1.85'],
    startTime: start,
    endTime: NOW,
    size: 300,
  });
  // One report a minute, a few seconds late each: 10,080 in any 7-day window, give or take the edges.
  assert.ok(rows.length >= 10_079 && rows.length <= 10_081, `${rows.length} points`);
  assert.equal(calls, Math.ceil(rows.length / 300));
  assert.deepEqual(pageSizes.slice(0, -1), Array(calls - 1).fill(300));
  assertNewestFirstOnce(rows, ['0.1.85']);
  for (const row of rows) {
    assert.ok(row.timeStamp >= start && row.timeStamp <= NOW);
    assert.equal(row.subjectId, SENSOR_DID);
    assert.equal(typeof row.timeStamp, 'number');
    assert.equal(row.value, temperatureAt(row.timeStamp));
  }
  // Consecutive reports are about a minute apart: none missing, none on the dot.
  const gaps = rows.slice(1).map((row, index) => rows[index].timeStamp - row.timeStamp);
  assert.ok(gaps.every((gap) => gap > MINUTE - 5_000 && gap < MINUTE + 5_000));
  assert.ok(rows.some((row) => row.timeStamp % 1000 !== 0));
  // The newest point is what a read would have answered then: history and reads agree.
  assert.ok(NOW - rows[0].timeStamp < MINUTE + 5_000);
});

test('the merge of two resources is the same list whatever the page size', async (t) => {
  const s = await session(t);
  const query = {
    subjectId: SENSOR_DID,
    resourceIds: ['0.2.85', '0.1.85', '0.3.85'],
    startTime: String(NOW - 3 * HOUR),
    endTime: String(NOW),
  };
  const small = await scanAll<HistoryRow>(s, HISTORY, { ...query, size: 7 });
  const large = await scanAll<HistoryRow>(s, HISTORY, { ...query, size: '300' });
  assert.deepEqual(small.rows, large.rows);
  assert.equal(large.calls, Math.ceil(large.rows.length / 300));
  assertNewestFirstOnce(small.rows, query.resourceIds);
  const count = (resourceId: string): number =>
    small.rows.filter((row) => row.resourceId === resourceId).length;
  assert.ok(count('0.1.85') >= 179 && count('0.1.85') <= 181);
  assert.ok(count('0.2.85') >= 179 && count('0.2.85') <= 181);
  // Pressure every five minutes, a few reports missing.
  assert.ok(count('0.3.85') > 30 && count('0.3.85') <= 37, `${count('0.3.85')} pressure points`);
});

test('size: 30 by default, more than 300 is cut to 300, below 1 is a 302', async (t) => {
  const s = await session(t);
  const query = { subjectId: SENSOR_DID, resourceIds: ['0.1.85'], startTime: NOW - DAY };
  const first = ok<Page<HistoryRow>>(await s.call(HISTORY, query));
  assert.equal(first.data.length, 30);
  assert.notEqual(first.scanId, '');
  assert.equal(ok<Page<HistoryRow>>(await s.call(HISTORY, { ...query, size: 5000 })).data.length, 300);
  for (const size of [0, -1, 1.5, 'ten'])
    assert.equal((await s.call(HISTORY, { ...query, size })).code, 302, `size ${String(size)}`);
});

test('five weeks back are there; the offline sensor’s history ends when it went quiet', async (t) => {
  const s = await session(t);
  const longAgo = NOW - 35 * DAY;
  const old = await scanAll<HistoryRow>(s, HISTORY, {
    subjectId: SENSOR_DID,
    resourceIds: ['0.1.85'],
    startTime: longAgo,
    endTime: longAgo + HOUR,
    size: 300,
  });
  assert.ok(old.rows.length >= 59 && old.rows.length <= 61);
  const offline = ok<Page<HistoryRow>>(
    await s.call(HISTORY, { subjectId: OFFLINE_DID, resourceIds: ['0.1.85'], startTime: NOW - 7 * DAY }),
  );
  assert.ok(offline.data.length > 0);
  assert.ok(offline.data.every((row) => row.timeStamp <= NOW - 3 * DAY));
  // A resource without history is no error: it has no points.
  const none = ok<Page<HistoryRow>>(
    await s.call(HISTORY, { subjectId: SENSOR_DID, resourceIds: ['8.0.2007'], startTime: NOW - DAY }),
  );
  assert.deepEqual(none, { data: [], scanId: '' });
});

test('a series defined by a test: a full last page ends with an empty scanId, no extra call', async (t) => {
  const s = await session(t);
  const since = NOW - 600 * MINUTE;
  s.sim.history.define({
    subjectId: PLUG_DID,
    resourceId: '4.1.85',
    since,
    everyMs: MINUTE,
    value: (time) => String(Math.floor((time - since) / MINUTE) % 2),
  });
  const { rows, calls } = await scanAll<HistoryRow>(s, HISTORY, {
    subjectId: PLUG_DID,
    resourceIds: ['4.1.85'],
    startTime: since,
    endTime: NOW - 1,
    size: 300,
  });
  assert.equal(rows.length, 600);
  assert.equal(calls, 2);
  assert.equal(rows.at(-1)?.timeStamp, since);
  assert.equal(rows[0].value, '1');
});

test('history params: more than 100 resources, a bad time, a foreign scanId are 302', async (t) => {
  const s = await session(t);
  const base = { subjectId: SENSOR_DID, resourceIds: ['0.1.85'], startTime: NOW - HOUR };
  const ids = (count: number): string[] => Array.from({ length: count }, (_, index) => `0.${index + 1}.85`);
  const hundred = ok<Page<HistoryRow>>(await s.call(HISTORY, { ...base, resourceIds: ids(100), size: 300 }));
  assert.deepEqual(
    new Set(hundred.data.map((row) => row.resourceId)),
    new Set(['0.1.85', '0.2.85', '0.3.85']),
  );
  const bad: [string, unknown][] = [
    ['101 resources', { ...base, resourceIds: ids(101) }],
    ['no resources', { ...base, resourceIds: [] }],
    ['no startTime', { subjectId: SENSOR_DID, resourceIds: ['0.1.85'] }],
    ['an ISO time', { ...base, startTime: new Date(NOW - HOUR).toISOString() }],
    ['start after end', { ...base, endTime: NOW - 2 * HOUR }],
    ['a device not in the account', { ...base, subjectId: 'lumi.158d0000000000' }],
    ['a scanId of nothing', { ...base, scanId: 'bm90IGEgc2NhbklkIGF0IGFsbA' }],
  ];
  for (const [what, data] of bad) assert.equal((await s.call(HISTORY, data)).code, 302, what);
  // A scanId is bound to the query that made it.
  const first = ok<Page<HistoryRow>>(await s.call(HISTORY, { ...base, size: 10 }));
  assert.notEqual(first.scanId, '');
  assert.equal((await s.call(HISTORY, { ...base, size: 10, scanId: first.scanId })).code, 0);
  const other = { ...base, resourceIds: ['0.2.85'], size: 10, scanId: first.scanId };
  assert.equal((await s.call(HISTORY, other)).code, 302);
});

interface Bucketed {
  resourceId: string;
  bucket: number;
  values: number[];
}

/** The aggregation meanings the simulator documents as its guess: sum, average, max, min, increase. */
function expectedValue(values: number[], aggrType: number): number {
  // values are newest first, as history answers.
  switch (aggrType) {
    case 0:
      return values.reduce((sum, value) => sum + value, 0);
    case 1:
      return values.reduce((sum, value) => sum + value, 0) / values.length;
    case 2:
      return Math.max(...values);
    case 3:
      return Math.min(...values);
    default:
      return values[0] - values[values.length - 1];
  }
}

/** Buckets of `dimension` ms starting at the devices' local midnight (GMT+8), newest first. */
function bucketsOf(rows: HistoryRow[], order: readonly string[], dimension: number): Bucketed[] {
  const offset = 8 * HOUR;
  const buckets = new Map<string, Bucketed>();
  for (const row of rows) {
    const bucket = Math.floor((row.timeStamp + offset) / dimension) * dimension - offset;
    const key = `${bucket}/${row.resourceId}`;
    const entry = buckets.get(key) ?? { resourceId: row.resourceId, bucket, values: [] };
    entry.values.push(Number(row.value));
    buckets.set(key, entry);
  }
  return [...buckets.values()].sort(
    (a, b) => b.bucket - a.bucket || order.indexOf(a.resourceId) - order.indexOf(b.resourceId),
  );
}

test('statistics per day and per 4 h equal sum, average, max, min and increase over the same history', async (t) => {
  const s = await session(t);
  const resourceIds = ['0.13.85', '0.12.85'];
  const start = NOW - 3 * DAY - 5 * HOUR;
  const history = await scanAll<HistoryRow>(s, HISTORY, {
    subjectId: PLUG_DID,
    resourceIds,
    startTime: start,
    endTime: NOW,
    size: 300,
  });
  for (const [dimension, ms] of [
    ['1d', DAY],
    ['4h', 4 * HOUR],
  ] as const) {
    const aggrTypes = [0, 1, 2, 3, 4];
    const stats = await scanAll<StatisticsRow>(s, STATISTICS, {
      resources: { subjectId: PLUG_DID, resourceIds, aggrTypes },
      startTime: String(start),
      endTime: NOW,
      dimension,
      size: 10,
    });
    const expected = bucketsOf(history.rows, resourceIds, ms).flatMap((bucket) =>
      aggrTypes.map((aggrType) => ({ ...bucket, aggrType })),
    );
    assert.equal(stats.rows.length, expected.length, dimension);
    stats.rows.forEach((row, index) => {
      const want = expected[index];
      const where = `${dimension} row ${index}`;
      assert.equal(row.resourceId, want.resourceId, where);
      assert.equal(row.aggrType, want.aggrType, where);
      assert.equal(row.timeStamp, want.bucket, where);
      assert.equal(row.startTimeZone, String(want.bucket), where);
      assert.equal(row.endTimeZone, String(want.bucket + ms), where);
      assert.equal(typeof row.value, 'string', where);
      const value = expectedValue(want.values, want.aggrType);
      assert.ok(Math.abs(Number(row.value) - value) < 0.011, `${where}: ${row.value} vs ${value}`);
    });
  }
  // Days start at the devices' midnight, GMT+8: 16:00 UTC.
  const days = ok<Page<StatisticsRow>>(
    await s.call(STATISTICS, {
      resources: { subjectId: PLUG_DID, resourceIds: ['0.13.85'], aggrTypes: [4] },
      startTime: start,
      endTime: NOW,
      dimension: '1d',
    }),
  );
  assert.equal(days.data.length, 4);
  for (const row of days.data) {
    assert.equal(new Date(row.timeStamp).getUTCHours(), 16);
    // One aggregation asked: the rows do not say which.
    assert.equal(row.aggrType, undefined);
    // Energy is a meter: its increase over a day is never negative, and the plug used some.
    assert.ok(Number(row.value) > 0);
  }
});

test('statistics params: resources as a list, too many resources, unknown codes and dimensions are 302', async (t) => {
  const s = await session(t);
  const resources = { subjectId: SENSOR_DID, resourceIds: ['0.1.85'], aggrTypes: [1] };
  const base = { resources, startTime: NOW - 7 * DAY, endTime: NOW, dimension: '30m' };
  assert.equal(ok<Page<StatisticsRow>>(await s.call(STATISTICS, base)).data.length, 100);
  // 7 days of 30-minute buckets are 336 rows: a size above 300 is cut to 300.
  assert.equal(ok<Page<StatisticsRow>>(await s.call(STATISTICS, { ...base, size: 1000 })).data.length, 300);
  const many = Array.from({ length: 51 }, (_, index) => `0.${index + 1}.85`);
  const bad: [string, unknown][] = [
    ['resources as a list', { ...base, resources: [resources] }],
    ['51 resources', { ...base, resources: { ...resources, resourceIds: many } }],
    ['aggrType 5', { ...base, resources: { ...resources, aggrTypes: [5] } }],
    ['no aggrTypes', { ...base, resources: { subjectId: SENSOR_DID, resourceIds: ['0.1.85'] } }],
    ['dimension 3m', { ...base, dimension: '3m' }],
    ['no dimension', { resources, startTime: NOW - DAY }],
    ['size 5', { ...base, size: 5 }],
    ['no startTime', { resources, dimension: '1h' }],
  ];
  for (const [what, data] of bad) assert.equal((await s.call(STATISTICS, data)).code, 302, what);
  const fifty = { ...resources, resourceIds: many.slice(0, 50) };
  assert.equal((await s.call(STATISTICS, { ...base, resources: fifty })).code, 0);
});

test('history intents pass the gate like every intent: sign, access token, injected faults', async (t) => {
  const s = await session(t);
  const query = { subjectId: SENSOR_DID, resourceIds: ['0.1.85'], startTime: NOW - HOUR };
  assert.equal((await s.call(HISTORY, query, { accessToken: null })).code, 109);
  assert.equal((await s.call(HISTORY, query, { accessToken: 'f'.repeat(32) })).code, 108);
  s.sim.injectFault({ intent: HISTORY, fault: { kind: 'code', code: 429 } });
  assert.equal((await s.call(HISTORY, query)).code, 429);
  assert.equal((await s.call(HISTORY, query)).code, 0);
  s.sim.injectFault({ intent: STATISTICS, fault: { kind: 'code', code: 500 } });
  const stats = { resources: { ...query, aggrTypes: [2] }, startTime: NOW - HOUR, dimension: '1h', size: 10 };
  assert.equal((await s.call(STATISTICS, stats)).code, 500);
  assert.equal((await s.call(STATISTICS, stats)).code, 0);
  const app = s.sim.apps[0];
  const res = await fetch(`${s.sim.baseUrl}/v3.0/open/api`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...simHeaders({ ...app, appKey: 'not-the-key', time: NOW }),
    },
    body: JSON.stringify({ intent: HISTORY, data: query }),
  });
  assert.equal(((await res.json()) as Envelope).code, 106);
  assert.equal(s.sim.callCount(HISTORY), 4);
  assert.equal(s.sim.callCount(STATISTICS), 2);
});
