import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test, type TestContext } from 'node:test';

import {
  AqaraSimulator,
  startSimulator,
  type SimulatorApp,
  type SimulatorOptions,
} from '../../simulator/server';
import { computeSign, signedString } from '../../simulator/signature';
import { simHeaders, simSign } from '../helpers/sim-sign';

// The tests speak HTTP to a real simulator with their own signer, exactly as a client would.

interface Envelope {
  code: number;
  requestId: string;
  message: string;
  msgDetails: unknown;
  result: unknown;
}

interface RawResponse {
  status: number;
  contentType: string;
  text: string;
}

interface Reply extends RawResponse {
  envelope: Envelope;
}

interface CallOptions {
  app?: SimulatorApp;
  accessToken?: string;
  time?: number | string;
  nonce?: string;
  /** Header overrides applied after signing; undefined removes a header. */
  headers?: Record<string, string | undefined>;
  body?: string;
  path?: string;
  method?: string;
  signal?: AbortSignal;
}

const HOUR = 3600 * 1000;
/** What every real client sends for the top level; Aqara refuses query.position.info without it. */
const HOMES = { parentPositionId: '' };
const DAY = 24 * HOUR;

function rawRequest(
  baseUrl: string,
  path: string,
  method: string,
  headers: Record<string, string>,
  body: string,
  signal?: AbortSignal,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    // agent: false gives each request its own connection, so one test's dropped socket
    // can never be reused by the next request.
    const req = request(
      `${baseUrl}${path}`,
      {
        method,
        agent: false,
        signal,
        headers: {
          ...headers,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function send(
  sim: AqaraSimulator,
  intent: string,
  data: unknown,
  options: CallOptions = {},
): Promise<RawResponse> {
  const app = options.app ?? sim.apps[0];
  const headers: Record<string, string> = simHeaders({
    appId: app.appId,
    keyId: app.keyId,
    appKey: app.appKey,
    accessToken: options.accessToken,
    nonce: options.nonce,
    time: options.time,
  });
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  const body = options.body ?? JSON.stringify({ intent, data });
  return rawRequest(
    sim.baseUrl,
    options.path ?? '/v3.0/open/api',
    options.method ?? 'POST',
    headers,
    body,
    options.signal,
  );
}

async function call(
  sim: AqaraSimulator,
  intent: string,
  data: unknown,
  options: CallOptions = {},
): Promise<Reply> {
  const raw = await send(sim, intent, data, options);
  assert.equal(raw.status, 200, `HTTP status for ${intent}`);
  assert.match(raw.contentType, /application\/json/);
  return { ...raw, envelope: JSON.parse(raw.text) as Envelope };
}

async function started(t: TestContext, options?: SimulatorOptions): Promise<AqaraSimulator> {
  const sim = await startSimulator(options);
  t.after(() => sim.stop());
  return sim;
}

interface Grant {
  accessToken: string;
  refreshToken?: string;
  openId: string;
  expiresIn?: unknown;
}

async function refresh(sim: AqaraSimulator, token: string, options: CallOptions = {}): Promise<Reply> {
  return call(sim, 'config.auth.refreshToken', { refreshToken: token }, options);
}

async function grant(sim: AqaraSimulator, token: string, options: CallOptions = {}): Promise<Grant> {
  const reply = await refresh(sim, token, options);
  assert.equal(reply.envelope.code, 0, reply.envelope.message);
  return reply.envelope.result as Grant;
}

function manualClock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let current = start;
  return { now: () => current, advance: (ms) => (current += ms) };
}

const VECTOR = {
  appId: 'APPID123',
  keyId: 'K.123',
  nonce: 'NONCE1',
  time: '1700000000000',
  appKey: 'AppKeySecret',
};
const VECTOR_TOKEN = 'b8001e1893f5e4316a4f8c3b47df3720';

test('sign: both the simulator and the test signer reproduce the protocol test vectors', () => {
  assert.equal(
    signedString(VECTOR),
    'appid=appid123&keyid=k.123&nonce=nonce1&time=1700000000000appkeysecret',
  );
  assert.equal(computeSign(VECTOR), 'bd81d3dfd909fc022a3c21f43d87d528');
  assert.equal(simSign(VECTOR), 'bd81d3dfd909fc022a3c21f43d87d528');
  assert.equal(computeSign({ ...VECTOR, accessToken: VECTOR_TOKEN }), 'a632263f8e2170a94bf83df47a9692ca');
  assert.equal(simSign({ ...VECTOR, accessToken: VECTOR_TOKEN }), 'a632263f8e2170a94bf83df47a9692ca');
});

test('sign: the server accepts the literal test-vector signatures', async (t) => {
  const sim = await started(t, {
    apps: [{ appId: VECTOR.appId, keyId: VECTOR.keyId, appKey: VECTOR.appKey }],
    now: () => Number(VECTOR.time),
  });
  const base = { Appid: VECTOR.appId, Keyid: VECTOR.keyId, Nonce: VECTOR.nonce, Time: VECTOR.time };
  const body = JSON.stringify({ intent: 'config.auth.refreshToken', data: { refreshToken: 'nope' } });
  const noToken = await rawRequest(
    sim.baseUrl,
    '/v3.0/open/api',
    'POST',
    {
      ...base,
      Sign: 'bd81d3dfd909fc022a3c21f43d87d528',
    },
    body,
  );
  // Past the gate: the refresh token itself is what fails.
  assert.equal((JSON.parse(noToken.text) as Envelope).code, 2006);

  const withToken = await rawRequest(
    sim.baseUrl,
    '/v3.0/open/api',
    'POST',
    {
      ...base,
      Nonce: 'NONCE1',
      Accesstoken: VECTOR_TOKEN,
      Sign: 'a632263f8e2170a94bf83df47a9692ca',
    },
    JSON.stringify({ intent: 'config.scene.run', data: { sceneId: 'AL.1' } }),
  );
  // The nonce check comes after the sign check, so "nonce reused" (not 106) proves the
  // literal access-token vector was accepted. A fresh nonce needs a freshly computed sign.
  assert.equal((JSON.parse(withToken.text) as Envelope).message, 'nonce reused');
  const fresh = { ...VECTOR, nonce: 'NONCE2', accessToken: VECTOR_TOKEN };
  const second = await call(
    sim,
    'config.scene.run',
    { sceneId: 'AL.1' },
    {
      headers: { ...base, Nonce: 'NONCE2', Accesstoken: VECTOR_TOKEN, Sign: computeSign(fresh) },
    },
  );
  assert.equal(second.envelope.code, 108);
});

test('gate: each missing required header answers 305 naming it', async (t) => {
  const sim = await started(t);
  for (const name of ['Appid', 'Keyid', 'Nonce', 'Time', 'Sign']) {
    const reply = await call(
      sim,
      'config.auth.refreshToken',
      { refreshToken: 'x' },
      { headers: { [name]: undefined } },
    );
    assert.equal(reply.envelope.code, 305, name);
    assert.equal(reply.envelope.message, `Missing required header: ${name}`);
    assert.equal(reply.envelope.result, null);
    assert.equal(reply.envelope.msgDetails, null);
    assert.equal(typeof reply.envelope.requestId, 'string');
  }
  assert.equal(sim.callCount(), 0, 'rejected requests never reach intent dispatch');
});

test('gate: header names are read case-insensitively', async (t) => {
  const sim = await started(t);
  const app = sim.apps[0];
  const headers = simHeaders({ ...app });
  const lower = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const raw = await rawRequest(
    sim.baseUrl,
    '/v3.0/open/api',
    'POST',
    lower,
    JSON.stringify({ intent: 'config.auth.refreshToken', data: { refreshToken: sim.issueRefreshToken() } }),
  );
  assert.equal((JSON.parse(raw.text) as Envelope).code, 0);
});

test('gate: unknown app id and a key id of another app answer 2002', async (t) => {
  const sim = await started(t);
  const app = sim.apps[0];
  const unknown = await call(
    sim,
    'config.auth.refreshToken',
    { refreshToken: 'x' },
    { app: { ...app, appId: 'other' } },
  );
  assert.equal(unknown.envelope.code, 2002);
  const wrongKey = await call(
    sim,
    'config.auth.refreshToken',
    { refreshToken: 'x' },
    { app: { ...app, keyId: 'K.x' } },
  );
  assert.equal(wrongKey.envelope.code, 2002);
});

test('gate: a wrong app key, an unsigned access token or an uppercase sign answer 106', async (t) => {
  const sim = await started(t);
  const app = sim.apps[0];
  const wrongKey = await call(
    sim,
    'config.auth.refreshToken',
    { refreshToken: 'x' },
    { app: { ...app, appKey: 'nope' } },
  );
  assert.equal(wrongKey.envelope.code, 106);
  assert.equal(wrongKey.envelope.message, 'invalid sign');

  // Signed without a token, then a token header added: the sign no longer covers what was sent.
  const unsigned = await call(sim, 'query.position.info', HOMES, { headers: { Accesstoken: 'abc' } });
  assert.equal(unsigned.envelope.code, 106);

  const headers = simHeaders({ ...app });
  const upper = await call(sim, 'query.position.info', HOMES, {
    headers: { ...headers, Sign: headers.Sign.toUpperCase() },
  });
  assert.equal(upper.envelope.code, 106);
});

test('gate: Time more than 5 minutes away answers 105, within 5 minutes passes', async (t) => {
  const clock = manualClock();
  const sim = await started(t, { now: clock.now });
  const token = sim.issueRefreshToken();
  const data = { refreshToken: token };
  for (const offset of [-5 * 60 * 1000 - 1, 5 * 60 * 1000 + 1]) {
    const reply = await call(sim, 'config.auth.refreshToken', data, { time: clock.now() + offset });
    assert.equal(reply.envelope.code, 105, `offset ${offset}`);
  }
  assert.equal((await call(sim, 'x', {}, { time: 'yesterday' })).envelope.code, 105);
  assert.equal((await refresh(sim, token, { time: clock.now() - 4 * 60 * 1000 })).envelope.code, 0);
});

test('gate: a reused nonce answers 105 "nonce reused" until the time window has passed', async (t) => {
  const clock = manualClock();
  const sim = await started(t, { now: clock.now });
  const first = await call(sim, 'query.position.info', HOMES, { nonce: 'same', time: clock.now() });
  assert.equal(first.envelope.code, 109, 'first use passes the gate (and meets the missing token)');
  const again = await call(sim, 'query.position.info', HOMES, { nonce: 'same', time: clock.now() + 1 });
  assert.equal(again.envelope.code, 105);
  assert.equal(again.envelope.message, 'nonce reused');

  clock.advance(5 * 60 * 1000 + 10);
  const later = await call(sim, 'query.position.info', HOMES, { nonce: 'same', time: clock.now() });
  assert.equal(later.envelope.code, 109, 'a request with that nonce could no longer pass the Time check');
});

test('routing: other paths and methods 404, bad JSON and a missing intent 302, unknown intent 302', async (t) => {
  const sim = await started(t);
  assert.equal((await send(sim, 'x', {}, { path: '/v3.0/open/other' })).status, 404);
  assert.equal((await send(sim, 'x', {}, { method: 'PUT' })).status, 404);
  const badJson = await call(sim, '', null, { body: '{"intent": ' });
  assert.equal(badJson.envelope.code, 302);
  const noIntent = await call(sim, '', null, { body: JSON.stringify({ data: {} }) });
  assert.equal(noIntent.envelope.code, 302);
  assert.equal(sim.callCount(), 0);

  const access = await grant(sim, sim.issueRefreshToken());
  const unknown = await call(sim, 'query.nothing.here', {}, { accessToken: access.accessToken });
  assert.equal(unknown.envelope.code, 302);
  assert.equal(sim.callCount('query.nothing.here'), 1);
});

test('refresh: returns a new token pair, the old refresh token answers 2006 at once', async (t) => {
  const sim = await started(t);
  const first = sim.issueRefreshToken();
  assert.match(first, /^[0-9a-f]{32}$/);
  assert.deepEqual(sim.currentRefreshTokens(), [first]);

  const reply = await refresh(sim, first);
  assert.equal(reply.envelope.code, 0);
  assert.equal(reply.envelope.message, 'Success');
  const result = reply.envelope.result as Grant;
  assert.deepEqual(Object.keys(result).sort(), ['accessToken', 'expiresIn', 'openId', 'refreshToken']);
  assert.match(result.accessToken, /^[0-9a-f]{32}$/);
  assert.match(result.refreshToken ?? '', /^[0-9a-f]{32}$/);
  assert.notEqual(result.refreshToken, first);
  assert.equal(result.expiresIn, '604800');
  assert.equal(typeof result.openId, 'string');

  assert.equal(sim.isRefreshTokenValid(first), false);
  assert.equal(sim.isRefreshTokenValid(result.refreshToken ?? ''), true);
  assert.deepEqual(sim.currentRefreshTokens(), [result.refreshToken]);
  const reused = await refresh(sim, first);
  assert.equal(reused.envelope.code, 2006);
  assert.equal(sim.refreshTokenUseCount(first), 2);

  const next = await grant(sim, result.refreshToken ?? '');
  assert.equal(next.openId, result.openId);
  // Several processes may each hold an access token: the older one keeps working.
  for (const accessToken of [result.accessToken, next.accessToken]) {
    assert.equal((await call(sim, 'query.position.info', HOMES, { accessToken })).envelope.code, 0);
  }
  // An access token is no refresh token and vice versa.
  assert.equal((await refresh(sim, next.accessToken)).envelope.code, 2006);
  const asAccess = await call(sim, 'query.position.info', HOMES, { accessToken: next.refreshToken });
  assert.equal(asAccess.envelope.code, 108);
  assert.equal((await refresh(sim, '')).envelope.code, 302);
});

test('refresh: rotateRefreshToken false sends no refresh token and keeps the old one valid', async (t) => {
  const sim = await started(t, { rotateRefreshToken: false });
  const token = sim.issueRefreshToken();
  const first = await grant(sim, token);
  assert.equal('refreshToken' in first, false);
  const second = await grant(sim, token);
  assert.notEqual(second.accessToken, first.accessToken);
  assert.equal(sim.isRefreshTokenValid(token), true);
  assert.equal(sim.refreshTokenUseCount(token), 2);
});

test('refresh: a refresh token is bound to the app that issued it', async (t) => {
  const other: SimulatorApp = { appId: 'app-two', keyId: 'K.two', appKey: 'two-secret' };
  const sim = await started(t, { apps: [{ appId: 'app-one', keyId: 'K.one', appKey: 'one-secret' }, other] });
  const token = sim.issueRefreshToken();
  assert.equal((await refresh(sim, token, { app: other })).envelope.code, 2006);
  assert.deepEqual(sim.currentRefreshTokens('app-two'), []);
  assert.deepEqual(sim.currentRefreshTokens('app-one'), [token]);
  const granted = await grant(sim, token);
  const crossApp = await call(sim, 'query.position.info', HOMES, {
    app: other,
    accessToken: granted.accessToken,
  });
  assert.equal(crossApp.envelope.code, 108);
  assert.throws(() => sim.issueRefreshToken('nobody'), /unknown simulator app id/);
});

test('refresh: an expired refresh token answers 2007; refreshing renews the lifetime', async (t) => {
  const clock = manualClock();
  const sim = await started(t, { now: clock.now, accessTokenTtlSeconds: 3600 });
  const idle = sim.issueRefreshToken();
  const active = sim.issueRefreshToken();
  // Default lifetime: the access token's plus 30 days.
  clock.advance(HOUR + 30 * DAY - 1000);
  const renewed = await grant(sim, active, { time: clock.now() });
  clock.advance(2000);
  assert.equal(sim.isRefreshTokenValid(idle), false);
  assert.equal((await refresh(sim, idle, { time: clock.now() })).envelope.code, 2007);
  assert.equal(sim.isRefreshTokenValid(renewed.refreshToken ?? ''), true);

  const manual = sim.issueRefreshToken();
  sim.expireRefreshToken(manual);
  assert.equal(sim.isRefreshTokenValid(manual), false);
  assert.equal((await refresh(sim, manual, { time: clock.now() })).envelope.code, 2007);
  assert.throws(() => sim.expireRefreshToken('never-issued'), /never issued/);
});

test('refresh: refreshTokenTtlSeconds sets the refresh token lifetime', async (t) => {
  const clock = manualClock();
  const sim = await started(t, { now: clock.now, refreshTokenTtlSeconds: 60 });
  const token = sim.issueRefreshToken();
  clock.advance(60 * 1000);
  assert.equal((await refresh(sim, token, { time: clock.now() })).envelope.code, 2007);
});

test('refresh: expiresIn is sent as a string, a number, not at all, or garbage', async (t) => {
  const expected = new Map<SimulatorOptions['expiresInFormat'], unknown>([
    ['string', '3600'],
    ['number', 3600],
    ['missing', undefined],
    ['garbage', '7 days'],
  ]);
  for (const [format, value] of expected) {
    const sim = await started(t, { expiresInFormat: format, accessTokenTtlSeconds: 3600 });
    const result = await grant(sim, sim.issueRefreshToken());
    assert.equal(result.expiresIn, value, String(format));
    assert.equal('expiresIn' in result, format !== 'missing');
  }
});

test('access token: missing answers 109; unknown, expired by time or by expireAccessTokens 108', async (t) => {
  const clock = manualClock();
  const sim = await started(t, { now: clock.now, accessTokenTtlSeconds: 3600 });
  const time = (): number => clock.now();
  const missing = await call(sim, 'config.scene.run', { sceneId: 'AL.100000000000000001' }, { time: time() });
  assert.equal(missing.envelope.code, 109);
  assert.equal(missing.envelope.message, 'token is absent');
  const unknown = await call(sim, 'config.scene.run', {}, { accessToken: 'f'.repeat(32), time: time() });
  assert.equal(unknown.envelope.code, 108);
  assert.equal(unknown.envelope.message, 'token has expired');
  // As the real cloud does: the detail in `messageDetail`, echoing the refused token.
  const raw = JSON.parse(unknown.text) as Record<string, unknown>;
  assert.equal(raw.messageDetail, `Parameter AccessToken illegal, accessToken:${'f'.repeat(32)}`);
  assert.equal('msgDetails' in raw, false);

  const first = await grant(sim, sim.issueRefreshToken(), { time: time() });
  clock.advance(HOUR - 1);
  assert.equal(
    (await call(sim, 'query.position.info', HOMES, { accessToken: first.accessToken, time: time() })).envelope
      .code,
    0,
  );
  clock.advance(1);
  const expired = await call(sim, 'query.position.info', HOMES, {
    accessToken: first.accessToken,
    time: time(),
  });
  assert.equal(expired.envelope.code, 108);

  const second = await grant(sim, first.refreshToken ?? '', { time: time() });
  sim.expireAccessTokens();
  const revoked = await call(sim, 'query.position.info', HOMES, {
    accessToken: second.accessToken,
    time: time(),
  });
  assert.equal(revoked.envelope.code, 108);
  assert.match(revoked.text, new RegExp(`accessToken:${second.accessToken}`));
  const third = await grant(sim, second.refreshToken ?? '', { time: time() });
  assert.equal(
    (await call(sim, 'query.position.info', HOMES, { accessToken: third.accessToken, time: time() })).envelope
      .code,
    0,
  );
});

test('scenes: run records the run, an unknown scene answers 1202, a missing id 302', async (t) => {
  const sim = await started(t);
  const { accessToken } = await grant(sim, sim.issueRefreshToken());
  const ran = await call(sim, 'config.scene.run', { sceneId: 'AL.100000000000000002' }, { accessToken });
  assert.equal(ran.envelope.code, 0);
  assert.equal(ran.envelope.result, '');
  assert.equal(sim.sceneRuns.length, 1);
  assert.equal(sim.sceneRuns[0].sceneId, 'AL.100000000000000002');
  assert.equal(sim.sceneRuns[0].appId, 'sim-app-id');
  assert.equal(typeof sim.sceneRuns[0].at, 'number');

  const missing = await call(sim, 'config.scene.run', { sceneId: 'AL.999' }, { accessToken });
  assert.equal(missing.envelope.code, 1202);
  assert.equal(missing.envelope.message, 'scene does not exist');
  assert.equal((await call(sim, 'config.scene.run', {}, { accessToken })).envelope.code, 302);
  assert.equal((await call(sim, 'config.scene.run', ['AL.1'], { accessToken })).envelope.code, 302);
  assert.equal(sim.sceneRuns.length, 1);

  const detail = await call(sim, 'query.scene.detail', { sceneId: 'AL.100000000000000003' }, { accessToken });
  assert.deepEqual(detail.envelope.result, {
    sceneId: 'AL.100000000000000003',
    name: 'tv_power_off',
    positionId: 'real1.home',
    model: 'app.scene.v1',
  });
});

/** A positions page with each item's createTime checked (a number, as Aqara sends) and dropped. */
function withoutCreateTime(result: unknown): unknown {
  const page = result as { data: Array<Record<string, unknown>>; totalCount: number };
  return {
    ...page,
    data: page.data.map(({ createTime, ...rest }) => {
      assert.equal(typeof createTime, 'number');
      return rest;
    }),
  };
}

test('positions: listed by parent and paged, 1-based, in the shape of real answers', async (t) => {
  const sim = await started(t, {
    positions: [
      { positionId: 'h1', positionName: 'Home 1' },
      { positionId: 'h2', positionName: 'Home 2', description: 'office', createTime: 1551366457289 },
      { positionId: 'h3', positionName: 'Home 3' },
      { positionId: 'r1', positionName: 'Room 1', parentPositionId: 'h1' },
    ],
  });
  const { accessToken } = await grant(sim, sim.issueRefreshToken());
  const list = async (data: Record<string, unknown>): Promise<Envelope> =>
    (await call(sim, 'query.position.info', data, { accessToken })).envelope;
  const home = (positionId: string, positionName: string, description = '') => ({
    positionName,
    positionId,
    description,
    parentPositionId: '',
  });

  const page1 = await list({ parentPositionId: '', pageNum: 1, pageSize: 2 });
  assert.deepEqual(withoutCreateTime(page1.result), {
    data: [home('h1', 'Home 1'), home('h2', 'Home 2', 'office')],
    totalCount: 3,
  });
  assert.equal((page1.result as { data: Array<{ createTime: number }> }).data[1].createTime, 1551366457289);
  const page2 = await list({ parentPositionId: '', pageNum: 2, pageSize: 2 });
  assert.deepEqual(withoutCreateTime(page2.result), { data: [home('h3', 'Home 3')], totalCount: 3 });
  assert.deepEqual(
    withoutCreateTime((await list({ parentPositionId: '', pageNum: 3, pageSize: 2 })).result),
    { data: [], totalCount: 3 },
  );
  assert.deepEqual(
    withoutCreateTime((await list({ parentPositionId: 'h1', pageNum: 1, pageSize: 10 })).result),
    {
      data: [{ positionName: 'Room 1', positionId: 'r1', description: '', parentPositionId: 'h1' }],
      totalCount: 1,
    },
  );
  assert.equal((await list({ parentPositionId: '', pageNum: '1', pageSize: '50' })).code, 0);
  assert.equal((await list({ parentPositionId: '', pageNum: 0, pageSize: 10 })).code, 302);
  assert.equal((await list({ parentPositionId: '', pageNum: 1, pageSize: 1.5 })).code, 302);
  // Without the key Aqara refuses: a client must send "" for the top level.
  const unparented = await list({ pageNum: 1, pageSize: 10 });
  assert.equal(unparented.code, 302);
  assert.match(unparented.message, /parentPositionId/);
  assert.equal((await list({ parentPositionId: 7, pageNum: 1, pageSize: 10 })).code, 302);
});

test('positions: by default one home with two rooms; a scene sits in a room', async (t) => {
  const sim = await started(t);
  const { accessToken } = await grant(sim, sim.issueRefreshToken());
  const positions = async (parentPositionId: string) =>
    withoutCreateTime(
      (
        await call(
          sim,
          'query.position.info',
          { parentPositionId, pageNum: 1, pageSize: 50 },
          { accessToken },
        )
      ).envelope.result,
    );
  assert.deepEqual(await positions(''), {
    data: [{ positionName: 'Home', positionId: 'real1.home', description: '', parentPositionId: '' }],
    totalCount: 1,
  });
  const rooms = (await positions('real1.home')) as {
    data: Array<{ positionId: string; parentPositionId: string }>;
  };
  assert.deepEqual(
    rooms.data.map((room) => [room.positionId, room.parentPositionId]),
    [
      ['real2.living', 'real1.home'],
      ['real2.bedroom', 'real1.home'],
    ],
  );
  const inRoom = await call(
    sim,
    'query.scene.listByPositionId',
    { positionId: 'real2.living', pageNum: 1, pageSize: 30 },
    { accessToken },
  );
  assert.deepEqual(inRoom.envelope.result, {
    data: [{ sceneId: 'AL.100000000000000004', name: 'movie_night', model: 'app.scene.v1' }],
    totalCount: 1,
  });
});

test('scenes: listByPositionId is paged and names the model', async (t) => {
  const scenes = Array.from({ length: 5 }, (_, index) => ({
    sceneId: `AL.20000000000000000${index}`,
    name: `scene ${index}`,
    positionId: index === 4 ? 'elsewhere' : 'home',
  }));
  const sim = await started(t, { scenes });
  const { accessToken } = await grant(sim, sim.issueRefreshToken());
  const list = async (data: Record<string, unknown>): Promise<Envelope> =>
    (await call(sim, 'query.scene.listByPositionId', data, { accessToken })).envelope;

  assert.deepEqual((await list({ positionId: 'home', pageNum: 2, pageSize: 3 })).result, {
    data: [{ sceneId: 'AL.200000000000000003', name: 'scene 3', model: 'app.scene.v1' }],
    totalCount: 4,
  });
  const all = (await list({ positionId: 'home', pageNum: 1, pageSize: 30 })).result as { data: unknown[] };
  assert.equal(all.data.length, 4);
  assert.deepEqual((await list({ positionId: 'nowhere', pageNum: 1, pageSize: 3 })).result, {
    data: [],
    totalCount: 0,
  });
  assert.equal((await list({ pageNum: 1, pageSize: 3 })).code, 302);
});

test('rough like the real cloud: requestId shape, the spellings of "no detail", Chinese with Lang: zh', async (t) => {
  const sim = await started(t);
  const { accessToken } = await grant(sim, sim.issueRefreshToken());
  const homes = await call(
    sim,
    'query.position.info',
    { ...HOMES, pageNum: 1, pageSize: 10 },
    { accessToken },
  );
  // Like "2960.1209.16505260858914145": server, sequence, time in ms and four digits.
  assert.match(homes.envelope.requestId, /^\d{4}\.\d+\.\d{17}$/);
  // Real answers say "no detail" as null, "null" or "None", depending on the service.
  assert.equal(homes.envelope.msgDetails, 'None');
  const ran = await call(sim, 'config.scene.run', { sceneId: 'AL.100000000000000001' }, { accessToken });
  assert.equal(ran.envelope.msgDetails, 'null');
  const refreshed = await refresh(sim, sim.issueRefreshToken());
  assert.equal(refreshed.envelope.msgDetails, null);

  const zh = { Lang: 'zh' };
  const missing = await call(sim, 'config.scene.run', { sceneId: 'AL.999' }, { accessToken, headers: zh });
  assert.equal(missing.envelope.code, 1202);
  assert.equal(missing.envelope.message, '场景不存在');
  const unparented = await call(sim, 'query.position.info', {}, { accessToken, headers: zh });
  assert.equal(unparented.envelope.code, 302);
  assert.equal(unparented.envelope.message, '参数错误');
  // The English specifics move to the detail.
  assert.match(String(unparented.envelope.msgDetails), /parentPositionId/);
  const dead = await call(sim, 'query.position.info', HOMES, { accessToken: 'f'.repeat(32), headers: zh });
  assert.equal(dead.envelope.code, 108);
  assert.equal(dead.envelope.message, 'token已过期');
  assert.match(dead.text, /"messageDetail":"Parameter AccessToken illegal, accessToken:f{32}"/);
  const ok = await call(sim, 'query.position.info', HOMES, { accessToken, headers: zh });
  assert.equal(ok.envelope.message, 'Success');
  const unsigned = await call(sim, 'query.position.info', HOMES, {
    accessToken,
    headers: { ...zh, Sign: 'bad' },
  });
  assert.equal(unsigned.envelope.code, 106);
  assert.equal(unsigned.envelope.message, '签名无效');
});

test('fault delay: answers normally after the delay', async (t) => {
  const sim = await started(t);
  const token = sim.issueRefreshToken();
  sim.injectFault({ fault: { kind: 'delay', ms: 150 } });
  const startedAt = performance.now();
  const reply = await refresh(sim, token);
  assert.ok(performance.now() - startedAt >= 140, 'delayed');
  assert.equal(reply.envelope.code, 0);
  assert.equal(sim.isRefreshTokenValid(token), false);
});

test('fault http500: text or JSON body, state untouched', async (t) => {
  const sim = await started(t);
  const token = sim.issueRefreshToken();
  sim.injectFault({ fault: { kind: 'http500' } });
  sim.injectFault({ fault: { kind: 'http500', body: 'json' } });
  const text = await send(sim, 'config.auth.refreshToken', { refreshToken: token });
  assert.equal(text.status, 500);
  assert.throws(() => JSON.parse(text.text));
  const json = await send(sim, 'config.auth.refreshToken', { refreshToken: token });
  assert.equal(json.status, 500);
  assert.equal((JSON.parse(json.text) as Envelope).code, 500);
  assert.equal(sim.isRefreshTokenValid(token), true);
  assert.deepEqual(
    sim.calls.map((entry) => entry.code),
    [500, 500],
  );
  assert.equal((await refresh(sim, token)).envelope.code, 0);
});

test('fault drop: the socket dies before processing, the token survives', async (t) => {
  const sim = await started(t);
  const token = sim.issueRefreshToken();
  sim.injectFault({ fault: { kind: 'drop' }, intent: 'config.auth.refreshToken' });
  await assert.rejects(
    send(sim, 'config.auth.refreshToken', { refreshToken: token }),
    /socket hang up|ECONNRESET/,
  );
  assert.equal(sim.isRefreshTokenValid(token), true);
  assert.equal(sim.refreshTokenUseCount(token), 1);
  assert.equal(sim.callCount('config.auth.refreshToken'), 1);
  assert.equal(sim.calls[0].code, -1);
  assert.equal((await refresh(sim, token)).envelope.code, 0);
});

test('fault dropAfterProcessing: the refresh token rotates although the answer is lost', async (t) => {
  const sim = await started(t);
  const token = sim.issueRefreshToken();
  sim.injectFault({ fault: { kind: 'dropAfterProcessing' } });
  await assert.rejects(
    send(sim, 'config.auth.refreshToken', { refreshToken: token }),
    /socket hang up|ECONNRESET/,
  );
  assert.equal(sim.isRefreshTokenValid(token), false);
  const current = sim.currentRefreshTokens();
  assert.equal(current.length, 1);
  assert.notEqual(current[0], token);
  assert.equal(sim.calls[0].code, 0);
  assert.equal((await refresh(sim, token)).envelope.code, 2006);
  assert.equal((await refresh(sim, current[0])).envelope.code, 0);
});

test('fault hang: never answers; the client gives up and stop() still returns promptly', async (t) => {
  const sim = await started(t);
  const token = sim.issueRefreshToken();
  sim.injectFault({ fault: { kind: 'hang' } });
  const startedAt = performance.now();
  await assert.rejects(
    send(sim, 'config.auth.refreshToken', { refreshToken: token }, { signal: AbortSignal.timeout(200) }),
    (error: Error) => error.name === 'AbortError',
  );
  assert.ok(performance.now() - startedAt >= 190);
  assert.equal(sim.isRefreshTokenValid(token), true);

  // A second hanging request is cut off by stop() itself.
  sim.injectFault({ fault: { kind: 'hang' } });
  const pending = send(sim, 'config.auth.refreshToken', { refreshToken: token });
  await new Promise((resolve) => setTimeout(resolve, 50));
  const stopAt = performance.now();
  await sim.stop();
  assert.ok(performance.now() - stopAt < 1000, 'stop did not wait for the hanging request');
  await assert.rejects(pending);
  await sim.stop();
});

test('fault code: answers that code, optionally with another HTTP status, state untouched', async (t) => {
  const sim = await started(t);
  const token = sim.issueRefreshToken();
  sim.injectFault({ fault: { kind: 'code', code: 2006 } });
  sim.injectFault({ fault: { kind: 'code', code: 429, message: 'slow down', httpStatus: 429 } });
  const first = await refresh(sim, token);
  assert.equal(first.envelope.code, 2006);
  assert.equal(first.envelope.message, 'refresh token incorrect');
  const second = await send(sim, 'config.auth.refreshToken', { refreshToken: token });
  assert.equal(second.status, 429);
  assert.equal((JSON.parse(second.text) as Envelope).message, 'slow down');
  assert.equal(sim.isRefreshTokenValid(token), true);
});

test('faults: matched by intent, counted by times, Infinity until cleared', async (t) => {
  const sim = await started(t);
  const { accessToken, refreshToken } = await grant(sim, sim.issueRefreshToken());
  sim.injectFault({ fault: { kind: 'code', code: 500 }, intent: 'config.scene.run', times: 2 });
  const run = { sceneId: 'AL.100000000000000001' };
  // Another intent passes untouched and does not use the rule up.
  assert.equal((await call(sim, 'query.position.info', HOMES, { accessToken })).envelope.code, 0);
  assert.equal((await call(sim, 'config.scene.run', run, { accessToken })).envelope.code, 500);
  assert.equal((await call(sim, 'config.scene.run', run, { accessToken })).envelope.code, 500);
  assert.equal((await call(sim, 'config.scene.run', run, { accessToken })).envelope.code, 0);
  assert.equal(sim.sceneRuns.length, 1, 'faulted runs did not run the scene');

  sim.injectFault({ fault: { kind: 'code', code: 104 }, times: Infinity });
  for (let index = 0; index < 3; index += 1) {
    assert.equal((await refresh(sim, refreshToken ?? '')).envelope.code, 104);
  }
  sim.clearFaults();
  assert.equal((await refresh(sim, refreshToken ?? '')).envelope.code, 0);
  assert.equal(sim.refreshTokenUseCount(refreshToken ?? ''), 4);

  assert.throws(() => sim.injectFault({ fault: { kind: 'hang' }, times: 0 }), RangeError);
  assert.throws(() => sim.injectFault({ fault: { kind: 'delay', ms: -1 } }), RangeError);
});

test('bookkeeping: callCount by intent, calls log, unique request ids, resetCounters', async (t) => {
  const sim = await started(t);
  const token = sim.issueRefreshToken();
  const { accessToken } = await grant(sim, token);
  await call(sim, 'config.scene.run', { sceneId: 'AL.100000000000000001' }, { accessToken });
  await call(sim, 'config.scene.run', { sceneId: 'AL.404' }, { accessToken });
  const rejected = await call(sim, 'config.scene.run', {}, { accessToken, headers: { Sign: 'bad' } });
  assert.equal(rejected.envelope.code, 106);

  assert.equal(sim.callCount(), 3);
  assert.equal(sim.callCount('config.auth.refreshToken'), 1);
  assert.equal(sim.callCount('config.scene.run'), 2);
  assert.equal(sim.callCount('query.position.info'), 0);
  assert.equal(sim.refreshTokenUseCount(token), 1);
  assert.deepEqual(
    sim.calls.map((entry) => [entry.intent, entry.code]),
    [
      ['config.auth.refreshToken', 0],
      ['config.scene.run', 0],
      ['config.scene.run', 1202],
      ['config.scene.run', 106],
    ],
  );
  assert.equal(sim.calls[1].accessToken, accessToken);
  assert.deepEqual(sim.calls[1].data, { sceneId: 'AL.100000000000000001' });

  const ids = new Set<string>();
  for (let index = 0; index < 20; index += 1) {
    ids.add((await call(sim, 'query.position.info', HOMES, { accessToken })).envelope.requestId);
  }
  assert.equal(ids.size, 20);

  sim.resetCounters();
  assert.equal(sim.callCount(), 0);
  assert.equal(sim.calls.length, 0);
  assert.equal(sim.sceneRuns.length, 0);
  assert.equal(sim.refreshTokenUseCount(token), 0);
  assert.equal(
    (await call(sim, 'query.position.info', HOMES, { accessToken })).envelope.code,
    0,
    'tokens survive',
  );
});

test('stateFile: tokens survive a stop and a new instance; the file is 0600 and written atomically', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'aqara-sim-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const stateFile = join(dir, 'nested', 'state.json');

  const first = await started(t, { stateFile });
  const issued = first.issueRefreshToken();
  const granted = await grant(first, issued);
  await first.stop();
  assert.equal(statSync(stateFile).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(join(dir, 'nested')), ['state.json'], 'no temporary file left behind');

  const second = await started(t, { stateFile });
  assert.deepEqual(second.currentRefreshTokens(), [granted.refreshToken]);
  assert.equal((await refresh(second, issued)).envelope.code, 2006, 'rotation survives the restart');
  assert.equal(
    (await call(second, 'query.position.info', HOMES, { accessToken: granted.accessToken })).envelope.code,
    0,
  );
  const next = await grant(second, granted.refreshToken ?? '');
  await second.stop();

  const third = new AqaraSimulator({ stateFile });
  assert.deepEqual(third.currentRefreshTokens(), [next.refreshToken]);

  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{"version": 2}');
  assert.throws(() => new AqaraSimulator({ stateFile: broken }), /does not hold simulator state/);
  assert.equal(existsSync(join(dir, 'absent.json')), false);
  assert.deepEqual(new AqaraSimulator({ stateFile: join(dir, 'absent.json') }).currentRefreshTokens(), []);
});

test('lifecycle: baseUrl before start throws, start twice rejects, stop is idempotent, restart works', async (t) => {
  const sim = new AqaraSimulator();
  t.after(() => sim.stop());
  assert.throws(() => sim.baseUrl, /not started/);
  await sim.stop();
  const url = await sim.start();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(sim.baseUrl, url);
  await assert.rejects(sim.start(), /already started/);
  await Promise.all([sim.stop(), sim.stop()]);
  await assert.rejects(rawRequest(url, '/v3.0/open/api', 'POST', {}, '{}'), /ECONNREFUSED/);
  const port = Number(new URL(url).port);
  assert.equal(await sim.start(port), url);
  assert.equal((await refresh(sim, sim.issueRefreshToken())).envelope.code, 0);
});

test('cli: prints its URL and a minted refresh token, then stops cleanly on SIGTERM', async (t) => {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'simulator/cli.ts',
      '--issue-refresh-token',
      '--app-id',
      'cli-app',
      '--key-id',
      'K.cli',
      '--app-key',
      'cli-secret',
    ],
    { cwd: join(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout });
  const seen: string[] = [];
  for await (const line of lines) {
    seen.push(line);
    if (seen.length === 2) break;
  }
  assert.match(seen[0], /^Aqara simulator listening on http:\/\/127\.0\.0\.1:\d+$/, stderr);
  const match = /^refresh_token=([0-9a-f]{32})$/.exec(seen[1]);
  assert.ok(match, 'refresh_token line');
  const baseUrl = seen[0].replace('Aqara simulator listening on ', '');

  const app = { appId: 'cli-app', keyId: 'K.cli', appKey: 'cli-secret' };
  const raw = await rawRequest(
    baseUrl,
    '/v3.0/open/api',
    'POST',
    simHeaders(app),
    JSON.stringify({ intent: 'config.auth.refreshToken', data: { refreshToken: match[1] } }),
  );
  assert.equal((JSON.parse(raw.text) as Envelope).code, 0);

  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.equal(stderr, '');
});
